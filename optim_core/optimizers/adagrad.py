"""AdaGrad — torch.optim.Adagrad, batched: a coordinate's step shrinks as its g² add up."""

from __future__ import annotations

import torch

from optim_core.optimizers.base import (
    MAXIMIZE,
    Hyper,
    OptimizerRule,
    State,
    descend_ratio,
    eps_spec,
    lr_spec,
    signed,
    weight_decay_spec,
    with_weight_decay,
)
from optim_core.params import ParamSpec


class Adagrad(OptimizerRule):
    """AdaGrad.

    g ← ∇f(w) + λw;  clr ← lr / (1 + (k − 1)·lr_decay);  sum ← sum + g²;
    w ← w − clr · g / (√sum + eps).
    """

    name = "Adagrad"
    title = "AdaGrad"
    update = "sum ← sum + g²;  w ← w − lr/(1+(k−1)·lr_decay) · g/(√sum + eps)"
    hyperparameters = (
        lr_spec(1e-2),
        ParamSpec("lr_decay", 0.0, low=0.0, doc="learning rate decay"),
        weight_decay_spec(),
        ParamSpec("initial_accumulator_value", 0.0, low=0.0, doc="starting value of sum"),
        eps_spec(1e-10),
        MAXIMIZE,
    )
    state_names = ("sum",)

    def init_state(self, params: torch.Tensor, hyper) -> State:
        init = hyper["initial_accumulator_value"]
        return {"sum": torch.zeros_like(params) + init}

    def step(self, params, grad, state, hyper, step, hessian=None):
        grad = with_weight_decay(signed(grad, hyper["maximize"]), params, hyper["weight_decay"])
        clr: Hyper = hyper["lr"] / (1 + (step - 1) * hyper["lr_decay"])
        total = torch.addcmul(state["sum"], grad, grad, value=1)
        std = total.sqrt().add_(hyper["eps"])
        return descend_ratio(params, grad, std, clr), {"sum": total}
