"""Minibatch-gradient draws for the gradient-noise panel (computed in the worker thread).

At one run's current point: the M per-sample gradients, K minibatch gradients of that run's batch
size N drawn from them (without replacement, as the engine draws its batches), the full-batch
gradient and the standard error σ/√N of a minibatch mean — all from :mod:`optim_core.noise`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from optim_core.noise import minibatch_gradient_draws, per_sample_gradients, standard_error
from optim_core.problems import FiniteSumProblem

DRAWS = 400  #: minibatch gradients per picture
MAX_DRAW_VALUES = 4_000_000  #: draws × samples held at once (fewer draws for huge sums)


@dataclass(frozen=True)
class NoiseDraws:
    """What the gradient-noise panel shows for run ``run`` at step ``step``."""

    run: int
    step: int
    draws: np.ndarray  # (K, 2)
    full_grad: np.ndarray  # (2,)
    std_error: np.ndarray  # (2,)
    batch_size: int
    n_samples: int


def noise_draws(problem: FiniteSumProblem, point: torch.Tensor, batch_size: int | None, *,
                run: int, step: int, generator: torch.Generator) -> NoiseDraws:
    """Draw minibatch gradients of ``batch_size`` samples (None: the full batch) at ``point``
    ``(2,)``, a tensor on the problem's device in its dtype."""
    m = problem.n_samples
    n = m if batch_size is None else min(int(batch_size), m)
    per_sample = per_sample_gradients(problem, point)
    k = max(16, min(DRAWS, MAX_DRAW_VALUES // max(m, 1)))
    draws = minibatch_gradient_draws(per_sample, n, k, generator)
    return NoiseDraws(run=run, step=step, draws=draws.double().cpu().numpy(),
                      full_grad=per_sample.mean(dim=0).double().cpu().numpy(),
                      std_error=standard_error(per_sample, n).double().cpu().numpy(),
                      batch_size=n, n_samples=m)

