"""The network workbench: it opens, trains through its worker thread, feeds every panel, marks bad
input at the field, loads files and lessons, and closes cleanly mid-training."""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyqtgraph as pg
import pytest
import shiboken6
from PySide6.QtCore import QTimer

from app.network_workbench import NetworkWorkbench, lesson_panels

STOP_MS = 2000
TIMEOUT_MS = 60_000
pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              pytest.mark.qt_log_ignore("does not support propagateSizeHints",
                                        "does not support raise")]
SMALL: dict[str, Any] = {
    "network": {"dataset": "moons", "n_samples": 200, "noise": 0.2, "validation": 0.25,
                "model": "mlp", "hidden": [8], "activation": "tanh"},
    "steps": 20, "batch_size": 16, "seed": 0, "dtype": "float32", "device": "cpu",
    "eval_every": 5, "layer_stats_every": 5, "noise_scale_every": 10, "sharpness_every": 10,
    "runs": [{"optimizer": "SGD", "lr": 0.1,
              "schedule": {"name": "CosineAnnealingLR", "T_max": 20}},
             {"optimizer": "AdamW", "lr": 0.02, "weight_decay": 0.1, "clip_norm": 1.0}],
}
#: one lesson in the format of app/network_lessons.py
LESSON = {"key": "test-clip", "title": "Clipping a spiky run", "section": "6. practice",
          "experiment": {**copy.deepcopy(SMALL), "seed": 4},
          "panels": ["curves", "sharpness"], "watch": "the clipped run stays smooth",
          "try": "turn clipping off"}


@pytest.fixture
def make_workbench(qtbot) -> Iterator[Callable[..., NetworkWorkbench]]:
    """``make_workbench(config)``: a shown workbench, loaded, as fast as it goes; closed and its
    thread checked at teardown."""
    windows: list[tuple[NetworkWorkbench, Any]] = []

    def make(config: dict[str, Any] | None = None) -> NetworkWorkbench:
        window = NetworkWorkbench(config=copy.deepcopy(config or SMALL), speed=None)
        windows.append((window, window.engine._thread))
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.loaded is not None and window.snapshot is not None,
                        timeout=TIMEOUT_MS)
        return window

    yield make
    for window, thread in windows:
        if shiboken6.isValid(window):  # a test may have closed (and so deleted) it
            window.close()
        assert thread.wait(STOP_MS), "the network engine outlived its window"


def _train(qtbot, window: NetworkWorkbench, steps: int) -> None:
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.step >= steps,
                    timeout=TIMEOUT_MS)


def test_trains_through_the_worker_and_every_panel_receives_data(qtbot, make_workbench):
    window = make_workbench()
    _train(qtbot, window, SMALL["steps"])
    qtbot.waitUntil(lambda: not window.controls.playback.is_playing(), timeout=TIMEOUT_MS)
    assert window.snapshot.step == SMALL["steps"]
    for panel in (window.curves, window.regions, window.layers):
        assert panel.received > 0, panel
    for tab in (window.noise, window.sharpness):  # drawn when shown
        assert tab.received == 0
        window.bottom.setCurrentWidget(tab)
        assert tab.received == 1
    val = window.curves.curves[1]["val_loss"].getData()[1]
    assert val is not None and len(val) >= 4 and np.isfinite(val).all()
    assert window.layers.hist_items[0].getData()[1] is not None
    assert len(window.sharpness.curves[0].getData()[0]) == 2  # steps 10 and 20
    assert len(window.sharpness.references) == 2  # 2/lr of each run
    tile = window.regions.tiles[0]
    assert tile.image.image is not None and tile.image.image.shape == (72, 72)
    x, y = tile.boundary.getData()  # the 0.5 boundary as segments, computed by the worker
    assert x is not None and len(x) >= 2 and len(x) % 2 == 0 and np.isfinite(y).all()
    assert window.controls.preview.kind == "scatter"
    window.bottom.setCurrentWidget(window.slice)
    window.slice.compute_button.click()
    qtbot.waitUntil(lambda: window.slice.received > 0, timeout=TIMEOUT_MS)
    assert window.slice.image.image.shape == (41, 41)
    assert len(window.slice.paths[1].getData()[0]) > 2
    assert window.slice.compute_button.isEnabled()


