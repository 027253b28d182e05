"""The engine thread on its own: commands in, immutable results out, and it never dies of bad input.

Also the pure pieces the worker and the window rely on: the editable experiment (file round trip,
refusals naming the field), the arrows drawn at the current points, and the trajectories CSV.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import threading
import time
from types import MappingProxyType

import numpy as np
import pytest
import torch
from app_helpers import FINITE_SUM
from PySide6.QtCore import Qt, QTimer

from app import Engine, SessionState
from app.arrows import compute_arrows
from app.export import trajectories_csv
from app.worker import Progress
from optim_core.errors import ConfigError
from optim_core.session import Session
from optim_core.snapshot import Snapshot

ROSENBROCK = {"problem": "rosenbrock", "steps": 30,
              "runs": [{"optimizer": "SGD", "lr": 0.001, "momentum": 0.9},
                       {"optimizer": "Adam", "lr": 0.05}]}


class Recorder:
    """Everything an engine sends, as it arrives in the GUI thread."""

    def __init__(self, engine: Engine) -> None:
        self.progress: list[Progress] = []
        self.messages: list[str] = []
        self.noise: list = []
        self.grids: list = []
        self.threads: set[int] = set()
        engine.progress.connect(self._on_progress)
        engine.message.connect(self.messages.append)
        engine.noise.connect(lambda _g, draws: self.noise.append(draws))
        engine.landscape.connect(lambda _g, grid: self.grids.append(grid))

    def _on_progress(self, progress: Progress) -> None:
        self.threads.add(threading.get_ident())
        self.progress.append(progress)

    @property
    def last(self) -> Snapshot:
        return self.progress[-1].snapshot

    @property
    def step(self) -> int:
        """The step of the latest snapshot (-1 before the first)."""
        return self.last.step if self.progress else -1

    @property
    def stopped(self) -> bool:
        """Whether the latest progress says the engine is not playing."""
        return bool(self.progress) and not self.progress[-1].playing


def load(engine: Engine, config: dict, *, speed: float | None = None, playing: bool = False,
         target: int | None = None) -> SessionState:
    state = SessionState.from_dict(config)
    engine.load(state.experiment(), target_steps=target or state.steps, speed=speed,
                playing=playing)
    return state


def test_the_engine_steps_in_its_own_thread_and_sends_frozen_snapshots(engine, qtbot):
    seen = Recorder(engine)
    computed_in: set[int] = set()
    engine._worker.progress.connect(lambda _p: computed_in.add(threading.get_ident()),
                                    Qt.ConnectionType.DirectConnection)
    load(engine, ROSENBROCK, playing=True)
    qtbot.waitUntil(lambda: seen.step == 30 and seen.stopped)
    assert seen.threads == {threading.get_ident()}  # delivered in the GUI thread …
    assert threading.get_ident() not in computed_in  # … computed in the engine's
    assert len(seen.grids) == 1 and seen.grids[0].z.shape == (241, 241)
    snapshot = seen.last
    assert not snapshot.position.flags.writeable
    with pytest.raises(ValueError):
        snapshot.loss[0, 0] = 0.0
    # the same experiment stepped here gives the same numbers
    reference = Session.from_experiment(SessionState.from_dict(ROSENBROCK).experiment())
    reference.step(30)
    np.testing.assert_array_equal(snapshot.current_position, reference.current_points())


def test_snapshots_come_at_display_rate_not_per_step(engine, qtbot):
    seen = Recorder(engine)
    load(engine, {**ROSENBROCK, "steps": 3000}, playing=True)
    qtbot.waitUntil(lambda: seen.step == 3000, timeout=20_000)
    assert len(seen.progress) < 3000 / 5


def test_step_is_exactly_one_and_pause_holds(engine, qtbot):
    seen = Recorder(engine)
    load(engine, ROSENBROCK)
    qtbot.waitUntil(lambda: len(seen.progress) == 1)
    engine.step_once()
    engine.step_once()
    qtbot.waitUntil(lambda: seen.step == 2)
    engine.set_speed(50.0)
    engine.play()
    qtbot.waitUntil(lambda: seen.step >= 4)
    engine.pause()
    qtbot.waitUntil(lambda: seen.stopped and seen.progress[-1].play_command == engine.play_command)
    held = seen.last.step
    qtbot.wait(200)
    assert seen.last.step == held


def test_a_hyperparameter_changes_mid_run_and_the_history_stays(engine, qtbot):
    seen = Recorder(engine)
    load(engine, ROSENBROCK)
    for _ in range(5):
        engine.step_once()
    qtbot.waitUntil(lambda: seen.step == 5)
    engine.set_hyperparameter([1], "lr", 0.01)
    engine.step_once()
    qtbot.waitUntil(lambda: seen.step == 6)
    assert seen.last.hyperparameters[1]["lr"] == 0.01
    assert list(seen.last.steps) == list(range(7))


def test_bad_commands_become_messages_and_the_thread_goes_on(engine, qtbot):
    seen = Recorder(engine)
    load(engine, FINITE_SUM)
    engine.set_hyperparameter([0], "lr", -1.0)
    engine.set_hyperparameter([0], "no_such_thing", 1)
    engine.set_batch_size(5000)  # more than the 1000 samples
    qtbot.waitUntil(lambda: len(seen.messages) == 3)
    assert seen.messages[0].startswith("runs[0].lr: -1.0 is not allowed")
    assert "runs[0].no_such_thing" in seen.messages[1]
    assert "at most the problem's n_samples" in seen.messages[2]
    engine.step_once()
    qtbot.waitUntil(lambda: seen.step == 1)


def test_noise_draws_follow_the_selected_run_and_the_batch_size(engine, qtbot):
    seen = Recorder(engine)
    load(engine, FINITE_SUM)
    engine.set_noise_run(2)
    qtbot.waitUntil(lambda: len(seen.noise) >= 1)
    draws = seen.noise[-1]
    assert draws.run == 2 and draws.batch_size == 8 and draws.n_samples == 1000
    assert draws.draws.shape == (400, 2)
    # the scatter of the draws is the standard error the panel overlays
    np.testing.assert_allclose(draws.draws.std(axis=0), draws.std_error, rtol=0.15)
    engine.set_batch_size(32)
    qtbot.waitUntil(lambda: seen.noise[-1].batch_size == 32)
    np.testing.assert_allclose(seen.noise[-1].std_error, draws.std_error / 2, rtol=0.05)


def test_a_newer_load_is_numbered_and_replaces_the_session(engine, qtbot):
    seen = Recorder(engine)
    load(engine, ROSENBROCK)
    qtbot.waitUntil(lambda: bool(seen.progress))
    second = load(engine, FINITE_SUM)
    qtbot.waitUntil(lambda: bool(seen.progress) and seen.progress[-1].generation == 2)
    assert seen.last.n_runs == len(second.runs)
    assert len(seen.grids) == 2  # a new problem, a new landscape


def test_a_load_replaced_before_it_is_done_is_given_up(engine, qtbot):
    """Picking problems in a row: only the last one's landscape is computed, not every one's."""
    seen = Recorder(engine)
    first, second = SessionState.from_dict(ROSENBROCK), SessionState.from_dict(FINITE_SUM)
    # both queued while the engine thread is busy: otherwise it may finish the first (its
    # landscape is quick) before the second is even asked for, and that would be right
    loads = [(state.experiment(), state.steps) for state in (first, second)]
    QTimer.singleShot(0, engine._worker, lambda: time.sleep(0.3))
    qtbot.wait(50)
    for experiment, steps in loads:
        engine.load(experiment, target_steps=steps, speed=None, playing=False)
    qtbot.waitUntil(lambda: bool(seen.progress) and seen.progress[-1].generation == 2)
    qtbot.wait(100)
    assert [grid.title for grid in seen.grids] == [second.problem_object.title]
    assert {p.generation for p in seen.progress} == {2}


def test_a_landscape_given_up_for_a_newer_load_is_no_engine_failure(engine, qtbot):
    """Opening a lesson while the last problem's landscape was computing: the status bar said
    "The engine stopped: GridCancelled"."""
    seen = Recorder(engine)
    load(engine, {"problem": {"name": "sigmoid_fit", "n_samples": 20_000},
                  "runs": [{"optimizer": "SGD", "lr": 0.1}]})
    qtbot.wait(200)  # the worker is sampling that landscape now
    load(engine, ROSENBROCK)
    qtbot.waitUntil(lambda: bool(seen.progress) and seen.progress[-1].generation == 2,
                    timeout=10_000)
    assert seen.messages == []
    assert [grid.title for grid in seen.grids] == ["Rosenbrock"]


def test_stop_gives_up_a_landscape_that_takes_seconds(qtbot):
    """Closing right after picking a large sum: the thread must not outlive the window (Qt aborts
    the process when a running QThread is destroyed)."""
    engine = Engine()
    seen = Recorder(engine)
    load(engine, {"problem": {"name": "sigmoid_fit", "n_samples": 20_000},
                  "runs": [{"optimizer": "SGD", "lr": 0.1}]})
    qtbot.wait(200)  # the worker is sampling the landscape now
    stopped = engine.stop(1000)
    engine._thread.wait()  # never leave it running, whatever the outcome
    assert stopped, "the engine thread went on computing a landscape nobody will see"
    assert not seen.grids


def test_stop_ends_the_thread_within_a_second_while_stepping_flat_out(qtbot):
    engine = Engine()
    seen = Recorder(engine)
    load(engine, {**ROSENBROCK, "steps": 10_000_000}, playing=True)
    qtbot.waitUntil(lambda: seen.step > 100)
    assert engine.stop(1000)
    assert not engine.is_running()
    assert engine.stop()  # twice is fine


# --------------------------------------------------------------------------- session state
def test_the_state_round_trips_the_experiment_file_with_disabled_runs():
    config = {**FINITE_SUM, "runs": [*FINITE_SUM["runs"],
                                     {"optimizer": "RMSprop", "lr": 0.01, "enabled": False,
                                      "label": "slow one", "clip_norm": 1.0}]}
    state = SessionState.from_dict(config)
    assert [run.enabled for run in state.runs] == [True, True, True, False]
    assert state.session_rows() == [0, 1, 2]
    again = SessionState.from_dict(state.to_dict())
    assert again.to_dict() == state.to_dict()
    assert again.runs[3].label == "slow one" and again.runs[3].clip_norm == 1.0


@pytest.mark.parametrize(("edit", "field"), [
    (lambda s: s.with_hyperparameter(0, "lr", -1.0), "runs[0].lr"),
    (lambda s: s.with_hyperparameter(1, "momentum", 1.0), "runs[1].momentum"),
    (lambda s: s.with_hyperparameter(0, "nesterov", True), "runs[0].nesterov"),
    (lambda s: s.with_changes(batch_size=5000), "batch_size"),
    (lambda s: s.with_changes(device="tpu"), "device"),
    (lambda s: s.with_runs([]), "runs"),
    (lambda s: s.with_runs([run.__class__(**{**run.__dict__, "enabled": False})
                            for run in s.runs]), "runs"),
])
def test_refused_edits_name_the_field_and_leave_the_state_alone(edit, field):
    state = SessionState.from_dict(FINITE_SUM)
    before = state.to_dict()
    with pytest.raises(ConfigError) as refused:
        edit(state)
    assert refused.value.field == field
    assert state.to_dict() == before


# --------------------------------------------------------------------------- arrows and CSV
def stepped(config: dict, steps: int) -> Snapshot:
    session = Session.from_experiment(SessionState.from_dict(config).experiment())
    session.step(steps)
    return session.snapshot()


def test_arrows_follow_the_gradient_the_momentum_and_the_look_ahead():
    config = {"problem": "rosenbrock", "runs": [
        {"optimizer": "SGD", "lr": 0.001},
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9},
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9, "nesterov": True, "clip_norm": 1.0}]}
    snap = stepped(config, 3)
    arrows = compute_arrows(snap)
    origins, vectors = arrows["gradient"]
    np.testing.assert_array_equal(origins, snap.current_position)
    np.testing.assert_array_equal(vectors, -snap.current_grad)
    _, velocity = arrows["velocity"]
    assert np.isnan(velocity[0]).all()  # plain SGD has no velocity
    np.testing.assert_allclose(velocity[1], -0.001 * snap.current_state["momentum_buffer"][1])
    start, look = arrows["look-ahead"]
    assert np.isnan(start[:2]).all()
    np.testing.assert_allclose(start[2] + look[2], snap.current_position[2])  # ends at w
    _, clipped = arrows["clipped gradient"]
    assert np.isnan(clipped[:2]).all()
    assert np.linalg.norm(clipped[2]) == pytest.approx(1.0, rel=1e-5)


def test_a_huge_learning_rate_draws_no_velocity_arrow_and_warns_nothing():
    """lr = 1e308 typed mid-run: −lr·b overflows; no arrow rather than a RuntimeWarning (an
    exception in the panel feed's timer under filterwarnings=error)."""
    config = {"problem": "rosenbrock", "runs": [
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9, "nesterov": True}]}
    snap = stepped(config, 3)
    huge = dataclasses.replace(snap, hyperparameters=(
        MappingProxyType({**snap.hyperparameters[0], "lr": 1e308}),))
    arrows = compute_arrows(huge)
    assert np.isnan(arrows["velocity"][1]).all()
    assert np.isnan(arrows["look-ahead"][0]).all()


