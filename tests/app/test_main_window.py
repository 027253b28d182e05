"""The main window as a user meets it: it opens, plays, pauses, steps, takes a click as the start,
refuses bad input without losing anything, marks a diverged run, and closes cleanly mid-run.

Everything runs through the real engine thread, offscreen; Qt warnings fail a test.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pyqtgraph as pg
import pytest
from app_helpers import FINITE_SUM, SIZE_HINTS, current, plotted_points
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QSlider, QWidget

from app import MainWindow, SessionState
from widgets.log_slider import NumberEdit

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)
# QTest says so when pyqtgraph's scene turns a press into its own click event; harmless
IGNORE_UNACCEPTED = pytest.mark.qt_log_ignore(SIZE_HINTS, r'Mouse event "Mouse\w+" not accepted')
DIVERGING = {
    "problem": "rosenbrock",
    "steps": 60,
    "runs": [{"optimizer": "SGD", "lr": 0.001}, {"optimizer": "SGD", "lr": 0.05},
             {"optimizer": "Adam", "lr": 0.05}],
}


def step_of(window: MainWindow) -> int:
    progress = current(window)
    return -1 if progress is None else progress.snapshot.step


def finished(window: MainWindow) -> bool:
    progress = current(window)
    return (progress is not None and not progress.playing
            and progress.snapshot.step >= progress.target_steps)


def press(window: MainWindow, key: Qt.Key, qtbot) -> None:
    """A key as the user presses it, with the window active (shortcuts are window-wide)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, key)


def test_the_window_opens_on_a_default_experiment_ready_to_play(make_window):
    window = make_window()
    assert "Optimizer Lab" in window.windowTitle()
    assert window.state.problem["name"] == "rosenbrock"
    assert [run.display_label for run in window.state.runs] == [
        "SGD lr=0.001", "SGD+momentum lr=0.001", "Adam lr=0.05"]
    assert step_of(window) == 0 and not window.controls.playback.is_playing()
    assert plotted_points(window.landscape, images=True) > 100 * 100  # the surface is drawn
    assert "deterministic" in window.noise.message()  # said plainly, not an empty plot
    assert "Space" in window.controls.playback.play_button.toolTip()


def test_play_advances_and_all_four_panels_hold_data(make_window, qtbot):
    window = make_window(FINITE_SUM)
    press(window, Qt.Key.Key_Space, qtbot)
    qtbot.waitUntil(lambda: finished(window), timeout=10_000)
    assert step_of(window) == FINITE_SUM["steps"]
    qtbot.waitUntil(lambda: plotted_points(window.landscape) > 3 * FINITE_SUM["steps"])
    qtbot.waitUntil(lambda: plotted_points(window.loss) > 3 * FINITE_SUM["steps"])
    window.adaptive_dock.raise_()  # panels behind a tab are drawn when they come to the front
    qtbot.waitUntil(lambda: plotted_points(window.adaptive) > 3 * FINITE_SUM["steps"])
    window.noise_dock.raise_()
    qtbot.waitUntil(lambda: window.noise.message() is None and plotted_points(window.noise) > 0)
    assert window.feed.points["noise"] >= 100  # minibatch draws at the selected run's point


def test_batch_size_changes_redraw_the_noise_live(make_window, qtbot):
    window = make_window(FINITE_SUM)
    window.noise_dock.raise_()
    qtbot.waitUntil(lambda: "noise" in window.feed.points)
    errors: dict[int, float] = {}
    window.engine.noise.connect(
        lambda _g, draws: errors.__setitem__(draws.batch_size, draws.std_error[0]))
    window.controls.playback.batch_size_changed.emit(128)  # what the bar sends for "128"
    qtbot.waitUntil(lambda: 128 in errors)
    window.controls.playback.batch_size_changed.emit(8)
    qtbot.waitUntil(lambda: 8 in errors)
    # 16× the batch: a quarter of the spread (a little less: the finite-population correction)
    assert errors[128] == pytest.approx(errors[8] / 4, rel=0.1)
    assert step_of(window) == 0 and window.state.batch_size == 8  # no restart, nothing lost


