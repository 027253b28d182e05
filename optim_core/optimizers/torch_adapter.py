"""Any other torch.optim optimizer, by class name, through one adapter.

The built-in rules are batched over runs; this adapter is the generic path: one real
``torch.optim`` instance per run on a ``(2,)`` parameter, hyperparameters passed through (torch
validates them), state read back from ``optimizer.state``. It loops over runs in Python, so it is
slower — it exists so that nobody is limited to the built-ins (NAdam, RAdam, Adamax, Adadelta,
Rprop, ASGD, LBFGS, …).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

import torch

from optim_core.errors import ConfigError
from optim_core.optimizers.base import OptimizerRule, State
from optim_core.params import ParamSpec

#: constructor arguments that select an implementation, not an optimizer's behaviour
_IMPLEMENTATION_ARGS = {"params", "self", "foreach", "capturable", "differentiable", "fused"}
_UNSUITABLE = {
    "SparseAdam": "it needs sparse gradients",
    "Muon": "it only updates 2D matrix parameters",
}
_INTEGER_WORDS = ("iter", "size", "steps", "eval")


def torch_optimizer_names() -> list[str]:
    """torch.optim classes usable through the adapter."""
    names = []
    for name, obj in vars(torch.optim).items():
        if (
            inspect.isclass(obj)
            and issubclass(obj, torch.optim.Optimizer)
            and obj is not torch.optim.Optimizer
            and name not in _UNSUITABLE
        ):
            names.append(name)
    return sorted(names)


def _spec_for(name: str, default: Any) -> ParamSpec:
    if isinstance(default, bool):
        return ParamSpec(name, default, kind="bool")
    if isinstance(default, tuple) and len(default) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in default
    ):
        return ParamSpec(name, tuple(float(v) for v in default), kind="pair")
    if isinstance(default, int | float):
        if isinstance(default, int) and any(word in name for word in _INTEGER_WORDS):
            return ParamSpec(name, default, kind="int")
        return ParamSpec(name, float(default), log_scale=name in ("lr", "eps"))
    return ParamSpec(name, default, kind="any", optional=True)


class TorchOptimizer(OptimizerRule):
    """Adapter around one torch.optim class; built by :func:`torch_rule`."""

    def __init__(self, name: str) -> None:
        if name in _UNSUITABLE:
            raise ConfigError("optimizer", name, f"{name} cannot run here: {_UNSUITABLE[name]}")
        cls = getattr(torch.optim, name, None)
        if not (inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)):
            raise ConfigError("optimizer", name, "not a torch.optim optimizer")
        self.cls = cls
        self.name = name  # type: ignore[misc]
        self.title = f"{name} (torch.optim)"  # type: ignore[misc]
        self.update = f"torch.optim.{name}.step()"  # type: ignore[misc]
        signature = inspect.signature(cls.__init__)
        self.hyperparameters = tuple(  # type: ignore[misc]
            _spec_for(arg, p.default)
            for arg, p in signature.parameters.items()
            if arg not in _IMPLEMENTATION_ARGS and p.default is not inspect.Parameter.empty
        )
        self.state_names = self._probe_state_names()  # type: ignore[misc]

    def make(self, param: torch.Tensor, hyper: Mapping[str, Any]) -> torch.optim.Optimizer:
        """A torch.optim instance over ``param`` with ``hyper`` (pairs as tuples)."""
        return self.cls([param], **{k: v for k, v in hyper.items()})

    def check(self, hyper: Mapping[str, Any], field: str) -> None:
        # build it and take one step: some values are only refused when stepping. Any error
        # counts: torch's own checks raise ValueError, but a value they let through can fail
        # deeper (LBFGS history_size=0: IndexError; ASGD alpha=1e308: OverflowError).
        try:
            self._probe_step(hyper)
        except Exception as exc:
            defaults = {s.name: s.default for s in self.hyperparameters}
            name = _blamed(str(exc), hyper, defaults)
            where = f"{field}.{name}" if name else field
            raise ConfigError(where, hyper.get(name) if name else dict(hyper),
                              f"torch.optim.{self.name} says: {exc}") from None

    def _probe_step(self, hyper: Mapping[str, Any]) -> tuple[torch.Tensor, torch.optim.Optimizer]:
        """One step on a small bowl; returns the parameter and the optimizer."""
        param = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        opt = self.make(param, hyper)

        def closure() -> torch.Tensor:
            opt.zero_grad()
            loss = ((param - 1) ** 2).sum()
            loss.backward()
            return loss

        opt.step(closure)
        return param, opt

    def _probe_state_names(self) -> tuple[str, ...]:
        param, opt = self._probe_step({s.name: s.default for s in self.hyperparameters})
        return tuple(
            name for name, value in opt.state[param].items()
            if isinstance(value, torch.Tensor) and value.shape == param.shape
        )

    def step(self, params, grad, state, hyper, step, hessian=None):
        raise TypeError("the torch adapter steps through TorchBlock, not step()")


class TorchBlock:
    """The per-run torch.optim instances of one block of runs."""

    def __init__(self, rule: TorchOptimizer, params: torch.Tensor, hyper: list[dict[str, Any]]):
        self.rule = rule
        self.params = [params[i].detach().clone().requires_grad_(True) for i in range(len(hyper))]
        self.optimizers = [rule.make(p, h) for p, h in zip(self.params, hyper, strict=True)]

    def set_hyperparameter(self, row: int, name: str, value: Any) -> None:
        """Change one run's hyperparameter in its param group (takes effect next step)."""
        self.optimizers[row].param_groups[0][name] = value

    def step(
        self,
        params: torch.Tensor,
        grad: torch.Tensor,
        evaluate: Callable[[int, torch.Tensor], torch.Tensor],
    ) -> None:
        """Step every run; ``evaluate(row, w)`` gives the (clipped-gradient) loss for closures."""
        for row, (param, opt) in enumerate(zip(self.params, self.optimizers, strict=True)):
            with torch.no_grad():
                param.copy_(params[row])
            param.grad = grad[row].clone()
            first = [True]

            def closure(row: int = row, param: torch.Tensor = param,
                        opt: torch.optim.Optimizer = opt, first: list[bool] = first):
                if first[0]:  # the gradient at this point is already there
                    first[0] = False
                    return evaluate(row, param.detach()).detach()
                opt.zero_grad()
                with torch.enable_grad():
                    return evaluate(row, param)

            opt.step(closure)
            with torch.no_grad():
                params[row].copy_(param)

    def state(self, like: torch.Tensor) -> State:
        """The runs' state tensors, stacked ``(R, 2)``; NaN where a run has none yet."""
        out = {}
        for name in self.rule.state_names:
            rows = []
            for param, opt in zip(self.params, self.optimizers, strict=True):
                value = opt.state.get(param, {}).get(name)
                rows.append(value.detach() if isinstance(value, torch.Tensor)
                            else torch.full_like(like[0], float("nan")))
            out[name] = torch.stack(rows).to(like)
        return out


def _blamed(message: str, hyper: Mapping[str, Any], defaults: Mapping[str, Any]) -> str | None:
    """The hyperparameter a torch error message is about: the one it names, else the only one
    changed from its default."""
    lowered = message.lower()
    aliases = {"learning rate": "lr", "beta parameter": "betas", "epsilon": "eps"}
    for phrase, name in aliases.items():
        if phrase in lowered and name in hyper:
            return name
    for name in sorted(hyper, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name.lower())}\b", lowered):
            return name
    changed = [name for name in hyper if hyper[name] != defaults.get(name)]
    return changed[0] if len(changed) == 1 else None