def test_arrows_use_the_state_now_not_the_last_recorded_row():
    config = {"problem": "rosenbrock", "runs": [
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9, "nesterov": True}]}
    snap = stepped(config, 3)
    now = np.array([[2.0, -4.0]])
    # a long run's records thin out: the last recorded row lags the current point
    lagging = dataclasses.replace(snap, current_state=MappingProxyType({"momentum_buffer": now}))
    arrows = compute_arrows(lagging)
    np.testing.assert_allclose(arrows["velocity"][1], -0.001 * now)
    start, look = arrows["look-ahead"]
    np.testing.assert_allclose(start, snap.current_position + 0.9 * 0.001 * now)
    np.testing.assert_allclose(start + look, snap.current_position)  # ends at the current point


def test_the_landscape_grid_brings_its_isolines_from_the_worker_thread():
    from app.landscape_grid import landscape_grid
    from optim_core.problems import make_problem
    from widgets.landscape import N_ISOLINES, display_field, isoline_levels

    problem = make_problem("rosenbrock")
    grid = landscape_grid(problem, points=61)
    levels, lines = grid.isolines
    field = display_field(grid.z, grid.log_scale)
    np.testing.assert_allclose(levels, isoline_levels(field, grid.log_scale))
    assert len(levels) == N_ISOLINES
    drawn = lines[np.isfinite(lines).all(axis=1)]
    assert len(drawn) > 100 and np.isnan(lines).any()  # several lines, NaN between them
    assert grid.x[0] - 1e-9 <= drawn[:, 0].min() and drawn[:, 0].max() <= grid.x[-1] + 1e-9
    assert grid.y[0] - 1e-9 <= drawn[:, 1].min() and drawn[:, 1].max() <= grid.y[-1] + 1e-9


