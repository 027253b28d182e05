"""The basins window: two maps drawn live from the worker, minima shared, Cancel, bad input."""

import numpy as np
import pytest
from app_helpers import shown_lab
from PySide6 import QtWidgets

from app.basins_window import BasinsWindow, hyperparameter_text, parse_hyperparameters
from optim_core.basins import basin_map, merge_minima
from optim_core.errors import ConfigError
from optim_core.optimizers import get_rule
from optim_core.problems import make_problem

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints",
                                       "does not support raise")


@pytest.fixture
def window(qtbot):
    yield from shown_lab(qtbot, BasinsWindow)


def test_defaults_compare_sgd_with_momentum_on_six_hump_camel(window):
    job = window.job()
    assert job.problem == "six_hump_camel" and job.grid == 128 and job.steps == 400
    assert job.sides == (("SGD", {"lr": 0.01}), ("SGD", {"lr": 0.01, "momentum": 0.9}))


def test_both_maps_arrive_live_and_match_the_engine(qtbot, window):
    seen = []
    window.worker.progress.connect(lambda item: seen.append(type(item).__name__))
    window.grid_spin.setValue(24)
    window.steps_spin.setValue(200)
    window.start()
    assert window.busy and window.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not window.busy, timeout=60_000)
    assert window.last_status.startswith("Done in ")
    assert seen[0] == "Isolines" and seen.count("BasinFrame") >= 4  # partial maps came first
    camel = make_problem("six_hump_camel")
    left = basin_map(camel, "SGD", {"lr": 0.01}, grid=24, steps=200)
    right = basin_map(camel, "SGD", {"lr": 0.01, "momentum": 0.9}, grid=24, steps=200)
    shared, left_label = merge_minima(np.array([m.point for m in camel.minima]), left)
    shared, right_label = merge_minima(shared, right)
    frames = window.frames
    np.testing.assert_array_equal(frames[0].label, left_label)
    np.testing.assert_array_equal(frames[1].label, right_label)
    np.testing.assert_allclose(frames[1].minima, shared)
    for view in window.pair.views:
        assert view.image.image.shape == (24, 24, 4)
        assert "minimum" in view.legend.text() and "SGD" in view.title.text()
        assert "step " not in view.title.text()  # the final map, not a partial one
    assert "momentum=0.9" in window.pair.views[1].title.text()


def test_one_minimum_has_one_index_on_both_sides():
    camel = make_problem("six_hump_camel")
    a = basin_map(camel, "SGD", {"lr": 0.01}, grid=16, steps=300)
    b = basin_map(camel, "SGD", {"lr": 0.01, "momentum": 0.9}, grid=16, steps=300)
    shared, label_a = merge_minima(np.empty((0, 2)), a)
    shared, label_b = merge_minima(shared, b)
    for result, label in ((a, label_a), (b, label_b)):
        mine = result.label >= 0
        np.testing.assert_allclose(shared[label[mine]], result.minima[result.label[mine]],
                                   atol=result.radius)
        np.testing.assert_array_equal(label[~mine], result.label[~mine])


def test_cancel_leaves_the_window_usable(qtbot, window):
    window.grid_spin.setValue(256)
    window.steps_spin.setValue(100_000)
    window.start()
    window.cancel_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=30_000)
    assert window.last_status.startswith("Cancelled")
    assert window.run_button.isEnabled() and not window.cancel_button.isEnabled()
    window.grid_spin.setValue(8)
    window.steps_spin.setValue(20)
    window.start()
    qtbot.waitUntil(lambda: not window.busy, timeout=30_000)
    assert window.last_status.startswith("Done in ")


@pytest.mark.parametrize("text, message", [
    ("lr=-1", "error: optimizer.lr: -1"),
    ("lr 0.1", "error: right hyperparameters: 'lr 0.1'"),
    ("lr=0.1, nesterov=true", "error: optimizer.nesterov"),
])
def test_bad_hyperparameters_are_named_in_the_status(qtbot, window, text, message):
    window.hyper_edits[1].setText(text)
    window.start()
    qtbot.waitUntil(lambda: not window.busy, timeout=30_000)
    assert window.last_status.startswith(message)


def test_hyperparameter_text():
    assert parse_hyperparameters(" lr=0.01 , momentum=0.9", "f") == {"lr": 0.01, "momentum": 0.9}
    assert parse_hyperparameters("betas=(0.9, 0.99), amsgrad=true", "f") == {
        "betas": [0.9, 0.99], "amsgrad": True}
    assert parse_hyperparameters("", "f") == {}
    with pytest.raises(ConfigError):
        parse_hyperparameters("=3", "f")


def test_the_lab_menu_opens_it(qtbot, make_window):
    main = make_window()
    action = next(a for menu in main.menuBar().findChildren(QtWidgets.QMenu)
                  for a in menu.actions() if a.text() == "Basins of attraction…")
    action.trigger()
    labs = main.findChildren(BasinsWindow)
    assert len(labs) == 1 and labs[0].isVisible()
    # it starts from the main window's experiment: its problem and its first two runs
    job = labs[0].job()
    assert job.problem == main.state.problem
    runs = [run for run in main.state.runs if run.enabled][:2]
    for (optimizer, hyper), run in zip(job.sides, runs, strict=True):
        assert optimizer == run.optimizer
        defaults = {s.name: s.default for s in get_rule(optimizer).hyperparameters}
        assert {**defaults, **hyper} == {**defaults, **run.hyperparameters}
    action.trigger()  # raised, not opened twice
    assert len(main.findChildren(BasinsWindow)) == 1


def test_hyperparameter_text_round_trips():
    hyper = {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-8, "weight_decay": 0.0,
             "amsgrad": True, "bias_correction": True, "maximize": False}
    text = hyperparameter_text("Adam", hyper)
    assert text == "lr=0.05, betas=(0.8, 0.99), amsgrad=true"
    assert parse_hyperparameters(text, "f") == {"lr": 0.05, "betas": [0.8, 0.99],
                                                "amsgrad": True}


def test_the_area_shown_can_be_mapped(qtbot, window):
    assert window.job().extent is None  # the problem's view
    window.grid_spin.setValue(8)
    window.steps_spin.setValue(20)
    window.start()
    qtbot.waitUntil(lambda: not window.busy, timeout=30_000)
    window.pair.views[0].plot.setRange(xRange=(0.0, 0.5), yRange=(-0.8, -0.4), padding=0)
    window.area_box.setChecked(True)
    x0, x1, y0, y1 = window.job().extent
    assert (x0, x1, y0, y1) == pytest.approx((0.0, 0.5, -0.8, -0.4), abs=1e-9)
    window.start()
    qtbot.waitUntil(lambda: not window.busy, timeout=30_000)
    frame = window.frames[1]
    assert frame.extent == pytest.approx((0.0, 0.5, -0.8, -0.4), abs=1e-9)
    assert window.pair.views[1].extent == frame.extent  # the right side shows the same area