def test_paused_decision_regions_are_those_of_the_step_shown(qtbot, make_workbench):
    """Pausing drew the regions of up to a quarter second earlier (a hundred steps of a small
    net): the picture and the step counter disagreed."""
    window = make_workbench({**SMALL, "steps": 100_000})
    steps: list[int] = []
    window.engine.grids.connect(lambda grids: steps.append(grids.step))
    _train(qtbot, window, 60)
    window.controls.playback.play_button.click()  # pause
    qtbot.waitUntil(lambda: not window.controls.playback.is_playing(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(steps) and steps[-1] == window.snapshot.step,
                    timeout=TIMEOUT_MS)


def test_while_training_a_turn_draws_one_plot_plainly(qtbot, make_workbench):
    """A drawing set the data of every curve plot in one turn of the event loop and painted
    them together, wide and antialiased: 30–100 ms in which the window did not answer. While
    training, one plot per turn now, drawn plain; paused, the panels' own pens."""
    window = make_workbench({**SMALL, "steps": 100_000})
    turns = [0]
    counter = QTimer(window)  # counts turns of the event loop
    counter.timeout.connect(lambda: turns.__setitem__(0, turns[0] + 1))
    counter.start(0)
    drawn_in: list[int] = []
    for panel, method in ((window.curves, "set_data"), (window.layers, "set_data"),
                          (window.regions, "set_grids")):
        def counted(*args, draw=getattr(panel, method), **kw):
            if window.controls.playback.is_playing():
                drawn_in.append(turns[0])
            draw(*args, **kw)
        setattr(panel, method, counted)
    window.controls.playback.play_button.click()
    pieces = ("curves loss", "curves accuracy", "regions", "layers ratios", "layers histograms")
    qtbot.waitUntil(lambda: all(window.drawing.drawn[name] >= 2 for name in pieces),
                    timeout=TIMEOUT_MS)
    curves = [item for item in window.curves.view.items()
              if isinstance(item, pg.PlotCurveItem) and item.isVisible()]
    assert all(not c.opts["antialias"] and c.opts["pen"].widthF() <= 1 for c in curves)
    window.controls.playback.play_button.click()  # pause
    qtbot.waitUntil(lambda: all(c.opts["antialias"] for c in curves)  # the engine paused
                    and any(c.opts["pen"].widthF() > 1 for c in curves), timeout=TIMEOUT_MS)
    counter.stop()
    assert len(drawn_in) >= 8 and len(set(drawn_in)) == len(drawn_in)  # one plot a turn


def test_a_pause_that_drops_a_drawing_under_way_still_draws_the_newest_layer_rows(
        qtbot, make_workbench):
    """A drawing counted its layer rows as drawn when it began; a pause dropping it before
    their turn left the still picture without them (the ratios ended steps before the pause)."""
    window = make_workbench()
    _train(qtbot, window, SMALL["steps"])
    qtbot.waitUntil(lambda: not window.controls.playback.is_playing(), timeout=TIMEOUT_MS)
    window._drawn_rows.clear()  # rows not drawn yet, and due, as when training
    window._tab_drawn_at.clear()
    window._live = True
    window._drawing_pieces()  # a drawing begins (its pieces to come a turn apart)…
    window._live = False
    drawn = window.drawing.drawn["layers ratios"]
    window.drawing.draw_now()  # …and a pause draws the still picture in its place
    assert window.drawing.drawn["layers ratios"] == drawn + 1
    x, _ = window.layers.ratio_items[0][0].getData()
    assert x[-1] == window.snapshot.layers["steps"][-1]


@pytest.mark.parametrize("x_axis, last", [("steps", 20.0), ("samples seen", 320.0)])
def test_x_axis_of_the_curves(qtbot, make_workbench, x_axis, last):
    window = make_workbench()
    _train(qtbot, window, SMALL["steps"])
    window.curves.x_combo.setCurrentText(x_axis)
    x = window.curves.curves[0]["train_loss"].getData()[0]
    assert x[-1] == pytest.approx(last)


def _hidden(window: NetworkWorkbench, text: str) -> None:
    window.controls.hidden.setText(text)
    window.controls.hidden.editingFinished.emit()


def _model(window: NetworkWorkbench, name: str) -> None:
    combo = window.controls.model
    combo.setCurrentText(name)
    combo.activated.emit(combo.currentIndex())


def _batch(window: NetworkWorkbench, text: str) -> None:
    window.controls.playback.batch.setEditText(text)
    window.controls.playback.batch.textActivated.emit(text)


@pytest.mark.parametrize("edit, widget, field", [
    (lambda w: _hidden(w, "8, 0"), lambda c: c.hidden, "network.hidden[1]"),
    (lambda w: _hidden(w, "eight"), lambda c: c.hidden, "network.hidden"),
    (lambda w: _model(w, "cnn"), lambda c: c.model, "network.model"),
    (lambda w: _batch(w, "4096"), lambda c: c.playback.batch, "batch_size"),
])
def test_bad_input_is_marked_at_its_field_and_changes_nothing(qtbot, make_workbench, edit,
                                                              widget, field):
    window = make_workbench()
    before, generation = copy.deepcopy(window.config), window.engine.generation
    edit(window)
    marked = widget(window.controls)
    assert marked.property("invalid") is True
    assert marked.toolTip().startswith(field)
    assert window.statusBar().currentMessage().startswith(field)
    assert window.config == before and window.engine.generation == generation
    _hidden(window, "8")  # a good value clears the mark
    assert not marked.property("invalid")


def test_a_hyperparameter_changes_live_without_a_restart(qtbot, make_workbench):
    window = make_workbench()
    window.controls.playback.step_button.click()
    qtbot.waitUntil(lambda: window.snapshot.step == 1, timeout=TIMEOUT_MS)
    generation = window.engine.generation
    window.controls.runs.select_row(1)
    window._select_run(1)
    window.set_hyperparameter("lr", 0.005)
    qtbot.waitUntil(lambda: window.snapshot.current_lr[1] == pytest.approx(0.005),
                    timeout=TIMEOUT_MS)
    assert window.engine.generation == generation and window.snapshot.step == 1
    assert window.config["runs"][1]["lr"] == 0.005


def test_schedule_picked_in_the_editor_restarts_with_it(qtbot, make_workbench):
    window = make_workbench()
    window._select_run(1)
    combo = window.controls.schedule
    combo.setCurrentText("StepLR")
    combo.activated.emit(combo.currentIndex())
    assert window.config["runs"][1]["schedule"] == {"name": "StepLR", "step_size": 6}
    assert window.controls.schedule_editor.values()["step_size"] == 6


def test_open_and_save_the_cli_s_experiment_file(qtbot, make_workbench, tmp_path):
    window = make_workbench()
    path = tmp_path / "net.json"
    assert window.save_to(path)
    assert json.loads(path.read_text()) == window.config
    other = {**copy.deepcopy(SMALL), "seed": 7}
    path.write_text(json.dumps(other))
    assert window.open_experiment(path)
    assert window.experiment.seed == 7 and "net.json" in window.windowTitle()
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({"problem": {"name": "rosenbrock"}, "runs": [
        {"optimizer": "SGD", "lr": 0.001}]}))
    assert not window.open_experiment(flat)
    assert "not a network experiment" in window.statusBar().currentMessage()


