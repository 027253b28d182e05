"""Panels that never mislead: rounding noise is drawn flat, not as spikes filling the plot."""

import itertools
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtGui, QtWidgets

from widgets import (
    AdaptiveLrPanel,
    LandscapePanel,
    LossCurvesPanel,
    configure_pyqtgraph,
    style,
)
from widgets.style import MIN_LOG_SPAN, MIN_RELATIVE_SPAN, follow_range

SIZE_HINTS = "does not support propagateSizeHints"
pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(SIZE_HINTS)]


@pytest.fixture
def shown(qtbot):
    configure_pyqtgraph()

    def show(panel: QtWidgets.QWidget) -> QtWidgets.QWidget:
        qtbot.addWidget(panel)
        panel.resize(560, 460)
        panel.show()
        qtbot.waitExposed(panel)
        QtWidgets.QApplication.processEvents()
        return panel

    return show


def _rounding_noise(value: float, n: int, seed: int = 0) -> np.ndarray:
    return value + 1e-15 * np.random.default_rng(seed).standard_normal(n)


def test_an_effective_lr_constant_to_rounding_is_drawn_flat(shown):
    # plain SGD at lr 0.05: Δw / g is 0.05 ± 1e-15
    panel = shown(AdaptiveLrPanel())
    panel.set_runs(["SGD lr=0.05"], ["#0072b2"])
    steps = np.arange(1.0, 61.0)
    panel.set_curves([steps], [np.column_stack([_rounding_noise(0.05, 60),
                                                _rounding_noise(0.05, 60, 1)])])
    for plot in panel._plots:
        y0, y1 = plot.getViewBox().viewRange()[1]  # log10 of the values
        assert y1 - y0 >= MIN_LOG_SPAN * 0.999
        assert y0 < np.log10(0.05) < y1


def test_an_effective_lr_that_changes_still_fills_its_plot(shown):
    panel = shown(AdaptiveLrPanel())
    panel.set_runs(["Adagrad"], ["#0072b2"])
    steps = np.arange(1.0, 201.0)
    lr = 0.5 / np.sqrt(steps)
    panel.set_curves([steps], [np.column_stack([lr, lr])])
    y0, y1 = panel._plots[0].getViewBox().viewRange()[1]
    span = np.log10(lr[0]) - np.log10(lr[-1])
    assert span <= y1 - y0 <= 2 * span


def test_a_loss_constant_to_rounding_is_drawn_flat_on_a_linear_axis(shown):
    panel = shown(LossCurvesPanel())
    panel.set_runs(["SGD"], ["#0072b2"])
    panel.set_log_y(False)
    steps = np.arange(50.0)
    panel.set_curves([steps], [_rounding_noise(12.5, 50)])
    y0, y1 = panel._plot.getViewBox().viewRange()[1]
    assert y1 - y0 >= MIN_RELATIVE_SPAN * 12.5 * 0.999


@pytest.mark.parametrize(("lo", "hi", "least", "spans_at_least"), [
    (-1.30103, -1.30103 + 1e-14, 0.1, 0.1),  # log10(0.05 ± 1e-15)
    (12.5, 12.5 + 1e-13, 1.25e-4, 1.25e-4),
    (0.0, 2.0, 0.1, 2.0),  # data wider than the least span keep their own
])
def test_a_followed_range_spans_at_least_the_least_span(lo, hi, least, spans_at_least):
    r0, r1 = follow_range(None, lo, hi, least=least)
    assert r1 - r0 >= spans_at_least
    assert r0 <= lo and hi <= r1


def _tick_label_rects(axis) -> list:
    image = QtGui.QImage(400, 100, QtGui.QImage.Format.Format_ARGB32)
    painter = QtGui.QPainter(image)
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(rect, text) for rect, _, text in texts]


@pytest.mark.parametrize(("width", "lo", "hi"), [
    (110, -0.0052, 0.0012),  # the gradient noise panel's narrow histograms
    (90, -2.4e-5, 1.1e-5),
    (140, 12.5, 12.9),
    (600, -0.0052, 0.0012),
])
def test_tick_labels_on_a_narrow_axis_never_overlap(qtbot, width, lo, hi):
    configure_pyqtgraph()
    plot_widget = pg.PlotWidget(axisItems=style.plot_axes())
    qtbot.addWidget(plot_widget)
    plot_widget.resize(width + 60, 200)
    plot_widget.show()
    qtbot.waitExposed(plot_widget)
    plot_widget.setXRange(lo, hi, padding=0)
    QtWidgets.QApplication.processEvents()
    axis = plot_widget.getPlotItem().getAxis("bottom")
    rects = sorted(_tick_label_rects(axis), key=lambda r: r[0].left())
    assert len(rects) >= (3 if width >= 600 else 1), [t for _, t in rects]
    for (a, ta), (b, tb) in itertools.pairwise(rects):
        assert a.right() + 4 <= b.left(), f"{ta!r} runs into {tb!r}"


@pytest.mark.parametrize("panel_type", [LossCurvesPanel, AdaptiveLrPanel])
def test_a_new_session_is_followed_afresh_even_after_a_zoom(shown, panel_type):
    # another lesson with runs of the same names: the axes must not keep the last one's range
    panel = shown(panel_type())
    panel.set_runs(["SGD"], ["#0072b2"])
    long_run = np.arange(1.0, 501.0)
    values = 0.5 / np.sqrt(long_run)
    data = values if panel_type is LossCurvesPanel else np.column_stack([values, values])
    panel.set_curves([long_run], [data])
    plot = panel._plot if panel_type is LossCurvesPanel else panel._plots[0]
    plot.getViewBox().setRange(xRange=(100, 200), yRange=(-3, -2), padding=0)
    plot.getViewBox().sigRangeChangedManually.emit([True, True])  # as a user's zoom does
    short = np.arange(1.0, 11.0)
    panel.set_curves([short], [data[:10]])
    x0, x1 = plot.getViewBox().viewRange()[0]
    assert x0 <= 1 and 10 <= x1 <= 20


def test_a_path_on_top_of_another_is_dashed_while_it_coincides(shown):
    # Adam and Adam with β = (0.9, 0.9) share their first steps: one solid line would hide one
    panel = shown(LandscapePanel())
    x = np.linspace(-2.0, 2.0, 50)
    xx, yy = np.meshgrid(x, x)
    panel.set_landscape(x, x, xx**2 + yy**2, log_scale=False, minima=[], view=(-2, 2, -2, 2))
    panel.set_runs(["Adam", "Adam β=(0.9, 0.9)", "SGD"], ["#0072b2", "#d55e00", "#009e73"])
    t = np.linspace(0.0, 1.0, 20)[:, None]
    first = np.hstack([-1.5 + t, 1.0 - t])
    panel.set_trajectories([first, first + 1e-4, first * 0.5])
    assert [track.dashed for track in panel._tracks] == [False, True, False]
    later = np.vstack([first, [[0.5, 0.5]]])
    panel.set_trajectories([later, np.vstack([first, [[-0.5, 0.5]]]), np.vstack([first * 0.5,
                                                                                 [[0, 0]]])])
    assert [track.dashed for track in panel._tracks] == [False, False, False]  # apart now
