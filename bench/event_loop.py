"""How late a GUI thread's timer ticks while the event loop runs: the benches' latency measure.

A ``TICK_MS`` precise QTimer records how late each tick comes; a tick cannot fire while the GUI
thread is busy (painting, handling a signal), so the lateness is what a user's click would wait.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QEventLoop, Qt, QTimer

TICK_MS = 5


def run_loop(seconds: float) -> None:
    """Run the event loop for ``seconds``."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def tick_lateness(seconds: float) -> tuple[np.ndarray, float]:
    """Each tick's lateness in ms over ``seconds`` of the event loop, and the seconds it ran."""
    lateness: list[float] = []
    last = time.perf_counter()

    def tick() -> None:
        nonlocal last
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last) * 1000 - TICK_MS))
        last = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(tick)
    started = time.perf_counter()
    timer.start(TICK_MS)
    run_loop(seconds)
    timer.stop()
    return np.array(lateness[1:]), time.perf_counter() - started


def percentiles(late: np.ndarray) -> dict[str, float]:
    """p50 and p99 of ``late`` (ms)."""
    return {"p50": float(np.percentile(late, 50)), "p99": float(np.percentile(late, 99))}
