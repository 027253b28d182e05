"""A session: many runs on one problem, advanced together, one step at a time.

Runs are grouped by optimizer into blocks; each block is updated with one batched rule call whose
hyperparameters are held per run (a Python scalar when every run of the block shares the value).
The loss and gradient of all runs come from one autograd pass. A worker thread drives a session
with :meth:`Session.step`, reads it with :meth:`Session.snapshot` (numpy copies), and may change a
hyperparameter between steps or :meth:`Session.reset` it.

Divergence: a run whose loss or gradient becomes non-finite, or whose position leaves
``divergence_bound``, is frozen and marked ``diverged`` with the step; the other runs go on and
nothing raises.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from optim_core.effective_lr import WELL_CONDITIONED_ULPS, effective_lr
from optim_core.errors import ConfigError
from optim_core.evaluate import Evaluation, evaluate
from optim_core.experiment import (
    BATCH,
    DTYPES,
    RUN_OPTIONS,
    Experiment,
    RunSpec,
    check_batch_size,
)
from optim_core.history import History
from optim_core.minibatch import MinibatchSampler, batch_weights
from optim_core.problems import FiniteSumProblem, Problem
from optim_core.snapshot import Snapshot, freeze
from optim_core.stepper import RuleBlock, RuleStepper

#: memory the records of one session may use before long runs are thinned out
HISTORY_BUDGET_BYTES = 512 * 2**20
DIVERGENCE_BOUND = 1e6

__all__ = ["DIVERGENCE_BOUND", "HISTORY_BUDGET_BYTES", "WELL_CONDITIONED_ULPS", "Session"]


class Session:
    """Runs of one problem, stepped together on ``device`` in ``dtype``.

    Every step is recorded unless ``record_every`` > 1 (a sweep that needs each run's course but
    not every step); records are sized for ``expected_steps`` and thinned out past
    ``history_budget`` bytes.
    """

    def __init__(
        self,
        problem: Problem,
        runs: Sequence[RunSpec],
        *,
        batch_size: int | None = None,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float64",
        grad_noise: float = 0.0,
        expected_steps: int | None = None,
        history_budget: int = HISTORY_BUDGET_BYTES,
        record_every: int = 1,
        divergence_bound: float = DIVERGENCE_BOUND,
    ) -> None:
        if not runs:
            raise ConfigError("runs", [], "at least one run")
        self.device = torch.device(device)
        self.dtype = DTYPES[dtype]
        self.problem = problem.to(self.device, self.dtype)
        self.rules = RuleStepper(runs, self.device, self.dtype)
        self.batch_size = batch_size
        self.seed = seed
        self.grad_noise = grad_noise
        self.divergence_bound = divergence_bound
        self._expected_steps = expected_steps
        self._history_budget = history_budget
        self._record_every = max(1, int(record_every))
        self._need_hessian = self.rules.needs_hessian
        self.reset()

    @classmethod
    def from_experiment(cls, experiment: Experiment, **kwargs: Any) -> Session:
        """A session for a validated experiment (``steps`` sizes the records)."""
        return cls(
            experiment.problem, experiment.runs, batch_size=experiment.batch_size,
            seed=experiment.seed, device=experiment.device, dtype=experiment.dtype,
            grad_noise=experiment.grad_noise, expected_steps=experiment.steps, **kwargs,
        )

    # ------------------------------------------------------------------ setup
    @property
    def runs(self) -> list[RunSpec]:
        """The runs as they are now (hyperparameters changed between steps included)."""
        return self.rules.runs

    @property
    def n_runs(self) -> int:
        return len(self.runs)

    @property
    def step_count(self) -> int:
        """Steps taken since the start (or the last reset)."""
        return self._step

    @property
    def is_finite_sum(self) -> bool:
        return isinstance(self.problem, FiniteSumProblem)

    def _make_history(self) -> History:
        r = self.n_runs
        state_names = self.state_names()
        fields: dict[str, tuple[tuple[int, ...], torch.dtype]] = {
            "position": ((2,), self.dtype), "loss": ((), self.dtype), "grad": ((2,), self.dtype),
            "clipped": ((), torch.bool), "position_before": ((2,), self.dtype),
        }
        if self.is_finite_sum:
            fields["full_grad"] = ((2,), self.dtype)
            fields["sample_grads"] = ((), torch.int64)
        fields.update({f"state.{n}": ((2,), self.dtype) for n in state_names})
        itemsize = torch.empty((), dtype=self.dtype).element_size()
        row_bytes = r * itemsize * (8 + 2 * len(state_names)) + r * 10
        limit = max(1024, self._history_budget // max(row_bytes, 1))
        expected = self._expected_steps or 1023
        wanted = expected // self._record_every + 1 + (expected % self._record_every != 0)
        # where each step started is the row before's position when every step is recorded
        return History(r, fields, min(limit, wanted), self.device, stride=self._record_every,
                       final_step=self._expected_steps, follows={"position_before": "position"})

    def state_names(self) -> list[str]:
        """Every optimizer state name in use by some run (torch would hold it), in order."""
        return self.rules.state_names()

    # ------------------------------------------------------------------ control
    def reset(self) -> None:
        """Back to the start points with fresh optimizer state, records and minibatch draws."""
        self._params = torch.tensor([run.start for run in self.runs], dtype=self.dtype,
                                    device=self.device)
        self.rules.reset(self._params)
        self._batch_sizes = self._batch_size_tensor()
        self._active = torch.ones(self.n_runs, dtype=torch.bool, device=self.device)
        self._all_active = True
        self._not_clipped = torch.zeros(self.n_runs, dtype=torch.bool, device=self.device)
        self._diverged_at: list[int | None] = [None] * self.n_runs
        self._step = 0
        self._elapsed = 0.0
        self._samples = torch.zeros(self.n_runs, dtype=torch.int64, device=self.device)
        self._sampler = (MinibatchSampler(self.problem.n_samples, self.seed)
                         if self.is_finite_sum else None)
        self._noise = torch.Generator(device="cpu")
        self._noise.manual_seed(self.seed + 1)
        self._permutation: torch.Tensor | None = None
        self._history = self._make_history()
        self._current = self._evaluate(draw=True)
        self._check_divergence(self._current)
        nan = torch.full_like(self._params, float("nan"))
        self._record(nan, self._not_clipped, nan, None)

    def set_hyperparameter(self, run: int, name: str, value: Any) -> None:
        """Change one run's hyperparameter or option (``clip_norm``, ``clip_value``,
        ``batch_size``) between steps, keeping its history and optimizer state.

        Raises ConfigError (naming ``runs[i].name``) for a value the optimizer refuses.
        """
        if name == "batch_size":
            where = f"runs[{run}].batch_size"
            if not 0 <= run < self.n_runs:
                raise ConfigError("run", run, f"a run index from 0 to {self.n_runs - 1}")
            value = RUN_OPTIONS[name].validate(value, where)
            check_batch_size(value, self.problem, where)
        self.rules.set_hyperparameter(run, name, value, self._params)
        if name == "batch_size":
            self._batch_sizes = self._batch_size_tensor()
            self._current = self._evaluate(draw=False)
        for state_name in self.state_names():  # e.g. momentum switched on: record its buffer
            self._history.add_field(f"state.{state_name}", (2,), self.dtype)

    def set_batch_size(self, batch_size: int | None) -> None:
        """Change the session's batch size (runs without one of their own follow it)."""
        batch_size = BATCH.validate(batch_size, "batch_size")
        check_batch_size(batch_size, self.problem, "batch_size")
        self.batch_size = batch_size
        self._batch_sizes = self._batch_size_tensor()
        self._current = self._evaluate(draw=False)

    def set_label(self, run: int, label: str) -> None:
        """Rename a run (display only)."""
        self.runs[run] = dataclasses.replace(self.runs[run], label=label)

    def _batch_size_tensor(self) -> torch.Tensor | None:
        if not self.is_finite_sum:
            return None
        m = self.problem.n_samples
        sizes = [run.batch_size or self.batch_size or m for run in self.runs]
        return torch.tensor(sizes, dtype=torch.int64, device=self.device)

    def batch_sizes(self) -> tuple[int | None, ...]:
        """Each run's samples per step (None for deterministic problems)."""
        if self._batch_sizes is None:
            return (None,) * self.n_runs
        return tuple(int(n) for n in self._batch_sizes.tolist())

    # ------------------------------------------------------------------ stepping
    def step(self, k: int = 1) -> int:
        """Advance every run ``k`` steps; return the step count reached."""
        for _ in range(k):
            started = time.perf_counter()
            self._advance()
            self._elapsed += time.perf_counter() - started
            self._record_pending()
        return self._step

    def _advance(self) -> None:
        current = self._current
        raw = current.grad
        grad, clipped = self.rules.clip(raw)
        before = self._params
        was_active, all_active = self._active, self._all_active
        self._step += 1
        params = self.rules.step(before, grad, self._step, current.hessian, self._closure_loss)
        if not all_active:
            params = torch.where(was_active[:, None], params, before)
        self._params = params
        if self._batch_sizes is not None:
            self._samples = self._samples + torch.where(was_active, self._batch_sizes, 0)
        self._current = self._evaluate(draw=True)
        self._check_divergence(self._current)
        self._pending = (raw, clipped, before, current.full_grad, was_active, all_active)

    def _closure_loss(self, block: RuleBlock):
        """``evaluate(row, w)`` for torch.optim closures: this step's minibatch loss of one run,
        with the gradient clipped as the run clips it."""
        weights = self._weights()

        def loss_of(row: int, w: torch.Tensor) -> torch.Tensor:
            r = block.rows[row]
            if isinstance(self.problem, FiniteSumProblem):
                per_sample = self.problem.sample_losses(w)
                loss = per_sample.mean() if weights is None else \
                    (per_sample * weights[r]).sum() / weights[r].sum()
            else:
                loss = self.problem.loss(w)
            if w.requires_grad:
                loss.backward()
                w.grad.copy_(self.rules.clip_run(w.grad, r))
            return loss

        return loss_of

    def _weights(self) -> torch.Tensor | None:
        if self._batch_sizes is None or self._permutation is None:
            return None
        if bool((self._batch_sizes == self.problem.n_samples).all()):
            return None
        return batch_weights(self._permutation, self._batch_sizes, self.dtype)

    def _evaluate(self, draw: bool) -> Evaluation:
        if self._sampler is not None and (draw or self._permutation is None):
            self._permutation = self._sampler.draw().to(self.device)
        result = evaluate(self.problem, self._params, self._weights(),
                          need_hessian=self._need_hessian)
        if self.grad_noise > 0:
            noise = torch.randn(result.grad.shape, generator=self._noise, dtype=self.dtype)
            noisy = result.grad + self.grad_noise * noise.to(self.device)
            result = dataclasses.replace(result, grad=noisy)
        return result

    def _check_divergence(self, current: Evaluation) -> None:
        if self._all_active:
            # fast path: a NaN or inf in any loss or gradient makes a total non-finite, and the
            # extreme coordinates bound every run (NaN fails both tests). On the CPU the three
            # are read as Python floats (stacking them first cost more: the check is ≈ 10 % of a
            # step on 10,000 runs); on a GPU stacked, so that the check waits for it once
            low, high = torch.aminmax(self._params)
            if self.device.type == "cpu":
                total = current.grad.sum().item() + current.loss_total.item()
                low, high = low.item(), high.item()
            else:
                total, low, high = torch.stack(
                    (current.loss_total + current.grad.sum(), low, high)).tolist()
            bound = self.divergence_bound
            if math.isfinite(total) and -bound <= low and high <= bound:
                return
        finite = torch.isfinite(current.loss + current.grad.sum(dim=-1))
        ok = finite & (self._params.abs().amax(dim=-1) <= self.divergence_bound)
        newly = self._active & ~ok
        for r in torch.nonzero(newly).flatten().tolist():
            self._diverged_at[r] = self._step
        self._active = self._active & ok
        self._all_active = bool(self._active.all())

    # ------------------------------------------------------------------ records
    def _record_pending(self) -> None:
        if not self._history.wants(self._step):
            return
        # the effective lr is not computed here: the step's start is kept and the ratio worked
        # out when read (NaN for frozen runs: their position is recorded as NaN)
        raw, clipped, before, full_grad, was_active, all_active = self._pending
        if not all_active:
            keep = was_active[:, None]
            nan = float("nan")
            raw = torch.where(keep, raw, nan)
            clipped = None if clipped is None else clipped & was_active
            if full_grad is not None:
                full_grad = torch.where(keep, full_grad, nan)
        self._record(raw, clipped, before, full_grad, was_active if not all_active else None)

    def _record(self, grad, clipped, before, full_grad, mask=None) -> None:
        if not self._history.wants(self._step):
            return
        if clipped is None:
            clipped = self._not_clipped
        position, loss = self._params, self._current.loss
        if mask is not None:
            position = torch.where(mask[:, None], position, float("nan"))
            loss = torch.where(mask, loss, float("nan"))
        values = {"position": position, "loss": loss, "grad": grad, "clipped": clipped,
                  "position_before": before}
        if self.is_finite_sum:
            values["full_grad"] = (full_grad if full_grad is not None
                                   else torch.full_like(grad, float("nan")))
            values["sample_grads"] = self._samples
        state = self._gather_state()
        for name, tensor in state.items():
            values[f"state.{name}"] = tensor if mask is None else torch.where(
                mask[:, None], tensor, float("nan"))
        self._history.append(self._step, self._elapsed, values)

    def _gather_state(self, names: list[str] | None = None) -> dict[str, torch.Tensor]:
        """Live optimizer state ``(R, 2)`` by torch name; NaN for runs that have none."""
        if names is None:
            names = [n[6:] for n in self._history.buffers if n.startswith("state.")]
        return self.rules.gather_state(names, self._params)

    # ------------------------------------------------------------------ reading
    def snapshot(self) -> Snapshot:
        """Numpy copies of everything recorded so far and of the current points."""
        arrays = self._history.arrays()
        state = {k[6:]: freeze(v) for k, v in arrays.items() if k.startswith("state.")}

        def current(t: torch.Tensor | None) -> np.ndarray | None:
            return None if t is None else freeze(t.detach().cpu().numpy().copy())

        return Snapshot(
            step=self._step,
            steps=freeze(arrays["steps"]),
            wall_time=freeze(arrays["wall_time"]),
            position=freeze(arrays["position"]),
            loss=freeze(arrays["loss"]),
            grad=freeze(arrays["grad"]),
            clipped=freeze(arrays["clipped"]),
            effective_lr=freeze(effective_lr(arrays["position_before"], arrays["position"],
                                             arrays["grad"])),
            state=MappingProxyType(state),
            full_grad=freeze(arrays.get("full_grad")),
            sample_grads=freeze(arrays.get("sample_grads")),
            current_position=current(self._params),
            current_loss=current(self._current.loss),
            current_grad=current(self._current.grad),
            current_full_grad=current(self._current.full_grad),
            current_state=MappingProxyType({
                name: current(tensor)
                for name, tensor in self._gather_state(self.state_names()).items()}),
            labels=tuple(run.label for run in self.runs),
            optimizers=tuple(run.optimizer for run in self.runs),
            hyperparameters=tuple(MappingProxyType(dict(run.hyperparameters))
                                  for run in self.runs),
            batch_sizes=self.batch_sizes(),
            status=tuple("ok" if d is None else "diverged" for d in self._diverged_at),
            diverged_at=tuple(self._diverged_at),
            current_clipped_grad=current(self._clipped_now()),
        )

    def _clipped_now(self) -> torch.Tensor | None:
        """The current gradient as each run will clip it, NaN rows where clipping does not
        change it (None when no run clips)."""
        clipped, fired = self.rules.clip(self._current.grad)
        if fired is None:
            return None
        return torch.where(fired[:, None], clipped, float("nan"))

    def take_records(self) -> dict[str, np.ndarray]:
        """The records as numpy arrays sharing the session's memory (no copy on the CPU), with
        ``steps`` and ``wall_time``: for a caller that steps this session no more. The effective
        lr is not among them: ``position_before`` (where each recorded step started, written only
        where the row before is not the step before: :func:`optim_core.history.resolve_follows`)
        is, to work it out from (:func:`optim_core.effective_lr.effective_lr`)."""
        return self._history.views()

    @property
    def diverged_at(self) -> tuple[int | None, ...]:
        """The step at which each run diverged (None for runs still going)."""
        return tuple(self._diverged_at)

    def current_points(self) -> np.ndarray:
        """The runs' current positions ``(R, 2)`` (a copy)."""
        return self._params.detach().cpu().numpy().copy()

    def current_minibatch(self, run: int) -> torch.Tensor | None:
        """Indices of the samples run ``run``'s next step will use (finite-sum problems)."""
        if self._permutation is None or self._batch_sizes is None:
            return None
        return self._permutation[: int(self._batch_sizes[run])]
