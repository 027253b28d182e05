"""Python's cyclic garbage collector runs only in the GUI thread.

Collected in a worker thread, a reference cycle that holds Qt objects deletes them there: their
destructors take Qt's locks and then wait for the GIL, while the GUI thread, holding the GIL,
waits for those locks — a deadlock (it hung the test suite, the engine thread inside ``gc``
deleting a closed window's menus). As pyqtgraph's ``GarbageCollector`` does, the automatic
collector is switched off once the first worker thread is made, and a timer in the GUI thread
collects each generation when its count passes the threshold Python would have used.

A closed window is freed by that collector too: its panels, plots and their data hang in reference
cycles (pyqtgraph's items, signal connections to bound methods), so they waited for a collection
of the oldest generation, which comes rarely — measured: up to 11 closed network workbenches alive
at once, 3.2 MB of the C heap each, and that peak of garbage left the heap fragmented (1,000
workbench cycles: RSS after ``malloc_trim`` +77 MB, malloc's bytes in use +2 MB). A window given
to :func:`collect_when_gone` has every generation collected at the next tick after its deletion,
and the style's cached drawings of its controls are let go then (``app/style_drawings.py``).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

from app.style_drawings import forget_style_drawings

INTERVAL_MS = 100
_timer: QTimer | None = None
_window_gone = False  #: a window given to collect_when_gone was deleted since the last tick


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


def collect_when_gone(window: QObject) -> None:
    """Collect every generation at the next tick after ``window`` is deleted (its Python side
    then goes at once, not with the next full collection)."""
    window.destroyed.connect(_note_window_gone)


def _note_window_gone() -> None:
    global _window_gone
    _window_gone = True


def collect_due() -> None:
    """Collect the generations whose counts passed their thresholds (as Python itself would),
    or all of them (and the style's drawings) when a window has gone."""
    global _window_gone
    if _window_gone:
        _window_gone = False
        gc.collect()
        forget_style_drawings()
        return
    thresholds, counts = gc.get_threshold(), gc.get_count()
    generation = -1
    for i in range(3):
        if counts[i] > thresholds[i]:
            generation = i
        else:
            break
    if generation >= 0:
        gc.collect(generation)

