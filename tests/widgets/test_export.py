"""Exported images are the whole panel as on screen: a PNG at twice the resolution that, scaled
back down, looks like a grab of the panel; an SVG of the panel's size holding its legend and axes.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from xml.dom import minidom

import numpy as np
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import AdaptiveLrPanel, LandscapePanel, LossCurvesPanel, configure_pyqtgraph

SIZE_HINTS = "does not support propagateSizeHints"
pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(SIZE_HINTS)]

LABELS, COLORS = ["SGD lr=0.001", "Adam lr=0.05"], ["#0072b2", "#009e73"]


def _landscape() -> LandscapePanel:
    panel = LandscapePanel()
    x, y = np.linspace(-2.0, 2.0, 120), np.linspace(-1.0, 3.0, 90)
    xx, yy = np.meshgrid(x, y)
    z = (1 - xx) ** 2 + 100 * (yy - xx**2) ** 2
    panel.set_landscape(x, y, z, log_scale=True, minima=[(1.0, 1.0)], view=(-2, 2, -1, 3),
                        title="Rosenbrock")
    panel.set_runs(LABELS, COLORS)
    t = np.linspace(0, 1, 50)[:, None]
    panel.set_trajectories([np.hstack([-1.5 + 2.5 * t, 2 - t]), np.hstack([-1 + 2 * t, t])])
    return panel


def _loss() -> LossCurvesPanel:
    panel = LossCurvesPanel()
    panel.set_runs(LABELS, COLORS)
    steps = np.arange(100.0)
    panel.set_curves([steps, steps], [10 * np.exp(-steps / 20), 10 * np.exp(-steps / 40)])
    return panel


def _effective_lr() -> AdaptiveLrPanel:
    panel = AdaptiveLrPanel()
    panel.set_runs(LABELS, COLORS)
    steps = np.arange(1.0, 100.0)
    lr = np.column_stack([0.1 / np.sqrt(steps), 0.05 / np.sqrt(steps)])
    panel.set_curves([steps, steps], [lr, 2 * lr])
    return panel


PANELS: dict[str, Callable[[], QtWidgets.QWidget]] = {
    "landscape": _landscape, "loss": _loss, "effective lr": _effective_lr,
}


@pytest.fixture
def shown(qtbot) -> Callable[[Callable[[], QtWidgets.QWidget]], QtWidgets.QWidget]:
    configure_pyqtgraph()

    def show(make: Callable[[], QtWidgets.QWidget]) -> QtWidgets.QWidget:
        panel = make()
        qtbot.addWidget(panel)
        panel.resize(560, 460)
        panel.show()
        qtbot.waitExposed(panel)
        QtWidgets.QApplication.processEvents()
        return panel

    return show


def _pixels(image: QtGui.QImage) -> np.ndarray:
    image = image.convertToFormat(QtGui.QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(float)


@pytest.mark.parametrize("name", PANELS)
def test_a_png_export_is_the_whole_panel_at_twice_the_resolution(shown, tmp_path, name):
    panel = shown(PANELS[name])
    view = panel._view  # the plot the export writes (legend, axes, data)
    path = tmp_path / "panel.png"
    panel.export_image(str(path))
    exported = QtGui.QImage(str(path))
    assert (exported.width(), exported.height()) == (2 * view.width(), 2 * view.height())
    small = exported.scaled(view.width(), view.height(),
                            QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                            QtCore.Qt.TransformationMode.SmoothTransformation)
    grab = view.grab().toImage()
    difference = np.abs(_pixels(small) - _pixels(grab)).mean(axis=2)
    # fonts and lines are drawn afresh at 2×, so edges differ a little; the layout may not
    assert difference.mean() < 6.0, f"mean difference {difference.mean():.1f} of 255"
    for half in (difference[:, : view.width() // 2], difference[:, view.width() // 2:],
                 difference[: view.height() // 2], difference[view.height() // 2:]):
        assert half.mean() < 8.0  # no part of the panel missing or moved


@pytest.mark.parametrize("name", PANELS)
def test_an_svg_export_is_the_panel_s_size_with_its_legend_and_axes(shown, tmp_path, name):
    panel = shown(PANELS[name])
    view = panel._view
    path = tmp_path / "panel.svg"
    panel.export_image(str(path))
    svg = minidom.parse(str(path)).documentElement
    box = [float(v) for v in svg.getAttribute("viewBox").split()]
    assert box == [0, 0, view.width(), view.height()]
    text = " ".join(t.firstChild.data.replace("\xa0", " ")
                    for t in svg.getElementsByTagName("text") if t.firstChild)
    for label in LABELS:
        assert label in text
    xs = [float(t.getAttribute("x")) for t in svg.getElementsByTagName("text")]
    assert max(xs) < view.width()
