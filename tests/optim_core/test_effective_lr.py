"""The effective learning rate Δw / g is recorded only where it is well conditioned: a step that
is a few roundings of its weight would give a ratio that is mostly rounding noise."""

import numpy as np
import pytest
import torch

from optim_core.experiment import RunSpec, parse_experiment
from optim_core.optimizers import get_rule
from optim_core.problems import make_problem
from optim_core.session import WELL_CONDITIONED_ULPS, Session

DEFAULTS = {name: {s.name: s.default for s in get_rule(name).hyperparameters}
            for name in ("SGD", "Adam", "Adagrad")}


def effective_lr(start, lr, dtype="float64", steps=20) -> np.ndarray:
    experiment = parse_experiment({"problem": "quadratic", "start": start, "steps": steps,
                                   "dtype": dtype, "runs": [{"optimizer": "SGD", "lr": lr}]})
    session = Session.from_experiment(experiment)
    session.step(steps)
    return session.snapshot().effective_lr[1:, 0]


@pytest.mark.parametrize(("start", "lr", "dtype"), [
    ((1000.0, 1000.0), 1e-15, "float64"),  # steps of 1e-12 on weights of 1000
    ((3.0, 2.0), 1e-9, "float32"),  # steps of 1e-9 on weights of 3: below float32's rounding
])
def test_steps_below_the_weights_rounding_give_no_ratio(start, lr, dtype):
    ratio = effective_lr(start, lr, dtype)
    assert np.isnan(ratio).all()


@pytest.mark.parametrize(("start", "lr", "dtype"), [
    ((-3.0, 2.0), 0.05, "float64"),
    ((-3.0, 2.0), 0.05, "float32"),
    ((1000.0, 1000.0), 1e-6, "float64"),
])
def test_well_conditioned_steps_give_the_learning_rate(start, lr, dtype):
    ratio = effective_lr(start, lr, dtype)
    finite = ratio[np.isfinite(ratio)]
    assert finite.size >= ratio.size // 2
    np.testing.assert_allclose(np.abs(finite), lr, rtol=1e-3)


def _per_step_formula(before: torch.Tensor, after: torch.Tensor, grad: torch.Tensor):
    """How the engine computed the effective lr at every step until it was worked out on read:
    the oracle for the values read now."""
    step = before - after
    rounding = torch.finfo(before.dtype).eps * torch.maximum(before.abs(), after.abs())
    return torch.where(step.abs() > WELL_CONDITIONED_ULPS * rounding, step / grad, float("nan"))


RUNS = [RunSpec("SGD", {**DEFAULTS["SGD"], "lr": 1e-3, "momentum": 0.9}, (-1.5, 2.0)),
        RunSpec("Adam", {**DEFAULTS["Adam"], "lr": 0.05}, (0.5, -0.5), clip_norm=1.0),
        RunSpec("SGD", {**DEFAULTS["SGD"], "lr": 0.01}, (1000.0, 1.0)),  # steps below rounding
        RunSpec("SGD", {**DEFAULTS["SGD"], "lr": 1.0}, (-1.5, 2.0)),  # diverges
        RunSpec("Adagrad", {**DEFAULTS["Adagrad"], "lr": 0.1}, (1.0, 1.0))]  # reaches g = 0


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("record_every", "expected_steps"), [
    (1, 60),  # every step: each row's start is the row before
    (3, 60),  # every 3rd step: the start of a row's step is not recorded
    (1, 16),  # records sized for 16 steps, halved twice: the rows' starts were dropped
])
def test_values_read_are_the_per_step_formulas_exactly(dtype, record_every, expected_steps):
    session = Session(make_problem("rosenbrock"), RUNS, dtype=dtype,
                      expected_steps=expected_steps, record_every=record_every)
    expected = {0: torch.full((len(RUNS), 2), float("nan"), dtype=session.dtype)}
    for k in range(1, 61):
        before, grad, active = session._params, session._current.grad, session._active
        session.step(1)
        ratio = _per_step_formula(before, session._params, grad)
        expected[k] = torch.where(active[:, None], ratio, float("nan"))
    snap = session.snapshot()
    thinned = (record_every, expected_steps) != (1, 60)
    assert snap.steps[-1] == 60 and (len(snap.steps) < 61) == thinned
    assert snap.diverged_at[3] is not None and np.isnan(snap.effective_lr).any()
    want = np.stack([expected[int(k)].numpy() for k in snap.steps])
    np.testing.assert_array_equal(snap.effective_lr, want)  # NaN where NaN, bit for bit else
    assert snap.effective_lr.dtype == want.dtype
