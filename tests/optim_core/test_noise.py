"""Minibatch noise: the measured standard error follows σ/√N · √((M − N)/(M − 1)).

Statistical tests use fixed seeds and tolerances from the sampling distribution of the estimate:
K draws measure a standard error with relative standard error ½·√((κ − 1)/K), κ the kurtosis of
one draw (1/√(2K) for normal draws); the checks allow 5 of those, using the per-sample kurtosis
(the worst case, at N = 1) for every N.
"""

import math

import numpy as np
import pytest
import torch

from optim_core.noise import (
    LECTURE_PROBS,
    LECTURE_VALUES,
    EstimateCancelled,
    compare_batch_sizes,
    default_batch_sizes,
    discrete_moments,
    discrete_sample_means,
    finite_sum_problem_names,
    fit_loglog_slope,
    fit_range,
    measured_standard_error,
    minibatch_gradient_samples,
    noise_curve,
    per_sample_gradients,
    standard_error,
    theoretical_standard_error,
)
from optim_core.problems import make_problem

DRAWS = 2000
FINITE_SUM = finite_sum_problem_names()


def generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def points(name: str) -> list[tuple[float, float]]:
    problem = make_problem(name)
    out = [problem.default_start, (0.5, -0.5)]
    out += [m.point for m in problem.minima]
    return out


def relative_tolerance(per_sample: torch.Tensor, draws: int) -> np.ndarray:
    d = per_sample - per_sample.mean(dim=0)
    kurtosis = ((d**4).mean(dim=0) / (d**2).mean(dim=0) ** 2).clamp(min=3.0)
    return 5 * 0.5 * ((kurtosis - 1) / draws).sqrt().numpy()


def test_the_lecture_problems_are_there():
    assert {"mean_quadratic", "linear_regression", "sigmoid_fit"} <= set(FINITE_SUM)


