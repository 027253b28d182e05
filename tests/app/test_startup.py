"""Start-up felt: a window is painted before the engine (torch) and the lab's window load."""

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


def test_a_window_is_painted_before_torch_loads():
    done = subprocess.run([sys.executable, "-c", SPLASH_FIRST], cwd=ROOT, capture_output=True,
                          encoding="utf-8", timeout=120,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                               "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
