"""Python's cyclic garbage collector runs only in the GUI thread.

Collected in a worker thread, a reference cycle that holds Qt objects deletes them there: their
destructors take Qt's locks and then wait for the GIL, while the GUI thread, holding the GIL,
waits for those locks — a deadlock (it hung the test suite, the engine thread inside ``gc``
deleting a closed window's menus). As pyqtgraph's ``GarbageCollector`` does, the automatic
collector is switched off once the first worker thread is made, and a timer in the GUI thread
collects each generation when its count passes the threshold Python would have used.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QThread, QTimer

INTERVAL_MS = 100
_timer: QTimer | None = None


def collect_in_gui_thread() -> None:
    """Switch automatic collection to a GUI-thread timer (once; call it from the GUI thread)."""
    global _timer
    app = QCoreApplication.instance()
    if _timer is not None or app is None or QThread.currentThread() is not app.thread():
        return
    _timer = QTimer(app)
    _timer.timeout.connect(collect_due)
    _timer.start(INTERVAL_MS)
    gc.disable()


def collect_due() -> None:
    """Collect the generations whose counts passed their thresholds (as Python itself would)."""
    thresholds, counts = gc.get_threshold(), gc.get_count()
    generation = -1
    for i in range(3):
        if counts[i] > thresholds[i]:
            generation = i
        else:
            break
    if generation >= 0:
        gc.collect(generation)

