"""A training session: several optimizers training one network, batched, one step at a time.

Each run holds its own copy of the weights as one row of an ``(R, P)`` tensor, all starting from
the same seeded initial vector. A step is the lecture's training loop for every run at once:
draw the minibatch (the same for all runs), forward, loss, backward (one batched pass), clip each
run's gradient, step the optimizer rules of :class:`~optim_core.stepper.RuleStepper` — the very
rules of the 2D lab, over P parameters — then the schedules. A run whose loss, gradient or
weights become non-finite is frozen and marked diverged; the others go on.

Records (bounded: :class:`~optim_core.history.History` thins long runs) are the minibatch loss,
learning rate and clip flag of every step, and every k steps: loss and accuracy on the training
and validation sets, per-layer statistics, the gradient noise scale, the sharpness and the weights
(for loss-landscape slices).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from optim_core.experiment import DTYPES
from optim_core.history import History
from optim_core.networks import probes
from optim_core.networks.experiment import NetworkExperiment
from optim_core.networks.sampler import EpochSampler
from optim_core.networks.snapshot import NetworkSnapshot, frozen
from optim_core.stepper import RuleBlock, RuleStepper

HISTORY_BUDGET_BYTES = 512 * 2**20
#: samples of the fixed probe batches for the noise scale and the sharpness
NOISE_PROBE = 512  # the noise scale is a ratio of noisy estimates: fewer samples often give none
NOISE_PROBE_COPIES = 128  # a CNN's per-sample gradients are explicit copies of its weights
SHARPNESS_PROBE = 128
#: samples the training- and validation-set loss and accuracy are measured on (fixed subsets)
TRAIN_EVAL = 512
VAL_EVAL = 512
#: a run whose weights grow past this (in absolute value) has diverged, as in the 2D lab
DIVERGENCE_BOUND = 1e6
#: weight rows kept for landscape slices (thinned beyond)
TRAJECTORY_ROWS = 256


class TrainingSession:
    """The runs of a network experiment, stepped together on its device in its dtype."""

    def __init__(self, experiment: NetworkExperiment, *,
                 history_budget: int = HISTORY_BUDGET_BYTES,
                 record_batches: bool | None = None) -> None:
        self.experiment = experiment
        self.device = torch.device(experiment.device)
        self.dtype = DTYPES[experiment.dtype]
        self.data = experiment.dataset().to(self.device, self.dtype)
        self.model = experiment.model(self.data)
        self.init_params = self.model.initial_params(experiment.seed)
        self.rules = RuleStepper(experiment.runs, self.device, self.dtype)
        self.every = dict(experiment.every)
        self._history_budget = history_budget
        self.keeps_batches = (experiment.record_batches if record_batches is None
                              else record_batches)
        n = self.n_train
        probe_order = torch.randperm(n, generator=torch.Generator().manual_seed(experiment.seed))
        noise_probe = NOISE_PROBE if self.model.is_mlp else NOISE_PROBE_COPIES
        self._noise_probe = probe_order[:probes.probe_size(n, noise_probe)].to(self.device)
        self._sharp_probe = probe_order[:probes.probe_size(n, SHARPNESS_PROBE)].to(self.device)
        self._train_eval = probe_order[:TRAIN_EVAL].sort().values.to(self.device)
        self.reset()

    # ------------------------------------------------------------------ facts
    @property
    def runs(self):
        return self.rules.runs

    @property
    def n_runs(self) -> int:
        return len(self.rules.runs)

    @property
    def n_train(self) -> int:
        return len(self.data.train_x)

    @property
    def batch_size(self) -> int:
        return self.experiment.batch_size or self.n_train

    @property
    def step_count(self) -> int:
        return self._step

    @property
    def layer_names(self) -> list[str]:
        return [name for name, _ in self.model.layer_slices()]

    # ------------------------------------------------------------------ control
    def reset(self) -> None:
        """Every run back at the initial weights, fresh optimizer state, schedules and batches."""
        r = self.n_runs
        self._params = self.init_params.to(self.device, self.dtype).expand(r, -1).clone()
        self.rules.reset(self._params)
        full = self.experiment.batch_size is None
        self._sampler = None if full else EpochSampler(self.n_train, self.batch_size,
                                                       self.experiment.seed)
        self._all = torch.arange(self.n_train, device=self.device)
        self._active = torch.ones(r, dtype=torch.bool, device=self.device)
        self._never_clipped = torch.zeros(r, dtype=torch.bool, device=self.device)
        self._all_active = True
        self._diverged_at: list[int | None] = [None] * r
        self._step = 0
        self._elapsed = 0.0
        self._batches: list[torch.Tensor] = []
        self._sharp_vectors: torch.Tensor | None = None
        self._make_records()
        self._evaluate_sets(0)
        self._record_weights(0)

    def set_hyperparameter(self, run: int, name: str, value: Any) -> None:
        """Change one run's hyperparameter or clipping between steps (ConfigError if refused)."""
        self.rules.set_hyperparameter(run, name, value, self._params)

    def _make_records(self) -> None:
        r, dt, dev = self.n_runs, self.dtype, self.device
        steps = self.experiment.steps
        layers = len(self.layer_names)
        bins = len(probes.ELR_EDGES) - 1

        def history(fields, every, row_bytes):
            wanted = steps // max(every, 1) + 2
            limit = max(64, self._history_budget // 8 // max(row_bytes, 1))
            return History(r, fields, min(wanted, limit), dev, stride=max(every, 1))

        self.steps_record = History(r, {"loss": ((), dt), "lr": ((), dt),
                                        "clipped": ((), torch.bool)},
                                    min(steps + 1, self._history_budget // 4 // (r * 20) + 64),
                                    dev)
        self.eval_record = history({name: ((), dt) for name in (
            "train_loss", "train_accuracy", "val_loss", "val_accuracy")},
            self.every["eval_every"], r * 32)
        self.layer_record = history({"grad_norm": ((layers,), dt), "weight_norm": ((layers,), dt),
                                     "update_ratio": ((layers,), dt),
                                     "effective_lr_hist": ((layers, bins), dt)},
                                    self.every["layer_stats_every"], r * layers * (bins + 3) * 8)
        self.noise_record = history({"noise_scale": ((), dt)}, self.every["noise_scale_every"],
                                    r * 8)
        self.sharpness_record = history({"sharpness": ((), dt)}, self.every["sharpness_every"],
                                        r * 8)
        # every step at first; the stride doubles whenever the rows are full (the whole path
        # is kept, at a resolution that halves), so a slice can be drawn at any time
        p = self.model.n_params
        self.weight_record = History(
            r, {"params": ((p,), dt)},
            min(steps + 1, TRAJECTORY_ROWS,
                max(8, self._history_budget // 4 // (r * p * dt.itemsize))), dev)

    # ------------------------------------------------------------------ stepping
    def step(self, k: int = 1, should_stop: Callable[[], bool] | None = None) -> int:
        """Advance every run ``k`` steps (or until ``should_stop()``); return the step reached."""
        for _ in range(k):
            if should_stop is not None and should_stop():
                break
            started = time.perf_counter()
            self._advance()
            self._elapsed += time.perf_counter() - started
        return self._step

    def _batch(self) -> torch.Tensor:
        if self._sampler is None:
            return self._all
        return self._sampler.draw().to(self.device)

    def _advance(self) -> None:
        index = self._batch()
        if self.keeps_batches:
            self._batches.append(index.cpu())
        x, y = self.data.train_x[index], self.data.train_y[index]
        self._x, self._y = x, y
        before = self._params
        w = before.detach().requires_grad_(True)
        with torch.enable_grad():
            loss = probes.batch_loss(self.model, w, x, y)
            (raw,) = torch.autograd.grad(loss.sum(), w)
        loss = loss.detach()
        grad, clipped = self.rules.clip(raw)
        lr = self.rules.current_lr_tensor(before)
        self._step += 1
        after = self.rules.step(before, grad, self._step, None, self._closure_loss)
        step = self._step
        active = self._active
        if not self._all_active:  # diverged runs stay frozen
            after = torch.where(active[:, None], after, before)
        self._check_divergence(loss, raw, after)
        self._params = after
        fired = clipped if clipped is not None else self._never_clipped
        if not self._all_active:
            loss = torch.where(active, loss, float("nan"))
            fired = fired & active
        self.steps_record.append(step, self._elapsed, {"loss": loss, "lr": lr, "clipped": fired})
        if self._due("layer_stats_every", step):
            self.layer_record.append(step, self._elapsed,
                                     probes.layer_stats(self.model, before, after, raw))
        if self._due("eval_every", step):
            self._evaluate_sets(step)
        if self._due("noise_scale_every", step):
            self._record_noise_scale(step)
        if self._due("sharpness_every", step):
            self._record_sharpness(step)
        self._record_weights(step)

    def _due(self, name: str, step: int) -> bool:
        every = self.every[name]
        return every > 0 and step % every == 0

    def _closure_loss(self, block: RuleBlock):
        """``loss_of(row, w)`` for torch.optim closures: this step's minibatch loss of one run
        at its weights ``w`` ``(P,)``, with the gradient clipped as that run clips it."""
        x, y = self._x, self._y

        def loss_of(row: int, w: torch.Tensor) -> torch.Tensor:
            r = block.rows[row]
            loss = probes.batch_loss(self.model, w[None], x, y)[0]
            if w.requires_grad:
                loss.backward()
                w.grad.copy_(self.rules.clip_run(w.grad, r))
            return loss

        return loss_of

    def _check_divergence(self, loss: torch.Tensor, grad: torch.Tensor, after: torch.Tensor
                          ) -> None:
        # a NaN or inf in a run's loss or gradient makes the sum so; NaN fails the bound too
        totals = loss + grad.sum(1)
        if self._all_active:  # fast path, one sync and no (R, P) temporary: all runs at once
            low, high = torch.aminmax(after)
            total, low, high = torch.stack((totals.sum(), low, high)).tolist()
            if math.isfinite(total) and low >= -DIVERGENCE_BOUND and high <= DIVERGENCE_BOUND:
                return
        ok = torch.isfinite(totals) & (after.abs().amax(1) <= DIVERGENCE_BOUND)
        newly = self._active & ~ok
        if not bool(ok.all()) and bool(newly.any()):
            for r in torch.nonzero(newly).flatten().tolist():
                self._diverged_at[r] = self._step
            self._active = self._active & ok
            self._all_active = bool(self._active.all())

    # ------------------------------------------------------------------ records
    def _masked(self, values: torch.Tensor) -> torch.Tensor:
        keep = self._active.view(-1, *([1] * (values.dim() - 1)))
        return torch.where(keep, values, float("nan"))

    @torch.no_grad()
    def _evaluate_sets(self, step: int) -> None:
        values = {}
        subset = self._train_eval
        val = slice(0, VAL_EVAL)
        for name, x, y in (("train", self.data.train_x[subset], self.data.train_y[subset]),
                           ("val", self.data.val_x[val], self.data.val_y[val])):
            if len(x) == 0:
                nan = torch.full((self.n_runs,), float("nan"), dtype=self.dtype,
                                 device=self.device)
                values[f"{name}_loss"] = values[f"{name}_accuracy"] = nan
                continue
            out = self.model.forward(self._params, x)
            values[f"{name}_loss"] = self._masked(self.model.losses(out, y).mean(-1))
            accuracy = self.model.accuracy(out, y)
            values[f"{name}_accuracy"] = (self._masked(accuracy) if accuracy is not None
                                          else torch.full_like(values[f"{name}_loss"],
                                                               float("nan")))
        self.eval_record.append(step, self._elapsed, values)

    def _record_noise_scale(self, step: int) -> None:
        idx = self._noise_probe
        if len(idx) < 2:
            return
        value = probes.noise_scale(self.model, self._params, self.data.train_x[idx],
                                   self.data.train_y[idx])
        self.noise_record.append(step, self._elapsed, {"noise_scale": self._masked(value)})

    def _record_sharpness(self, step: int) -> None:
        idx = self._sharp_probe
        start = self._sharp_vectors
        if start is not None and not bool(torch.isfinite(start).all()):
            start = None
        value, self._sharp_vectors = probes.sharpness(
            self.model, self._params, self.data.train_x[idx], self.data.train_y[idx], start,
            iterations=12 if start is None else 4)
        self.sharpness_record.append(step, self._elapsed, {"sharpness": self._masked(value)})

    def _record_weights(self, step: int) -> None:
        if self.weight_record.wants(step):
            self.weight_record.append(step, self._elapsed, {"params": self._params})

    # ------------------------------------------------------------------ reading
    def current_params(self) -> torch.Tensor:
        """The runs' weights now ``(R, P)`` (a copy)."""
        return self._params.detach().clone()

    def status(self) -> tuple[str, ...]:
        return tuple("ok" if d is None else "diverged" for d in self._diverged_at)

    def diverged_at(self) -> tuple[int | None, ...]:
        return tuple(self._diverged_at)

    def batches(self) -> np.ndarray:
        """The minibatch indices of every step so far ``(steps, batch_size)`` (when kept)."""
        if not self._batches:
            return np.zeros((0, self.batch_size), dtype=np.int64)
        return torch.stack(self._batches).numpy()

    def snapshot(self) -> NetworkSnapshot:
        """Numpy copies of everything recorded so far (for a GUI thread to keep and draw)."""
        records = self.records()
        steps = records["steps"]
        return NetworkSnapshot(
            step=self._step,
            labels=tuple(run.label for run in self.runs),
            optimizers=tuple(run.optimizer for run in self.runs),
            colors=tuple(run.color for run in self.runs),
            hyperparameters=tuple(MappingProxyType(dict(run.hyperparameters))
                                  for run in self.runs),
            status=self.status(), diverged_at=self.diverged_at(),
            batch_size=self.batch_size, n_train=self.n_train,
            layer_names=tuple(self.layer_names),
            effective_lr_edges=np.array(probes.log_edges()),
            steps=steps["steps"], wall_time=steps["wall_time"], loss=steps["loss"],
            lr=steps["lr"], clipped=steps["clipped"],
            eval=frozen(records["eval"]), layers=frozen(records["layers"]),
            noise=frozen(records["noise"]), sharpness=frozen(records["sharpness"]),
            current_lr=np.array(self.rules.current_lr()),
        )

    @torch.no_grad()
    def decision_grid(self, extent: tuple[float, float, float, float], resolution: int = 64,
                      runs: Sequence[int] | None = None) -> np.ndarray:
        """What each run predicts over a grid of 2D inputs ``(R', res, res)``: the probability
        of class 1 (two classes), the predicted class (more), or the output (a regression on 2D
        inputs). Row i is y = y0 + i·Δ, column j is x = x0 + j·Δ. 2D data sets only."""
        if self.model.input_shape != (2,):
            raise ValueError("decision regions need 2D inputs")
        x0, x1, y0, y1 = extent
        xs = torch.linspace(x0, x1, resolution, dtype=self.dtype, device=self.device)
        ys = torch.linspace(y0, y1, resolution, dtype=self.dtype, device=self.device)
        grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), -1).reshape(-1, 2)
        rows = self._params if runs is None else self._params[list(runs)]
        out = self.model.forward(rows, grid)
        if self.model.n_outputs == 1:
            values = out[..., 0]
        elif self.model.n_outputs == 2:
            values = torch.softmax(out, -1)[..., 1]
        else:
            values = out.argmax(-1).to(self.dtype)
        return values.reshape(len(rows), resolution, resolution).cpu().numpy()

    def records(self) -> dict[str, dict[str, np.ndarray]]:
        """Numpy copies of every record kind: ``{"steps": …, "eval": …, "layers": …, …}``."""
        return {"steps": self.steps_record.arrays(), "eval": self.eval_record.arrays(),
                "layers": self.layer_record.arrays(), "noise": self.noise_record.arrays(),
                "sharpness": self.sharpness_record.arrays(),
                "weights": self.weight_record.arrays()}
