"""Deferred calls that die with their owner: a timer of the owner's own, not a loose one-shot.

A ``QTimer.singleShot`` lambda runs even when the window it touches was closed at once (it then
runs on deleted widgets, and its error's traceback keeps the window alive); one given a context
object keeps the window alive when that context dies first (PySide 6.11). A timer that is a child
of the owner goes with it, unfired.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.slots import calling


def soon(owner: QObject, action: Callable[[], object], ms: int = 0) -> None:
    """Run ``action`` in ``ms`` milliseconds (when the event loop is next free, for 0), unless
    ``owner`` is deleted first."""
    timer = QTimer(owner)
    timer.setSingleShot(True)
    timer.timeout.connect(action)
    timer.timeout.connect(calling(timer.deleteLater))
    timer.start(ms)
