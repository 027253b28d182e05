"""Fixtures of the app tests: windows and engines that are always closed, their threads stopped.

A window made by :func:`make_window` keeps its settings in the test's temporary directory and is
closed at teardown; the test then fails unless its engine thread ended within a second (a thread
still running there would make Qt print "QThread: Destroyed while thread is still running").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from app_helpers import current

from app import Engine, MainWindow, SessionState, Settings

STOP_MS = 1000  #: how long closing may take to stop the engine thread


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(tmp_path / "config", tmp_path / "data")


@pytest.fixture
def make_window(qtbot, settings) -> Iterator[Callable[..., MainWindow]]:
    """``make_window(config=None, speed=None)``: a shown window on ``config`` (default: the
    app's default experiment) playing at ``speed`` steps/s (None: as fast as possible)."""
    windows: list[MainWindow] = []

    def make(config: dict[str, Any] | None = None, speed: float | None = None) -> MainWindow:
        state = SessionState.from_dict(config) if config else SessionState.default()
        state.speed = speed
        window = MainWindow(state, settings)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: current(window) is not None and "grid" in window.feed.points)
        return window

    yield make
    for window in windows:
        window.close()
        assert window.engine._thread.wait(STOP_MS), "the engine thread outlived its window"
        window.deleteLater()


@pytest.fixture
def engine(qtbot) -> Iterator[Engine]:
    """An engine thread without a window; stopped at teardown."""
    engine = Engine()
    yield engine
    assert engine.stop(STOP_MS), "the engine thread did not stop within a second"
