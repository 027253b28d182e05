"""Newton's method with the exact (autograd) Hessian and optional damping (H + λI)."""

from __future__ import annotations

import torch

from optim_core.optimizers.base import OptimizerRule, descend, lr_spec
from optim_core.params import ParamSpec


class Newton(OptimizerRule):
    """Damped Newton: w ← w − lr · (H + λI)⁻¹ g, with H the exact Hessian at w.

    With lr = 1 and λ = 0 it jumps to the minimum of a quadratic in one step. Where H is indefinite
    it is attracted to saddles and maxima; a damping λ larger than the most negative eigenvalue
    makes H + λI positive definite again. A singular H + λI gives a non-finite step: the run is
    then marked diverged.
    """

    name = "Newton"
    title = "Newton (damped)"
    update = "w ← w − lr · (H + λI)⁻¹ g"
    hyperparameters = (
        lr_spec(1.0),
        ParamSpec("damping", 0.0, low=0.0, doc="λ added to the Hessian's diagonal"),
    )
    needs_hessian = True

    def step(self, params, grad, state, hyper, step, hessian=None):
        if hessian is None:
            raise ValueError("Newton needs the Hessian")
        damping = hyper["damping"]
        eye = torch.eye(2, dtype=params.dtype, device=params.device)
        if isinstance(damping, torch.Tensor):
            damped = hessian + damping[..., None] * eye
        else:
            damped = hessian + damping * eye
        direction, _info = torch.linalg.solve_ex(damped, grad)
        return descend(params, direction, hyper["lr"]), state
