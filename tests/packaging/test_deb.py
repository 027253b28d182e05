"""The Linux installer, end to end: build the .deb, install it, self-test it, remove it.

packaging/smoke_test.sh does the work (it reuses the last .deb when its inputs are unchanged);
this test runs it where it can: as root on Debian. Deselect it with ``-m "not packaging"``.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.packaging,
    pytest.mark.skipif(shutil.which("dpkg-deb") is None or shutil.which("dpkg") is None,
                       reason="needs dpkg and dpkg-deb (a Debian or Ubuntu machine)"),
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="installs a .deb with dpkg -i, so it must run as root"),
]


def test_deb_installs_self_tests_and_removes_cleanly():
    result = subprocess.run(["bash", str(ROOT / "packaging" / "smoke_test.sh")], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "self-test passed" in result.stdout.lower(), result.stdout[-4000:]
