"""Start-up felt: a window is painted before the engine (torch) and the lab's window load, and
the main window's own import path loads no engine (torch loads behind it, in the engine thread;
``tests/app/test_engine_loading.py`` checks the window while it does)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPLASH_FIRST = """
import sys
from PySide6.QtWidgets import QApplication
import main
app = QApplication([])
splash = main._starting(app)
assert splash.isVisible(), "no starting window"
assert "loading" in splash.message()
loaded = sorted(name for name in ("torch", "app", "optim_core", "pyqtgraph") if name in sys.modules)
assert not loaded, f"imported before the starting window: {loaded}"
print("ok")
"""


def run_fresh(code: str) -> None:
    """Run ``code`` in a fresh interpreter (offscreen); it must print "ok"."""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          encoding="utf-8", timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                               "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_a_window_is_painted_before_torch_loads():
    run_fresh(SPLASH_FIRST)


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