def test_the_trajectories_csv_has_the_cli_columns_and_every_recorded_step():
    snap = stepped(FINITE_SUM, 5)
    rows = list(csv.DictReader(io.StringIO(trajectories_csv(snap))))
    assert len(rows) == 3 * 6
    assert rows[0]["step"] == "0" and rows[0]["grad_x"] == ""
    assert float(rows[5]["x"]) == snap.position[5, 0, 0]
    assert int(rows[5]["sample_grads"]) == 5 * 8


def test_a_large_sum_is_pictured_from_a_fixed_subset_and_says_so():
    from app.landscape_grid import PICTURE_SAMPLES, landscape_grid
    from optim_core.problems import make_problem

    small = make_problem({"name": "linear_regression", "n_samples": PICTURE_SAMPLES})
    exact = landscape_grid(small, points=9)
    np.testing.assert_allclose(exact.z, small.loss(torch.as_tensor(
        np.stack(np.meshgrid(exact.x, exact.y), axis=-1))).numpy(), rtol=1e-12)
    assert exact.title == small.title

    large = make_problem({"name": "linear_regression", "n_samples": 20 * PICTURE_SAMPLES})
    pictured = landscape_grid(large, points=9)
    assert f"{PICTURE_SAMPLES:,} of {20 * PICTURE_SAMPLES:,} samples" in pictured.title
    assert np.array_equal(pictured.z, landscape_grid(large, points=9).z)  # the same subset
    full = large.loss(torch.as_tensor(np.stack(np.meshgrid(pictured.x, pictured.y), axis=-1)))
    np.testing.assert_allclose(pictured.z, full.numpy(), rtol=0.05)  # a faithful picture
