"""The curvature panel in the window: Hessians computed in the engine thread while the panel is
shown, the selected run's facts, each run's lr read against its limit, the axes on the landscape."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QThread

from optim_core import curvature_path

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

QUADRATIC = {"problem": {"name": "quadratic", "condition": 20, "angle": 30}, "steps": 40,
             "runs": [{"optimizer": "SGD", "lr": 0.098}, {"optimizer": "SGD", "lr": 0.102},
                      {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9},
                      {"optimizer": "Adam", "lr": 0.3}]}


def _path_of(window, steps: int):
    return window.curvature._path is not None and window.curvature._path.step == steps


def test_the_engine_computes_the_curvature_only_while_the_panel_is_shown(
        qtbot, make_window, monkeypatch) -> None:
    threads: list[QThread] = []
    original = curvature_path.CurvatureTrack.update

    def update(self, snapshot):
        threads.append(QThread.currentThread())
        return original(self, snapshot)

    monkeypatch.setattr(curvature_path.CurvatureTrack, "update", update)
    window = make_window(QUADRATIC)
    window.engine.step_once()
    qtbot.wait(200)
    assert threads == []  # hidden behind another tab: nothing computed
    window.curvature_dock.raise_()
    qtbot.waitUntil(lambda: window.curvature._path is not None, timeout=5000)
    assert threads and all(t is not QThread.currentThread() for t in threads)


def test_facts_limits_and_path_of_the_selected_run(qtbot, make_window) -> None:
    window = make_window(QUADRATIC)
    window.curvature_dock.raise_()
    window.engine.play()
    qtbot.waitUntil(lambda: _path_of(window, 40), timeout=10_000)
    path = window.curvature._path
    np.testing.assert_allclose(path.eigenvalues[:, 0], [[1.0, 20.0]] * 41, rtol=1e-9)
    text = " ".join(window.curvature_panel.facts_text().split())
    assert "κ = λ_max/λ_min = 20" in text
    rows = text.split("● ")[2:]
    assert rows[0].strip() == "SGD lr=0.098 0.098 0.1 (2/λ_max) stable"
    assert "unstable along λ_max" in rows[1]  # lr = 0.102 > 2/20
    assert "0.19 (2(1+β)/λ_max) stable" in rows[2]
    assert "adaptive: no fixed limit" in rows[3]
    assert window.curvature_panel.limit_line() == pytest.approx(2 / 0.098)
    x, y = window.curvature.axes.segments()[1]  # λ_max's axis through the current point
    point = path.current.points[0]
    np.testing.assert_allclose([x.mean(), y.mean()], point, atol=1e-9)
    window.controls.runs.select_row(2)
    window.controls.runs.run_selected.emit(2)
    assert window.curvature_panel.limit_line() == pytest.approx(2 * 1.9 / 0.05)
