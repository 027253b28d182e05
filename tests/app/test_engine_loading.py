"""The window before the engine has loaded (a cold start): painted, Play live, the rest waits.

In the test process the engine is always loaded already, so the engine thread's loading is
stood in for by a gate: a module the engine thread "imports" that waits until the test opens
it, then makes the real worker. ``tests/app/test_startup.py`` checks in a fresh interpreter
that the window's import path loads no torch.
"""

from __future__ import annotations

import sys
import threading
import time
import types

import pytest
import shiboken6
from app_helpers import SIZE_HINTS, current
from PySide6.QtWidgets import QApplication, QLabel

import app.engine
from app import MainWindow
from app.engine import Engine
from app.engine_loading import TEXT
from app.worker import Worker

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)


@pytest.fixture
def gate(monkeypatch):
    """An engine that loads only when ``gate.set()`` is called (as a cold torch import would)."""
    opened = threading.Event()

    def slow_worker() -> Worker:
        assert opened.wait(30), "the test never opened the gate"
        return Worker()

    module = types.ModuleType("gated_engine")
    module.Worker = slow_worker
    monkeypatch.setitem(sys.modules, "gated_engine", module)
    monkeypatch.setattr(app.engine, "ENGINE_MODULE", "gated_engine")
    monkeypatch.setattr(app.engine, "engine_loaded", lambda: False)
    yield opened
    opened.set()  # a test that failed early must not leave the engine thread waiting


@pytest.fixture
def cold_window(qtbot, settings, gate):
    window = MainWindow(None, settings)
    window.show()
    qtbot.waitExposed(window)
    yield window
    gate.set()
    window.close()
    assert window.engine._thread.wait(5000), "the engine thread outlived its window"


def notes(window: MainWindow) -> list[QLabel]:
    return [note for note in window.findChildren(QLabel, "engine_loading") if note.isVisible()]


def test_the_window_is_usable_before_the_engine_has_loaded(cold_window, qtbot, gate):
    window = cold_window
    qtbot.wait(200)  # the engine thread is loading (held at the gate)
    assert not window.engine.is_ready() and window.state is None
    assert len(notes(window)) >= 4 and all(note.text() == TEXT for note in notes(window))
    titles = [action.text().replace("&", "") for action in window.menuBar().actions()]
    assert titles[:3] == ["File", "Run", "Lessons"]
    bar = window.controls.playback
    assert bar.play_button.isEnabled() and not bar.step_button.isEnabled()
    assert not window.actions.links["lab:batch"].isEnabled()  # the labs wait for the engine
    bar.play_button.click()  # pressed now: the runs play once the engine is there
    qtbot.wait(100)
    assert bar.is_playing()
    gate.set()
    qtbot.waitUntil(window.engine.is_ready, timeout=30_000)
    # the window takes the engine in its own turn of the event loop, after is_ready flips
    qtbot.waitUntil(lambda: window.state is not None and notes(window) == []
                    and bar.step_button.isEnabled(), timeout=30_000)
    assert window.controls.runs.table().rowCount() == 3
    assert window.actions.links["lab:batch"].isEnabled()
    # a loaded machine may take seconds for the landscape and the first steps
    qtbot.waitUntil(lambda: current(window) is not None and current(window).snapshot.step > 3,
                    timeout=30_000)
    progress = current(window)  # played: still playing, or already through its steps
    assert progress.playing or progress.snapshot.step == progress.target_steps


def test_closing_before_the_engine_has_loaded(qtbot, settings, gate):
    window = MainWindow(None, settings)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(100)
    threading.Timer(0.3, gate.set).start()  # the import ends a little after the close
    window.close()  # waits for the loading to end, saves no experiment (none was loaded)
    assert not window.engine._thread.isRunning()
    assert window.settings.last_experiment() is None


def test_commands_wait_for_the_worker_in_order(qtbot, gate):
    engine = Engine()
    engine.start()
    received: list[str] = []
    engine.message.connect(received.append)
    engine.play()  # no session yet: the worker says nothing, but must get it before the step
    engine.step_once()
    assert not engine.is_ready()
    with qtbot.waitSignal(engine.ready, timeout=30_000):
        gate.set()
    assert engine._pending == []
    assert engine.stop(1000)


def test_what_is_asked_before_the_engine_waits_for_it(cold_window, qtbot, gate, tmp_path):
    """``main.py --steps N`` on a cold start raised AttributeError (no experiment yet); Open
    Recent stayed live while its entries would open a file into nothing; and the batch size of
    the default (deterministic) problem came back enabled when the loading state ended."""
    window = cold_window
    window.set_steps(123)  # main.py --steps, before the engine
    window.set_presentation_scale(1.5)  # F5: closing now would wait for the engine to load
    assert window.isVisible() and not window.rebuild_requested
    recent = window.actions.recent
    assert recent is not None and not recent.menuAction().isEnabled()
    assert window.open_experiment(tmp_path / "any.json") is False  # said, nothing replaced
    gate.set()
    qtbot.waitUntil(lambda: window.state is not None and notes(window) == [], timeout=30_000)
    assert window.state.steps == 123
    assert recent.menuAction().isEnabled()
    assert window.state.problem["name"] == "rosenbrock"  # deterministic: no minibatches
    assert not window.controls.playback.batch.isEnabled()


def test_an_engine_stopped_as_its_worker_is_made_takes_that_worker_back(qtbot, monkeypatch):
    # loaded(worker) queued to the window, then stop() before the window wired it in: the
    # worker, made in the pooled engine thread, stayed in that thread (lent to the next window)
    # and was dropped from the GUI thread
    made: list[Worker] = []

    def worker_made() -> Worker:
        made.append(Worker())
        return made[-1]

    module = types.ModuleType("made_engine")
    module.Worker = worker_made
    monkeypatch.setitem(sys.modules, "made_engine", module)
    monkeypatch.setattr(app.engine, "ENGINE_MODULE", "made_engine")
    monkeypatch.setattr(app.engine, "engine_loaded", lambda: False)
    engine = Engine()
    engine.start()
    deadline = time.monotonic() + 30
    while not made and time.monotonic() < deadline:  # no events: _connect waits in the queue
        time.sleep(0.01)
    assert made, "the engine thread never made its worker"
    assert engine.stop()
    worker = made.pop()
    qtbot.wait(50)  # the queued _connect (refused: stopped) and the deferred deletes
    gui = QApplication.instance().thread()
    assert not shiboken6.isValid(worker) or worker.thread() is gui
