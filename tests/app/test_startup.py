"""Start-up felt: the main window is painted before the engine (torch) loads, and its own import
path loads no engine (torch loads behind it, in the engine thread;
``tests/app/test_engine_loading.py`` checks the window while it does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WINDOW_FIRST = """
import sys, threading, types
from PySide6.QtWidgets import QApplication
qapp = QApplication([])
import app.engine
gate = threading.Event()  # the engine thread's import, held until the window was looked at


def gated_worker():
    gate.wait(60)
    from app.worker import Worker
    return Worker()


module = types.ModuleType("gated_engine")
module.Worker = gated_worker
sys.modules["gated_engine"] = module
app.engine.ENGINE_MODULE = "gated_engine"
from app import MainWindow, Settings
window = MainWindow(None, Settings.ephemeral())
window.show()
for _ in range(20):
    qapp.processEvents()
assert not window.grab().isNull() and window.isVisible()
assert "torch" not in sys.modules, "torch was loaded before the window was painted"
assert window.controls.playback.play_button.isEnabled()
gate.set()
window.close()
print("ok")
"""


def run_fresh(code: str) -> None:
    """Run ``code`` in a fresh interpreter (offscreen); it must print "ok"."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          encoding="utf-8", timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                               "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_the_main_window_is_painted_before_torch_loads():
    run_fresh(WINDOW_FIRST)


# ---------------------------------------------------------------- the window before the engine
LIGHT_WINDOW = """
import sys
import app.main_window
heavy = sorted(name for name in ("torch", "optim_core.experiment", "optim_core.session",
                                 "app.worker", "app.session_state") if name in sys.modules)
assert not heavy, f"the main window's import loads the engine: {heavy}"
print("ok")
"""


def test_the_main_window_imports_without_the_engine():
    run_fresh(LIGHT_WINDOW)
