"""Curvature: Hessians by autograd against hand-derived ones, the eigensystem, the stability
limits against torch.optim.SGD itself, and ``python -m optim_core curvature``."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from optim_core.cli import main
from optim_core.curvature import curvature_at, lr_limit, sgd_lr_limit
from optim_core.problems import make_problem

HESSIANS = [
    # (problem config, point, Hessian derived by hand)
    ("rosenbrock", (-1.5, 2.0), [[2 + 1200 * 2.25 - 400 * 2.0, 600.0], [600.0, 200.0]]),
    ("booth", (0.0, 0.0), [[10.0, 8.0], [8.0, 10.0]]),
    ("saddle", (0.3, -0.2), [[2.0, 0.0], [0.0, -2.0]]),
    ("monkey_saddle", (0.0, 0.0), [[0.0, 0.0], [0.0, 0.0]]),
    ({"name": "quadratic", "condition": 50, "angle": 0}, (1.0, 1.0), [[1.0, 0.0], [0.0, 50.0]]),
    ({"name": "custom", "expression": "x**2 * y"}, (3.0, 2.0), [[4.0, 6.0], [6.0, 0.0]]),
    ({"name": "custom", "expression": "x + y"}, (3.0, 2.0), [[0.0, 0.0], [0.0, 0.0]]),
]


@pytest.mark.parametrize(("config", "point", "expected"), HESSIANS)
def test_hessian_eigenvalues_and_eigenvectors(config: object, point: tuple[float, float],
                                              expected: list[list[float]]) -> None:
    c = curvature_at(make_problem(config), [point])  # type: ignore[arg-type]
    np.testing.assert_allclose(c.hessian[0], expected, rtol=1e-12, atol=1e-12)
    values, _ = np.linalg.eigh(np.array(expected))
    np.testing.assert_allclose(c.eigenvalues[0], values, rtol=1e-12, atol=1e-12)
    for value, vector in zip(c.eigenvalues[0], c.eigenvectors[0], strict=True):
        assert np.linalg.norm(vector) == pytest.approx(1.0)
        np.testing.assert_allclose(np.array(expected) @ vector, value * vector, atol=1e-9)


@pytest.mark.parametrize(("condition", "angle"), [(1.0, 0.0), (10.0, 30.0), (1e4, -60.0)])
def test_quadratic_condition_and_lr_limit(condition: float, angle: float) -> None:
    problem = make_problem({"name": "quadratic", "condition": condition, "angle": angle})
    c = curvature_at(problem, [(-3.0, 2.0), (0.5, 0.5)])
    np.testing.assert_allclose(c.eigenvalues, [[1.0, condition]] * 2, rtol=1e-9)
    np.testing.assert_allclose(c.condition, [condition] * 2, rtol=1e-9)
    np.testing.assert_allclose(c.gd_lr_limit, [2.0 / condition] * 2, rtol=1e-9)


def test_no_condition_and_no_limit_without_positive_curvature() -> None:
    c = curvature_at(make_problem("saddle"), [(0.0, 0.0)])
    assert math.isnan(c.condition[0]) and c.gd_lr_limit[0] == pytest.approx(1.0)
    c = curvature_at(make_problem({"name": "custom", "expression": "-x**2 - y**2"}), [(1, 1)])
    assert math.isnan(c.condition[0]) and math.isnan(c.gd_lr_limit[0])


def _torch_sgd_stays_bounded(curvature: float, lr: float, **options: float | bool) -> bool:
    """torch.optim.SGD on f(w) = λw²/2 for 3,000 steps: does |w| stay below its start?"""
    w = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=lr, **options)
    for _ in range(3000):
        optimizer.zero_grad()
        (0.5 * curvature * w * w).sum().backward()
        optimizer.step()
    return bool(w.abs() < 1.0)


SGD_FORMS = [
    {}, {"momentum": 0.5}, {"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.5},
    {"momentum": 0.9, "nesterov": True}, {"momentum": 0.5, "nesterov": True},
]


@pytest.mark.parametrize("options", SGD_FORMS)
@pytest.mark.parametrize("curvature", [0.5, 40.0])
def test_sgd_limit_is_torch_sgd_s_stability_edge(options: dict[str, float | bool],
                                                 curvature: float) -> None:
    limit = sgd_lr_limit(curvature, **options)  # type: ignore[arg-type]
    assert limit == lr_limit("SGD", options, curvature)
    assert _torch_sgd_stays_bounded(curvature, 0.98 * limit, **options)
    assert not _torch_sgd_stays_bounded(curvature, 1.02 * limit, **options)


def test_no_limit_where_none_applies() -> None:
    assert math.isnan(sgd_lr_limit(-1.0)) and math.isnan(sgd_lr_limit(0.0))
    assert math.isnan(lr_limit("Adam", {"lr": 0.1}, 10.0))
    assert sgd_lr_limit(1.0, momentum=0.9, nesterov=True) == pytest.approx(2 * 1.9 / 2.8)


# ------------------------------------------------------------------ command line
def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curvature", "--problem", "quadratic", "--param", "condition=100",
                 "--param", "angle=0", "--at=-3,2", "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["problem"] == {"name": "quadratic", "condition": 100.0, "angle": 0.0}
    assert facts["at"] == [-3.0, 2.0]
    assert facts["hessian"] == [[1.0, 0.0], [0.0, 100.0]]
    assert facts["eigenvalues"] == [1.0, 100.0]
    assert facts["eigenvectors"] == [[1.0, 0.0], [0.0, 1.0]]
    assert facts["condition"] == 100.0
    assert facts["gd_lr_limit"] == 0.02


def test_cli_text_and_a_custom_function(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curvature", "--problem", "custom", "--param", "expression=x**2 - y**2",
                 "--param", "view=[-1, 1, -1, 1]", "--at", "0,0"]) == 0
    out = capsys.readouterr().out
    assert "eigenvalues   -2, 2" in out
    assert "condition     undefined" in out
    assert "gd_lr_limit   1 " in out


@pytest.mark.parametrize(("argv", "field"), [
    (["--problem", "nope"], "problem"),
    (["--problem", "custom", "--param", "expression=open('x')"], "problem.expression"),
    (["--problem", "custom", "--param", "expression=9**9**9**9"], "problem.expression"),
    (["--problem", "quadratic", "--param", "condition=0"], "problem.condition"),
    (["--problem", "quadratic", "--param", "=3"], "param"),
    (["--problem", "quadratic", "--at", "1"], "at"),
    (["--problem", "quadratic", "--at", "nan,1"], "at"),
])
def test_cli_refuses_with_status_2(argv: list[str], field: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["curvature", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {field}")
