"""Steps to a target loss against batch size: each row is that batch size's own training run."""

import copy
import math

import numpy as np
import pytest
import torch

from optim_core import run_experiment
from optim_core.errors import ConfigError
from optim_core.networks.batch_sweep import EARLY, batch_size_sweep

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NETWORK = {"network": {"dataset": "moons", "n_samples": 200, "noise": 0.1, "hidden": [8],
                       "activation": "tanh"},
           "steps": 60, "batch_size": 16, "seed": 1, "dtype": "float64", "eval_every": 5,
           "noise_scale_every": 10, "layer_stats_every": 0, "sharpness_every": 0,
           "runs": [{"optimizer": "SGD", "lr": 0.5, "momentum": 0.9, "label": "momentum"},
                    {"optimizer": "Adam", "lr": 0.001, "label": "slow Adam"}]}
TARGET = 0.3


@pytest.fixture(scope="module")
def sweep():
    torch.set_num_threads(1)
    return batch_size_sweep(NETWORK, [4, 32, None], TARGET)


@pytest.mark.parametrize("i, batch", [(0, 4), (1, 32), (2, None)])
def test_each_row_is_that_batch_sizes_own_run(sweep, i, batch):
    config = {**copy.deepcopy(NETWORK), "batch_size": batch}
    runs = run_experiment(config)["runs"]
    for r, run in enumerate(runs):
        below = np.asarray(run["train_loss"]) <= TARGET
        expected = float(np.asarray(run["eval_steps"])[np.argmax(below)]) if below.any() \
            else math.inf
        assert sweep.steps_to_target[i, r] == expected
    early = [v for run in runs for v in np.asarray(run["noise_scale"])[:EARLY]]
    assert np.isfinite(early).any()


def test_the_result(sweep):
    assert sweep.labels == ("momentum", "slow Adam") and sweep.target == TARGET
    assert sweep.batch_sizes.tolist() == [4, 32, 150] and sweep.n_train == 150  # full: all
    assert np.isfinite(sweep.steps_to_target[:, 0]).all()  # momentum gets there
    assert np.isinf(sweep.steps_to_target[:, 1]).all()  # lr 0.001 does not, in 60 steps
    np.testing.assert_array_equal(sweep.sample_gradients(),
                                  sweep.steps_to_target * np.array([[4], [32], [150]]))
    assert 0 < sweep.b_simple < math.inf


def test_no_noise_scale_records_no_b_simple():
    r = batch_size_sweep({**NETWORK, "noise_scale_every": 0, "steps": 5}, [8], 0.5)
    assert math.isnan(r.b_simple)


def test_progress_counts_batch_sizes():
    seen = []
    batch_size_sweep({**NETWORK, "steps": 2}, [8, 16], 0.5,
                     progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


@pytest.mark.parametrize("sizes, target, field", [
    ([8], 0.0, "target"),
    ([8], math.nan, "target"),
    ([8], True, "target"),
    ([], 0.5, "batch_sizes"),
    ([8, 10**6], 0.5, "batch_sizes[1]"),
    ([0], 0.5, "batch_sizes[0]"),
])
def test_bad_input_names_the_field(sizes, target, field):
    with pytest.raises(ConfigError) as caught:
        batch_size_sweep({**NETWORK, "steps": 2}, sizes, target)
    assert caught.value.field == field
