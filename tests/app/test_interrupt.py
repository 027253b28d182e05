"""Ctrl+C closes the window like the close button (worker stopped, state saved)."""

from __future__ import annotations

import os
import signal

import pytest

from app.interrupt import close_on_interrupt

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_sigint_closes_the_window_and_stops_the_engine(make_window, qtbot):
    window = make_window()
    previous = signal.getsignal(signal.SIGINT)
    try:
        close_on_interrupt(window)
        os.kill(os.getpid(), signal.SIGINT)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=2000)
        assert window.engine._thread.wait(1000)
    finally:
        signal.signal(signal.SIGINT, previous)
