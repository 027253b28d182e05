"""The user's own landscape: ``{"name": "custom", "expression": "...", "view": [x0, x1, y0, y1]}``.

The expression is parsed by the whitelist of :mod:`optim_core.problems.expression` into torch
operations, so gradients and Hessians come from autograd exactly as for the built-ins. Its minima
are found numerically (:mod:`optim_core.problems.minima_search`) inside the view, so the stars,
``f − f_min`` and the basin map work as for the built-ins.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import torch

from optim_core.errors import ConfigError
from optim_core.problems.base import Minimum, Problem, View
from optim_core.problems.expression import ExpressionError, parse_expression
from optim_core.problems.minima_search import global_minima
from optim_core.problems.registry import register

DEFAULT_EXPRESSION = "(1 - x)**2 + 100*(y - x**2)**2"
DEFAULT_VIEW = (-2.0, 2.0, -1.0, 3.0)
#: largest |coordinate| of a view
VIEW_LIMIT = 1e6


@register
class CustomFunction(Problem):
    """A formula in x and y typed by the user, drawn over the view the user chose."""

    name = "custom"
    title = "Your own function"
    formula = "f(x, y) = your formula"
    about = (
        "Type f(x, y) with x, y, numbers, pi, e, + − * / ** and sin cos tan exp log sqrt abs "
        "tanh sigmoid softplus min max where(condition, a, b). Its minima are found numerically "
        "inside the view."
    )
    #: what a new custom function starts as (the picker's formula field shows it)
    default_expression = DEFAULT_EXPRESSION
    default_view = DEFAULT_VIEW

    def __init__(self, expression: str = DEFAULT_EXPRESSION,
                 view: tuple[float, float, float, float] = DEFAULT_VIEW) -> None:
        super().__init__(expression=expression, view=list(view))
        self.expression = parse_expression(expression)
        self.formula = f"f(x, y) = {expression}"  # type: ignore[misc]
        self._view = View(*view)
        self._key = (expression, tuple(float(v) for v in view))

    @classmethod
    def from_params(cls, params: Mapping[str, Any], field: str = "problem") -> Problem:
        unknown = sorted(set(params) - {"expression", "view"})
        if unknown:
            raise ConfigError(f"{field}.{unknown[0]}", params[unknown[0]],
                              "unknown name; known: expression, view")
        expression = params.get("expression", DEFAULT_EXPRESSION)
        parse_expression(expression, f"{field}.expression")  # errors name this field
        view = _check_view(params.get("view", DEFAULT_VIEW), f"{field}.view")
        try:
            return cls(expression, view)
        except ExpressionError as exc:  # cannot happen after the check above; keep the field
            raise ExpressionError(f"{field}.expression", expression, exc.position, exc.length,
                                  exc.reason) from None

    @property
    def view(self) -> View:
        return self._view

    @property
    def default_start(self) -> tuple[float, float]:
        v = self._view
        return (v.xmin + 0.125 * (v.xmax - v.xmin), v.ymin + 0.75 * (v.ymax - v.ymin))

    @property
    def minima(self) -> tuple[Minimum, ...]:
        # found on first use (a few tenths of a second, then cached): by the engine thread that
        # draws the landscape, not by the window that only checks the formula
        return _minima(*self._key)

    @property
    def log_scale(self) -> bool:  # type: ignore[override]
        return _spans_decades(*self._key)  # a 33 × 33 grid: about a millisecond

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        return self.expression(w[..., 0], w[..., 1])


def _check_view(view: Any, field: str) -> tuple[float, float, float, float]:
    allowed = (f"[x0, x1, y0, y1] with x0 < x1, y0 < y1, each within ±{VIEW_LIMIT:g}")
    if not isinstance(view, list | tuple) or len(view) != 4:
        raise ConfigError(field, view, allowed)
    numbers = []
    for value in view:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(field, view, allowed)
        try:
            number = float(value)
        except OverflowError:
            raise ConfigError(field, view, allowed) from None
        if not math.isfinite(number) or abs(number) > VIEW_LIMIT:
            raise ConfigError(field, view, allowed)
        numbers.append(number)
    x0, x1, y0, y1 = numbers
    if not (x0 < x1 and y0 < y1) or (x1 - x0) < 1e-9 * max(1.0, abs(x0), abs(x1)) \
            or (y1 - y0) < 1e-9 * max(1.0, abs(y0), abs(y1)):
        raise ConfigError(field, view, allowed)
    return x0, x1, y0, y1


@functools.lru_cache(maxsize=64)
def _minima(expression: str, view: tuple[float, float, float, float]) -> tuple[Minimum, ...]:
    """The global minima in the view; cached per formula and view."""
    return tuple(Minimum(point, value)
                 for point, value in global_minima(_loss_of(expression), view))


def _loss_of(expression: str) -> Any:
    formula = parse_expression(expression)

    def loss(w: torch.Tensor) -> torch.Tensor:
        return formula(w[..., 0], w[..., 1])

    return loss


@functools.lru_cache(maxsize=64)
def _spans_decades(expression: str, view: tuple[float, float, float, float]) -> bool:
    """True when the loss over the view spans orders of magnitude above its lowest value (the
    valley would be a white stripe on a linear scale)."""
    x0, x1, y0, y1 = view
    grid = torch.cartesian_prod(torch.linspace(x0, x1, 33, dtype=torch.float64),
                                torch.linspace(y0, y1, 33, dtype=torch.float64))
    with torch.no_grad():
        values = _loss_of(expression)(grid)
    values = values[torch.isfinite(values)]
    if len(values) < 2:
        return False
    low = float(values.min())
    q10 = float(torch.quantile(values, 0.10)) - low
    q95 = float(torch.quantile(values, 0.95)) - low
    # the built-ins coloured on a log scale have q95/q10 ≥ 19, the linear ones ≤ 7.4 (but Matyas)
    return q10 > 0 and q95 / q10 > 15
