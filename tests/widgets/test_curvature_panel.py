"""The curvature panel and the eigen-axes: they show the numbers they are given, say which runs
are stable, and draw axes whose lengths are proportional to the curvatures."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt

from widgets.curvature import CurvaturePanel, StabilityRow
from widgets.curvature_axes import LONGEST, CurvatureAxes

ROWS = [
    StabilityRow("SGD lr=0.098", "#0072b2", 0.098, 0.1, "2/λ_max"),
    StabilityRow("SGD lr=0.11", "#d55e00", 0.11, 0.1, "2/λ_max"),
    StabilityRow("Adam lr=0.3", "#009e73", 0.3, float("nan"), "adaptive: no fixed limit"),
    StabilityRow("SGD at a saddle", "#cc79a7", 0.01, 1.0, "2/λ_max", lambda_min=-2.0),
]


@pytest.fixture
def panel(qtbot) -> CurvaturePanel:
    widget = CurvaturePanel()
    qtbot.addWidget(widget)
    return widget


def test_facts_and_verdicts(panel: CurvaturePanel) -> None:
    panel.set_point("SGD lr=0.098", "#0072b2", (0.5, -0.25), np.array([[1.0, 0.0], [0.0, 20.0]]),
                    (1.0, 20.0), np.eye(2), 20.0, ROWS)
    text = " ".join(panel.facts_text().split())  # table cells on one line
    assert "SGD lr=0.098 at (0.5, -0.25)" in text
    assert "Hessian H [[1, 0], [0, 20]]" in text
    assert "λ_min 1 along (1, 0)" in text and "λ_max 20 along (0, 1)" in text
    assert "κ = λ_max/λ_min = 20" in text
    verdicts = text.split("● ")[2:]  # the first is the selected run's title
    assert len(verdicts) == len(ROWS)
    assert verdicts[0].startswith("SGD lr=0.098 0.098 0.1 (2/λ_max) stable")
    assert "unstable along λ_max" in verdicts[1]
    assert "adaptive: no fixed limit" in verdicts[2]
    assert "λ_min < 0: moves away" in verdicts[3]


def test_a_saddle_has_no_condition_number(panel: CurvaturePanel) -> None:
    panel.set_point("run", "#000000", (0, 0), np.diag([2.0, -2.0]), (-2.0, 2.0),
                    np.array([[0.0, 1.0], [1.0, 0.0]]), float("nan"), [])
    assert "undefined: λ_min < 0" in panel.facts_text()


def test_path_curves_and_the_limit_line(panel: CurvaturePanel) -> None:
    steps = np.arange(5)
    panel.set_path(steps, np.array([1.0, 1, np.nan, 1, 1]), np.array([18.0, 19, np.nan, 21, 22]),
                   20.0, "2/lr")
    x, y = panel.curves()["λ_max"]
    np.testing.assert_array_equal(x, steps)
    assert y[3] == 21.0
    assert panel.limit_line() == 20.0
    panel.set_path(steps, np.ones(5), np.ones(5), float("nan"), "")
    assert panel.limit_line() is None


def test_axes_are_proportional_to_curvature_and_dashed_when_negative(qtbot) -> None:
    plot = pg.PlotItem()
    plot.setXRange(-3, 3, padding=0)
    plot.setYRange(-4, 4, padding=0)
    axes = CurvatureAxes(plot)
    axes.set_axes((1.0, 1.0), (-1.0, 4.0), np.array([[1.0, 0.0], [0.0, 1.0]]))
    (x_min, y_min), (_, y_max) = axes.segments()
    diagonal = float(np.hypot(*[hi - lo for lo, hi in plot.getViewBox().viewRange()]))
    assert (y_max[1] - y_max[0]) / 2 == pytest.approx(LONGEST * diagonal)
    assert (x_min[1] - x_min[0]) / 2 == pytest.approx(LONGEST * diagonal / 4)
    np.testing.assert_allclose(y_min, [1.0, 1.0])
    assert axes._items[0].opts["pen"].style() == Qt.PenStyle.DashLine
    assert axes._items[1].opts["pen"].style() == Qt.PenStyle.SolidLine
    axes.set_axes((np.nan, 1.0), (1.0, 4.0), np.eye(2))
    assert all(x is None or len(x) == 0 for x, _ in axes.segments())
    axes.hide()
    assert all(x is None or len(x) == 0 for x, _ in axes.segments())
