"""The process ends cleanly: no crash while Python shuts down.

Left to interpreter exit, PySide deletes the window from an atexit hook in which pyqtgraph's
Python overrides can no longer run; that crashed about one exit in three (exit status 139)
before main.py deleted the window itself. Several real processes make a regression likely to
show here, not only in the installer's smoke test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 4


def test_scripted_runs_exit_with_status_zero(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    statuses = []
    for i in range(RUNS):
        out = tmp_path / f"shot{i}.png"
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), "--steps", "20"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )
        statuses.append(result.returncode)
        assert out.stat().st_size > 0
    assert statuses == [0] * RUNS, f"exit statuses {statuses} (139 = crash at exit)"
