"""The 3D view: a sentence instead of a crash where OpenGL is missing (Qt's offscreen platform),
paths lifted onto the surface, and — where a GL context can be had (Xvfb with Mesa) — a drawn
surface with the runs on it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtGui

from widgets.surface_view import SurfaceView, opengl_unavailable

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def landscape(view: SurfaceView) -> None:
    x = np.linspace(-2, 2, 41)
    y = np.linspace(-1, 3, 41)
    xx, yy = np.meshgrid(x, y)
    z = (1 - xx) ** 2 + 100 * (yy - xx**2) ** 2  # z[j, i] = f(x[i], y[j])
    view.set_landscape(x, y, z, log_scale=True, minima=[(1.0, 1.0)])


@pytest.fixture
def view(qtbot):
    widget = SurfaceView()
    widget.resize(480, 360)
    qtbot.addWidget(widget)
    return widget


def test_offscreen_says_why_instead_of_failing(qtbot, view):
    if QtGui.QGuiApplication.platformName() != "offscreen":
        pytest.skip("checks Qt's offscreen platform")
    landscape(view)
    view.set_runs(["a"], ["#d95f02"])
    view.set_trajectories([np.array([[-1.5, 2.0], [-1.0, 1.0], [np.nan, np.nan]])])
    view.show()
    qtbot.waitExposed(view)
    assert view.gl is None
    assert view.message.isVisible()
    assert view.message.text().startswith("The 3D view needs OpenGL, which Qt's “offscreen”")
    assert opengl_unavailable() == view.reason


def test_paths_are_lifted_onto_the_surface(view):
    x = np.linspace(0, 4, 5)
    y = np.linspace(0, 2, 3)
    plane = np.add.outer(2 * y, x)  # z[j, i] = x[i] + 2 y[j]: bilinear reproduces it
    view.set_landscape(x, y, plane, log_scale=False)
    h = view._grid[2]
    scale = h.max() / np.percentile(plane, 99)  # the top 1 % is flattened
    points = np.array([[0.0, 0.0], [1.5, 0.5], [3.0, 1.0], [2.2, 0.7], [-9.0, -3.0]])
    expected = np.clip(points[:, 0], 0, 4) + 2 * np.clip(points[:, 1], 0, 2)
    np.testing.assert_allclose(view.heights(points), expected * scale, rtol=1e-9)


def test_a_gl_context_draws_the_surface_and_the_runs(qtbot, view):
    reason = opengl_unavailable()
    if reason is not None:
        pytest.skip(reason)
    landscape(view)
    view.set_runs(["a", "b"], ["#d95f02", "#1b9e77"])
    view.set_trajectories([np.array([[-1.5, 2.0], [-1.0, 1.0], [0.5, 0.25]]),
                           np.array([[1.5, 2.5], [1.2, 1.5]])])
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.gl is not None and view.gl.isValid())
    assert not view.message.isVisible()
    image = view.gl.grabFramebuffer()
    pixels = np.array([[image.pixelColor(i, j).getRgb()[:3]
                        for i in range(0, image.width(), 3)]
                       for j in range(0, image.height(), 3)])
    background = np.all(pixels == 255, axis=-1)
    assert 0.1 < 1 - background.mean() < 0.95  # a surface, not an empty or a full frame
    orange = (np.abs(pixels - [0xD9, 0x5F, 0x02]).max(axis=-1) < 40).sum()
    assert orange > 0  # the first run's path or point
    assert len(view._lines) == 2


def test_under_xvfb_a_gl_context_draws():
    """Runs the test above in a real X server with Mesa's OpenGL (what CI has: .ci/setup
    installs Xvfb), so it is not only ever skipped under the offscreen platform."""
    if os.environ.get("QT_QPA_PLATFORM") == "xcb":
        pytest.skip("already under a display: the test above ran here")
    if shutil.which("xvfb-run") is None:
        pytest.skip("xvfb-run is not installed (bash .ci/setup installs it as root)")
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "LIBGL_ALWAYS_SOFTWARE": "1"}
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", sys.executable, "-m", "pytest",
         __file__, "-k", "a_gl_context_draws_the_surface", "-p", "no:cacheprovider", "-rs"],
        env=env, capture_output=True, text=True, timeout=240,
        cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout and "skipped" not in result.stdout
