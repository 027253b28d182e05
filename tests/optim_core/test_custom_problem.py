"""The user's own function: the whitelist parser, refusals at their column, parity with the
built-ins, numerically found minima, experiment files and the command line."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from optim_core.cli import main
from optim_core.errors import ConfigError
from optim_core.problems import make_problem
from optim_core.problems.expression import MAX_LENGTH, ExpressionError, parse_expression
from optim_core.results import run_experiment

F64 = torch.float64
ROSENBROCK = "(1 - x)**2 + 100*(y - x**2)**2"


def custom(expression: str, view: list[float] | None = None) -> dict[str, object]:
    config: dict[str, object] = {"name": "custom", "expression": expression}
    if view is not None:
        config["view"] = view
    return config


# ------------------------------------------------------------------ what is allowed
ALLOWED = [
    # (expression, x, y, expected f)
    ("x", 2.0, 3.0, 2.0),
    ("x + y * 2 - 1 / 4", 2.0, 3.0, 7.75),
    ("-x**2", 3.0, 0.0, -9.0),
    ("+x", 3.0, 0.0, 3.0),
    ("x**y", 2.0, 3.0, 8.0),
    ("2**3**2 * x", 1.0, 0.0, 512.0),
    ("pi * e", 0.0, 0.0, math.pi * math.e),
    ("sin(x) + cos(y)", 0.5, 0.25, math.sin(0.5) + math.cos(0.25)),
    ("tan(x)", 0.5, 0.0, math.tan(0.5)),
    ("exp(x) * log(y)", 1.0, 2.0, math.e * math.log(2.0)),
    ("sqrt(abs(x - y))", 1.0, 5.0, 2.0),
    ("tanh(x)", 0.5, 0.0, math.tanh(0.5)),
    ("sigmoid(x)", 0.5, 0.0, 1 / (1 + math.exp(-0.5))),
    ("softplus(x)", 0.5, 0.0, math.log1p(math.exp(0.5))),
    ("min(x, y) + max(x, 1)", 3.0, 2.0, 5.0),
    ("min(2, 3) * x", 5.0, 0.0, 10.0),
    ("where(x < y, x, y)", 3.0, 2.0, 2.0),
    ("where(x >= 3, 1, 0)", 3.0, 2.0, 1.0),
    ("where(x - 3, 10, 20)", 3.0, 2.0, 20.0),
    ("where(1 < 2, x, y)", 3.0, 2.0, 3.0),
    ("7", 3.0, 2.0, 7.0),
    ("(((x)))", 3.0, 2.0, 3.0),
    ("1e3 * x", 2.0, 0.0, 2000.0),
]


@pytest.mark.parametrize(("text", "x", "y", "expected"), ALLOWED)
def test_allowed_expressions_compute_what_they_say(text: str, x: float, y: float,
                                                   expected: float) -> None:
    value = parse_expression(text)(torch.tensor([x], dtype=F64), torch.tensor([y], dtype=F64))
    assert value.shape == (1,)
    assert float(value[0]) == pytest.approx(expected, rel=1e-12)


# ------------------------------------------------------------------ what is refused
REFUSED = [
    # (expression, 1-based column of the refusal, words in the reason)
    ("__import__('os').system('ls')", 1, "only calls of the listed functions"),
    ("open('/etc/passwd')", 1, "unknown function 'open'"),
    ("().__class__.__bases__[0]", 1, "subscript"),
    ("x.real", 1, "attribute access"),
    ("lambda: 1", 1, "lambda"),
    ("[x for x in (1, 2)]", 1, "comprehension"),
    ("9**9**9**9", 4, "overflows"),
    ("sin(x", 4, "never closed"),
    ("x + foo", 5, "unknown name 'foo'"),
    ("", 1, "empty"),
    ("   ", 1, "empty"),
    ("x[0]", 1, "subscript"),
    ("sin(x, y)", 1, "sin takes 1 argument"),
    ("where(x, y)", 1, "where takes 3 arguments"),
    ("sin(x=1)", 5, "no keyword arguments"),
    ("sin", 1, "is a function"),
    ("x == y", 1, "comparison only as where's condition"),
    ("where(x == y, 1, 2)", 7, "one comparison"),
    ("where(0 < x < 1, 1, 2)", 7, "one comparison"),
    ("x if y else 1", 1, "use where"),
    ("x // y", 1, "//"),
    ("x % y", 1, "%"),
    ("x and y", 1, "and/or"),
    ("'text'", 1, "string"),
    ("f'{x}'", 1, "string"),
    ("1j * x", 1, "complex"),
    ("True * x", 1, "True/False"),
    ("1e400 * x", 1, "too large"),
    ("9" * 400 + " * x", 1, "too large"),
    ("1 / 0 + x", 1, "overflows or is undefined"),
    ("log(-1) + x", 1, "overflows or is undefined"),
    ("x; y", 2, "invalid syntax"),
    ("import os", 1, "invalid syntax"),
    ("x\0", 2, "null bytes"),
    ("(x := 1)", 2, ":="),
    ("é + x", 1, "unknown name 'é'"),
    ("\uff58 + foo", 5, "unknown name 'foo'"),  # a full-width x is x; columns count characters
    ("-" * 100 + "x", 62, "levels deep"),
    ("x" + "**x" * 100, 181, "levels deep"),
    ("x + " * 600 + "x", MAX_LENGTH + 1, "longer than"),
]


@pytest.mark.parametrize(("text", "column", "reason"), REFUSED)
def test_refusals_name_the_field_and_the_column(text: str, column: int, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    error = caught.value
    assert error.field == "problem.expression"
    assert error.position + 1 == column
    assert reason in error.reason
    assert f"column {column}:" in str(error)


@pytest.mark.parametrize("text", [
    "x + " * 250_000 + "x",  # a megabyte
    "9**9**9**9**9**9**9**9",
    "(" * 999 + "x" + ")" * 999,
    "sin(" * 399 + "x" + ")" * 399,
    "-" * 1999 + "x",
    "x" + "**x" * 666,
    "[" * 999 + "]" * 999,
])
def test_hostile_input_is_refused_quickly(text: str) -> None:
    times = []
    for _ in range(3):  # the best of three: the machine may be busy with other work
        start = time.perf_counter()
        with pytest.raises(ConfigError):
            make_problem(custom(text))
        times.append(time.perf_counter() - start)
    assert min(times) < 0.05


@pytest.mark.parametrize("value", [None, 3, ["x"], {"a": 1}])
def test_an_expression_must_be_a_string(value: object) -> None:
    with pytest.raises(ConfigError, match=r"^problem\.expression:"):
        make_problem({"name": "custom", "expression": value})


@pytest.mark.parametrize("view", [
    [1, 0, 0, 1], [0, 1, 1, 1], [0, 1, 0], "0,1,0,1", [0, 1, 0, float("inf")],
    [0, 1, 0, 1e9], [0, True, 0, 1], [0, 10**400, 0, 1], {"x0": 0},
])
def test_a_bad_view_is_refused_on_its_field(view: object) -> None:
    with pytest.raises(ConfigError, match=r"^problem\.view:"):
        make_problem(custom("x*x", view))  # type: ignore[arg-type]


def test_unknown_keys_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"^problem\.formula:"):
        make_problem({"name": "custom", "formula": "x"})


# ------------------------------------------------------------------ the problem
def test_the_default_is_rosenbrock_in_its_view() -> None:
    problem = make_problem("custom")
    assert problem.config() == {"name": "custom", "expression": ROSENBROCK,
                                "view": [-2.0, 2.0, -1.0, 3.0]}
    assert problem.default_start == make_problem("rosenbrock").default_start
    assert problem.log_scale


def test_rosenbrock_typed_in_gives_rosenbrock_trajectories() -> None:
    runs = [{"optimizer": "SGD", "lr": 1e-3}, {"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9},
            {"optimizer": "Adam", "lr": 0.05}, {"optimizer": "RMSprop", "lr": 0.01},
            {"optimizer": "Adagrad", "lr": 0.5}, {"optimizer": "Newton", "lr": 0.5}]
    base = {"starts": [[-1.5, 2.0], [0.3, -0.7]], "steps": 300, "runs": runs}
    built_in = run_experiment({**base, "problem": "rosenbrock"})
    typed = run_experiment({**base, "problem": custom(ROSENBROCK, [-2, 2, -1, 3])})
    for ours, theirs in zip(typed["runs"], built_in["runs"], strict=True):
        np.testing.assert_allclose(ours["trajectory"], theirs["trajectory"], rtol=1e-12, atol=0)
        # near the minimum the loss is a difference of O(1) terms: rounding is absolute there
        np.testing.assert_allclose(ours["loss"], theirs["loss"], rtol=1e-12, atol=1e-15)


MINIMA = [
    # (expression, view, the minima expected (any order), their value)
    (ROSENBROCK, [-2, 2, -1, 3], [(1.0, 1.0)], 0.0),
    ("(x*x + y - 11)**2 + (x + y*y - 7)**2", [-5, 5, -5, 5],
     [(3.0, 2.0), (-2.805118086952745, 3.131312518250573),
      (-3.779310253377747, -3.2831859912861696), (3.5844283403304917, -1.8481265269644036)], 0.0),
    ("(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (4*y**2 - 4)*y**2", [-2, 2, -1.2, 1.2],
     [(0.08984201310031806, -0.7126564030207396), (-0.08984201310031806, 0.7126564030207396)],
     -1.0316284534898774),
    ("20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)", [-5.12, 5.12, -5.12, 5.12],
     [(0.0, 0.0)], 0.0),
    ("abs(x - 0.5) + abs(y + 1)", [-2, 2, -2, 2], [(0.5, -1.0)], 0.0),
    ("(x - 1)**4 + (y - 2)**2", [-3, 3, -3, 3], [(1.0, 2.0)], 0.0),
]


@pytest.mark.parametrize(("text", "view", "points", "value"), MINIMA)
def test_minima_are_found_numerically(text: str, view: list[float],
                                      points: list[tuple[float, float]], value: float) -> None:
    problem = make_problem(custom(text, view))
    found = sorted(m.point for m in problem.minima)
    assert len(found) == len(points)
    for point, expected in zip(found, sorted(points), strict=True):
        assert point == pytest.approx(expected, abs=2e-4)
    for minimum in problem.minima:
        assert minimum.value == pytest.approx(value, abs=1e-6)


@pytest.mark.parametrize("text", ["x + y", "x**2 - y**2", "3", "x*y"])
def test_no_minimum_is_claimed_where_there_is_none(text: str) -> None:
    assert make_problem(custom(text, [-1, 1, -1, 1])).minima == ()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_constant_keeps_the_shape_and_has_a_zero_gradient(dtype: torch.dtype) -> None:
    problem = make_problem(custom("2.5"))
    w = torch.zeros(3, 4, 2, dtype=dtype, requires_grad=True)
    loss = problem.loss(w)
    assert loss.shape == (3, 4) and loss.dtype == dtype
    (grad,) = torch.autograd.grad(loss.sum(), w)
    assert torch.equal(grad, torch.zeros_like(w))


# ------------------------------------------------------------------ files and command line
def test_experiment_files_round_trip(tmp_path: Path) -> None:
    config = {"problem": custom("x**2 + 3*y**2", [-1, 1, -2, 2]), "steps": 10,
              "runs": [{"optimizer": "SGD", "lr": 0.1}]}
    path = tmp_path / "exp.json"
    path.write_text(json.dumps(config))
    result = tmp_path / "out.json"
    assert main(["run", str(path), "--out", str(result)]) == 0
    saved = json.loads(result.read_text())
    assert saved["experiment"]["problem"] == {"name": "custom", "expression": "x**2 + 3*y**2",
                                              "view": [-1.0, 1.0, -2.0, 2.0]}


@pytest.mark.parametrize("expression", ["__import__('os').system('touch PWNED')", "sin(x",
                                        "9**9**9**9", ""])
def test_the_cli_refuses_with_status_2_and_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], expression: str) -> None:
    path = tmp_path / "exp.json"
    path.write_text(json.dumps({"problem": custom(expression), "steps": 5,
                                "runs": [{"optimizer": "SGD", "lr": 0.1}]}))
    out = tmp_path / "out.csv"
    assert main(["run", str(path), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: problem.expression: ")
    assert captured.err.count("\n") == 1
    assert not out.exists() and not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_building_the_problem_only_parses_minima_are_found_on_first_use() -> None:
    """The window builds problems on its own thread: that must not search for minima."""
    from optim_core.problems import custom as module

    before = module._minima.cache_info().misses
    problem = make_problem(custom("x**2 + 3*y**2 + sin(5*x)", [-2, 2, -2, 2]))
    assert isinstance(problem.log_scale, bool) and problem.title
    assert module._minima.cache_info().misses == before
    assert len(problem.minima) == 1
    assert module._minima.cache_info().misses == before + 1
