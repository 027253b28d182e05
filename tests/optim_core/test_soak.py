"""The memory soak of issue 11 as a test: slow (≈ 10–20 min), so it runs only when asked.

``OPTIMIZER_LAB_SOAK=1 .venv/bin/python -m pytest -m slow tests/optim_core/test_soak.py`` runs
8 runs × 2,000,000 Adam steps through run_experiment and writes .npz, .json and .csv, each phase
within 600 MB of RSS growth (bench/soak_memory.py prints the figures).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("OPTIMIZER_LAB_SOAK") != "1" or
                       not Path("/proc/self/clear_refs").exists(),
                       reason="the soak takes minutes: set OPTIMIZER_LAB_SOAK=1 (Linux only)"),
]


def test_a_long_run_and_its_writes_stay_within_600_mb(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "soak_memory.py"),
                           "--out-dir", str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=3600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "within the limit" in done.stdout
