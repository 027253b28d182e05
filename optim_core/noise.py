"""Gradient noise of finite-sum problems: per-sample gradients, minibatch draws, standard errors.

A minibatch gradient is the average of N of the M per-sample gradients, drawn without replacement.
Its standard error per coordinate is σ/√N · √((M − N)/(M − 1)), with σ the population standard
deviation of the per-sample gradients (the finite-population correction vanishes for N ≪ M and
makes the error 0 at N = M). All functions are vectorized over draws; none needs Qt.

On top of these, what the batch-size lab and ``python -m optim_core noise`` need: averages of
the lecture's discrete distribution, the measured standard error against N next to the exact one
(:func:`noise_curve`), a log-log slope fit, and one optimizer at several batch sizes
(:func:`compare_batch_sizes`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from optim_core.experiment import parse_run
from optim_core.problems import PROBLEMS, FiniteSumProblem
from optim_core.session import Session


def per_sample_gradients(problem: FiniteSumProblem, w: torch.Tensor) -> torch.Tensor:
    """The M per-sample gradients at one point ``w`` ``(2,)``, shape ``(M, 2)``, by autograd.

    They are the Jacobian J of the M sample losses. One backward pass with a symbolic weight
    vector u gives Jᵀu; differentiating its two entries by u gives J's two columns: three passes
    of cost O(M), where one backward pass per sample would need M. (``torch.func.jacfwd`` does
    the same in two forward passes, but its first call in a process warns from inside torch.)
    """
    point = w.detach().clone().requires_grad_(True)
    losses = problem.sample_losses(point)
    u = torch.zeros_like(losses, requires_grad=True)
    (g,) = torch.autograd.grad(losses, point, grad_outputs=u, create_graph=True)
    columns = [torch.autograd.grad(g[j], u, retain_graph=j == 0)[0] for j in range(2)]
    return torch.stack(columns, dim=-1).detach()


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


# --------------------------------------------------------------------------- the batch-size lab
# What the batch-size lab and ``python -m optim_core noise`` need on top of the three functions
# above: sample means of the lecture's discrete distribution, the measured standard error against
# batch size (with the time one minibatch gradient takes), and one optimizer at several batch
# sizes. Long estimates report progress and stop between chunks when asked to.

#: The first slide's distribution: values 1, 2, 3 with probabilities 0.2, 0.1, 0.7 (mean 2.5).
LECTURE_VALUES = (1.0, 2.0, 3.0)
LECTURE_PROBS = (0.2, 0.1, 0.7)
#: draws × samples held in memory at once by :func:`measured_standard_error`
CHUNK_VALUES = 2_000_000

Progress = Callable[[int, int], None]
"""``progress(done, total)``, called after each unit of work."""
IsCancelled = Callable[[], bool]
"""``cancelled()`` is polled between chunks; True stops the estimate."""


class EstimateCancelled(Exception):
    """Raised by a long estimate when its ``cancelled()`` callback said so."""


def _check(cancelled: IsCancelled | None) -> None:
    if cancelled is not None and cancelled():
        raise EstimateCancelled


def finite_sum_problem_names() -> list[str]:
    """Names of the registered finite-sum problems, sorted (the lab offers these)."""
    return sorted(name for name, cls in PROBLEMS.items() if cls.is_finite_sum)


def default_batch_sizes(n_samples: int) -> list[int]:
    """N = 1, 2, 4, … below M, then M itself."""
    sizes = [1 << k for k in range(max(n_samples, 1).bit_length()) if 1 << k < n_samples]
    return [*sizes, n_samples]


def discrete_moments(values: Sequence[float], probs: Sequence[float]) -> tuple[float, float]:
    """Mean and standard deviation σ of a discrete distribution."""
    v = torch.tensor(values, dtype=torch.float64)
    p = torch.tensor(probs, dtype=torch.float64)
    mean = float((p * v).sum())
    return mean, float((p * (v - mean) ** 2).sum().sqrt())


def discrete_sample_means(
    values: Sequence[float],
    probs: Sequence[float],
    batch_size: int,
    draws: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """``draws`` averages of ``batch_size`` i.i.d. samples of a discrete distribution, ``(K,)``.

    Each average needs only how often each value was drawn, a multinomial count vector, drawn here
    as a chain of binomials: O(K · #values) work whatever N is.
    """
    if batch_size < 1 or draws < 1:
        raise ValueError(f"Invalid batch_size or draws: {batch_size}, {draws}")
    p = torch.tensor(probs, dtype=torch.float64)
    p = p / p.sum()
    remaining = torch.full((draws,), float(batch_size), dtype=torch.float64)
    left = 1.0
    total = torch.zeros(draws, dtype=torch.float64)
    for value, prob in zip(values[:-1], p[:-1].tolist(), strict=True):
        share = min(max(prob / left, 0.0), 1.0) if left > 0 else 0.0
        count = torch.binomial(remaining, torch.full_like(remaining, share), generator=generator)
        total += value * count
        remaining -= count
        left -= prob
    total += values[-1] * remaining
    return total / batch_size


def measured_standard_error(
    per_sample: torch.Tensor,
    batch_size: int,
    draws: int,
    generator: torch.Generator,
    *,
    cancelled: IsCancelled | None = None,
) -> torch.Tensor:
    """Root-mean-square error of ``draws`` minibatch gradients around the full gradient, ``(2,)``.

    The error is measured against the known full-batch gradient, so K draws give K degrees of
    freedom: the estimate's relative standard error is about 1/√(2K). Draws are made in chunks of
    at most :data:`CHUNK_VALUES` draw × sample entries, checking ``cancelled`` between chunks.
    """
    m = per_sample.shape[0]
    full = per_sample.mean(dim=0)
    chunk = max(1, CHUNK_VALUES // max(m, 1))
    squares = torch.zeros_like(full)
    done = 0
    while done < draws:
        _check(cancelled)
        k = min(chunk, draws - done)
        batch = minibatch_gradient_draws(per_sample, batch_size, k, generator)
        squares += ((batch - full) ** 2).sum(dim=0)
        done += k
    return (squares / draws).sqrt()


def gradient_seconds(
    problem: FiniteSumProblem,
    w: torch.Tensor,
    batch_size: int,
    generator: torch.Generator,
    *,
    budget: float = 0.02,
    max_repeats: int = 200,
) -> float:
    """Seconds one minibatch gradient of ``batch_size`` samples takes (loss + backward).

    Times ``problem.batch_loss`` at ``w`` on a random batch, repeated for about ``budget``
    seconds after one warm-up call; returns the median call.
    """
    point = w.detach().clone().requires_grad_(True)
    indices = torch.randperm(problem.n_samples, generator=generator)[:batch_size]
    torch.autograd.grad(problem.batch_loss(point, indices), point)
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_repeats and (len(times) < 3 or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        torch.autograd.grad(problem.batch_loss(point, indices), point)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


@dataclass(frozen=True)
class NoiseCurve:
    """Standard error of the minibatch gradient against batch size, at one point.

    ``measured``/``theoretical`` are ``(n, 2)`` (per coordinate, one row per batch size);
    theoretical is σ/√N · √((M − N)/(M − 1)). ``seconds_per_gradient`` is NaN when not timed.
    """

    batch_sizes: np.ndarray
    measured: np.ndarray
    theoretical: np.ndarray
    seconds_per_gradient: np.ndarray
    full_grad: np.ndarray
    sigma: np.ndarray
    n_samples: int
    draws: int
    point: tuple[float, float]

    @property
    def ratio(self) -> np.ndarray:
        """measured / theoretical, NaN where the theory says 0 (N = M)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.theoretical > 0, self.measured / self.theoretical, np.nan)

    def rows(self) -> list[dict[str, float]]:
        """One flat record per batch size (for CSV/JSON output)."""
        ratio = self.ratio
        out = []
        for i, n in enumerate(self.batch_sizes.tolist()):
            row: dict[str, float] = {"batch_size": int(n)}
            for j in range(2):
                row[f"measured_g{j + 1}"] = float(self.measured[i, j])
                row[f"theoretical_g{j + 1}"] = float(self.theoretical[i, j])
                row[f"ratio_g{j + 1}"] = float(ratio[i, j])
            row["seconds_per_gradient"] = float(self.seconds_per_gradient[i])
            out.append(row)
        return out


