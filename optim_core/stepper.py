"""The optimizer side of a session: many runs' rules over ``(R, P)`` parameters, one step at a time.

One :class:`RuleStepper` serves both worlds of the lab — a 2D landscape (P = 2) and a network
(P = its number of weights): it groups the runs by optimizer into blocks, clips each run's
gradient as ``clip_grad_norm_``/``clip_grad_value_`` would clip that run's model, applies each
run's learning-rate schedule, and advances each block with one batched rule call. It knows nothing
of where gradients come from; the session that owns it computes them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from optim_core.clipping import clip_gradients
from optim_core.errors import ConfigError
from optim_core.experiment import RUN_OPTIONS, RunSpec
from optim_core.optimizers import TorchOptimizer, get_rule
from optim_core.optimizers.base import OptimizerRule
from optim_core.optimizers.torch_adapter import TorchBlock

#: ``closure_for(block)`` gives ``loss_of(row, w)`` for torch.optim closures (LBFGS …)
ClosureFactory = Callable[["RuleBlock"], Callable[[int, torch.Tensor], torch.Tensor]]


def hyper_view(kind: str, values: list[Any], like: torch.Tensor) -> Any:
    """One hyperparameter as a rule sees it: a scalar when all runs share it, else a tensor
    ``(R_b, 1)`` (``(R_b, 2)`` for pairs such as betas)."""
    if kind == "any" or values.count(values[0]) == len(values):  # C-speed over 10⁴ runs
        return values[0]
    if kind == "bool":
        return torch.tensor(values, device=like.device)[:, None]
    tensor = torch.tensor(values, dtype=like.dtype, device=like.device)
    return tensor if kind == "pair" else tensor[:, None]


@dataclass
class RuleBlock:
    """The runs of one optimizer: rows into the session's tensors, hyperparameters and state."""

    rule: OptimizerRule
    rows: list[int]
    hyper: list[dict[str, Any]]
    schedules: list[Any] = field(default_factory=list)
    index: torch.Tensor | slice = field(default_factory=lambda: slice(0))
    view: dict[str, Any] = field(default_factory=dict)
    state: dict[str, torch.Tensor] = field(default_factory=dict)
    torch_block: TorchBlock | None = None
    clock: Any = None

    def build_view(self, like: torch.Tensor) -> None:
        """Hyperparameters as the rule sees them: one scalar if shared, else ``(R_b, 1)``."""
        self.view = {spec.name: hyper_view(spec.kind, [h[spec.name] for h in self.hyper], like)
                     for spec in self.rule.hyperparameters}

    def start_clock(self) -> None:
        """A fresh schedule clock when some run of the block has a schedule."""
        self.clock = None
        if any(s is not None for s in self.schedules):
            from optim_core.schedules import ScheduleClock

            self.clock = ScheduleClock(self.rule.name, self.hyper, self.schedules)


