"""Curvature at a point: the Hessian by autograd, its eigenvalues and eigenvectors, the condition
number, and the learning rates below which (heavy-ball) gradient descent is stable.

On a quadratic with curvature λ along a direction, gradient descent multiplies the distance along
it by ``1 − lr·λ`` each step: stable (shrinking) iff ``0 < lr < 2/λ``, zigzagging once
``lr > 1/λ``. torch's SGD with momentum β (dampening d, ``buf = β·buf + (1 − d)·g``,
``w −= lr·buf``) is stable iff ``lr < 2(1 + β) / ((1 − d)·λ)``; with Nesterov
(``w −= lr·(g + β·buf)``) iff ``lr < 2(1 + β) / ((1 + β + β(1 − d))·λ)``, i.e.
``2(1 + β)/((1 + 2β)λ)`` undamped — Nesterov's stricter limit. Along a direction with λ ≤ 0 no
learning rate brings gradient descent back: it moves away (λ < 0) or drifts (λ = 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from optim_core.evaluate import evaluate
from optim_core.problems import Problem


@dataclass(frozen=True)
class Curvature:
    """The curvature of ``problem`` at ``points`` ``(R, 2)``, as float64 numpy arrays.

    ``hessian`` ``(R, 2, 2)``; ``eigenvalues`` ``(R, 2)`` ascending; ``eigenvectors`` ``(R, 2, 2)``
    with ``eigenvectors[r, i]`` the unit vector of ``eigenvalues[r, i]`` (its first non-zero
    component positive); NaN where the Hessian is not finite.
    """

    points: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray

    @property
    def condition(self) -> np.ndarray:
        """λ_max/λ_min where both are positive, else NaN; ``(R,)``."""
        low, high = self.eigenvalues[:, 0], self.eigenvalues[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((low > 0) & (high > 0), high / low, np.nan)

    @property
    def gd_lr_limit(self) -> np.ndarray:
        """2/λ_max where λ_max > 0 (plain gradient descent is stable below it), else NaN."""
        high = self.eigenvalues[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(high > 0, 2.0 / high, np.nan)


def curvature_at(problem: Problem, points: Any) -> Curvature:
    """The Hessian (full batch) of ``problem`` at ``points`` ``(R, 2)`` and its eigensystem."""
    w = torch.tensor(np.array(points, dtype=np.float64).reshape(-1, 2), dtype=torch.float64)
    problem = problem.to("cpu", torch.float64)
    result = evaluate(problem, w, need_hessian=True)
    hessian = result.hessian
    assert hessian is not None
    hessian = 0.5 * (hessian + hessian.transpose(-1, -2))  # symmetric to rounding already
    finite = torch.isfinite(hessian).all(dim=(-2, -1))
    safe = torch.where(finite[:, None, None], hessian, torch.eye(2, dtype=hessian.dtype))
    values, vectors = torch.linalg.eigh(safe)
    vectors = vectors.transpose(-1, -2)  # rows: one unit vector per eigenvalue
    first = torch.where(vectors[..., 0].abs() > 0, vectors[..., 0], vectors[..., 1])
    vectors = vectors * torch.where(first < 0, -1.0, 1.0)[..., None].to(vectors.dtype)
    nan = torch.tensor(math.nan, dtype=hessian.dtype)
    values = torch.where(finite[:, None], values, nan)
    vectors = torch.where(finite[:, None, None], vectors, nan)
    return Curvature(points=w.numpy().copy(), loss=result.loss.numpy().copy(),
                     gradient=result.grad.numpy().copy(), hessian=hessian.numpy().copy(),
                     eigenvalues=values.numpy().copy(), eigenvectors=vectors.numpy().copy())


def sgd_lr_limit(curvature: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False) -> float:
    """The largest stable lr of torch's SGD along a direction of ``curvature`` λ.

    NaN where λ ≤ 0 (no lr is stable there; see the module docstring).
    """
    if not curvature > 0:
        return math.nan
    beta, kept = (momentum, 1.0 - dampening) if momentum else (0.0, 1.0)
    if nesterov and beta:
        return 2.0 * (1.0 + beta) / ((1.0 + beta + beta * kept) * curvature)
    return 2.0 * (1.0 + beta) / (kept * curvature)


def lr_limit(optimizer: str, hyperparameters: Mapping[str, Any], curvature: float) -> float:
    """The stability limit on lr along ``curvature`` for ``optimizer``; NaN where none is known.

    Known for torch's SGD (plain, heavy ball, Nesterov); adaptive methods rescale each step by
    the gradients they have seen, so no fixed limit on lr applies to them.
    """
    if optimizer != "SGD":
        return math.nan
    return sgd_lr_limit(curvature, float(hyperparameters.get("momentum", 0.0) or 0.0),
                        float(hyperparameters.get("dampening", 0.0) or 0.0),
                        bool(hyperparameters.get("nesterov", False)))
