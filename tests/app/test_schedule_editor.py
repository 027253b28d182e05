"""The selected run's learning-rate schedule in the main window: shown from the file, picked and
edited in the run editor (the run starts over), drawn as the lr the engine will use, saved."""

from __future__ import annotations

import numpy as np
import pytest
from app_helpers import SIZE_HINTS, current

from app.schedule_view import EDITABLE, lr_curve
from optim_core.schedules import schedule_lr_curve

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)  # offscreen: showing the window

CONFIG = {
    "problem": {"name": "rosenbrock"}, "steps": 60,
    "runs": [
        {"optimizer": "Adam", "lr": 0.05,
         "schedule": {"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 60}},
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9,
         "schedule": {"name": "SequentialLR", "milestones": [10],
                      "schedulers": [{"name": "LinearLR", "start_factor": 0.1,
                                      "total_iters": 10},
                                     {"name": "CosineAnnealingLR", "T_max": 50}]}},
        {"optimizer": "SGD", "lr": 0.001},
    ],
}


def _drawn(window) -> np.ndarray:
    return window.controls.schedule_editor._curve.getData()[1]


def _pick(window, name: str) -> None:
    names = window.controls.schedule_editor.names
    index = names.findText(name)
    names.setCurrentIndex(index)
    names.activated.emit(index)


def test_a_files_schedules_are_kept_shown_drawn_and_saved(make_window):
    window = make_window(CONFIG)
    given = [run.get("schedule") for run in CONFIG["runs"]]
    assert [run.schedule for run in window.state.runs] == given
    assert [run.get("schedule") for run in window.state.to_dict()["runs"]] == given
    editor = window.controls.schedule_editor
    window._select_row(0, update_table=True)
    assert editor.names.currentText() == "OneCycleLR"
    assert editor.arguments.values()["max_lr"] == 0.1
    expected = schedule_lr_curve("Adam", window.state.runs[0].hyperparameters,
                                 CONFIG["runs"][0]["schedule"], 60)
    assert _drawn(window).tolist() == expected.tolist()
    assert "cycles β₁" in editor.note.text()
    window._select_row(1, update_table=True)
    assert editor.names.currentText() == "SequentialLR"
    assert editor.arguments.isHidden() and "edit it there" in editor.note.text()
    assert "SequentialLR" not in EDITABLE
    assert "SequentialLR(" in window.state.row_summary(1)


def test_picking_and_editing_a_schedule_restarts_the_run_with_it(make_window, qtbot):
    window = make_window(CONFIG)
    window._select_row(2, update_table=True)
    generation = window.engine.generation
    _pick(window, "CosineAnnealingLR")
    run = window.state.runs[2]
    assert run.schedule == {"name": "CosineAnnealingLR", "T_max": 60}
    assert window.engine.generation > generation  # the runs start over: it counts from step 0
    assert _drawn(window).tolist() == lr_curve(run, 60).tolist()
    assert _drawn(window)[-1] < 1e-5
    window.controls.schedule_editor.arguments.value_changed.emit("T_max", 30)
    assert window.state.runs[2].schedule == {"name": "CosineAnnealingLR", "T_max": 30}
    drawn = _drawn(window)
    assert drawn[30] == min(drawn) and drawn[59] > 0.99e-3  # at the bottom at T_max, then up
    _pick(window, "constant lr (no schedule)")
    assert window.state.runs[2].schedule is None
    assert _drawn(window).tolist() == [0.001] * 60
    qtbot.waitUntil(lambda: current(window) is not None)


def test_a_refused_argument_is_named_and_the_schedule_kept(make_window):
    window = make_window(CONFIG)
    window._select_row(0, update_table=True)
    before = window.state.runs[0].schedule
    window.controls.schedule_editor.arguments.value_changed.emit("total_steps", None)
    assert window.state.runs[0].schedule == before
    assert "runs[0].schedule.total_steps" in window.statusBar().currentMessage()
    assert window.controls.schedule_editor.arguments.values()["total_steps"] == 60


def test_a_new_lr_on_a_scheduled_run_starts_it_over_and_redraws(make_window):
    window = make_window(CONFIG)
    window._select_row(1, update_table=True)
    generation = window.engine.generation
    window.controls.run_editor.value_changed.emit("lr", 0.002)
    assert window.engine.generation > generation
    assert max(_drawn(window)) == 0.002
