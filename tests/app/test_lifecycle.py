"""Worker lifecycle: start/stop/reset/close cycles leak no thread, timer or memory, and a fault
in the engine reaches the status bar as a message, stopping only that job.

The cycle tests run a few cycles in the suite; ``OPTIMIZER_LAB_SOAK=1`` runs the slow-marked
counts of issue 11 (1,000 engine cycles, 100 window cycles with every lab window) and prints them.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path

import pytest
from app_helpers import current
from PySide6.QtCore import QCoreApplication, QEvent, QTimer

from app import Engine, MainWindow, SessionState, Settings
from app.main_window import LAB_WINDOWS
from optim_core.experiment import parse_experiment
from optim_core.session import Session

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints",
                                       "does not support raise")
SOAK = os.environ.get("OPTIMIZER_LAB_SOAK") == "1"
EXPERIMENT = {"problem": "rosenbrock", "steps": 30,
              "runs": [{"optimizer": "SGD", "lr": 1e-3}, {"optimizer": "Adam", "lr": 0.05}]}


def counts() -> dict[str, float]:
    """OS threads of this process, live QTimers and resident MB (after deferred deletes)."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    gc.collect()
    rss_kb = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text()
                  .splitlines() if line.startswith("VmRSS:"))
    return {"threads": len(os.listdir("/proc/self/task")),
            "timers": sum(issubclass(type(o), QTimer) for o in gc.get_objects()),
            "rss_mb": rss_kb / 1024}


def engine_cycle(qtbot) -> None:
    engine = Engine()
    seen: list = []
    engine.progress.connect(seen.append)
    engine.load(parse_experiment(EXPERIMENT), target_steps=30, speed=None, playing=True)
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].snapshot.step >= 30, timeout=10_000)
    engine.reset()
    engine.step_once()
    engine.pause()
    assert engine.stop(2000)
    engine.deleteLater()


def window_cycle(qtbot, folder: Path) -> None:
    window = MainWindow(SessionState.from_dict(EXPERIMENT), Settings(folder / "c", folder / "d"))
    window.show()
    qtbot.waitUntil(lambda: current(window) is not None, timeout=10_000)
    window.reset_runs()
    for kind in LAB_WINDOWS:
        window.open_lab(kind)
    window.close()
    assert window.engine._thread.wait(2000)
    window.deleteLater()


@pytest.mark.parametrize("cycles", [
    pytest.param(1000, marks=[pytest.mark.slow,
                              pytest.mark.skipif(not SOAK, reason="OPTIMIZER_LAB_SOAK=1")]),
    12,
])
def test_engine_cycles_leak_no_thread_timer_or_memory(qtbot, cycles):
    for _ in range(3):  # warm up: imports, caches, the allocator's first pools
        engine_cycle(qtbot)
    before = counts()
    for _ in range(cycles):
        engine_cycle(qtbot)
    after = counts()
    print(f"{cycles} engine cycles: threads {before['threads']} → {after['threads']}, "
          f"timers {before['timers']} → {after['timers']}, "
          f"RSS {before['rss_mb']:.0f} → {after['rss_mb']:.0f} MB")
    assert after["threads"] <= before["threads"]
    assert after["timers"] <= before["timers"]
    # the allocator's arenas (a new thread each cycle) move RSS by tens of MB either way
    assert after["rss_mb"] - before["rss_mb"] <= (32 if cycles > 100 else 10)


@pytest.mark.parametrize("cycles", [
    pytest.param(100, marks=[pytest.mark.slow,
                             pytest.mark.skipif(not SOAK, reason="OPTIMIZER_LAB_SOAK=1")]),
    2,
])
def test_window_cycles_with_every_lab_leak_no_thread_or_timer(qtbot, tmp_path, cycles):
    window_cycle(qtbot, tmp_path)
    before = counts()
    for _ in range(cycles):
        window_cycle(qtbot, tmp_path)
    after = counts()
    print(f"{cycles} window cycles: threads {before['threads']} → {after['threads']}, "
          f"timers {before['timers']} → {after['timers']}, "
          f"RSS {before['rss_mb']:.0f} → {after['rss_mb']:.0f} MB")
    assert after["threads"] <= before["threads"]
    assert after["timers"] <= before["timers"]
    assert after["rss_mb"] - before["rss_mb"] <= (60 if cycles > 10 else 40)


def test_an_engine_fault_reaches_the_status_bar_and_stops_only_that_job(make_window,
                                                                        monkeypatch, qtbot):
    window = make_window(EXPERIMENT, speed=None)
    real_step = Session.step

    def broken(self, k=1):
        raise ZeroDivisionError("division by zero in a step")

    monkeypatch.setattr(Session, "step", broken)
    window.reset_runs()
    window.engine.step_once()
    qtbot.waitUntil(lambda: "The engine stopped" in window.statusBar().currentMessage())
    assert "division by zero" in window.statusBar().currentMessage()
    assert window.engine.is_running()  # the thread goes on: only that job stopped
    monkeypatch.setattr(Session, "step", real_step)
    window.reset_runs()
    window.engine.step_once()
    qtbot.waitUntil(lambda: current(window) is not None and current(window).snapshot.step >= 1)
