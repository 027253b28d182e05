"""What an optimizer rule is: torch.optim's update, applied to many runs at once.

A rule is a pure function of a block of runs (as optax's ``update``): it takes ``params`` and
``grad`` of shape ``(R, 2)`` (one row per run) and the state, and returns new params and a new
state without changing its inputs — so the engine can keep each step's tensors as records without
copying them. Each hyperparameter is either a Python scalar (all runs share it — the fast path,
and the exact arithmetic torch.optim uses) or a tensor of shape ``(R, 1)`` (a value per run).
State tensors use torch.optim's names (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``,
``sum`` …); a state that torch would not have for a run (``None``) is held as NaN.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, TypeAlias

import torch

from optim_core.params import ParamSpec

#: a hyperparameter as a rule sees it: one Python value for all runs, or a ``(R, 1)`` tensor
Hyper: TypeAlias = float | bool | torch.Tensor
State: TypeAlias = dict[str, torch.Tensor]


def pick(condition: Hyper, if_true: torch.Tensor, if_false: torch.Tensor) -> torch.Tensor:
    """``if_true`` where ``condition`` holds, else ``if_false`` (a Python bool picks directly)."""
    if isinstance(condition, torch.Tensor):
        return torch.where(condition, if_true, if_false)
    return if_true if condition else if_false


def is_nonzero(value: Hyper) -> Hyper:
    """``value != 0`` as a Python bool or a boolean tensor."""
    return value != 0 if isinstance(value, torch.Tensor) else bool(value != 0)


def anywhere(condition: Hyper) -> bool:
    """Whether ``condition`` holds for at least one run (lets a rule skip unused work)."""
    if isinstance(condition, torch.Tensor):
        return bool(condition.any())
    return bool(condition)


class OptimizerRule(ABC):
    """A batched update rule with torch.optim's name, hyperparameters and defaults.

    ``hyperparameters`` lists every hyperparameter by its torch name. ``state_names`` lists the
    state tensors the rule keeps (each ``(R, 2)``). ``step`` is the number of the step being taken
    (1 for the first), shared by all runs of the block.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    update: ClassVar[str]
    hyperparameters: ClassVar[tuple[ParamSpec, ...]]
    state_names: ClassVar[tuple[str, ...]] = ()
    needs_hessian: ClassVar[bool] = False

    def check(self, hyper: Mapping[str, Any], field: str) -> None:  # noqa: B027 (optional hook)
        """Refuse combinations that torch.optim refuses (raise ConfigError naming the field)."""

    def title_for(self, hyper: Mapping[str, Any]) -> str:
        """The title of the variant these hyperparameters make (the rule's title by default)."""
        return self.title

    def init_state(self, params: torch.Tensor, hyper: Mapping[str, Hyper]) -> State:
        """Fresh state for a block of runs at ``params``."""
        return {}

    def state_in_use(self, hyper: list[Mapping[str, Any]]) -> tuple[str, ...]:
        """The state torch.optim would keep for runs with these hyperparameters (recorded)."""
        return self.state_names

    @abstractmethod
    def step(
        self,
        params: torch.Tensor,
        grad: torch.Tensor,
        state: State,
        hyper: Mapping[str, Hyper],
        step: int,
        hessian: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, State]:
        """New params and state after one step with gradient ``grad`` (already clipped)."""

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description for listings and editors."""
        return {
            "name": self.name,
            "title": self.title,
            "update": self.update,
            "hyperparameters": [spec.describe() for spec in self.hyperparameters],
            "state": list(self.state_names),
        }


def lr_spec(default: float) -> ParamSpec:
    """The learning rate, as every rule names it."""
    return ParamSpec("lr", default, low=0.0, log_scale=True, doc="learning rate")


def weight_decay_spec(default: float = 0.0) -> ParamSpec:
    """L2 penalty added to the gradient (decoupled in AdamW)."""
    return ParamSpec("weight_decay", default, low=0.0, doc="weight decay (L2 penalty)")


def eps_spec(default: float) -> ParamSpec:
    """The term added to the denominator for numerical stability."""
    return ParamSpec("eps", default, low=0.0, low_open=True, log_scale=True,
                     doc="term added to the denominator for numerical stability")


MAXIMIZE = ParamSpec("maximize", False, kind="bool", doc="maximize the objective instead")


def signed(grad: torch.Tensor, maximize: Hyper) -> torch.Tensor:
    """The gradient, negated for the runs that maximize."""
    if isinstance(maximize, torch.Tensor):
        return torch.where(maximize, -grad, grad)
    return -grad if maximize else grad


def with_weight_decay(grad: torch.Tensor, params: torch.Tensor, weight_decay: Hyper
                      ) -> torch.Tensor:
    """``grad + weight_decay * params`` (torch.optim's coupled L2 weight decay)."""
    if isinstance(weight_decay, torch.Tensor):
        return grad + params * weight_decay
    return grad.add(params, alpha=weight_decay) if weight_decay != 0 else grad


def descend(params: torch.Tensor, direction: torch.Tensor, lr: Hyper) -> torch.Tensor:
    """``params − lr · direction`` (torch's ``param.add_(d, alpha=-lr)``)."""
    if isinstance(lr, torch.Tensor):
        return params - direction * lr
    return params.add(direction, alpha=-lr)


def descend_ratio(params: torch.Tensor, num: torch.Tensor, den: torch.Tensor, lr: Hyper
                  ) -> torch.Tensor:
    """``params − lr · num / den`` (torch's ``param.addcdiv_(num, den, value=-lr)``)."""
    if isinstance(lr, torch.Tensor):
        return params - num / den * lr
    return torch.addcdiv(params, num, den, value=-lr)


def square_average(avg: torch.Tensor, grad: torch.Tensor, beta: Hyper) -> torch.Tensor:
    """``β·avg + (1 − β)·g²`` (torch's ``avg.mul_(β).addcmul_(g, g, value=1 − β)``)."""
    if isinstance(beta, torch.Tensor):
        return avg * beta + grad * (1 - beta) * grad
    return torch.addcmul(avg * beta, grad, grad, value=1 - beta)
