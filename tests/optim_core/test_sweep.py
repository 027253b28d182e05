"""The lr sweep: divergence where theory puts it, losses equal to single runs, the summary."""

import math

import numpy as np
import pytest

from optim_core.errors import ConfigError
from optim_core.experiment import RunSpec
from optim_core.optimizers import get_rule
from optim_core.problems import make_problem
from optim_core.session import Session
from optim_core.sweep import SweepCancelled, SweepResult, log_grid, lr_sweep

QUADRATIC = {"name": "quadratic", "condition": 10}
OPTIMIZERS = ("SGD", "Adam", "AdamW")


@pytest.fixture(scope="module")
def quadratic_sweep() -> SweepResult:
    return lr_sweep(make_problem(QUADRATIC), OPTIMIZERS, log_grid(1e-4, 1, 13), steps=300)


def test_sgd_diverges_exactly_above_two_over_the_curvature(quadratic_sweep):
    r = quadratic_sweep
    sgd = r.optimizers.index("SGD")
    assert r.final_loss.shape == r.diverged.shape == (3, 13)
    np.testing.assert_array_equal(r.diverged[sgd], r.lrs > 2 / 10)
    assert np.all(np.isnan(r.final_loss[sgd, r.lrs > 0.2]))
    assert np.all(np.isfinite(r.final_loss[sgd, r.lrs < 0.2]))
    assert not r.diverged[[1, 2]].any()  # Adam's steps are bounded by lr
    assert r.f_min == 0.0 and r.start_loss == pytest.approx(24.5)


def single_run(name: str, lr: float, steps: int = 300) -> float:
    problem = make_problem(QUADRATIC)
    defaults = {s.name: s.default for s in get_rule(name).hyperparameters}
    session = Session(problem, [RunSpec(name, {**defaults, "lr": lr}, problem.default_start)],
                      expected_steps=steps)
    session.step(steps)
    return float(session.snapshot().current_loss[0])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_final_loss_is_exactly_a_single_runs(name):
    # one lr per optimizer: the batched session takes the same scalar-lr path as a single run
    r = lr_sweep(make_problem(QUADRATIC), OPTIMIZERS, [0.01], steps=300)
    assert r.final_loss[OPTIMIZERS.index(name), 0] == single_run(name, 0.01)


@pytest.mark.parametrize("o, name", list(enumerate(OPTIMIZERS)))
@pytest.mark.parametrize("j", [0, 6, 9])
def test_final_loss_across_the_grid_matches_single_runs(quadratic_sweep, o, name, j):
    # several lrs: the session holds lr per run as a tensor, and ``params - d * lr`` rounds
    # differently from a single run's ``params.add(d, alpha=-lr)`` in the last bit
    r = quadratic_sweep
    assert r.final_loss[o, j] == pytest.approx(single_run(name, float(r.lrs[j])), rel=1e-9)


def test_adamw_keeps_torchs_weight_decay():
    r = lr_sweep(make_problem("quadratic"), ["Adam", "AdamW"], [0.1], steps=100)
    assert r.final_loss[0, 0] != r.final_loss[1, 0]


def synthetic(row: list[float], f_min: float | None = 0.0) -> SweepResult:
    final = np.array([row], dtype=float)
    return SweepResult(problem="p", optimizers=("X",), lrs=np.geomspace(1e-4, 1, len(row)),
                       final_loss=final, diverged=np.isnan(final), steps=10, start=(0.0, 0.0),
                       start_loss=100.0, f_min=f_min)


@pytest.mark.parametrize("row, decades", [
    ([50, 5, 1, 2, 9, 20, math.nan], 2.0),  # points 1..4: 3 steps of 2/3 decade
    ([1, 50, 2, 3, 4, 5, 6], 0.0),  # contiguous only: the far points do not count
    ([20, 2, 1, 100, math.nan, 1, 1], 2 / 3),
    ([math.nan] * 7, math.nan),
])
def test_tolerant_decades_counts_contiguous_points_around_the_best(row, decades):
    got = synthetic(row).tolerant_decades(10)[0]
    assert (math.isnan(got) and math.isnan(decades)) or got == pytest.approx(decades)


