"""Autosave and crash recovery: the experiment being edited survives a kill -9.

The kill test starts the real window in a child process (offscreen), edits the experiment there,
waits for the autosave, kills the child with SIGKILL and opens a window on the same data folder:
the restore is offered, and restoring brings the edit back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from app import MainWindow, SessionState, Settings
from app.autosave import RECOVERY_NAME, Autosave, pending_recovery

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
STOP_MS = 1000

CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    import app.autosave
    app.autosave.AUTOSAVE_DELAY_MS = 200
    from app import MainWindow, Settings
    qapp = QApplication([])
    folder = Path(sys.argv[1])
    window = MainWindow(settings=Settings(folder / "config", folder / "data"))
    window.autosave._timer.setInterval(200)
    window.show()
    while not window.engine.is_ready():  # a cold start: the engine loads behind the window
        qapp.processEvents()
        time.sleep(0.02)
    window.set_steps(1234)  # the edit: not saved by the user
    recovery = folder / "data" / "recovery.json"
    deadline = time.monotonic() + 60
    while not recovery.exists() and time.monotonic() < deadline:
        qapp.processEvents()
        time.sleep(0.02)
    print("autosaved" if recovery.exists() else "not saved", flush=True)
    while True:  # mid-edit, until killed
        qapp.processEvents()
        time.sleep(0.02)
""")


@pytest.fixture
def windows(qtbot):
    made: list[MainWindow] = []
    yield made
    for window in made:
        window.close()
        assert window.engine._thread.wait(STOP_MS)
        window.deleteLater()


def _open(qtbot, windows, settings: Settings) -> MainWindow:
    window = MainWindow(settings=settings)
    windows.append(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _recovery_box(window: MainWindow) -> QMessageBox | None:
    boxes = [b for b in window.findChildren(QMessageBox) if b.objectName() == "recovery"]
    return boxes[0] if boxes and boxes[0].isVisible() else None


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_a_kill_9_mid_edit_is_offered_for_restore_at_the_next_start(qtbot, windows, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    with subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as child:
        try:
            line = child.stdout.readline().strip()
            assert line == "autosaved"
            time.sleep(0.3)  # still editing: the kill lands mid-session
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.kill()
            child.wait(30)
    assert child.returncode == -signal.SIGKILL
    saved = json.loads((tmp_path / "data" / RECOVERY_NAME).read_text(encoding="utf-8"))
    assert saved["experiment"]["steps"] == 1234 and saved["pid"] == child.pid

    window = _open(qtbot, windows, Settings(tmp_path / "config", tmp_path / "data"))
    qtbot.waitUntil(lambda: _recovery_box(window) is not None)
    assert window.state.steps != 1234  # nothing restored unasked
    assert "did not close properly" in _recovery_box(window).text()
    _recovery_box(window).button(QMessageBox.StandardButton.Ok).click()
    assert window.state.steps == 1234
    assert window.isWindowModified()


def test_discarding_forgets_the_recovery_and_a_clean_exit_leaves_none(qtbot, windows, tmp_path):
    data = tmp_path / "data"
    experiment = SessionState.default().to_dict()
    data.mkdir()
    (data / RECOVERY_NAME).write_text(json.dumps(
        {"pid": 2**22 + 12345, "saved_at": 0, "experiment": {**experiment, "steps": 77}}))
    settings = Settings(tmp_path / "config", data)
    window = _open(qtbot, windows, settings)
    qtbot.waitUntil(lambda: _recovery_box(window) is not None)
    _recovery_box(window).button(QMessageBox.StandardButton.Discard).click()
    assert not (data / RECOVERY_NAME).exists() and window.state.steps != 77
    window.autosave._timer.setInterval(10)
    window.set_steps(321)
    qtbot.waitUntil(lambda: (data / RECOVERY_NAME).exists())
    assert json.loads((data / RECOVERY_NAME).read_text())["experiment"]["steps"] == 321
    window.close()
    assert not (data / RECOVERY_NAME).exists()  # a clean exit: nothing to offer next time
    assert [p.name for p in data.iterdir() if p.name.endswith(".tmp")] == []


def test_a_recovery_of_a_window_still_running_is_not_offered(tmp_path):
    (tmp_path / RECOVERY_NAME).write_text(json.dumps(
        {"pid": os.getppid(), "saved_at": 1.0, "experiment": {"steps": 5}}))
    assert pending_recovery(tmp_path) is None  # another window of a live process
    for record in ("{", "[]", '{"experiment": 3}'):
        (tmp_path / RECOVERY_NAME).write_text(record)
        assert pending_recovery(tmp_path) is None
    (tmp_path / RECOVERY_NAME).write_text(json.dumps(
        {"pid": os.getpid(), "saved_at": 1.0, "experiment": {"steps": 5}}))
    assert pending_recovery(tmp_path).experiment == {"steps": 5}


def test_autosave_waits_for_quiet_and_writes_atomically(qtbot, tmp_path, monkeypatch):
    writes: list[dict] = []
    saver = Autosave(tmp_path, lambda: {"steps": len(writes)}, delay_ms=50)
    real_replace = os.replace

    def replace(src, dst):
        writes.append(json.loads(Path(src).read_text()))  # complete before it is moved
        real_replace(src, dst)

    monkeypatch.setattr("optim_core.files.os.replace", replace)
    for _ in range(5):
        saver.changed()
    qtbot.waitUntil(lambda: (tmp_path / RECOVERY_NAME).exists())
    qtbot.wait(100)
    assert len(writes) == 1  # five quick edits, one save
    saver.finish()
    assert list(tmp_path.iterdir()) == []
