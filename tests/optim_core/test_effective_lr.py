"""The effective learning rate Δw / g is recorded only where it is well conditioned: a step that
is a few roundings of its weight would give a ratio that is mostly rounding noise."""

import numpy as np
import pytest

from optim_core.experiment import parse_experiment
from optim_core.session import Session


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
