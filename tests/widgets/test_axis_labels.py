"""Axis labels stay beside their own axis: a label longer than a short plot's axis wraps (or
shrinks) instead of running over the legend above it or the plot below it — at every
presentation scale and on small panels."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtWidgets

from widgets import (
    AdaptiveLrPanel,
    GradientNoisePanel,
    LossCurvesPanel,
    configure_pyqtgraph,
    style,
)

SIZE_HINTS = "does not support propagateSizeHints"
pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(SIZE_HINTS)]

LABELS = ["SGD lr=0.001", "SGD+momentum lr=0.001", "Adam lr=0.05"]
COLORS = ["#0072b2", "#d55e00", "#009e73"]


def loss_panel() -> QtWidgets.QWidget:
    panel = LossCurvesPanel()
    panel.set_log_y(True)
    panel.set_runs(LABELS, COLORS)
    steps = np.arange(1.0, 61.0)
    panel.set_curves([steps] * 3, [10.0 / steps, 12.0 / steps ** 0.5, 8.0 / steps], f_min=0.0)
    return panel


def adaptive_panel() -> QtWidgets.QWidget:
    panel = AdaptiveLrPanel()
    panel.set_runs(LABELS, COLORS)
    steps = np.arange(1.0, 61.0)
    lr = np.abs(np.stack([1e-3 * (1 + np.sin(steps)), 1e-2 * (1 + np.cos(steps))], axis=1))
    panel.set_curves([steps] * 3, [lr + 1e-4, lr * 2 + 1e-4, lr * 3 + 1e-4])
    return panel


def noise_panel() -> QtWidgets.QWidget:
    panel = GradientNoisePanel()
    rng = np.random.default_rng(0)
    se, g = np.array([0.3, 0.1]), np.array([1.0, -0.5])
    panel.show_noise(g + rng.standard_normal((500, 2)) * se, g, se, 1, 1000, "SGD, N = 1",
                     COLORS[0])
    return panel


def scene_rect(item: QtWidgets.QGraphicsItem) -> QtCore.QRectF:
    return item.mapRectToScene(item.boundingRect())


@pytest.fixture
def at_scale():
    yield style.set_presentation_scale
    style.set_presentation_scale(1.0)


@pytest.mark.parametrize("make", [loss_panel, adaptive_panel, noise_panel])
@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
@pytest.mark.parametrize("size", [(400, 330), (320, 260), (560, 460)])
def test_an_axis_label_stays_beside_its_axis(qtbot, at_scale, make, scale, size):
    configure_pyqtgraph()
    at_scale(scale)
    panel = make()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    for _ in range(3):  # the layout settles over a few turns
        QtWidgets.QApplication.processEvents()
    items = panel._view.scene().items()
    texts = [scene_rect(i) for i in items if isinstance(i, style.RichTextItem) and i.html()]
    axes = [i for i in items if isinstance(i, pg.AxisItem) and i.isVisible()
            and i.label.isVisible() and i.label.toPlainText()]
    assert axes
    for axis in axes:
        label, own = scene_rect(axis.label), scene_rect(axis)
        name = f"{axis.orientation} axis label {axis.label.toPlainText()!r}"
        if axis.orientation in ("left", "right"):  # beside the axis, or the corner below it
            corner = axis.parentItem().getAxis("bottom").size().height()
            assert own.top() - 1 <= label.top(), name
            assert label.bottom() <= own.bottom() + corner + 1, name
        else:  # under the axis, or the corner left of it
            corner = axis.parentItem().getAxis("left").size().width()
            assert own.left() - corner - 1 <= label.left(), name
            assert label.right() <= own.right() + 1, name
        glyphs = label.adjusted(4, 4, -4, -4)  # inside the text item's 4 px document margin
        for text in texts:
            assert not glyphs.intersects(text), name
        for other in axes:
            if other is not axis:
                assert not glyphs.intersects(scene_rect(other.label)), name


@pytest.mark.parametrize(("make", "size"), [(loss_panel, (252, 293)),
                                            (adaptive_panel, (252, 334))])
def test_at_normal_scale_a_docked_panel_s_labels_keep_their_size(qtbot, make, size):
    """The panels as docked in a 1024 × 700 window: "|Δw₁ / g₁|" reaches into the corner below
    its short axis rather than shrinking to unreadable."""
    configure_pyqtgraph()
    panel = make()
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    axes = [i for i in panel._view.scene().items() if isinstance(i, pg.AxisItem)
            and i.isVisible() and i.label.isVisible() and i.label.toPlainText()]
    assert axes and all(axis.label.scale() == 1.0 for axis in axes)


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_twin_plots_label_their_axes_alike(qtbot, at_scale, scale):
    """At 2× "g₁ = ∂f/∂w₁" was drawn smaller than "g₂ = ∂f/∂w₂" beside it (its plot is the
    narrower, by the y axis's width): a long x label reaches into the corner left of it."""
    configure_pyqtgraph()
    at_scale(scale)
    panel = noise_panel()
    qtbot.addWidget(panel)
    panel.resize(470, 485)
    panel.show()
    qtbot.waitExposed(panel)
    for _ in range(3):
        QtWidgets.QApplication.processEvents()
    x_labels = [i.label for i in panel._view.scene().items() if isinstance(i, pg.AxisItem)
                and i.orientation == "bottom" and i.isVisible() and i.label.toPlainText()]
    assert len(x_labels) == 2
    assert min(label.scale() for label in x_labels) >= 0.95  # was 0.79 against 1.0