def test_a_lesson_loads_paused_with_its_panels_and_what_to_watch(qtbot, make_workbench):
    window = make_workbench()
    assert window.open_lesson(LESSON)
    qtbot.waitUntil(lambda: window.loaded is not None, timeout=TIMEOUT_MS)
    assert window.experiment.seed == 4 and not window.controls.playback.is_playing()
    assert window.bottom.currentWidget() is window.sharpness
    assert window.controls.lesson.isVisible()
    assert "the clipped run stays smooth" in window.controls.lesson.text()
    assert "Lesson: Clipping a spiky run" in window.windowTitle()


@pytest.mark.parametrize("names, keys", [
    (["curves", "sharpness"], ["curves", "sharpness"]),
    (["Decision boundary", "gradient noise scale", "loss landscape"],
     ["regions", "noise", "slice"]),
    (["effective_lr", "nonsense"], ["layers"]),
])
def test_lesson_panel_names(names, keys):
    assert lesson_panels(names) == keys


@pytest.mark.parametrize("dataset, preview, regions", [
    ("digits", "images", False), ("sine", "curve", False), ("blobs", "scatter", True)])
def test_other_data_sets_preview_and_train(qtbot, make_workbench, dataset, preview, regions):
    config = copy.deepcopy(SMALL)
    config["network"] = {"dataset": dataset, "hidden": [8], "activation": "relu"}
    window = make_workbench(config)
    assert window.controls.preview.kind == preview
    assert window.regions.view.isVisibleTo(window) == regions
    _train(qtbot, window, 5)


