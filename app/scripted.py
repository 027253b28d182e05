"""Scripted runs of the real window: play an experiment to its end, then grab the window.

Used by ``main.py --screenshot`` and by the self-test. Waiting keeps the Qt event loop turning, so
the worker's results arrive and the panels draw exactly as they would for a user.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QThread
from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow

TIMEOUT_SECONDS = 120.0


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Turn the event loop until ``condition()`` holds (True) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        # deleteLater() runs only from an event loop's own turn, never from processEvents():
        # without this, a dock's discarded tab bar lingered in narrow screenshots
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QThread.msleep(2)
    return True


def finished(window: MainWindow) -> bool:
    """Whether the current session reached its last step, stopped, and the panels show it."""
    progress = window.feed.progress
    return (progress is not None and progress.generation == window.engine.generation
            and not progress.playing and progress.snapshot.step >= progress.target_steps
            and "grid" in window.feed.points
            and (not window.state.is_finite_sum or "noise" in window.feed.points
                 or not window.feed.is_shown("noise")))  # behind a tab: never drawn


def play_to_end(window: MainWindow, steps: int | None = None,
                timeout: float = TIMEOUT_SECONDS) -> bool:
    """Play the experiment on screen as fast as possible to ``steps`` (default: its own)."""
    window.play_to(steps)
    if not wait_until(lambda: finished(window), timeout):
        return False
    QApplication.processEvents()
    window.feed.draw_all()
    QApplication.processEvents()
    return True


def screenshot(window: MainWindow, path: str | Path, steps: int | None = None) -> str | None:
    """Show the window, play to the end and save a grab of it; returns an error, or None."""
    window.show()
    if not play_to_end(window, steps):
        return f"the runs did not finish within {TIMEOUT_SECONDS:g} s"
    if not window.grab().save(str(path)):
        return f"could not write {path}"
    return None