def test_tolerance_is_measured_above_the_minimum_and_floored():
    r = synthetic([3.5, 3.05, 3.01, 3.5], f_min=3.0)  # gaps 0.5, 0.05, 0.01, 0.5
    assert r.tolerant_range(10)[0] == (r.lrs[1], r.lrs[2])
    assert r.best[0] == (r.lrs[2], 3.01)
    exact = synthetic([1e-30, 1e-20, 1e-11, 1.0])  # below 1e-12 × start gap: all equal
    assert exact.tolerant_range(10)[0] == (exact.lrs[0], exact.lrs[2])
    with pytest.raises(ConfigError, match="factor"):
        r.tolerant_decades(0.5)


def test_cancel_stops_between_chunks():
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 2

    seen = []
    with pytest.raises(SweepCancelled):
        lr_sweep(make_problem("rosenbrock"), OPTIMIZERS, [1e-3, 1e-2], steps=10_000,
                 cancelled=cancelled, progress=lambda done, total: seen.append(done))
    assert seen == [50, 100]


def test_progress_reaches_the_steps():
    seen = []
    lr_sweep(make_problem("rosenbrock"), ["SGD"], [1e-3], steps=120,
             progress=lambda done, total: seen.append((done, total)))
    assert seen == [(50, 120), (100, 120), (120, 120)]


def test_minibatches_are_shared_and_seeded():
    problem = make_problem("linear_regression")
    a = lr_sweep(problem, ["SGD"], [0.01, 0.1], steps=50, batch_size=4, seed=3)
    b = lr_sweep(problem, ["SGD"], [0.1], steps=50, batch_size=4, seed=3)
    assert a.final_loss[0, 1] == b.final_loss[0, 0]


@pytest.mark.parametrize("kwargs, field", [
    ({"optimizers": []}, "optimizers"),
    ({"optimizers": ["SGD", "SGD"]}, "optimizers"),
    ({"optimizers": ["Nope"]}, "optimizers[0]"),
    ({"lrs": [0.1, -1]}, "lrs[0]"),
    ({"lrs": []}, "lrs"),
    ({"steps": 0}, "steps"),
    ({"batch_size": 10**6}, "batch_size"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"optimizers": ["SGD"], "lrs": [0.1], "steps": 10, **kwargs}
    problem = make_problem("linear_regression")
    with pytest.raises(ConfigError) as info:
        lr_sweep(problem, args.pop("optimizers"), args.pop("lrs"), **args)
    assert info.value.field == field


def test_log_grid():
    np.testing.assert_allclose(log_grid(1e-4, 1, 5), [1e-4, 1e-3, 1e-2, 1e-1, 1])
    for bad in [(0, 1, 5), (1, 0.1, 5), (1e-3, 1, 1)]:
        with pytest.raises(ConfigError, match="lrs"):
            log_grid(*bad)


@pytest.fixture(scope="module")
def rosenbrock_sweep() -> SweepResult:
    return lr_sweep(make_problem("rosenbrock"), OPTIMIZERS, log_grid(1e-5, 1, 13), steps=300)


def test_an_optimizer_that_barely_improved_on_the_start_gets_no_tolerant_range(
        rosenbrock_sweep):
    # SGD's best on Rosenbrock (4.43) is 2.8× below the start (12.5): every lr that did not
    # diverge is "within 10× of the best", yet none of them achieved anything
    r = rosenbrock_sweep
    sgd = r.optimizers.index("SGD")
    assert r.start_loss == pytest.approx(12.5)
    assert r.improvement()[sgd] == pytest.approx(12.5 / r.best[sgd][1])
    assert r.improvement()[sgd] < 10
    assert math.isnan(r.tolerant_decades(10)[sgd])
    assert r.tolerant_range(10)[sgd] is None


def test_a_best_lr_on_the_grids_edge_is_said_to_be(rosenbrock_sweep):
    r = rosenbrock_sweep
    adam = r.optimizers.index("Adam")
    assert r.best[adam][0] == r.lrs[-1]
    assert r.best_at_edge()[adam] and not r.best_at_edge()[r.optimizers.index("SGD")]
    assert r.range_at_edge(10)[adam]


@pytest.mark.parametrize("row, level", [
    ([50, 5, 1, 2, 9, 20, math.nan], 10.0),  # 10 × best, below start / 10 = 10
    ([50, 5, 3, 4, 9, 20, math.nan], 10.0),  # 10 × best = 30: capped at start / 10
    ([50, 40, 20, 30, 60, 80, 90], math.nan),  # best only 5× below the start
])
def test_tolerant_points_are_also_factor_times_below_the_start(row, level):
    got = synthetic(row).tolerance_levels(10)[0]  # start loss 100
    assert (math.isnan(got) and math.isnan(level)) or got == pytest.approx(level)