def noise_curve(
    problem: FiniteSumProblem,
    w: torch.Tensor | Sequence[float],
    batch_sizes: Sequence[int],
    draws: int,
    generator: torch.Generator,
    *,
    time_gradients: bool = True,
    progress: Progress | None = None,
    cancelled: IsCancelled | None = None,
) -> NoiseCurve:
    """Measure and predict the minibatch gradient's standard error for each batch size.

    Raises :class:`EstimateCancelled` if ``cancelled()`` turns True, ValueError for a batch size
    outside 1…M or fewer than 2 draws.
    """
    m = problem.n_samples
    sizes = [int(n) for n in batch_sizes]
    if not sizes or any(not 1 <= n <= m for n in sizes):
        raise ValueError(f"Invalid batch sizes {sizes}: each must be from 1 to M = {m}")
    if draws < 2:
        raise ValueError(f"Invalid draws: {draws} (need at least 2)")
    point = torch.as_tensor(w, dtype=torch.float64).detach().reshape(2)
    per_sample = per_sample_gradients(problem, point)
    measured, theoretical, seconds = [], [], []
    for i, n in enumerate(sizes):
        measured.append(measured_standard_error(per_sample, n, draws, generator,
                                                cancelled=cancelled))
        theoretical.append(standard_error(per_sample, n))
        _check(cancelled)
        seconds.append(gradient_seconds(problem, point, n, generator) if time_gradients
                       else float("nan"))
        if progress is not None:
            progress(i + 1, len(sizes))
    return NoiseCurve(
        batch_sizes=np.array(sizes, dtype=np.int64),
        measured=torch.stack(measured).numpy(),
        theoretical=torch.stack(theoretical).numpy(),
        seconds_per_gradient=np.array(seconds, dtype=float),
        full_grad=per_sample.mean(dim=0).numpy(),
        sigma=per_sample.std(dim=0, unbiased=False).numpy(),
        n_samples=m,
        draws=draws,
        point=(float(point[0]), float(point[1])),
    )