def test_pause_stops_the_runs(make_window, qtbot):
    window = make_window({**FINITE_SUM, "steps": 100_000}, speed=200.0)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: step_of(window) > 5)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: not current(window).playing)
    paused_at = step_of(window)
    qtbot.wait(300)
    assert step_of(window) == paused_at
    assert window.rate_label.text() == "paused"


def test_step_advances_exactly_one(make_window, qtbot):
    window = make_window()
    press(window, Qt.Key.Key_Right, qtbot)
    qtbot.waitUntil(lambda: step_of(window) == 1)
    window.controls.playback.step_button.click()
    qtbot.waitUntil(lambda: step_of(window) == 2)
    qtbot.wait(100)
    snapshot = current(window).snapshot
    assert snapshot.step == 2 and list(snapshot.steps) == [0, 1, 2]
    press(window, Qt.Key.Key_R, qtbot)  # reset
    qtbot.waitUntil(lambda: step_of(window) == 0)


def test_a_focused_slider_takes_the_arrow_keys_not_the_step_shortcut(make_window, qtbot):
    """→ steps the runs, except on a focused slider (the lr or speed slider), which it moves,
    as ← does."""
    window = make_window(speed=100.0)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    lr = window.controls.run_editor.field("lr").findChild(QSlider)
    for slider in (lr, window.controls.playback.speed):
        slider.setFocus()
        qtbot.waitUntil(slider.hasFocus)
        before = slider.value()
        qtbot.keyClick(slider, Qt.Key.Key_Right)
        assert slider.value() == before + 1
    assert window.state.runs[0].hyperparameters["lr"] == 0.0011  # 1/20 decade up
    assert window.state.speed == 200.0
    qtbot.wait(200)
    assert step_of(window) == 0
    window.controls.runs.table().setFocus()  # elsewhere → is Step
    qtbot.keyClick(window.controls.runs.table(), Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: step_of(window) == 1)


@IGNORE_UNACCEPTED
def test_a_click_on_the_landscape_restarts_every_run_there(make_window, qtbot):
    window = make_window()
    window.controls.playback.step_button.click()
    qtbot.waitUntil(lambda: step_of(window) == 1)
    view = window.landscape.findChild(pg.GraphicsLayoutWidget)
    plot = next(item for item in view.scene().items()
                if type(item) is pg.PlotItem)  # the landscape, not its colour bar
    target = (0.5, 1.5)
    scene = plot.getViewBox().mapViewToScene(QPointF(*target))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(scene))
    qtbot.waitUntil(lambda: step_of(window) == 0 and window.state.starts is not None)
    (x, y), = window.state.starts
    assert (x, y) == pytest.approx(target, abs=0.05)
    start = current(window).snapshot.position[0]
    np.testing.assert_allclose(start, np.tile([x, y], (3, 1)))
    assert "starts at" in window.statusBar().currentMessage()


def test_an_invalid_hyperparameter_is_refused_at_the_field_and_nothing_is_lost(make_window,
                                                                               qtbot):
    window = make_window()
    for _ in range(3):
        window.controls.playback.step_button.click()
    qtbot.waitUntil(lambda: step_of(window) == 3)
    lr = window.controls.run_editor.field("lr").findChild(NumberEdit)
    lr.selectAll()
    qtbot.keyClicks(lr, "-1")
    qtbot.keyClick(lr, Qt.Key.Key_Return)
    assert lr.isInvalid() and "lr" in lr.toolTip()
    assert "not allowed" in window.statusBar().currentMessage()
    assert window.state.runs[0].hyperparameters["lr"] == 0.001
    # a combination torch.optim refuses: Nesterov without momentum
    window.controls.run_editor.value_changed.emit("nesterov", True)
    assert "Nesterov" in window.statusBar().currentMessage()
    assert window.state.runs[0].hyperparameters["nesterov"] is False
    # a valid edit applies mid-run, keeping the history
    lr.selectAll()
    qtbot.keyClicks(lr, "0.002")
    qtbot.keyClick(lr, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: current(window).snapshot.hyperparameters[0]["lr"] == 0.002)
    assert step_of(window) == 3
    window.controls.playback.step_button.click()
    qtbot.waitUntil(lambda: step_of(window) == 4)
    assert window.state.runs[0].display_label == "SGD lr=0.002"


