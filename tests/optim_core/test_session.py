"""Session behaviour a worker thread relies on: divergence, reset, bounded records, snapshots."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optim_core.errors import ConfigError
from optim_core.experiment import RunSpec
from optim_core.history import History
from optim_core.optimizers import get_rule
from optim_core.problems import make_problem
from optim_core.session import Session


def run(optimizer: str, start=(-1.5, 2.0), label: str = "", **hyper) -> RunSpec:
    defaults = {s.name: s.default for s in get_rule(optimizer).hyperparameters}
    return RunSpec(optimizer, {**defaults, **hyper}, start, label or optimizer)


def test_a_diverging_run_is_frozen_and_the_others_continue():
    session = Session(make_problem("rosenbrock"),
                      [run("SGD", lr=1e-3), run("SGD", lr=1.0, label="wild"), run("Adam", lr=0.05)])
    session.step(60)
    snap = session.snapshot()
    assert snap.status == ("ok", "diverged", "ok")
    at = snap.diverged_at[1]
    assert at is not None and 0 < at < 10
    assert snap.describe_status(1) == f"wild: diverged at step {at}"
    assert np.isnan(snap.position[at + 1:, 1]).all(), "records after divergence are empty"
    assert np.isfinite(snap.position[:, [0, 2]]).all()
    assert not np.allclose(snap.position[-1, 0], snap.position[-2, 0], rtol=0, atol=0)


def test_non_finite_start_is_diverged_at_step_zero():
    session = Session(make_problem("rosenbrock"), [run("SGD", start=(1e7, 0.0))])
    assert session.snapshot().diverged_at == (0,)


DIVERGING = {  # what freezes a run, each alone: the others must go on untouched
    "loss and gradient overflow": ("x**2 + y**2", 1.0, (1e30, 1.0), 0, "float32"),
    "only the gradient is non-finite": ("sqrt(abs(x)) + y**2", 0.1, (0.0, 1.0), 0, "float64"),
    "a coordinate past the bound": (  # x: 4e5, −8e5, 1.6e6
        "x**2 + y**2", 1.5, (4e5, 1.0), 2, "float64"),
    "a coordinate past the bound, float32": ("x**2 + y**2", 1.5, (4e5, 1.0), 2, "float32"),
}


@pytest.mark.parametrize(("expression", "lr", "start", "at", "dtype"), DIVERGING.values(),
                         ids=DIVERGING)
def test_a_run_is_frozen_at_the_step_its_loss_gradient_or_position_gives_out(
        expression, lr, start, at, dtype):
    problem = make_problem({"name": "custom", "expression": expression, "view": [-2, 2, -2, 2]})
    session = Session(problem, [run("SGD", start=start, lr=lr), run("SGD", start=(1.0, 1.0))],
                      dtype=dtype)
    session.step(6)
    snap = session.snapshot()
    assert snap.diverged_at == (at, None)
    assert np.isfinite(snap.position[:, 1]).all() and snap.position[-1, 1, 0] < 1.0


def test_reset_returns_to_the_start_with_fresh_state_and_same_draws():
    session = Session(make_problem("rosenbrock"), [run("Adam", lr=0.01)])
    session.step(25)
    first = session.snapshot()
    session.reset()
    assert session.step_count == 0
    assert session.snapshot().position.shape[0] == 1
    session.step(25)
    np.testing.assert_array_equal(session.snapshot().position, first.position)


def test_long_runs_keep_memory_bounded_by_thinning_rows():
    session = Session(make_problem("rosenbrock"), [run("SGD")], history_budget=1)
    session.step(5000)
    snap = session.snapshot()
    assert snap.step == 5000
    assert len(snap.steps) <= 1024
    assert snap.steps[0] == 0 and (np.diff(snap.steps) > 1).all()
    np.testing.assert_array_equal(snap.current_position, session.current_points())


def test_snapshots_are_read_only_copies():
    session = Session(make_problem("rosenbrock"), [run("SGD")])
    session.step(3)
    snap = session.snapshot()
    with pytest.raises(ValueError):
        snap.position[0, 0, 0] = 1.0
    session.step(3)
    assert snap.position.shape[0] == 4 and session.snapshot().position.shape[0] == 7


def test_effective_lr_of_sgd_is_its_learning_rate():
    session = Session(make_problem("quadratic"), [run("SGD", lr=0.01)])
    session.step(5)
    np.testing.assert_allclose(session.snapshot().effective_lr[1:, 0], 0.01, rtol=1e-12)


def test_clipping_is_recorded_when_it_fires():
    runs = [run("SGD", lr=1e-3), RunSpec("SGD", run("SGD").hyperparameters, (-1.5, 2.0), "clip",
                                        clip_norm=1.0)]
    session = Session(make_problem("rosenbrock"), runs)
    session.step(3)
    snap = session.snapshot()
    assert not snap.clipped[1:, 0].any() and snap.clipped[1:, 1].all()
    # a clipped step is at most lr · max_norm long
    step = np.linalg.norm(np.diff(snap.position[:, 1], axis=0), axis=-1)
    assert (step <= 1e-3 * 1.0 + 1e-15).all()


@pytest.mark.parametrize("name,value,field", [
    ("lr", -1.0, "runs[0].lr"),
    ("momentum", 1.5, "runs[0].momentum"),
    ("nesterov", True, "runs[0].nesterov"),
    ("clip_norm", 0.0, "runs[0].clip_norm"),
    ("bogus", 1.0, "runs[0].bogus"),
])
def test_a_refused_hyperparameter_names_the_field_and_changes_nothing(name, value, field):
    session = Session(make_problem("rosenbrock"), [run("SGD", lr=1e-3)])
    session.step(2)
    before = session.snapshot()
    with pytest.raises(ConfigError) as error:
        session.set_hyperparameter(0, name, value)
    assert error.value.field == field
    assert session.runs[0].hyperparameters["lr"] == 1e-3
    session.step(1)
    assert session.snapshot().position.shape[0] == before.position.shape[0] + 1


def test_history_halves_and_keeps_every_other_row():
    history = History(2, {"a": ((2,), torch.float64)}, capacity=8, device="cpu")
    for k in range(40):
        history.append(k, 0.1 * k, {"a": torch.full((2, 2), float(k))})
    arrays = history.arrays()
    assert 4 <= len(arrays["steps"]) <= 8
    np.testing.assert_array_equal(arrays["a"][:, 0, 0], arrays["steps"])
    assert (arrays["steps"] % history.stride == 0).all()


@pytest.mark.parametrize(("stride", "capacity", "final_step"), [
    (1, 64, None),  # every row follows the row before: the field is never written after row 0
    (3, 64, 40),  # none does but the final step's
    (1, 8, None),  # halved: rows kept without their row before are written then
])
def test_a_field_that_follows_another_reads_as_if_always_written(stride, capacity, final_step):
    fields = {"a": ((2,), torch.float64), "a_before": ((2,), torch.float64)}
    history = History(2, fields, capacity, "cpu", stride=stride, final_step=final_step,
                      follows={"a_before": "a"})
    for k in range(41):
        history.append(k, 0.0, {"a": torch.full((2, 2), float(k)),
                                "a_before": torch.full((2, 2), float(k - 1))})
    arrays = history.arrays()
    np.testing.assert_array_equal(arrays["a_before"][:, 0, 0], arrays["steps"] - 1)
    np.testing.assert_array_equal(arrays["a"][:, 0, 0], arrays["steps"])


def test_grad_noise_perturbs_a_deterministic_problem_reproducibly():
    def final(seed):
        session = Session(make_problem("quadratic"), [run("SGD", lr=0.1)], grad_noise=1.0,
                          seed=seed)
        session.step(10)
        return session.snapshot().position[-1, 0]

    assert np.array_equal(final(1), final(1)) and not np.array_equal(final(1), final(2))