def fit_loglog_slope(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *, max_x: float | None = None
) -> tuple[float, float]:
    """Least-squares line through (log₁₀ x, log₁₀ y): ``(slope, intercept)``.

    Points with a non-positive or non-finite value, or x above ``max_x``, are left out;
    fewer than two points left give ``(nan, nan)``.
    """
    xa = np.asarray(x, dtype=float).ravel()
    ya = np.asarray(y, dtype=float).ravel()
    keep = np.isfinite(xa) & np.isfinite(ya) & (xa > 0) & (ya > 0)
    if max_x is not None:
        keep &= xa <= max_x
    if np.unique(xa[keep]).size < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(np.log10(xa[keep]), np.log10(ya[keep]), 1)
    return float(slope), float(intercept)


def fit_range(n_samples: int) -> int:
    """Largest N the slope fit uses: M/10, where the finite-population factor is still > 0.94."""
    return max(2, n_samples // 10)


# ------------------------------------------------------------- one optimizer at several N
@dataclass(frozen=True)
class BatchComparison:
    """Loss of one optimizer run at several batch sizes, same start and seed.

    ``loss`` and ``sample_grads`` are ``(T, R)`` over the recorded ``steps`` ``(T,)``; the loss is
    the full (all-sample) loss, ``sample_grads`` the per-sample gradients computed so far.
    """

    batch_sizes: tuple[int, ...]
    steps: np.ndarray
    loss: np.ndarray
    sample_grads: np.ndarray
    min_loss: float | None
    optimizer: str


def compare_batch_sizes(
    problem: FiniteSumProblem,
    run: Mapping[str, Any],
    start: Sequence[float],
    batch_sizes: Sequence[int],
    steps: int,
    *,
    seed: int = 0,
    progress: Progress | None = None,
    cancelled: IsCancelled | None = None,
) -> BatchComparison:
    """Run ``run`` (an experiment-file run object, e.g. ``{"optimizer": "SGD", "lr": 0.05}``)
    from ``start`` once per batch size for ``steps`` steps, in one session (common batches).

    Raises ConfigError for a bad run object, :class:`EstimateCancelled` when cancelled.
    """
    spec = parse_run(dict(run), "run", problem)
    sizes = tuple(int(n) for n in batch_sizes)
    runs = [replace(spec, start=(float(start[0]), float(start[1])), batch_size=n,
                    label=f"N = {n}") for n in sizes]
    session = Session(problem, runs, seed=seed, expected_steps=steps)
    chunk = max(1, steps // 100)
    while session.step_count < steps:
        _check(cancelled)
        session.step(min(chunk, steps - session.step_count))
        if progress is not None:
            progress(session.step_count, steps)
    snap = session.snapshot()
    minima = [m.value for m in problem.minima]
    return BatchComparison(
        batch_sizes=sizes, steps=np.asarray(snap.steps), loss=np.asarray(snap.loss),
        sample_grads=np.asarray(snap.sample_grads), min_loss=min(minima) if minima else None,
        optimizer=spec.optimizer,
    )


def theoretical_standard_error(
    sigma: Sequence[float] | np.ndarray, n_samples: int, batch_sizes: Sequence[float] | np.ndarray
) -> np.ndarray:
    """σ/√N · √((M − N)/(M − 1)) for each N (may be fractional, for drawing), ``(n, 2)``."""
    n = np.asarray(batch_sizes, dtype=float)[:, None]
    s = np.asarray(sigma, dtype=float)[None, :]
    fpc = np.sqrt(np.clip((n_samples - n) / max(n_samples - 1, 1), 0.0, None))
    return s / np.sqrt(n) * fpc


def minibatch_gradient_samples(
    per_sample: torch.Tensor,
    batch_size: int,
    draws: int,
    generator: torch.Generator,
    *,
    cancelled: IsCancelled | None = None,
) -> torch.Tensor:
    """:func:`minibatch_gradient_draws` in chunks of at most :data:`CHUNK_VALUES` entries,
    checking ``cancelled`` between them; ``(K, 2)``."""
    chunk = max(1, CHUNK_VALUES // max(per_sample.shape[0], 1))
    parts = []
    for done in range(0, draws, chunk):
        _check(cancelled)
        parts.append(minibatch_gradient_draws(per_sample, batch_size,
                                              min(chunk, draws - done), generator))
    return torch.cat(parts)
