"""Gradient noise of finite-sum problems: per-sample gradients, minibatch draws, standard errors.

A minibatch gradient is the average of N of the M per-sample gradients, drawn without replacement.
Its standard error per coordinate is σ/√N · √((M − N)/(M − 1)), with σ the population standard
deviation of the per-sample gradients (the finite-population correction vanishes for N ≪ M and
makes the error 0 at N = M). All functions are vectorized over draws; none needs Qt.
"""

from __future__ import annotations

import torch

from optim_core.problems import FiniteSumProblem


def per_sample_gradients(problem: FiniteSumProblem, w: torch.Tensor) -> torch.Tensor:
    """The M per-sample gradients at one point ``w`` ``(2,)``, shape ``(M, 2)``, by autograd.

    They are the Jacobian of the M sample losses; forward-mode autodiff gets it in two passes of
    cost O(M) (one per coordinate of w), where reverse mode would need M.
    """
    return torch.func.jacfwd(problem.sample_losses)(w.detach()).detach()


def standard_error(
    per_sample: torch.Tensor, batch_size: int, *, without_replacement: bool = True
) -> torch.Tensor:
    """Standard error of an N-sample minibatch mean gradient, per coordinate ``(2,)``."""
    m = per_sample.shape[0]
    sigma = per_sample.std(dim=0, unbiased=False)
    error = sigma / batch_size**0.5
    if without_replacement:
        error = error * ((m - batch_size) / (m - 1)) ** 0.5 if m > 1 else error * 0
    return error


def minibatch_gradient_draws(
    per_sample: torch.Tensor, batch_size: int, draws: int, generator: torch.Generator
) -> torch.Tensor:
    """``draws`` minibatch gradients ``(K, 2)``, each the mean of ``batch_size`` distinct
    samples."""
    m = per_sample.shape[0]
    keys = torch.rand((draws, m), generator=generator, device="cpu").to(per_sample.device)
    chosen = keys.topk(batch_size, dim=1).indices  # a uniform subset without replacement
    return per_sample[chosen].mean(dim=1)
