"""``--self-test``: the real window, offscreen, runs short experiments through the worker thread.

It checks that the engine thread steps, that every panel receives data (the landscape its grid
and paths, the loss and effective-learning-rate panels their curves, the gradient-noise panel its
minibatch draws on a finite-sum problem, or its explanation on a deterministic one) and that the
engine thread stops when the window closes. Then :mod:`app.self_test_paths` proves the paths that
need data and programs inside libraries (the digits data set, your own function, GIF and MP4
writing, the 3D view's OpenGL modules). Exit status 0 means all held; otherwise each failure
is printed. Meant for installers and packagers: it needs no display and writes no user settings.
"""

from __future__ import annotations

import time

from PySide6.QtWidgets import QApplication

from app.main_window import MainWindow
from app.scripted import play_to_end
from app.self_test_paths import timed_engine_paths
from optim_core.problems import PROBLEMS

STEPS = 60
FINITE_SUM_STEPS = 20


def run_self_test(window: MainWindow) -> list[str]:
    """Run the checks on ``window`` (which this closes); returns the failures (empty: all good)."""
    failures: list[str] = []
    window.show()
    started = time.perf_counter()
    if not play_to_end(window, STEPS, timeout=60):
        failures.append(f"the default experiment did not reach step {STEPS} within 60 s")
    failures += _check_panels(window, ("grid", "landscape", "loss", "adaptive"))
    if window.noise.message() is None and not window.state.is_finite_sum:
        failures.append("the gradient-noise panel neither explains nor shows noise")
    finite_sum = [name for name, cls in PROBLEMS.items() if cls.is_finite_sum]
    if finite_sum:
        window.noise_dock.raise_()
        combo = window.controls.problem.combo()
        combo.setCurrentIndex(combo.findData(finite_sum[0]))  # as a user picks it
        window.feed.points.clear()
        if not play_to_end(window, FINITE_SUM_STEPS, timeout=60):
            failures.append(f"{finite_sum[0]} did not reach step {FINITE_SUM_STEPS} within 60 s")
        failures += _check_panels(window, ("grid", "landscape", "loss", "noise"))
        # the effective-lr panel shares the noise panel's tab group: a hidden tab is not drawn
        window.adaptive_dock.raise_()
        QApplication.processEvents()
        window.feed.draw_all()
        failures += _check_panels(window, ("adaptive",))
    window.close()
    if window.engine.is_running():
        failures.append("the engine thread was still running after the window closed")
    path_failures, path_seconds = timed_engine_paths()
    failures += path_failures
    if not failures:
        print(f"self-test passed in {time.perf_counter() - started:.1f} s: the worker stepped "
              f"{window.state.problem['name']} and every panel received data; digits network, "
              f"custom function, GIF + MP4 and OpenGL modules checked in {path_seconds:.1f} s")
    return failures


def _check_panels(window: MainWindow, names: tuple[str, ...]) -> list[str]:
    points = window.feed.points
    return [f"the {name} panel received no data" for name in names if not points.get(name)]