def test_a_diverging_run_is_marked_and_the_others_go_on(make_window, qtbot):
    window = make_window(DIVERGING)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: finished(window), timeout=10_000)
    snapshot = current(window).snapshot
    assert snapshot.status == ("ok", "diverged", "ok")
    assert snapshot.step == DIVERGING["steps"]
    assert np.isfinite(snapshot.current_position[[0, 2]]).all()
    status = window.controls.runs.rows()[1]["status"]
    assert status.startswith("diverged at step")
    assert f"SGD lr=0.05: {status}" in window.runs_label.text()


def test_an_experiment_round_trips_through_a_file_and_a_bad_file_changes_nothing(
        make_window, qtbot, tmp_path):
    window = make_window(FINITE_SUM)
    path = tmp_path / "race.json"
    assert window.save_to(path)
    assert SessionState.from_dict(json.loads(path.read_text())).to_dict() == \
        window.state.to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**FINITE_SUM, "runs": [{"optimizer": "SGD", "lr": -1}]}))
    before = window.state.to_dict()
    assert not window.open_experiment(bad)
    assert "runs[0].lr" in window.statusBar().currentMessage()
    assert window.state.to_dict() == before
    assert window.open_experiment(path)
    assert str(path.resolve()) in window.settings.recent_files()


@pytest.mark.parametrize("content", [
    b"\xff\xfe\x00 not text",  # not UTF-8
    json.dumps({"problem": "quadratic", "runs": [{"optimizer": ["SGD"]}]}).encode(),
    b"[" * 100_000,  # nested beyond the parser's recursion limit
])
def test_a_file_the_parser_trips_over_is_refused_and_nothing_is_lost(make_window, qtbot,
                                                                      tmp_path, content):
    window = make_window(FINITE_SUM)
    path = tmp_path / "foreign.json"
    path.write_bytes(content)
    before = window.state.to_dict()
    assert not window.open_experiment(path)
    assert "foreign.json" in window.statusBar().currentMessage()
    assert window.state.to_dict() == before


def test_a_file_with_a_large_seed_and_many_steps_is_shown_as_it_is(make_window, tmp_path):
    """Both within the file's limits, beyond a 32-bit spin box (the seed raised OverflowError
    half-way through opening; autosaved, it stopped the app from starting)."""
    window = make_window()
    path = tmp_path / "big.json"
    path.write_text(json.dumps({**FINITE_SUM, "seed": 3_000_000_000, "steps": 2_000_000}))
    assert window.open_experiment(path)
    bar = window.controls.playback
    assert (window.state.seed, window.state.steps) == (3_000_000_000, 2_000_000)
    assert (bar.seed.value(), bar.steps.value()) == (3_000_000_000, 2_000_000)


def test_panels_trajectories_and_the_script_export(make_window, qtbot, tmp_path):
    window = make_window(FINITE_SUM)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: finished(window), timeout=10_000)
    for name in ("landscape.png", "loss.svg"):
        panel = window.landscape if name.startswith("landscape") else window.loss
        assert window.export_panel(panel, tmp_path / name)
        assert (tmp_path / name).stat().st_size > 1000
    assert window.export_trajectories(tmp_path / "paths.csv")
    lines = (tmp_path / "paths.csv").read_text().splitlines()
    assert lines[0].startswith("run,label,optimizer,step,x,y,loss")
    assert len(lines) == 1 + 3 * (FINITE_SUM["steps"] + 1)
    assert window.export_script(tmp_path / "train.py")
    compile((tmp_path / "train.py").read_text(), "train.py", "exec")


def test_the_window_and_the_experiment_come_back_next_time(make_window, qtbot, settings):
    window = make_window(FINITE_SUM)
    window.resize(720, 520)  # within the offscreen screen, which restoreGeometry respects
    window.close()
    again = MainWindow(settings=settings)
    try:
        assert again.state.to_dict() == window.state.to_dict()
        assert (again.width(), again.height()) == (720, 520)
    finally:
        again.close()
        assert again.engine._thread.wait(1000)


