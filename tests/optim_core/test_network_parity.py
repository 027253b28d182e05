"""Every network run equals a plain PyTorch loop, to float64 rounding (relative 1e-10).

Table-driven over optimizers × clipping × weight decay (and schedules, see test_schedules), on an
MLP for classes, one for a regression, and the CNN on digits; torch.optim is the oracle.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from optim_core import run_experiment
from tests.optim_core.network_oracle import plain_loop

RTOL = 1e-10

RUNS: list[dict[str, Any]] = [
    {"optimizer": "SGD", "lr": 0.1},
    {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 1e-3},
    {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9, "nesterov": True, "clip_norm": 0.5},
    {"optimizer": "Adagrad", "lr": 0.05, "lr_decay": 0.01, "clip_value": 0.05},
    {"optimizer": "RMSprop", "lr": 0.005, "momentum": 0.5, "centered": True},
    {"optimizer": "Adam", "lr": 0.01, "weight_decay": 0.01, "clip_norm": 0.3},
    {"optimizer": "Adam", "lr": 0.01, "amsgrad": True, "betas": [0.8, 0.99]},
    {"optimizer": "AdamW", "lr": 0.02, "weight_decay": 0.1, "clip_norm": 0.5},
    {"optimizer": "NAdam", "lr": 0.01},  # the generic torch.optim adapter
    {"optimizer": "LBFGS", "lr": 0.1, "max_iter": 3, "history_size": 4},
]
NETWORKS = {
    "moons-mlp": ({"dataset": "moons", "n_samples": 200, "noise": 0.2, "hidden": [8, 8],
                   "activation": "tanh"}, 32, 25),
    "sine-regression": ({"dataset": "sine", "n_samples": 120, "hidden": [8],
                         "activation": "gelu"}, 16, 20),
    "xor-full-batch": ({"dataset": "xor", "n_samples": 80, "hidden": [6],
                        "activation": "sigmoid"}, None, 15),
}


def experiment(network: dict[str, Any], batch_size: int | None, steps: int,
               runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"network": network, "steps": steps, "batch_size": batch_size, "seed": 3,
            "dtype": "float64", "record_batches": True, "runs": runs}


def assert_matches(config: dict[str, Any], result: dict[str, Any]) -> None:
    for r, run in enumerate(result["runs"]):
        params, losses = plain_loop(config, result, r)
        scale = np.abs(params).max()
        assert np.abs(run["params"] - params).max() <= RTOL * scale, run["label"]
        np.testing.assert_allclose(run["loss"], losses, rtol=RTOL, atol=0, err_msg=run["label"])
        assert run["status"] == "ok"


@pytest.mark.parametrize("name", NETWORKS)
def test_every_optimizer_matches_a_plain_loop(name: str) -> None:
    network, batch_size, steps = NETWORKS[name]
    config = experiment(network, batch_size, steps, RUNS)
    assert_matches(config, run_experiment(config))


def test_the_cnn_on_digits_matches_a_plain_loop() -> None:
    runs = [{"optimizer": "SGD", "lr": 0.1, "momentum": 0.9},
            {"optimizer": "Adam", "lr": 0.003, "clip_norm": 1.0}]
    config = experiment({"dataset": "digits", "model": "cnn", "hidden": [4, 8],
                         "validation": 0.5}, 32, 6, runs)
    assert_matches(config, run_experiment(config))


def test_a_run_gives_the_same_result_alone_or_in_a_crowd() -> None:
    network, batch_size, steps = NETWORKS["moons-mlp"]
    alone = run_experiment(experiment(network, batch_size, steps, RUNS[5:6]))
    crowd = run_experiment(experiment(network, batch_size, steps, RUNS))
    np.testing.assert_allclose(alone["runs"][0]["params"], crowd["runs"][5]["params"],
                               rtol=RTOL, atol=1e-14)
    np.testing.assert_array_equal(alone["network"]["batches"], crowd["network"]["batches"])


def test_every_run_starts_from_the_same_seeded_weights() -> None:
    network, batch_size, _ = NETWORKS["moons-mlp"]
    a = run_experiment(experiment(network, batch_size, 0, RUNS[:2]))
    b = run_experiment(experiment(network, batch_size, 0, RUNS[:2]))
    np.testing.assert_array_equal(a["network"]["init_params"], b["network"]["init_params"])
    for run in a["runs"]:
        np.testing.assert_array_equal(run["params"], a["network"]["init_params"])


def test_minibatches_go_through_each_epoch_without_replacement() -> None:
    network, _, _ = NETWORKS["moons-mlp"]
    result = run_experiment(experiment(network, 32, 10, RUNS[:1]))
    batches = result["network"]["batches"]
    n_train = len(result["network"]["train_x"])
    per_epoch = n_train // 32
    first_epoch = batches[:per_epoch].ravel()
    assert len(np.unique(first_epoch)) == len(first_epoch) == per_epoch * 32
    assert batches.shape == (10, 32)


SCHEDULES: list[dict[str, Any]] = [
    {"name": "StepLR", "step_size": 5, "gamma": 0.5},
    {"name": "MultiStepLR", "milestones": [4, 9], "gamma": 0.3},
    {"name": "ExponentialLR", "gamma": 0.9},
    {"name": "CosineAnnealingLR", "T_max": 12},
    {"name": "LinearLR", "start_factor": 0.1, "total_iters": 6},
    {"name": "OneCycleLR", "max_lr": 0.05, "total_steps": 15},
    {"name": "SequentialLR", "milestones": [5],
     "schedulers": [{"name": "LinearLR", "start_factor": 0.2, "total_iters": 5},
                    {"name": "CosineAnnealingLR", "T_max": 10}]},
]


@pytest.mark.parametrize("schedule", SCHEDULES, ids=[s["name"] for s in SCHEDULES])
def test_schedules_match_torchs_lr_scheduler(schedule: dict[str, Any]) -> None:
    """Each schedule with SGD+momentum, Adam, AdamW and clipping (OneCycleLR cycles the
    momentum and β₁ too), against scheduler.step() after optimizer.step()."""
    runs = [{"optimizer": "SGD", "lr": 0.05, "momentum": 0.9, "schedule": schedule},
            {"optimizer": "Adam", "lr": 0.01, "clip_norm": 0.5, "schedule": schedule},
            {"optimizer": "AdamW", "lr": 0.02, "weight_decay": 0.1, "schedule": schedule},
            {"optimizer": "AdamW", "lr": 0.02, "weight_decay": 0.1}]
    network, batch_size, _ = NETWORKS["moons-mlp"]
    config = experiment(network, batch_size, 15, runs)
    result = run_experiment(config)
    assert_matches(config, result)
    assert not np.allclose(result["runs"][2]["params"], result["runs"][3]["params"])
