"""Presentation mode: at 1.5× and 2× every font, pen, marker and arrow head of the panels and the
controls' font are that much larger; the View menu and F5 switch it, the window is rebuilt on
the same experiment, and the scale is remembered."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from app_helpers import SIZE_HINTS
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow

import main
from app import MainWindow, SessionState
from app.presentation import apply_presentation_scale
from widgets import LandscapePanel, LessonPanel, LossCurvesPanel, style
from widgets.decision_regions import DecisionRegionsPanel
from widgets.landscape import _head_polygon

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)


@pytest.fixture
def at_scale(qapp) -> Iterator:
    """``at_scale(s)`` applies presentation scale ``s``; normal again at teardown."""
    yield lambda scale: apply_presentation_scale(qapp, scale)
    apply_presentation_scale(qapp, 1.0)


def looks(qtbot) -> dict[str, float]:
    """Sizes of fresh panels made at the scale in force."""
    landscape, loss, lessons = LandscapePanel(), LossCurvesPanel(), LessonPanel()
    regions = DecisionRegionsPanel()
    for panel in (landscape, loss, lessons, regions):
        qtbot.addWidget(panel)
    regions.set_runs(["SGD"], ["#0072b2"])
    loss.set_runs(["SGD"], ["#0072b2"])
    loss.set_curves([np.arange(5.0)], [np.linspace(3, 1, 5)])
    curve = loss._curves[0]
    axis = loss._plot.getAxis("left")
    head = _head_polygon(np.zeros(2), np.array([100.0, 0.0]))
    return {
        "app font": QApplication.font().pointSizeF(),
        "tick font": axis.style["tickFont"].pointSizeF(),
        "axis label": float(axis.labelStyle["font-size"].removesuffix("pt")),
        "axis pen": axis.pen().widthF(),
        "curve pen": curve.curve.opts["pen"].widthF(),
        "curve marker": curve.marker.opts["symbolSize"],
        "minimum star": landscape._minima.opts["size"],
        "start marker": landscape._markers.starts.opts["size"],
        "arrow head": 100.0 - head[1, 0],
        "colour bar axis": landscape._colorbar.getAxis("right").width(),
        "lesson text": lessons.browser.font().pointSizeF(),
        "decision regions title": float(
            regions.tiles[0].plot.titleLabel.opts["size"].removesuffix("pt")),
    }


@pytest.mark.parametrize("scale", [1.5, 2.0])
def test_everything_drawn_grows_by_the_scale(qtbot, at_scale, scale):
    normal = looks(qtbot)
    at_scale(scale)
    scaled = looks(qtbot)
    for name, size in normal.items():
        assert scaled[name] == pytest.approx(scale * size, rel=0.02), name


@pytest.mark.parametrize("stored, read", [(1.5, 1.5), (2.0, 2.0), (1.0, 1.0), ("7", 1.0),
                                          ("banana", 1.0), (None, 1.0)])
def test_the_scale_is_remembered(settings, stored, read):
    if stored is not None:
        settings._qsettings.setValue("view/presentation_scale", stored)
    assert settings.presentation_scale() == read


def test_the_menu_and_f5_switch_it_and_the_window_is_rebuilt(qtbot, settings, at_scale):
    window = MainWindow(SessionState.default(), settings)
    window.show()
    qtbot.waitUntil(lambda: "grid" in window.feed.points)
    window.open_lesson("momentum")
    before = window.state.to_dict()
    switch = next(a for a in QMainWindow.actions(window) if a.shortcut() == QKeySequence("F5"))
    assert QKeySequence("Ctrl+Shift+P") in switch.shortcuts()
    scales = [a for a in window.menuBar().findChildren(type(switch)) if "×" in a.text()]
    assert {a.text().split("×")[0] for a in scales} == {"1.5", "2"}
    switch.trigger()
    assert settings.presentation_scale() == 1.5
    assert window.rebuild_requested and not window.isVisible()
    rebuilt = main._rebuilt(QApplication.instance(), window)
    try:
        assert isinstance(rebuilt, MainWindow)
        assert rebuilt.state.to_dict() == before
        assert style.presentation_scale() == 1.5
        assert rebuilt.loss._plot.getAxis("left").style["tickFont"].pointSizeF() == \
            pytest.approx(1.5 * style.TICK_PT)
        rebuilt.show()
        qtbot.waitUntil(lambda: "grid" in rebuilt.feed.points)
    finally:
        rebuilt.close()
        assert rebuilt.engine._thread.wait(1000)
        rebuilt.deleteLater()


def test_off_again_is_remembered_too(make_window, settings, at_scale):
    at_scale(2.0)
    window = make_window(SessionState.default().to_dict())
    window.set_presentation_scale(1.0)
    assert settings.presentation_scale() == 1.0 and window.rebuild_requested


@pytest.mark.parametrize("key", ["momentum", "per-computation", "newton-maximum"])
def test_the_lesson_on_show_survives_the_switch(qtbot, settings, at_scale, key):
    """Switching presentation mode mid-lesson keeps the lesson's title and its text on show,
    its arrows, its loss axes (per-computation's x axis, newton-maximum's linear scale: both
    were lost) and its raised panel."""
    window = MainWindow(SessionState.default(), settings)
    window.show()
    qtbot.waitUntil(lambda: "grid" in window.feed.points)
    window.open_lesson(key)
    axes = (window.loss.x_axis(), window.loss.log_y())
    title, text = window.windowTitle(), window.lessons.text()
    arrows = {kind for kind, action in window.actions.arrows.items() if action.isChecked()}
    assert "Lesson:" in title
    window.set_presentation_scale(2.0)
    rebuilt = main._rebuilt(QApplication.instance(), window)
    try:
        assert rebuilt.windowTitle() == title
        assert rebuilt.lessons.text() == text
        assert {k for k, a in rebuilt.actions.arrows.items() if a.isChecked()} == arrows
        rebuilt.show()
        qtbot.waitUntil(lambda: "grid" in rebuilt.feed.points)  # its landscape's log choice
        assert (rebuilt.loss.x_axis(), rebuilt.loss.log_y()) == axes
    finally:
        rebuilt.close()
        assert rebuilt.engine._thread.wait(1000)
        rebuilt.deleteLater()
