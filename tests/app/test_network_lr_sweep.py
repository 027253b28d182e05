"""The learning-rate sweep of a network, from the workbench: it sweeps the workbench's experiment
in the sweep window's worker thread, draws validation losses relative to the untrained loss with
the verdict, cancels, says what is wrong with bad input, opens from the lesson's link and stops
with the workbench."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.lr_sweep import LrSweepWindow
from app.network_lessons import network_lesson
from app.network_sweep import chosen_runs
from app.network_workbench import LR_SWEEP_LINK, NetworkWorkbench
from optim_core.sweep import network_lr_sweep
from widgets.lr_sweep import curve_data

STOP_MS = 2000
TIMEOUT_MS = 60_000
pytestmark = [pytest.mark.usefixtures("one_torch_thread"),
              pytest.mark.qt_log_ignore("does not support propagateSizeHints",
                                        "does not support raise")]
#: a small experiment: a sweep of 3 optimizers × 3 lrs takes a fraction of a second; on it
#: SGD gets 15× below the untrained loss (at the grid's edge), AdamW 11×, Adam + L2 only 2.7×
TINY: dict[str, Any] = {
    "network": {"dataset": "moons", "n_samples": 200, "noise": 0.1, "validation": 0.25,
                "model": "mlp", "hidden": [16, 16], "activation": "tanh"},
    "steps": 100, "batch_size": 16, "seed": 1, "dtype": "float64", "device": "cpu",
    "runs": [{"optimizer": "SGD", "lr": 0.1,
              "schedule": {"name": "CosineAnnealingLR", "T_max": 100}}],
}
LRS = tuple(np.geomspace(0.003, 3.0, 3))  # 0.003, 0.095, 3


@pytest.fixture
def make_workbench(qtbot) -> Iterator[Callable[..., NetworkWorkbench]]:
    """``make_workbench(config)``: a shown, loaded, paused workbench; closed at teardown with
    its engine's and its sweeps' threads checked."""
    windows: list[NetworkWorkbench] = []

    def make(config: dict[str, Any] | None = None) -> NetworkWorkbench:
        window = NetworkWorkbench(config=copy.deepcopy(config or TINY), speed=None)
        windows.append(window)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.loaded is not None, timeout=TIMEOUT_MS)
        return window

    yield make
    for window in windows:
        if not shiboken6.isValid(window):
            continue
        engine = window.engine._thread
        sweeps = [s.thread_ for s in window.findChildren(LrSweepWindow) if hasattr(s, "worker")]
        window.close()
        assert engine.wait(STOP_MS) and all(thread.wait(STOP_MS) for thread in sweeps)


def open_sweep(qtbot, workbench: NetworkWorkbench) -> LrSweepWindow:
    action = next(a for a in workbench.actions() if a.text() == "&Learning-rate sweep…")
    action.trigger()
    sweep = workbench.findChildren(LrSweepWindow)[-1]
    qtbot.waitExposed(sweep)
    return sweep


def small_grid(sweep: LrSweepWindow) -> None:
    sweep.lr_from.setValue(LRS[0])
    sweep.lr_to.setValue(LRS[-1])
    sweep.count_spin.setValue(len(LRS))


def type_into(qtbot, edit: Any, text: str) -> None:
    """Type ``text`` into ``edit`` as a user does, then Enter."""
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def run(qtbot, sweep: LrSweepWindow) -> None:
    sweep.start_sweep()
    assert sweep.busy
    qtbot.waitUntil(lambda: not sweep.busy, timeout=TIMEOUT_MS)


def test_the_lab_menu_opens_a_sweep_of_the_workbenchs_experiment(qtbot, make_workbench):
    workbench = make_workbench()
    action = next(a for a in workbench.actions() if a.text() == "&Learning-rate sweep…")
    assert action.shortcut().toString() == "Ctrl+L"
    sweep = open_sweep(qtbot, workbench)
    assert sweep.network == workbench.config and sweep.network is not workbench.config
    assert sweep.optimizers() == ("SGD", "Adam + L2", "AdamW")
    assert sweep.steps_spin.value() == 100  # the experiment's steps
    assert not sweep.problem_combo.isVisible()
    assert sweep.subject.text() == ("<b>Network</b> moons (n_samples 200, noise 0.1), MLP, "
                                    "hidden 16-16, tanh; batch size 16")
    assert sweep.seed_spin.value() == 1 and sweep.seed_spin.isVisible()
    job = sweep.job()
    assert job.lrs[0] == pytest.approx(1e-4) and job.lrs[-1] == pytest.approx(10.0)
    assert len(job.lrs) == 16 and job.steps == 100


def test_a_sweep_draws_validation_losses_relative_to_the_untrained_loss(qtbot, make_workbench):
    sweep = open_sweep(qtbot, make_workbench())
    small_grid(sweep)
    run(qtbot, sweep)
    assert sweep.last_status.startswith("Done: 9 runs")
    assert "widest range within 10× of its best: " in sweep.last_status.lower()
    assert sweep.progress.value() == sweep.progress.maximum() == 100
    runs = [{"optimizer": "SGD", "lr": 0.1},
            {"optimizer": "Adam", "lr": 0.1, "weight_decay": 0.01},
            {"optimizer": "AdamW", "lr": 0.1, "weight_decay": 0.01}]
    expected = network_lr_sweep({**TINY, "runs": runs}, LRS)
    view = sweep.view
    assert view.optimizers == ("SGD", "Adam + L2", "AdamW")
    for o in range(3):
        x, y = curve_data(view.curves[o])
        np.testing.assert_allclose(x, LRS)
        np.testing.assert_allclose(y, expected.final_loss[o] / expected.start_loss, rtol=1e-12)
    assert 10 ** view.start_line.value() == pytest.approx(1.0)  # the untrained loss
    assert "relative to the untrained net's" in view.title_text()
    assert "Adam + L2 and AdamW with weight_decay 0.01" in view.title_text()
    caption = view.caption_text()
    assert "untrained loss" in caption and "start" not in caption
    assert "Learning rates within 10× of the best loss: SGD " in caption
    for o, name in enumerate(("SGD", "Adam + L2", "AdamW")):
        decades = expected.tolerant_decades()[o]
        said = "n/a" if math.isnan(decades) else f"{decades:.1f}"
        assert f"{name} {'≥ ' if expected.range_at_edge()[o] else ''}{said}" in caption
    axis = view.plot.getAxis("left").labelText
    assert "÷ untrained" in axis


def test_the_experiments_own_runs_can_be_swept_as_the_command_line_does(qtbot, make_workbench):
    sweep = open_sweep(qtbot, make_workbench())
    own = sweep.optimizer_boxes["the experiment's runs"]
    assert not own.isChecked() and own.toolTip().endswith(": SGD CosineAnnealingLR")
    for name, box in sweep.optimizer_boxes.items():
        box.setChecked(name in ("SGD", "the experiment's runs"))
    small_grid(sweep)
    run(qtbot, sweep)
    assert sweep.view.optimizers == ("SGD", "SGD CosineAnnealingLR")
    assert "the experiment's runs with their own settings" in sweep.view.title_text()
    expected = network_lr_sweep(TINY, LRS)  # sweep --network: the runs, other settings kept
    _, y = curve_data(sweep.view.curves[1])
    np.testing.assert_allclose(y, expected.final_loss[0] / expected.start_loss, rtol=1e-12)


@pytest.mark.parametrize("names, runs", [
    (["SGD", "the experiment's runs"], ["SGD", "SGD+momentum", "AdamW"]),  # plain SGD once
    (["AdamW", "the experiment's runs"], ["AdamW", "SGD", "SGD+momentum"]),  # wd 0.01 twice
    (["Adam + L2", "the experiment's runs"], ["Adam + L2", "SGD", "SGD+momentum", "AdamW"]),
])
def test_a_run_chosen_twice_is_swept_once(names, runs):
    config = {**TINY, "runs": [{"optimizer": "SGD", "lr": 0.1},
                               {"optimizer": "SGD", "lr": 0.1, "momentum": 0.9},
                               {"optimizer": "AdamW", "lr": 0.1, "weight_decay": 0.01}]}
    assert [name for name, _ in chosen_runs(config, names)] == runs


def test_another_seed_is_swept_with_the_same_net(qtbot, make_workbench):
    sweep = open_sweep(qtbot, make_workbench())
    small_grid(sweep)
    sweep.seed_spin.setValue(5)
    run(qtbot, sweep)
    runs = [{"optimizer": "SGD", "lr": 0.1},
            {"optimizer": "Adam", "lr": 0.1, "weight_decay": 0.01},
            {"optimizer": "AdamW", "lr": 0.1, "weight_decay": 0.01}]
    expected = network_lr_sweep({**TINY, "runs": runs}, LRS, seed=5)
    assert sweep.result.seed == 5 and "seed 5" in sweep.view.title_text()
    np.testing.assert_allclose(sweep.result.final_loss, expected.final_loss, rtol=1e-12)


def test_cancel_leaves_the_window_usable(qtbot, make_workbench):
    sweep = open_sweep(qtbot, make_workbench())
    sweep.steps_spin.setValue(100_000)
    sweep.start_sweep()
    assert sweep.busy and sweep.cancel_button.isEnabled()
    sweep.cancel_button.click()
    qtbot.waitUntil(lambda: not sweep.busy, timeout=TIMEOUT_MS)
    assert sweep.last_status.startswith("Cancelled") and sweep.result is None
    assert sweep.run_button.isEnabled() and not sweep.cancel_button.isEnabled()
    sweep.steps_spin.setValue(10)
    small_grid(sweep)
    run(qtbot, sweep)
    assert sweep.last_status.startswith("Done: 9 runs")


@pytest.mark.parametrize("change, says", [
    (lambda bot, s: type_into(bot, s.lr_from, "-1"), "error: lr from"),
    (lambda bot, s: type_into(bot, s.lr_to, "1e9"), "error: lr to"),
    (lambda bot, s: [box.setChecked(False) for box in s.optimizer_boxes.values()],
     "error: optimizers"),
])
def test_a_bad_field_is_said_not_run(qtbot, make_workbench, change, says):
    sweep = open_sweep(qtbot, make_workbench())
    change(qtbot, sweep)
    sweep.start_sweep()
    assert not sweep.busy and sweep.last_status.startswith(says)


def test_what_the_engine_refuses_comes_back_as_a_message(qtbot):
    config = copy.deepcopy(TINY)
    config["network"]["validation"] = 0.0  # nothing to judge the runs by
    sweep = LrSweepWindow(network=config)
    sweep.show()
    try:
        small_grid(sweep)
        run(qtbot, sweep)
        assert sweep.last_status.startswith("error: network.validation")
        assert sweep.run_button.isEnabled()
    finally:
        sweep.close()


def test_the_lessons_link_opens_the_sweep_of_its_net(qtbot, make_workbench):
    workbench = make_workbench()
    lesson = network_lesson("network-lr-insensitivity")
    assert workbench.open_lesson(lesson)
    label = workbench.controls.lesson
    assert f'href="{LR_SWEEP_LINK}"' in label.text()
    qtbot.waitUntil(label.isVisible)
    for y in range(label.height() - 2, 0, -4):  # the link is on one of the last lines
        QTest.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(30, y))
        if workbench.findChildren(LrSweepWindow):
            break
    sweeps = workbench.findChildren(LrSweepWindow)
    assert len(sweeps) == 1, "a click on the link opens one sweep"
    sweep = sweeps[0]
    assert sweep.network == lesson["experiment"]
    assert sweep.optimizers() == ("SGD", "Adam + L2", "AdamW")  # the lesson's three
    assert sweep.steps_spin.value() == 300


def test_closing_the_workbench_stops_a_running_sweep(qtbot, make_workbench):
    workbench = make_workbench()
    sweep = open_sweep(qtbot, workbench)
    sweep.steps_spin.setValue(100_000)
    sweep.start_sweep()
    thread = sweep.thread_
    workbench.close()
    assert thread.wait(STOP_MS)


def test_the_main_windows_2d_sweep_is_not_the_workbenchs(qtbot, make_window):
    main = make_window()
    main.actions.links["lab:network"].trigger()
    workbench = main.findChildren(NetworkWorkbench)[0]
    qtbot.waitUntil(lambda: workbench.loaded is not None, timeout=TIMEOUT_MS)
    network_sweep = workbench.open_lr_sweep()
    main.open_lab(LrSweepWindow)
    opened = [w for w in main.findChildren(LrSweepWindow) if w is not network_sweep]
    assert len(opened) == 1 and opened[0].network is None and opened[0].isVisible()
    thread = network_sweep.thread_
    main.close()
    assert thread.wait(STOP_MS)