@pytest.mark.parametrize("stored", ["0", "nan", "-5", "inf", "fast"])
def test_a_bad_stored_speed_falls_back_to_the_default_and_play_still_plays(qtbot, settings,
                                                                          stored):
    """A hand-edited settings file: 0 or nan raised in the engine thread at every tick."""
    settings._qsettings.setValue("playback/speed", stored)
    window = MainWindow(settings=settings)  # the speed comes from the settings
    try:
        window.show()
        qtbot.waitUntil(lambda: current(window) is not None)
        assert window.state.speed == 100.0
        window.controls.playback.play_button.click()
        qtbot.waitUntil(lambda: step_of(window) > 0)
    finally:
        window.close()
        assert window.engine._thread.wait(1000)


def test_closing_mid_run_stops_the_engine_within_a_second(make_window, qtbot):
    window = make_window({**FINITE_SUM, "steps": 1_000_000})
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: step_of(window) > 20)
    started = time.perf_counter()
    window.close()
    assert window.engine._thread.wait(1000)
    assert time.perf_counter() - started < 1.0


def test_closing_right_after_picking_a_large_sum_stops_the_engine_within_a_second(make_window):
    """Its landscape takes seconds to sample; the engine gives it up rather than outlive the
    window (Qt aborts the process when a running thread is destroyed)."""
    window = make_window()
    window.controls.problem.problem_changed.emit("sigmoid_fit", {"n_samples": 20_000})
    assert window.state.problem["name"] == "sigmoid_fit"
    started = time.perf_counter()
    window.close()
    stopped = window.engine._thread.wait(1000)
    window.engine._thread.wait()  # never leave it running, whatever the outcome
    assert stopped and time.perf_counter() - started < 1.0


def test_a_plot_survives_hundreds_of_repaints(make_window, qtbot):
    """Guards against PySide6 6.12.0, which crashes Python after a few dozen repaints."""
    window = make_window(FINITE_SUM)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: finished(window), timeout=10_000)
    progress = current(window)
    for _ in range(300):
        window.feed.set_progress(progress)
        window.feed.draw_all()
        window.loss.repaint()
    assert plotted_points(window.loss) > 0


@pytest.mark.qt_log_ignore(SIZE_HINTS, "does not support raise")  # offscreen has no stacking
@pytest.mark.parametrize("title", ["Batch-size lab…", "Learning-rate sweep…"])
def test_a_lab_opens_once_and_closes_with_the_window(make_window, qtbot, title):
    from app.main_window import LAB_WINDOWS

    window = make_window()
    lab_action = next(a for a in QWidget.actions(window) if a.text() == title)
    lab_action.trigger()
    lab_action.trigger()
    labs = [lab for kind in LAB_WINDOWS for lab in window.findChildren(kind)]
    assert len(labs) == 1 and labs[0].isVisible()
    thread = labs[0].thread_
    window.close()
    assert thread.wait(1000), "the lab's worker thread outlived the main window"


def test_a_panel_behind_a_tab_is_not_redrawn_until_it_comes_to_the_front(make_window, qtbot):
    window = make_window(FINITE_SUM)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: finished(window), timeout=10_000)
    window.adaptive.hide()  # as behind the gradient-noise tab it shares a dock group with
    assert not window.adaptive.isVisible()
    feed, before = window.feed, dict(window.feed.frames)
    feed.set_progress(current(window))
    feed.draw_all()
    # (a panel not drawn yet has no count: the frame timer may not have fired since the end)
    assert feed.frames["landscape"] > before.get("landscape", 0)
    assert feed.frames["loss"] > before.get("loss", 0)
    assert feed.frames["adaptive"] == before.get("adaptive", 0)
    window.adaptive.show()
    qtbot.waitUntil(window.adaptive.isVisible)
    feed.draw_all()
    assert feed.frames["adaptive"] == before.get("adaptive", 0) + 1


def test_the_landscape_gets_its_isolines_ready_made_from_the_worker(make_window):
    window = make_window(FINITE_SUM)
    assert len(window.landscape.isoline_levels) > 0
    x, _ = window.landscape._isolines.getData()
    assert x is not None and np.isfinite(x).sum() > 100
