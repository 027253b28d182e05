"""The window under the fuzzer's inputs: mutated experiment files through the Open path, hostile
values through the run editor. Property: no crash, a refusal names the field (in the status bar),
nothing already computed is lost, and the window keeps training afterwards."""

from __future__ import annotations

import json
import math

import pytest
from app_helpers import FINITE_SUM, SIZE_HINTS, current
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import device_choice
from tests.optim_core.test_fuzz import HOSTILE, mutated_configs

pytestmark = pytest.mark.qt_log_ignore(SIZE_HINTS)  # offscreen: a refusal's message box
WINDOW_FUZZ = settings(max_examples=30, deadline=None, derandomize=True,
                       suppress_health_check=[HealthCheck.function_scoped_fixture,
                                              HealthCheck.too_slow])
HYPERPARAMETERS = ["lr", "momentum", "dampening", "weight_decay", "nesterov", "clip_norm",
                   "clip_value", "batch_size", "betas", "no_such_name"]


def trained(window, qtbot, steps: int) -> None:
    """Play until ``steps`` more steps are done: the engine survived."""
    qtbot.waitUntil(lambda: current(window) is not None, timeout=20_000)
    start = current(window).snapshot.step
    window.set_steps(start + steps)
    window.controls.playback.play_button.click()
    qtbot.waitUntil(lambda: current(window) is not None
                    and current(window).snapshot.step >= start + steps, timeout=20_000)


def test_mutated_files_through_the_open_path(make_window, qtbot, tmp_path, monkeypatch):
    window = make_window(FINITE_SUM)
    trained(window, qtbot, 5)
    monkeypatch.setattr(device_choice, "ask_run_on_cpu", lambda *args: False)
    path = tmp_path / "mutated.json"
    outcomes = []

    @WINDOW_FUZZ
    @given(config=mutated_configs())
    def open_one(config):
        path.write_text(json.dumps(config), encoding="utf-8")
        before = window.state.to_dict()
        if window.open_experiment(path):
            outcomes.append("opened")
            assert window.state.to_dict()["problem"] == config.get("problem", before["problem"])\
                or isinstance(config.get("problem"), str)
        else:
            outcomes.append("refused")
            assert window.state.to_dict() == before  # the runs in the window go on untouched
            message = window.statusBar().currentMessage()
            assert "mutated.json" in message or message == ""  # "" only: refused a device

    open_one()
    assert "refused" in outcomes
    trained(window, qtbot, 3)


@WINDOW_FUZZ
@given(name=st.sampled_from(HYPERPARAMETERS), value=HOSTILE)
def test_hostile_values_through_the_run_editor(make_window, qtbot, name, value):
    window = getattr(test_hostile_values_through_the_run_editor, "window", None)
    if window is None or not window.isVisible():
        window = make_window(FINITE_SUM)
        test_hostile_values_through_the_run_editor.window = window
    before = window.state.runs[window._selected_row]
    window.set_hyperparameter(name, value)
    after = window.state.runs[window._selected_row]
    if after == before:  # refused (or no change): the message names the field
        message = window.statusBar().currentMessage()
        assert message == "" or message.startswith("runs[") or name in message
    for run in window.state.runs:  # whatever happened, the state holds only valid numbers
        lr = run.hyperparameters.get("lr")
        assert lr is None or (isinstance(lr, int | float) and math.isfinite(lr) and lr >= 0)
