"""Fuzzing the custom-function parser: any text, any tree of operations, is either a problem whose
loss, gradient and Hessian can be computed, or one ConfigError naming ``problem.expression`` —
never another exception, never a hang."""

from __future__ import annotations

import time

import torch
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optim_core.errors import ConfigError
from optim_core.evaluate import evaluate
from optim_core.problems import make_problem
from optim_core.problems.expression import ExpressionError, parse_expression

FUZZ = settings(max_examples=300, deadline=1000, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=3000, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow])

#: pieces of formulas and of attacks, glued together at random
TOKENS = [
    "x", "y", "1", "2", "0", "9", "1e308", "0.5", "pi", "e", "+", "-", "*", "/", "**", "(", ")",
    ",", "<", ">=", "==", "sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid",
    "softplus", "min", "max", "where", "__import__", "open", "lambda", ":", ".", "[", "]", "'",
    "__class__", "for", "in", "if", "else", "\0", "\n", " ", "é", "@", "%", "//", "not", "and",
    "=", ":=", "{", "}", "*", "#", "\\", "j",
]


def check(text: str) -> None:
    """Either the formula computes (loss, gradient, Hessian) or it is refused on its field."""
    start = time.perf_counter()
    try:
        expression = parse_expression(text)
    except ExpressionError as error:
        assert error.field == "problem.expression"
        assert 0 <= error.position <= len(text)
        assert str(error).startswith("problem.expression: ")
        assert time.perf_counter() - start < 0.5
        return
    w = torch.tensor([[0.5, -1.0], [2.0, 3.0], [0.0, 0.0]], dtype=torch.float64)
    value = expression(w[:, 0], w[:, 1])
    assert value.shape == (3,)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
@example("9**9**9**9")
@example("().__class__.__bases__[0].__subclasses__()")
@example("__import__('os').system('true')")
@example("where(x<y, 1e308*1e308, x)")
@example("x**-1")
@example("min(x)")
@example("where(x, y)")
@example("(-1)**0.5")
@example("0**-1")
@example("sqrt(-x)")
def test_any_token_soup_parses_or_is_refused(text: str) -> None:
    check(text)


@FUZZ
@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused(text: str) -> None:
    check(text)


def formulas() -> st.SearchStrategy[str]:
    """Syntax trees of allowed and refused operations, as text."""
    leaves = st.sampled_from(["x", "y", "pi", "e", "0", "1", "2.5", "1e300", "-3", "9", "z",
                              "True", "'s'", "x.real", "x[0]"])
    unary = ["sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid", "softplus",
             "open", "eval"]

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "<"]), inner)
            .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda a: f"-{a}"),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["min", "max"]), inner, inner)
            .map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, st.sampled_from(["<", "<=", ">", ">="]), inner, inner, inner)
            .map(lambda t: f"where({t[0]} {t[1]} {t[2]}, {t[3]}, {t[4]})"),
        )

    return st.recursive(leaves, grow, max_leaves=30)


@FUZZ
@given(formulas())
@example("((x ** 9) ** 9) ** 9")
@example("exp(exp(exp(x)))")
@example("where(x < 0, log(x), x)")
def test_any_tree_of_operations_parses_or_is_refused(text: str) -> None:
    check(text)


@FEW
@given(formulas(), st.lists(st.floats(-10, 10), min_size=4, max_size=4))
@example("abs(x) + abs(y)", [-1.0, 1.0, -1.0, 1.0])
@example("1e300 * exp(x)", [-1.0, 1.0, -1.0, 1.0])
def test_any_problem_builds_and_evaluates_or_is_refused(text: str, view: list[float]) -> None:
    start = time.perf_counter()
    try:
        problem = make_problem({"name": "custom", "expression": text, "view": view})
    except ConfigError as error:
        assert error.field in ("problem.expression", "problem.view")
        return
    assert time.perf_counter() - start < 3.0
    for minimum in problem.minima:
        v = problem.view
        assert v.xmin <= minimum.point[0] <= v.xmax and v.ymin <= minimum.point[1] <= v.ymax
    points = torch.tensor([problem.default_start, (v.xmax, v.ymax)], dtype=torch.float64) \
        if (v := problem.view) else None
    result = evaluate(problem, points, need_hessian=True)
    assert result.grad.shape == (2, 2) and result.hessian is not None
