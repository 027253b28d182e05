"""The batch-size lab window: each tab's estimate fills its plots; Cancel leaves it usable."""

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore

from app.batch_lab import BatchLabWindow, parse_sizes
from optim_core.errors import ConfigError

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def window(qtbot):
    win = BatchLabWindow()
    win.show()
    qtbot.waitUntil(lambda: win.busy is None, timeout=20_000)
    yield win
    if hasattr(win, "worker"):
        win.close()


def estimate(qtbot, win, tab: int) -> None:
    win.tabs.setCurrentIndex(tab)
    win.start_estimate()
    qtbot.waitUntil(lambda: win.busy is None, timeout=60_000)


def test_loads_the_problem_and_its_start(window):
    assert window.problem_combo.currentData() in ("linear_regression", "mean_quadratic")
    assert window.problem_combo.currentText() in ("Linear regression", "Mean of quadratics")
    assert window.info is not None
    assert window.point() == tuple(window.info.default_start)


def test_sampling_tab_shows_the_slide_distribution(qtbot, window):
    window.draws_spin.setValue(500)
    estimate(qtbot, window, 0)
    view = window.sampling_view
    for hist in view.hists:
        x, y = hist.getOriginalDataset()
        assert np.sum(y * np.diff(x)) == pytest.approx(1.0)  # a density
    assert "mean 2.5" in view.title_text()
    window.source_combo.setCurrentIndex(1)
    estimate(qtbot, window, 0)
    assert "Minibatch gradients g₁" in view.title_text()


def test_noise_tab_plots_the_curve(qtbot, window):
    window.problem_combo.setCurrentIndex(window.problem_combo.findData("mean_quadratic"))
    qtbot.waitUntil(lambda: window.busy is None, timeout=20_000)
    window.draws_spin.setValue(500)
    estimate(qtbot, window, 1)
    view = window.noise_view
    for j in range(2):
        x, y = view.measured[j].getOriginalDataset()
        assert x.tolist() == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]  # N = M: error 0, off-axis
        ex, ey = view.exact[j].getOriginalDataset()
        assert ex[0] == 1 and np.all(np.diff(ey) < 0)
        assert np.all(np.abs(y / np.interp(x, ex, ey) - 1) < 0.25)
    tx, ty = view.timing.getOriginalDataset()
    assert len(tx) == 11 and np.all(ty > 0)
    assert "Done" in window.last_status


def test_iterations_tab_runs_each_batch_size(qtbot, window):
    window.steps_spin.setValue(40)
    estimate(qtbot, window, 2)
    curves = window.iterations_view.curves
    assert len(curves) == 4
    m = window.info.n_samples
    last = [c[1].curve.getOriginalDataset()[0][-1] for c in curves]
    assert last == [40 * 1, 40 * 8, 40 * 64, 40 * m]


def test_cancel_mid_estimate_leaves_the_window_usable(qtbot, window):
    window.draws_spin.setValue(200_000)
    window.tabs.setCurrentIndex(1)
    window.start_estimate()
    assert window.cancel_button.isEnabled()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: window.busy is None, timeout=30_000)
    assert window.last_status.startswith("Cancelled")
    assert window.estimate_button.isEnabled() and not window.cancel_button.isEnabled()
    window.draws_spin.setValue(200)
    estimate(qtbot, window, 1)
    assert window.last_status.startswith("Done")


def test_close_while_running_stops_the_thread(qtbot):
    win = BatchLabWindow()
    qtbot.waitUntil(lambda: win.busy is None, timeout=20_000)
    thread = win.thread_
    win.draws_spin.setValue(200_000)
    win.tabs.setCurrentIndex(1)
    win.start_estimate()
    win.close()
    assert thread.isFinished()


def test_parse_sizes():
    assert parse_sizes("1, 8,64 , M") == [1, 8, 64, None]
    with pytest.raises(ConfigError):
        parse_sizes("0, 2")


def test_before_estimate_no_tab_shows_empty_plots(window):
    for view in (window.sampling_view, window.noise_view, window.iterations_view):
        plots = [item for item in view.view.ci.items if isinstance(item, pg.PlotItem)]
        assert plots and not any(plot.isVisible() for plot in plots)
        assert "Press Estimate" in view.title_text()


def test_estimate_fills_every_tab_whichever_is_shown(qtbot, window):
    window.draws_spin.setValue(300)
    window.steps_spin.setValue(20)
    estimate(qtbot, window, 0)  # from the Sampling tab
    assert window.last_status == "Done: all three tabs are filled."
    assert window.progress.value() == window.progress.maximum()
    assert window.noise_view.measured[0].getOriginalDataset()[0] is not None
    assert window.noise_view.error_plot.isVisible()
    assert len(window.iterations_view.curves) == 4 and window.iterations_view.iter_plot.isVisible()
    assert "Averages of N samples" in window.sampling_view.title_text()
    window.x_spin.setValue(window.x_spin.value() + 1)  # the plots no longer match the controls
    assert window.last_status.startswith("Settings changed")


def test_the_slide_distribution_s_bins_are_centred_on_the_values_an_average_takes(qtbot,
                                                                                   window):
    window.draws_spin.setValue(300)
    window.steps_spin.setValue(10)
    estimate(qtbot, window, 0)
    for n, hist in zip((1, 4, 16, 64), window.sampling_view.hists, strict=True):
        edges, _ = hist.getOriginalDataset()
        centres = (edges[:-1] + edges[1:]) / 2
        np.testing.assert_allclose(np.diff(edges), np.diff(edges)[0])
        # averages of N draws from {1, 2, 3} are multiples of 1/N, each inside a bin
        assert np.allclose(np.round(edges * n - 0.5), edges * n - 0.5)
        assert np.all(np.diff(centres) > 0)


def test_escape_closes_the_lab(qtbot):
    win = BatchLabWindow()
    win.show()
    qtbot.waitUntil(lambda: win.busy is None, timeout=20_000)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow)
    qtbot.keyClick(win, QtCore.Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not win.isVisible(), timeout=2000)
