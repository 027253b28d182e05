"""``python main.py --startup-time``: how long the window takes to be painted, and the engine to
be ready behind it, from the start of the process (what ``bench/bench_gui.py`` G3 reports)."""

from __future__ import annotations

import json
import os
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

#: the longest wait for the engine before giving up (the report then says null)
READY_TIMEOUT_MS = 120_000


def process_age() -> float:
    """Seconds since this process started (Linux: /proc; elsewhere: since this module loaded)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            up = float(uptime.read().split()[0])
        return up - started_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _LOADED


_LOADED = time.perf_counter()


class _FirstPaint(QObject):
    """Notes the process's age when the Play button is first painted (the window is usable)."""

    def __init__(self, target: QObject) -> None:
        super().__init__(target)
        self.age: float | None = None
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.age is None:
            QTimer.singleShot(0, self._painted)  # after this paint is done
        return False

    def _painted(self) -> None:
        if self.age is None:
            self.age = process_age()


def report_startup(app: QApplication, window: QMainWindow) -> int:
    """Show ``window``, print ``{"painted": s, "engine_ready": s, "engine_loaded_before": b}``
    (seconds since the process started) once both happened, and return 0."""
    painted = _FirstPaint(window.controls.playback.play_button)
    ready: dict[str, float | None] = {"age": None}
    was_ready = window.engine.is_ready()

    def engine_ready() -> None:
        ready["age"] = process_age()

    if was_ready:
        engine_ready()
    else:
        window.engine.ready.connect(engine_ready)
    window.show()
    poll = QTimer()
    poll.timeout.connect(lambda: app.quit() if painted.age and ready["age"] else None)
    poll.start(10)
    QTimer.singleShot(READY_TIMEOUT_MS, app.quit)
    app.exec()
    print(json.dumps({"painted": painted.age, "engine_ready": ready["age"],
                      "engine_loaded_before": was_ready}))
    return 0
