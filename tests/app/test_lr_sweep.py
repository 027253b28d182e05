"""The lr sweep window: a sweep fills the view; Cancel leaves it usable; closing stops it."""

import numpy as np
import pytest
from app_helpers import shown_lab

from app.lr_sweep import LrSweepWindow
from optim_core.problems import make_problem
from optim_core.sweep import lr_sweep
from widgets.lr_sweep import curve_data

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def window(qtbot):
    yield from shown_lab(qtbot, LrSweepWindow)


def sweep(qtbot, win) -> None:
    win.start_sweep()
    qtbot.waitUntil(lambda: not win.busy, timeout=60_000)


def test_defaults(window):
    assert window.problem_combo.currentData() == "rosenbrock"
    assert window.problem_combo.count() == len(set(
        window.problem_combo.itemData(i) for i in range(window.problem_combo.count())))
    assert window.optimizers() == ("SGD", "Adam", "AdamW")
    assert not window.optimizer_boxes["RMSprop"].isChecked()
    assert not window.optimizer_boxes["Adagrad"].isChecked()
    job = window.job()
    assert len(job.lrs) == 13 and job.lrs[0] == pytest.approx(1e-5) and job.steps == 300


def test_a_sweep_fills_the_view_with_the_engines_numbers(qtbot, window):
    window.problem_combo.setCurrentIndex(window.problem_combo.findData("quadratic"))
    window.lr_from.setValue(1e-3)
    window.lr_to.setValue(1.0)
    window.count_spin.setValue(4)
    window.steps_spin.setValue(100)
    window.optimizer_boxes["RMSprop"].setChecked(True)
    sweep(qtbot, window)
    assert window.last_status.startswith("Done: 16 runs")
    assert window.progress.value() == window.progress.maximum()
    expected = lr_sweep(make_problem("quadratic"), ["SGD", "Adam", "AdamW", "RMSprop"],
                        np.geomspace(1e-3, 1, 4), steps=100)
    view = window.view
    assert view.optimizers == ("SGD", "Adam", "AdamW", "RMSprop")
    for o in range(4):
        x, y = curve_data(view.curves[o])
        np.testing.assert_allclose(x, expected.lrs)
        np.testing.assert_array_equal(y, expected.final_loss[o])  # f_min is 0
        bx, by = curve_data(view.best[o])
        assert (bx[0], by[0]) == expected.best[o]
    dx, dy = curve_data(view.diverged[0])
    np.testing.assert_allclose(dx, [1.0])  # SGD beyond 2/κ
    assert dy[0] > np.nanmax(expected.final_loss)
    caption = view.caption_text()
    assert "within 10× of the best loss: SGD " in caption
    for name in ("Adam", "AdamW", "RMSprop"):
        assert f", {name} " in caption


def test_cancel_leaves_the_window_usable(qtbot, window):
    window.steps_spin.setValue(100_000)
    window.count_spin.setValue(61)
    window.start_sweep()
    assert window.busy and window.cancel_button.isEnabled()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=20_000)
    assert window.last_status.startswith("Cancelled")
    assert window.run_button.isEnabled() and not window.cancel_button.isEnabled()
    window.steps_spin.setValue(50)
    window.count_spin.setValue(3)
    sweep(qtbot, window)
    assert window.last_status.startswith("Done: 9 runs")


def test_no_optimizer_is_an_error_not_a_run(window):
    for box in window.optimizer_boxes.values():
        box.setChecked(False)
    window.start_sweep()
    assert not window.busy
    assert window.last_status.startswith("error: optimizers")


def test_closing_stops_the_thread(qtbot, window):
    window.steps_spin.setValue(100_000)
    window.start_sweep()
    thread = window.thread_
    window.close()
    assert thread.wait(2000) and not hasattr(window, "worker")


def test_the_verdict_judges_by_the_start_and_its_bracket_is_no_data(qtbot, window):
    # the default sweep: Rosenbrock, 1e-5 … 1, 300 steps
    sweep(qtbot, window)
    view, result = window.view, window.result
    caption = view.caption_text()
    assert "SGD n/a (best 4.43 at lr 0.0012, only 2.8× below the start)" in caption
    assert "Adam ≥ 0.0 (best 0.00853 at lr 1, the grid's edge: widen it)" in caption
    assert view.start_line.isVisible()
    assert 10 ** view.start_line.value() == pytest.approx(result.start_loss)
    sgd, adamw = result.optimizers.index("SGD"), result.optimizers.index("AdamW")
    assert curve_data(view.bands[sgd])[0].size == 0
    _, by = curve_data(view.bands[adamw])
    assert by[1] == by[2] and by[0] < by[1]  # a bracket: its ends drop below its level
    pen = view.bands[adamw].opts["pen"]
    assert pen.style() != pen.style().SolidLine and view.bands[adamw].opts["symbol"] is None
