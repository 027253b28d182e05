"""Speed the user feels: nothing is computed or drawn for a panel behind another dock's tab (such
a dock still says isVisible()), and a run's bold path is drawn as separate segments (as one wide
antialiased path a chaotic run cost about three times as much to paint)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from app_helpers import FINITE_SUM, SIZE_HINTS, current

from app.scripted import play_to_end
from widgets import LandscapePanel

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)
PLAYING = {**FINITE_SUM, "steps": 100_000}


def test_no_noise_is_drawn_for_a_panel_behind_a_tab(make_window, qtbot):
    window = make_window(PLAYING, speed=200.0)
    window.adaptive_dock.raise_()
    qtbot.waitUntil(lambda: not window.feed.is_shown("noise"))
    draws: list[int] = []
    window.engine.noise.connect(lambda _g, d: draws.append(d.step))
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: current(window).snapshot.step > 40, timeout=10_000)
    qtbot.wait(300)
    assert draws == []  # the engine thread computed no minibatch gradients nobody sees
    window.noise_dock.raise_()  # to the front: the noise comes
    qtbot.waitUntil(lambda: len(draws) > 0)
    assert window.feed.is_shown("noise")


def test_a_panel_behind_a_tab_is_not_redrawn(make_window, qtbot):
    window = make_window(PLAYING, speed=200.0)
    window.noise_dock.raise_()
    qtbot.waitUntil(lambda: not window.feed.is_shown("adaptive"))
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: current(window).snapshot.step > 20, timeout=10_000)
    before = dict(window.feed.frames)
    qtbot.waitUntil(lambda: window.feed.frames["loss"] > before.get("loss", 0) + 2)
    assert window.feed.frames["adaptive"] == before.get("adaptive", 0)
    window.adaptive_dock.raise_()  # drawn when it comes to the front
    qtbot.waitUntil(lambda: window.feed.frames["adaptive"] > before.get("adaptive", 0))


def test_bold_paths_are_drawn_as_segments(qtbot):
    panel = LandscapePanel()
    qtbot.addWidget(panel)
    panel.set_runs(["a", "b"], ["#0072b2", "#d55e00"])
    rng = np.random.default_rng(0)
    panel.set_trajectories([rng.uniform(-1, 1, (300, 2)) for _ in range(2)])
    curves = [item for item in panel._plot.items if isinstance(item, pg.PlotCurveItem)]
    bold = [c for c in curves if c.opts["pen"].widthF() > 2]
    assert len(bold) == 2
    assert all(c._shouldUseDrawLineSegments(c.opts["pen"]) for c in bold)


def test_a_scripted_run_ends_with_the_noise_panel_behind_a_tab(make_window, qtbot):
    # main.py --screenshot --lesson adagrad-decay waited 120 s for noise never drawn: the lesson
    # shows the effective lr, and the noise panel behind it is (rightly) never computed
    window = make_window()
    window.open_lesson("adagrad-decay")
    qtbot.waitUntil(lambda: not window.feed.is_shown("noise"))
    assert play_to_end(window, 20, timeout=20)
