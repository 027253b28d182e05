"""Adam and AdamW — torch.optim.Adam/AdamW, batched, plus a switch to turn bias correction off."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from optim_core.optimizers.base import (
    MAXIMIZE,
    OptimizerRule,
    State,
    anywhere,
    descend_ratio,
    eps_spec,
    lr_spec,
    pick,
    signed,
    square_average,
    weight_decay_spec,
    with_weight_decay,
)
from optim_core.params import ParamSpec

_BETAS = ParamSpec("betas", (0.9, 0.999), kind="pair", low=0.0, high=1.0, high_open=True,
                   doc="decay rates (β₁, β₂) of the running averages of g and g²")
_AMSGRAD = ParamSpec("amsgrad", False, kind="bool", doc="use the running maximum of exp_avg_sq")
_BIAS_CORRECTION = ParamSpec(
    "bias_correction", True, kind="bool",
    doc="divide by 1 − βᵏ (off reproduces the slow start of zero-initialised averages)",
)


class Adam(OptimizerRule):
    """Adam (coupled L2 weight decay, like torch.optim.Adam).

    g ← ∇f(w) + λw;  m ← lerp(m, g, 1 − β₁);  v ← β₂·v + (1 − β₂)·g²;
    m̂ ← m / (1 − β₁ᵏ);  v̂ ← v / (1 − β₂ᵏ)  (or no division with ``bias_correction=False``);
    w ← w − lr · m̂ / (√v̂ + eps)  (with ``amsgrad``, v is replaced by its running maximum).
    State: ``exp_avg`` (m), ``exp_avg_sq`` (v), ``max_exp_avg_sq``.
    """

    name = "Adam"
    title = "Adam"
    update = "m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  w ← w − lr · m̂/(√v̂ + eps)"
    decoupled = False
    hyperparameters = (
        lr_spec(1e-3), _BETAS, eps_spec(1e-8), weight_decay_spec(), _AMSGRAD, _BIAS_CORRECTION,
        MAXIMIZE,
    )
    state_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def state_in_use(self, hyper: list[Mapping[str, Any]]) -> tuple[str, ...]:
        if any(h["amsgrad"] for h in hyper):
            return self.state_names
        return ("exp_avg", "exp_avg_sq")

    def init_state(self, params: torch.Tensor, hyper) -> State:
        zeros = torch.zeros_like(params)
        return {"exp_avg": zeros, "exp_avg_sq": zeros.clone(), "max_exp_avg_sq": zeros.clone()}

    def step(self, params, grad, state, hyper, step, hessian=None):
        lr, weight_decay = hyper["lr"], hyper["weight_decay"]
        beta1, beta2 = _split(hyper["betas"])
        grad = signed(grad, hyper["maximize"])
        if self.decoupled:
            if isinstance(weight_decay, torch.Tensor) or weight_decay != 0:
                params = params * (1 - lr * weight_decay)
        else:
            grad = with_weight_decay(grad, params, weight_decay)
        state = dict(state)
        exp_avg = state["exp_avg"] = torch.lerp(state["exp_avg"], grad, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"] = square_average(state["exp_avg_sq"], grad, beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        correct = hyper["bias_correction"]
        if isinstance(correct, torch.Tensor):
            like = {"dtype": params.dtype, "device": params.device}
            bias_correction1 = torch.where(correct, torch.as_tensor(bias_correction1, **like), 1.0)
            bias_correction2 = torch.where(correct, torch.as_tensor(bias_correction2, **like), 1.0)
        elif not correct:
            bias_correction1 = bias_correction2 = 1.0
        step_size = lr / bias_correction1
        second = exp_avg_sq
        if anywhere(hyper["amsgrad"]):
            running_max = torch.maximum(state["max_exp_avg_sq"], exp_avg_sq)
            state["max_exp_avg_sq"] = pick(hyper["amsgrad"], running_max, state["max_exp_avg_sq"])
            second = pick(hyper["amsgrad"], running_max, exp_avg_sq)
        denom = (second.sqrt() / _sqrt(bias_correction2)).add_(hyper["eps"])
        return descend_ratio(params, exp_avg, denom, step_size), state


class AdamW(Adam):
    """AdamW: Adam with decoupled weight decay, w ← w − lr·λ·w before the Adam step."""

    name = "AdamW"
    title = "AdamW"
    update = "w ← w − lr·λ·w;  then the Adam step (λ is weight_decay)"
    decoupled = True
    hyperparameters = (
        lr_spec(1e-3), _BETAS, eps_spec(1e-8), weight_decay_spec(1e-2), _AMSGRAD,
        _BIAS_CORRECTION, MAXIMIZE,
    )


def _split(betas):
    if isinstance(betas, torch.Tensor):
        return betas[:, 0:1], betas[:, 1:2]
    return betas


def _sqrt(x):
    return x.sqrt() if isinstance(x, torch.Tensor) else math.sqrt(x)
