"""Garbage is collected in the GUI thread only, never in an engine thread."""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QObject

from app.gui_collector import INTERVAL_MS


class _Cycle(QObject):
    """A Qt object in a reference cycle: only the cyclic collector frees it."""

    def __init__(self) -> None:
        super().__init__()
        self.me = self


def test_an_engine_turns_automatic_collection_into_a_gui_thread_timer(engine, qtbot) -> None:
    assert not gc.isenabled()  # an engine thread exists: no collection may run in it
    cycle = _Cycle()
    alive = weakref.ref(cycle)
    del cycle
    for _ in range(gc.get_threshold()[0] + 10):  # enough allocations to be due
        _Cycle().deleteLater()
    qtbot.waitUntil(lambda: alive() is None, timeout=20 * INTERVAL_MS)