def test_closing_mid_training_is_clean(qtbot, make_workbench):
    window = make_workbench({**copy.deepcopy(SMALL), "steps": 100_000})
    _train(qtbot, window, 3)
    engine = window.engine
    window.close()
    assert engine._thread.wait(STOP_MS)


def test_every_network_lesson_loads(qtbot, make_workbench):
    from app.network_lessons import LESSONS, PANELS

    assert len(lesson_panels(PANELS)) == 6  # each panel name a lesson may use means a panel
    window = make_workbench()
    for lesson in LESSONS:
        assert window.open_lesson(lesson), lesson["key"]
        qtbot.waitUntil(lambda: window.loaded is not None, timeout=TIMEOUT_MS)
        assert not window.controls.playback.is_playing()
        assert lesson["watch"][:40] in html.unescape(window.controls.lesson.text())


def test_lab_menu_opens_the_workbench_and_closing_the_app_stops_it(qtbot, make_window):
    main = make_window()
    action = main.actions.links["lab:network"]
    assert action.text() == "Network workbench…"
    assert action.shortcut().toString() == "Ctrl+Shift+N"
    action.trigger()
    workbench = main.findChildren(NetworkWorkbench)[0]
    qtbot.waitUntil(lambda: workbench.loaded is not None, timeout=TIMEOUT_MS)
    thread = workbench.engine._thread
    workbench.controls.playback.play_button.click()
    main.close()
    assert thread.wait(STOP_MS)


def test_a_slice_can_be_cancelled(qtbot, make_workbench):
    window = make_workbench()
    window.compute_slice(0, "random")
    assert window.slice.cancel_button.isEnabled()
    window.slice.cancel_button.click()
    qtbot.waitUntil(lambda: window.slice.compute_button.isEnabled(), timeout=TIMEOUT_MS)
    assert window.slice.status.text() == "cancelled" and window.slice.received == 0


@pytest.mark.parametrize("values, batch, says", [
    ([[50.0, 200.0]], 32, "larger batches would still pay."),
    ([[10.0, 20.0]], 32, "larger batches would mostly be wasted."),
    ([[np.nan, 100.0], [np.nan, np.nan]], 32, "3 of 4 estimates have no value"),
    ([[np.nan, np.nan]], 32, "No B_simple yet."),
])
def test_noise_note_says_what_the_estimates_mean(values, batch, says):
    from app.network_workbench import _noise_note

    assert says in _noise_note(np.array(values), batch)