class RuleStepper:
    """The rules, clipping and schedules of ``runs``, on ``device`` in ``dtype``."""

    def __init__(self, runs: Sequence[RunSpec], device: torch.device, dtype: torch.dtype) -> None:
        if not runs:
            raise ConfigError("runs", [], "at least one run")
        self.runs = list(runs)
        self.device = device
        self.dtype = dtype
        self.blocks = self._make_blocks()
        # blocks that hold consecutive rows in order: a step's params are one concatenation
        self._in_row_order = all(isinstance(b.index, slice) for b in self.blocks) and [
            r for b in self.blocks for r in b.rows] == list(range(len(self.runs)))
        self.needs_hessian = any(block.rule.needs_hessian for block in self.blocks)
        self.clip_norm: torch.Tensor | None = None
        self.clip_value: torch.Tensor | None = None
        self._version = 0  # bumped by every change of a hyperparameter
        self._lr_cache: tuple[int, torch.Tensor] | None = None
        self.steps_taken = 0

    def _make_blocks(self) -> list[RuleBlock]:
        blocks: dict[str, RuleBlock] = {}
        for r, run in enumerate(self.runs):
            block = blocks.get(run.optimizer)
            if block is None:  # one block (and rule) per optimizer, not one made per run
                block = blocks[run.optimizer] = RuleBlock(rule=get_rule(run.optimizer), rows=[],
                                                          hyper=[])
            block.rows.append(r)
            block.hyper.append(dict(run.hyperparameters))
            block.schedules.append(run.schedule)
        for block in blocks.values():
            rows = block.rows
            contiguous = rows == list(range(rows[0], rows[0] + len(rows)))
            block.index = (slice(rows[0], rows[0] + len(rows)) if contiguous
                           else torch.tensor(rows, device=self.device))
        return list(blocks.values())

    # ------------------------------------------------------------------ control
    def reset(self, params: torch.Tensor) -> None:
        """Fresh optimizer state (and schedules) for every run at ``params`` ``(R, P)``."""
        self._update_clipping()
        self.steps_taken = 0
        for block in self.blocks:
            block.build_view(params)
            block.start_clock()
            rows = params[block.index]
            if isinstance(block.rule, TorchOptimizer):
                block.torch_block = TorchBlock(block.rule, rows, block.hyper)
            else:
                block.torch_block = None
                block.state = block.rule.init_state(rows, block.view)

    def _update_clipping(self) -> None:
        self.clip_norm = self._option_tensor("clip_norm")
        self.clip_value = self._option_tensor("clip_value")

    def _option_tensor(self, name: str) -> torch.Tensor | None:
        values = [getattr(run, name) for run in self.runs]
        if all(v is None for v in values):
            return None
        return torch.tensor([[float("inf") if v is None else v] for v in values],
                            dtype=self.dtype, device=self.device)

    def set_hyperparameter(self, run: int, name: str, value: Any, like: torch.Tensor) -> Any:
        """Change one run's hyperparameter or clipping option between steps, keeping its state;
        return the validated value. Raises ConfigError naming ``runs[i].name``."""
        where = f"runs[{run}]"
        if not 0 <= run < len(self.runs):
            raise ConfigError("run", run, f"a run index from 0 to {len(self.runs) - 1}")
        spec = self.runs[run]
        self._version += 1
        if name in RUN_OPTIONS:
            value = RUN_OPTIONS[name].validate(value, f"{where}.{name}")
            self.runs[run] = spec.with_hyperparameter(name, value)
            self._update_clipping()
            return value
        block = self.block_of(run)
        specs = {s.name: s for s in block.rule.hyperparameters}
        if name not in specs:
            raise ConfigError(f"{where}.{name}", value,
                              f"unknown name {name!r}; known: {', '.join(specs)}")
        value = specs[name].validate(value, f"{where}.{name}")
        row = block.rows.index(run)
        proposed = {**block.hyper[row], name: value}
        block.rule.check(proposed, where)
        block.hyper[row] = proposed
        self.runs[run] = spec.with_hyperparameter(name, value)
        block.build_view(like)
        if block.torch_block is not None:
            block.torch_block.set_hyperparameter(row, name, value)
        if block.clock is not None:  # the schedules scale the new values from where they are
            block.start_clock()
            for _ in range(self.steps_taken):
                block.clock.advance()
        return value

    def block_of(self, run: int) -> RuleBlock:
        """The block that steps run ``run``."""
        return next(b for b in self.blocks if run in b.rows)

    # ------------------------------------------------------------------ stepping
    def clip(self, grad: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Each run's gradient clipped as that run clips it, and which runs clipping changed."""
        return clip_gradients(grad, self.clip_norm, self.clip_value)

    def clip_run(self, grad: torch.Tensor, run: int) -> torch.Tensor:
        """Run ``run``'s gradient ``(P,)`` clipped as that run clips it (torch.optim closures)."""
        norm = None if self.clip_norm is None else self.clip_norm[run:run + 1]
        value = None if self.clip_value is None else self.clip_value[run:run + 1]
        return clip_gradients(grad[None], norm, value)[0][0]

    def step(
        self,
        params: torch.Tensor,
        grad: torch.Tensor,
        step: int,
        hessian: torch.Tensor | None = None,
        closure_for: ClosureFactory | None = None,
    ) -> torch.Tensor:
        """New params ``(R, P)`` after step number ``step`` with the (clipped) ``grad``."""
        self.steps_taken = step
        if len(self.blocks) == 1 and isinstance(self.blocks[0].index, slice):
            return self._step_block(self.blocks[0], params, grad, step, hessian, closure_for)
        if self._in_row_order:
            return torch.cat([self._step_block(block, params, grad, step, hessian, closure_for)
                              for block in self.blocks])
        out = params.clone()
        for block in self.blocks:
            out[block.index] = self._step_block(block, params, grad, step, hessian, closure_for)
        return out

    def _step_block(self, block: RuleBlock, before: torch.Tensor, grad: torch.Tensor, step: int,
                    hessian: torch.Tensor | None, closure_for: ClosureFactory | None
                    ) -> torch.Tensor:
        """The block's new params (a new tensor); its state is replaced, never changed."""
        index = block.index
        view = block.view
        if block.clock is not None:
            scheduled = block.clock.current()
            kinds = {s.name: s.kind for s in block.rule.hyperparameters}
            view = {**view, **{name: hyper_view(kinds.get(name, "float"), values, before)
                               for name, values in scheduled.items()}}
            if block.torch_block is not None:
                for name, values in scheduled.items():
                    for row, value in enumerate(values):
                        block.torch_block.set_hyperparameter(row, name, value)
        if block.torch_block is not None:
            if closure_for is None:
                raise RuntimeError("a torch.optim block needs a closure factory")
            params = before[index].clone()
            block.torch_block.step(params, grad[index], closure_for(block))
            block.state = block.torch_block.state(params)
        else:
            h = hessian[index] if hessian is not None else None
            params, block.state = block.rule.step(before[index], grad[index], block.state,
                                                  view, step, h)
        if block.clock is not None:
            block.clock.advance()
        return params

    def current_lr_tensor(self, like: torch.Tensor) -> torch.Tensor:
        """:meth:`current_lr` as a tensor ``(R,)`` (cached while no schedule moves it)."""
        scheduled = any(block.clock is not None for block in self.blocks)
        cached = self._lr_cache
        if scheduled or cached is None or cached[0] != self._version:
            tensor = torch.tensor(self.current_lr(), dtype=like.dtype, device=like.device)
            self._lr_cache = (self._version, tensor)
        return self._lr_cache[1]

    def current_lr(self) -> list[float]:
        """Each run's learning rate for the next step (its schedule's value, if it has one)."""
        out = [float(run.hyperparameters.get("lr", float("nan"))) for run in self.runs]
        for block in self.blocks:
            if block.clock is not None:
                for row, lr in enumerate(block.clock.current().get("lr", [])):
                    out[block.rows[row]] = float(lr)
        return out

    # ------------------------------------------------------------------ state
    def state_names(self) -> list[str]:
        """Every optimizer state name in use by some run (torch would hold it), in order."""
        names: list[str] = []
        for block in self.blocks:
            names.extend(n for n in block.rule.state_in_use(block.hyper) if n not in names)
        return names

    def gather_state(self, names: Sequence[str], like: torch.Tensor) -> dict[str, torch.Tensor]:
        """Live optimizer state shaped like ``like`` ``(R, P)`` by torch name; NaN for runs
        that have none."""
        if len(self.blocks) == 1:
            state = self.blocks[0].state
            return {n: state[n] if n in state else torch.full_like(like, float("nan"))
                    for n in names}
        out = {n: torch.full_like(like, float("nan")) for n in names}
        for block in self.blocks:
            for name, tensor in block.state.items():
                if name in out:
                    out[name][block.index] = tensor
        return out
