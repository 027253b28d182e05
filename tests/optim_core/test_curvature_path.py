"""Curvature along the paths: the track's eigenvalues are the Hessian's at each recorded point,
computed once per step and in bounded batches."""

from __future__ import annotations

import numpy as np
import pytest

from optim_core.curvature import curvature_at
from optim_core.curvature_path import CurvatureTrack
from optim_core.experiment import parse_experiment
from optim_core.session import Session

RUNS = [{"optimizer": "SGD", "lr": 1e-3}, {"optimizer": "Adam", "lr": 0.05},
        {"optimizer": "Newton", "lr": 0.5}]


def session(problem: object = "rosenbrock", **kwargs: object) -> Session:
    return Session.from_experiment(parse_experiment(
        {"problem": problem, "steps": 100, "runs": RUNS}), **kwargs)


@pytest.mark.parametrize("problem", ["rosenbrock", "himmelblau", "mean_quadratic",
                                     {"name": "custom", "expression": "x**4 - x*y + y**2"}])
def test_eigenvalues_along_the_path_are_the_hessian_s(problem: object) -> None:
    s = session(problem)
    track = CurvatureTrack(s.problem)
    s.step(30)
    path = track.update(s.snapshot())
    snap = s.snapshot()
    assert path.eigenvalues.shape == (31, 3, 2)
    expected = curvature_at(s.problem, snap.position.reshape(-1, 2)).eigenvalues
    np.testing.assert_allclose(path.eigenvalues.reshape(-1, 2), expected, rtol=1e-12, atol=1e-12)
    current = curvature_at(s.problem, snap.current_position)
    np.testing.assert_array_equal(path.current.hessian, current.hessian)
    assert path.labels == snap.labels and path.optimizers == ("SGD", "Adam", "Newton")


def test_only_new_steps_are_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    s = session()
    track = CurvatureTrack(s.problem)
    s.step(20)
    track.update(s.snapshot())
    counted: list[int] = []
    original = track._eigenvalues
    monkeypatch.setattr(track, "_eigenvalues",
                        lambda points: counted.append(len(points)) or original(points))
    s.step(5)
    path = track.update(s.snapshot())
    assert counted == [5 * 3]
    assert list(path.steps) == list(range(26))


def test_a_long_backlog_is_filled_in_over_several_updates() -> None:
    s = session()
    track = CurvatureTrack(s.problem)
    track._batch = 30  # 10 rows of 3 runs per update
    s.step(50)
    first = track.update(s.snapshot())
    done = np.isfinite(first.eigenvalues[:, 0, 0])
    assert done.sum() == 10 and done[0] and done[-1]  # spread over the whole path
    for _ in range(5):
        last = track.update(s.snapshot())
    assert np.isfinite(last.eigenvalues).all()


def test_diverged_points_give_nan_not_an_error() -> None:
    s = Session.from_experiment(parse_experiment(
        {"problem": "rosenbrock", "steps": 50, "runs": [{"optimizer": "SGD", "lr": 1.0}]}))
    s.step(20)
    path = CurvatureTrack(s.problem).update(s.snapshot())
    assert path.eigenvalues.shape[1:] == (1, 2)
