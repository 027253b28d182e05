"""Ctrl+C in the terminal that started the lab closes the window the normal way.

Python runs signal handlers only between bytecodes, and Qt's event loop is C++; a timer that
wakes the interpreter a few times a second lets the handler run, and the handler closes the
window, so the worker stops and the settings and last experiment are saved as on any close.
"""

from __future__ import annotations

import signal

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

WAKE_MS = 200  #: how often the interpreter gets a chance to run a pending signal handler


def close_on_interrupt(window: QWidget) -> QTimer:
    """Make SIGINT close ``window``; returns the waking timer (owned by the window)."""
    signal.signal(signal.SIGINT, lambda _signum, _frame: window.close())
    timer = QTimer(window)
    timer.timeout.connect(lambda: None)
    timer.start(WAKE_MS)
    return timer