@pytest.mark.parametrize("name", FINITE_SUM)
def test_measured_error_follows_sigma_over_sqrt_n_with_the_correction(name):
    problem = make_problem(name)
    m = problem.n_samples
    for k, point in enumerate(points(name)):
        per_sample = per_sample_gradients(problem, torch.tensor(point, dtype=torch.float64))
        tol = relative_tolerance(per_sample, DRAWS)
        for n in (1, 3, 16, m // 2, m - 10):
            measured = measured_standard_error(per_sample, n, DRAWS, generator(k * 100 + n))
            exact = standard_error(per_sample, n)
            assert np.all(np.abs((measured / exact).numpy() - 1) < tol), (name, point, n)


@pytest.mark.parametrize("name", FINITE_SUM)
def test_full_batch_has_no_error(name):
    problem = make_problem(name)
    per_sample = per_sample_gradients(problem, torch.tensor(problem.default_start,
                                                            dtype=torch.float64))
    m = problem.n_samples
    assert torch.equal(standard_error(per_sample, m), torch.zeros(2, dtype=torch.float64))
    measured = measured_standard_error(per_sample, m, 50, generator())
    assert torch.all(measured <= 1e-12 * per_sample.std(dim=0))


def test_without_the_correction_the_error_is_too_big_near_m():
    problem = make_problem("mean_quadratic")
    per_sample = per_sample_gradients(problem, torch.tensor([1.0, 1.0], dtype=torch.float64))
    n = problem.n_samples * 3 // 4
    measured = measured_standard_error(per_sample, n, DRAWS, generator())
    naive = standard_error(per_sample, n, without_replacement=False)
    assert torch.all(measured / naive < 0.6)  # √(1/4) = 0.5


def test_theoretical_curve_matches_standard_error():
    problem = make_problem("linear_regression")
    per_sample = per_sample_gradients(problem, torch.tensor([0.0, 0.0], dtype=torch.float64))
    sigma = per_sample.std(dim=0, unbiased=False).numpy()
    sizes = [1, 7, 500, 1000]
    expected = np.stack([standard_error(per_sample, n).numpy() for n in sizes])
    assert np.allclose(theoretical_standard_error(sigma, 1000, sizes), expected, rtol=1e-12)


def test_chunked_draws_are_minibatch_means():
    per_sample = torch.arange(20, dtype=torch.float64).reshape(10, 2)
    draws = minibatch_gradient_samples(per_sample, 10, 7, generator())
    assert draws.shape == (7, 2)
    assert torch.allclose(draws, per_sample.mean(dim=0).expand(7, 2))


# ------------------------------------------------------------------ the slide's distribution
def test_lecture_distribution_moments():
    mean, sigma = discrete_moments(LECTURE_VALUES, LECTURE_PROBS)
    assert mean == pytest.approx(2.5)
    assert sigma == pytest.approx(math.sqrt(0.65))


@pytest.mark.parametrize("n", [1, 2, 10, 1000, 100_000])
def test_discrete_sample_means_have_variance_sigma2_over_n(n):
    mean, sigma = discrete_moments(LECTURE_VALUES, LECTURE_PROBS)
    k = 20_000
    means = discrete_sample_means(LECTURE_VALUES, LECTURE_PROBS, n, k, generator(n))
    se = sigma / math.sqrt(n)
    assert abs(float(means.mean()) - mean) < 5 * se / math.sqrt(k)
    # the kurtosis of the average is 3 + (κ₁ − 3)/N; κ₁ of the slide's distribution is < 3
    assert abs(float(means.std()) / se - 1) < 5 * 0.5 * math.sqrt(2 / k) * 1.2


def test_single_draws_have_the_slide_probabilities():
    values = discrete_sample_means(LECTURE_VALUES, LECTURE_PROBS, 1, 50_000, generator())
    freq = [float((values == v).double().mean()) for v in LECTURE_VALUES]
    for f, p in zip(freq, LECTURE_PROBS, strict=True):
        assert abs(f - p) < 5 * math.sqrt(p * (1 - p) / 50_000)


def test_means_of_n_integers_lie_on_the_1_over_n_lattice():
    values = discrete_sample_means(LECTURE_VALUES, LECTURE_PROBS, 8, 1000, generator())
    assert torch.allclose(values * 8, (values * 8).round())


# ------------------------------------------------------------------ curve, fit, comparison
def test_default_batch_sizes():
    assert default_batch_sizes(1000) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
    assert default_batch_sizes(2) == [1, 2]
    assert default_batch_sizes(64) == [1, 2, 4, 8, 16, 32, 64]


def test_fit_loglog_slope_recovers_a_power_law_and_skips_zeros():
    x = np.array([1, 2, 4, 8, 16, 1000])
    y = 3.0 * x**-0.5
    y[-1] = 0.0
    slope, intercept = fit_loglog_slope(x, y)
    assert slope == pytest.approx(-0.5) and 10**intercept == pytest.approx(3.0)
    assert math.isnan(fit_loglog_slope([1, 2], [1, 0])[0])


@pytest.mark.parametrize("name", FINITE_SUM)
def test_noise_curve_slope_is_minus_one_half(name):
    problem = make_problem(name)
    m = problem.n_samples
    seen = []
    curve = noise_curve(problem, problem.default_start, default_batch_sizes(m), 2000,
                        generator(), time_gradients=False,
                        progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(curve.batch_sizes), len(curve.batch_sizes))
    for j in range(2):
        slope, _ = fit_loglog_slope(curve.batch_sizes, curve.measured[:, j], max_x=fit_range(m))
        assert slope == pytest.approx(-0.5, abs=0.05)
    assert np.isnan(curve.ratio[-1]).all() and curve.theoretical[-1].tolist() == [0.0, 0.0]
    assert np.isnan(curve.seconds_per_gradient).all()
    assert len(curve.rows()) == len(curve.batch_sizes)


def test_noise_curve_times_gradients_and_can_be_cancelled():
    problem = make_problem("mean_quadratic")
    curve = noise_curve(problem, (1.0, 1.0), [1, 1000], 10, generator())
    assert np.all(curve.seconds_per_gradient > 0)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(EstimateCancelled):
        noise_curve(problem, (1.0, 1.0), default_batch_sizes(1000), 100, generator(),
                    cancelled=cancelled)


def test_noise_curve_refuses_bad_sizes():
    problem = make_problem("mean_quadratic")
    with pytest.raises(ValueError, match="batch sizes"):
        noise_curve(problem, (0.0, 0.0), [0, 4], 10, generator())
    with pytest.raises(ValueError, match="draws"):
        noise_curve(problem, (0.0, 0.0), [4], 1, generator())


def test_compare_batch_sizes_counts_sample_gradients():
    problem = make_problem("mean_quadratic")
    result = compare_batch_sizes(problem, {"optimizer": "SGD", "lr": 0.05},
                                 problem.default_start, [1, 8, 1000], 50, seed=3)
    assert result.sample_grads[-1].tolist() == [50, 400, 50_000]
    assert result.steps[-1] == 50 and result.loss.shape == (len(result.steps), 3)
    full = result.loss[:, 2]
    assert np.all(np.diff(full) <= 0)  # full-batch GD on a quadratic: loss never rises
    assert result.min_loss is not None and np.all(result.loss >= result.min_loss - 1e-9)
    with pytest.raises(EstimateCancelled):
        compare_batch_sizes(problem, {"optimizer": "SGD", "lr": 0.05}, (0, 0), [1], 50,
                            cancelled=lambda: True)
