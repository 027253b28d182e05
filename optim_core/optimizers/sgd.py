"""SGD with momentum, dampening, Nesterov and weight decay — torch.optim.SGD, batched."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from optim_core.errors import ConfigError
from optim_core.optimizers.base import (
    MAXIMIZE,
    Hyper,
    OptimizerRule,
    State,
    anywhere,
    descend,
    is_nonzero,
    lr_spec,
    pick,
    signed,
    weight_decay_spec,
    with_weight_decay,
)
from optim_core.params import ParamSpec


class SGD(OptimizerRule):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    g ← ∇f(w) + λw;  b ← g on the first step, else μ·b + (1 − τ)·g;
    d ← g + μ·b (Nesterov) or b (momentum) or g (μ = 0);  w ← w − lr·d.

    The lecture's heavy ball v ← βv − ∇f, w ← w + αv is this rule with μ = β, τ = 0 and b = −v.
    torch's Nesterov form keeps the *look-ahead* point as the parameter.
    """

    name = "SGD"
    title = "SGD (momentum, Nesterov)"
    update = "b ← μ·b + (1−τ)·g;  w ← w − lr·(g + μ·b if nesterov else b)"
    hyperparameters = (
        lr_spec(1e-3),
        ParamSpec("momentum", 0.0, low=0.0, high=1.0, high_open=True, doc="momentum factor μ"),
        ParamSpec("dampening", 0.0, low=0.0, high=1.0, doc="dampening for momentum τ"),
        weight_decay_spec(),
        ParamSpec("nesterov", False, kind="bool", doc="use Nesterov momentum"),
        MAXIMIZE,
    )
    state_names = ("momentum_buffer",)

    def title_for(self, hyper: Mapping[str, Any]) -> str:
        """"SGD", "SGD with momentum" or "SGD with Nesterov momentum", as the settings say."""
        if not hyper.get("momentum"):
            return "SGD"
        return "SGD with Nesterov momentum" if hyper.get("nesterov") else "SGD with momentum"

    def check(self, hyper: Mapping[str, Any], field: str) -> None:
        if hyper["nesterov"] and (hyper["momentum"] <= 0 or hyper["dampening"] != 0):
            raise ConfigError(f"{field}.nesterov", True,
                              "Nesterov momentum requires a momentum and zero dampening")

    def state_in_use(self, hyper: list[Mapping[str, Any]]) -> tuple[str, ...]:
        return self.state_names if any(h["momentum"] != 0 for h in hyper) else ()

    def init_state(self, params: torch.Tensor, hyper: Mapping[str, Hyper]) -> State:
        # NaN stands for torch's "no buffer yet": the first momentum step copies the gradient.
        return {"momentum_buffer": torch.full_like(params, float("nan"))}

    def step(self, params, grad, state, hyper, step, hessian=None):
        momentum = hyper["momentum"]
        grad = with_weight_decay(signed(grad, hyper["maximize"]), params, hyper["weight_decay"])
        uses_momentum = is_nonzero(momentum)
        direction = grad
        if anywhere(uses_momentum):
            old = state["momentum_buffer"]
            running = old * momentum + grad * (1 - hyper["dampening"])
            # a whole row is NaN until its first momentum step: one flag per run, not per
            # element (an elementwise mask costs 10× the arithmetic on CPU)
            fresh = torch.isnan(old[:, :1])
            buf = pick(uses_momentum, torch.where(fresh, grad, running), old)
            state = {"momentum_buffer": buf}
            direction = pick(hyper["nesterov"], grad + buf * momentum, buf)
            direction = pick(uses_momentum, direction, grad)
        return descend(params, direction, hyper["lr"]), state
