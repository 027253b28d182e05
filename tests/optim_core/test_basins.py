"""Basin maps: labels agree with single runs, unlisted minima are found, saddles are not minima,
partial maps only ever add minima, and bad input is refused naming the field."""

import itertools
import math

import numpy as np
import pytest
import torch

from optim_core.basins import (
    DIVERGED,
    NOT_CONVERGED,
    BasinsCancelled,
    basin_map,
    basin_steps,
    parse_extent,
)
from optim_core.errors import ConfigError
from optim_core.evaluate import evaluate
from optim_core.experiment import RunSpec, parse_run
from optim_core.problems import make_problem
from optim_core.session import Session

HIMMELBLAU = make_problem("himmelblau")
CAMEL = make_problem("six_hump_camel")


def single_run_end(problem, optimizer: str, hyper: dict, start, steps: int) -> np.ndarray:
    spec = parse_run({"optimizer": optimizer, **hyper}, "run")
    session = Session(problem, [RunSpec(spec.optimizer, spec.hyperparameters, start)],
                      expected_steps=steps)
    session.step(steps)
    return session.current_points()[0]


@pytest.mark.parametrize("optimizer, hyper", [
    ("SGD", {"lr": 0.01}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("Adam", {"lr": 0.1, "bias_correction": False}),  # no torch.optim twin: the lab's rule
    ("Newton", {"lr": 0.5}),
])
def test_labels_are_the_minima_single_runs_reach(optimizer, hyper):
    m = basin_map(HIMMELBLAU, optimizer, hyper, grid=12, steps=300)
    assert m.x.shape == m.y.shape == (12,) and m.label.shape == (12, 12)
    assert m.steps_to_converge.shape == (12, 12) and m.done and m.step == 300
    minima = np.array([p.point for p in HIMMELBLAU.minima])
    np.testing.assert_array_equal(m.minima[:4], minima)
    for i, j in [(0, 0), (2, 9), (5, 6), (7, 1), (11, 11), (10, 3)]:
        end = single_run_end(HIMMELBLAU, optimizer, hyper, (m.x[j], m.y[i]), 300)
        distance = np.linalg.norm(m.minima - end, axis=-1)
        expected = int(np.argmin(distance)) if distance.min() <= m.radius else NOT_CONVERGED
        if not np.all(np.isfinite(end)):
            expected = DIVERGED
        assert m.label[i, j] == expected, (i, j, end)


def test_label_rows_are_y_and_columns_are_x():
    # x ∈ [2.5, 3.5] and y from the minimum (3, 2) down to (3.58, −1.85): rows follow y
    m = basin_map(HIMMELBLAU, "SGD", {"lr": 0.01}, grid=9, extent=(2.6, 3.4, -2.2, 2.4),
                  steps=300)
    assert np.all(m.label[-1] == 0) and np.all(m.label[0] == 3)
    assert m.x[0] == 2.6 and m.x[-1] == 3.4 and m.y[0] == -2.2 and m.y[-1] == 2.4


def test_six_hump_camels_unlisted_minima_are_found_and_are_minima():
    m = basin_map(CAMEL, "SGD", {"lr": 0.01}, grid=40, steps=400)
    assert m.known == 2 and len(m.minima) == 6
    found = torch.tensor(m.minima[2:])
    current = evaluate(CAMEL, found, need_hessian=True)
    assert float(current.grad.abs().max()) < 1e-8
    assert bool((torch.linalg.eigvalsh(current.hessian)[:, 0] > 0).all())
    assert set(np.unique(m.label)) == set(range(6))
    assert sum(m.fractions().values()) == pytest.approx(1.0)


def test_momentum_carries_runs_into_other_basins():
    plain = basin_map(CAMEL, "SGD", {"lr": 0.01}, grid=40, steps=400)
    heavy = basin_map(CAMEL, "SGD", {"lr": 0.01, "momentum": 0.9}, grid=40, steps=400)
    # same minima in the same order where both found them, different basins
    n = min(len(plain.minima), len(heavy.minima))
    np.testing.assert_allclose(plain.minima[:2], heavy.minima[:2])
    assert n >= 4
    assert np.mean(plain.label != heavy.label) > 0.1


def test_saddles_and_maxima_newton_reaches_are_not_minima():
    m = basin_map(HIMMELBLAU, "Newton", {}, grid=24, steps=60)
    assert len(m.minima) == 4  # nothing found at the saddles and the maximum
    assert np.mean(m.label == NOT_CONVERGED) > 0.2
    saddle = basin_map(make_problem("saddle"), "SGD", {"lr": 0.01}, grid=8, steps=50)
    assert len(saddle.minima) == 0 and set(np.unique(saddle.label)) <= {DIVERGED, NOT_CONVERGED}


def test_a_too_large_lr_diverges_everywhere():
    m = basin_map(make_problem("quadratic"), "SGD", {"lr": 5.0}, grid=6, steps=200)
    assert np.all(m.label == DIVERGED) and np.all(m.steps_to_converge == -1)


def test_steps_to_converge_is_when_the_run_stopped_moving():
    quadratic = make_problem("quadratic")
    m = basin_map(quadratic, "SGD", {"lr": 0.1}, grid=5, extent=(-1, 1, -1, 1), steps=400)
    assert np.all(m.label == 0)
    assert m.steps_to_converge[2, 2] == 0  # the start is the minimum
    assert np.all(m.steps_to_converge[m.x[None, :].repeat(5, 0) != 0] > 0)
    hyper = parse_run({"optimizer": "SGD", "lr": 0.1}, "run").hyperparameters
    for i, j in [(0, 0), (2, 3), (4, 1)]:
        session = Session(quadratic, [RunSpec("SGD", hyper, (m.x[j], m.y[i]))],
                          expected_steps=400)
        session.step(400)
        path = session.snapshot().position[:, 0]
        s = m.steps_to_converge[i, j]
        # from then on within the radius of where it was then …
        assert np.abs(path[s:] - path[s]).max() <= m.radius
        # … and at that step it had just moved that far from an earlier point
        assert np.abs(path[s] - path[:s]).max() > m.radius


def test_partial_maps_only_add_minima_and_end_with_the_final_map():
    maps = list(basin_steps(CAMEL, "SGD", {"lr": 0.01}, grid=24, steps=200, every=50))
    assert [m.step for m in maps] == [50, 100, 150, 200]
    assert [m.done for m in maps] == [False, False, False, True]
    for before, after in itertools.pairwise(maps):
        assert len(after.minima) >= len(before.minima)
        np.testing.assert_array_equal(after.minima[:len(before.minima)], before.minima)
    final = basin_map(CAMEL, "SGD", {"lr": 0.01}, grid=24, steps=200)
    np.testing.assert_array_equal(maps[-1].label, final.label)


def test_cancel_stops_between_chunks():
    seen = []
    with pytest.raises(BasinsCancelled):
        basin_map(CAMEL, "SGD", {"lr": 0.01}, grid=8, steps=1000, every=10,
                  partial=seen.append, cancelled=lambda: len(seen) >= 2)
    assert len(seen) == 2


def test_other_torch_optimizers_step_the_batched_parameter():
    m = basin_map(HIMMELBLAU, "NAdam", {"lr": 0.1}, grid=6, steps=300)
    assert m.optimizer == "NAdam" and np.mean(m.label >= 0) > 0.5


@pytest.mark.parametrize("kwargs, field", [
    ({"grid": 1}, "grid"),
    ({"grid": 513}, "grid"),
    ({"grid": 2.5}, "grid"),
    ({"steps": 0}, "steps"),
    ({"extent": (1, 0, 0, 1)}, "extent"),
    ({"extent": (0, 1, 0, math.nan)}, "extent"),
    ({"extent": "0,1,0"}, "extent"),
    ({"radius": -1.0}, "radius"),
    ({"radius": "wide"}, "radius"),
    ({"dtype": "float16"}, "dtype"),
    ({"every": 0}, "every"),
])
def test_bad_settings_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(ConfigError) as info:
        next(basin_steps(HIMMELBLAU, "SGD", {"lr": 0.01}, **kwargs))
    assert info.value.field == field


@pytest.mark.parametrize("optimizer, hyper, field", [
    ("Adamm", {}, "optimizer"),
    ("LBFGS", {}, "optimizer"),
    ("SGD", {"lr": -1}, "optimizer.lr"),
    ("SGD", {"nesterov": True}, "optimizer.nesterov"),
    ("SGD", {"speed": 3}, "optimizer.speed"),
    ("SGD", {"clip_norm": 1.0}, "optimizer.clip_norm"),
])
def test_bad_optimizers_are_refused_naming_the_field(optimizer, hyper, field):
    with pytest.raises(ConfigError) as info:
        next(basin_steps(HIMMELBLAU, optimizer, hyper, grid=4))
    assert info.value.field == field


def test_a_finite_sum_grid_is_bounded_by_memory():
    problem = make_problem({"name": "linear_regression", "n_samples": 100_000})
    with pytest.raises(ConfigError) as info:
        next(basin_steps(problem, "SGD", {"lr": 0.1}, grid=512))
    assert info.value.field == "grid" and "memory" in info.value.allowed
    small = basin_map(make_problem("linear_regression"), "SGD", {"lr": 0.1}, grid=8, steps=300)
    assert np.all(small.label == 0)


def test_parse_extent_reads_text():
    assert parse_extent("-5,5,-4,4") == (-5.0, 5.0, -4.0, 4.0)
