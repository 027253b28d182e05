"""RMSprop — torch.optim.RMSprop, batched: divide by a running root-mean-square of the gradient."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from optim_core.optimizers.base import (
    MAXIMIZE,
    OptimizerRule,
    State,
    anywhere,
    descend,
    descend_ratio,
    eps_spec,
    is_nonzero,
    lr_spec,
    pick,
    signed,
    square_average,
    weight_decay_spec,
    with_weight_decay,
)
from optim_core.params import ParamSpec


class RMSprop(OptimizerRule):
    """RMSprop (the lecture's β₂ is torch's ``alpha``).

    g ← ∇f(w) + λw;  square_avg ← α·square_avg + (1 − α)·g²;
    centered: grad_avg ← lerp(grad_avg, g, 1 − α), avg ← √(square_avg − grad_avg²) + eps;
    otherwise avg ← √square_avg + eps;
    momentum μ > 0: b ← μ·b + g/avg, w ← w − lr·b;  else w ← w − lr·g/avg.
    """

    name = "RMSprop"
    title = "RMSProp"
    update = "q ← α·q + (1−α)·g²;  w ← w − lr · g/(√q + eps)"
    hyperparameters = (
        lr_spec(1e-2),
        ParamSpec("alpha", 0.99, low=0.0, high=1.0, high_open=True,
                  doc="smoothing constant α (the lecture's β₂)"),
        eps_spec(1e-8),
        weight_decay_spec(),
        ParamSpec("momentum", 0.0, low=0.0, high=1.0, high_open=True, doc="momentum factor"),
        ParamSpec("centered", False, kind="bool",
                  doc="normalize by an estimate of the gradient's variance"),
        MAXIMIZE,
    )
    state_names = ("square_avg", "grad_avg", "momentum_buffer")

    def state_in_use(self, hyper: list[Mapping[str, Any]]) -> tuple[str, ...]:
        names = ["square_avg"]
        if any(h["centered"] for h in hyper):
            names.append("grad_avg")
        if any(h["momentum"] > 0 for h in hyper):
            names.append("momentum_buffer")
        return tuple(names)

    def init_state(self, params: torch.Tensor, hyper) -> State:
        zeros = torch.zeros_like(params)
        return {"square_avg": zeros, "grad_avg": zeros.clone(), "momentum_buffer": zeros.clone()}

    def step(self, params, grad, state, hyper, step, hessian=None):
        alpha, momentum = hyper["alpha"], hyper["momentum"]
        grad = with_weight_decay(signed(grad, hyper["maximize"]), params, hyper["weight_decay"])
        state = dict(state)
        square_avg = state["square_avg"] = square_average(state["square_avg"], grad, alpha)
        avg = square_avg.sqrt()
        if anywhere(hyper["centered"]):
            grad_avg = state["grad_avg"] = torch.lerp(state["grad_avg"], grad, 1 - alpha)
            centred = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            avg = pick(hyper["centered"], centred, avg)
        avg = avg.add_(hyper["eps"])
        uses_momentum = is_nonzero(momentum)
        if not anywhere(uses_momentum):
            return descend_ratio(params, grad, avg, hyper["lr"]), state
        buf = state["momentum_buffer"] = torch.addcdiv(state["momentum_buffer"] * momentum,
                                                        grad, avg)
        direction = pick(uses_momentum, buf, grad / avg)
        return descend(params, direction, hyper["lr"]), state
