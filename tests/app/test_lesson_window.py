"""Lessons in the window: chosen from the menu or the Lessons tab, each loads paused with its
panels, loss axes and arrows, says what to watch, and plays; the tab's links go where they say."""

from __future__ import annotations

import html

import pytest
from app_helpers import SIZE_HINTS, current
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from app.lessons import LESSONS, lesson
from app.lr_sweep import LrSweepWindow
from app.session_state import SessionState

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)


def lesson_action(window, title: str) -> QAction:
    """The Lessons menu's entry called ``title`` (in its section's submenu)."""
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "L&essons")
    for section in menu.actions():
        if section.menu() is not None:
            for action in section.menu().actions():
                if action.text() == title:
                    return action
    raise LookupError(title)


def test_every_lesson_is_in_the_menu_under_its_section(make_window):
    window = make_window()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "L&essons")
    sections = {a.text(): [b.text() for b in a.menu().actions()]
                for a in menu.actions() if a.menu() is not None}
    for item in LESSONS:
        assert item.title in sections[item.section]


def test_a_lesson_from_the_menu_loads_paused_with_its_panels_axes_and_arrows(make_window, qtbot):
    window = make_window(speed=None)
    window.controls.playback.play_button.click()  # playing the default experiment
    item = lesson("per-computation")
    lesson_action(window, item.title).trigger()

    expected = SessionState.from_dict(item.experiment).to_dict()
    assert window.state.to_dict() == expected
    assert not window.controls.playback.is_playing()
    assert item.title in window.windowTitle()
    assert window.lessons.current == item.key and item.title in window.lessons.text()
    assert not window.lessons_dock.visibleRegion().isEmpty()  # raised in front of the runs
    assert not window.noise_dock.visibleRegion().isEmpty()
    assert window.loss.x_axis() == "sample-gradients computed" and window.loss.log_y()
    shown = {kind for kind, action in window.actions.arrows.items() if action.isChecked()}
    assert shown == set(item.arrows)

    qtbot.waitUntil(lambda: current(window) is not None)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: current(window).snapshot.step >= 20, timeout=10_000)
    assert current(window).snapshot.labels[0] == "N = 1"


@pytest.mark.qt_log_ignore(SIZE_HINTS, "does not support raise")  # offscreen: raising a window
def test_the_lessons_tab_links_lessons_the_index_and_the_labs(make_window, qtbot):
    window = make_window()
    window.lessons.link_activated.emit("lesson:nesterov")
    assert window.lessons.current == "nesterov"
    assert window.state.runs[1].hyperparameters["nesterov"] is True
    assert "Next: Momentum tolerates a larger learning rate" in window.lessons.text()
    window.explain()  # F1 starts with what to watch
    boxes = window.findChildren(QMessageBox)
    assert any(html.escape(lesson("nesterov").watch) in box.text() for box in boxes)
    for box in boxes:
        box.close()

    window.lessons.link_activated.emit("index")
    assert window.lessons.current is None and "Newton's method" in window.lessons.text()

    window.lessons.link_activated.emit("lab:sweep")
    labs = window.findChildren(LrSweepWindow)
    assert len(labs) == 1 and labs[0].isVisible()
    labs[0].close()


def test_opening_a_file_ends_the_lesson(make_window, tmp_path):
    window = make_window()
    window.open_lesson("clipping")
    path = tmp_path / "mine.json"
    assert window.save_to(path)
    assert window.open_experiment(path)
    assert "Lesson" not in window.windowTitle() and "mine.json" in window.windowTitle()
