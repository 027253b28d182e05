"""The training session's measurements and its behaviour over long or failing runs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optim_core.errors import ConfigError
from optim_core.networks import probes
from optim_core.networks.experiment import parse_network_experiment
from optim_core.networks.training import TrainingSession


def session(runs, steps=20, network=None, **extra) -> TrainingSession:
    config = {"network": network or {"dataset": "moons", "n_samples": 120, "hidden": [5],
                                     "activation": "tanh"},
              "steps": steps, "batch_size": 16, "dtype": "float64", "runs": runs, **extra}
    return TrainingSession(parse_network_experiment(config))


def per_sample_grads(s: TrainingSession, run: int, x, y) -> torch.Tensor:
    rows = []
    for i in range(len(x)):
        w = s.current_params()[run:run + 1].requires_grad_(True)
        loss = probes.batch_loss(s.model, w, x[i:i + 1], y[i:i + 1]).sum()
        rows.append(torch.autograd.grad(loss, w)[0][0])
    return torch.stack(rows)


@pytest.mark.parametrize("network", [
    {"dataset": "moons", "n_samples": 120, "hidden": [5], "activation": "tanh"},
    {"dataset": "sine", "n_samples": 60, "hidden": [4], "activation": "gelu"},
    {"dataset": "digits", "model": "cnn", "hidden": [2, 3], "validation": 0.8},
])
def test_noise_scale_is_trace_of_sigma_over_squared_mean_gradient(network) -> None:
    s = session([{"optimizer": "SGD", "lr": 0.1}, {"optimizer": "Adam", "lr": 0.01}],
                network=network)
    s.step(5)
    x, y = s.data.train_x[:24], s.data.train_y[:24]
    measured = probes.noise_scale(s.model, s.current_params(), x, y)
    for run in range(2):
        g = per_sample_grads(s, run, x, y)
        mean = g.mean(0)
        trace = ((g - mean) ** 2).sum() / (len(g) - 1)
        signal = (mean**2).sum() - trace / len(g)
        expected = trace / signal if signal > 0 else torch.tensor(float("nan"))
        torch.testing.assert_close(measured[run], expected.to(measured.dtype), equal_nan=True)


def test_sharpness_is_the_top_hessian_eigenvalue() -> None:
    s = session([{"optimizer": "SGD", "lr": 0.3}])
    s.step(10)
    x, y = s.data.train_x[:64], s.data.train_y[:64]
    w = s.current_params()[0]
    hessian = torch.autograd.functional.hessian(
        lambda v: probes.batch_loss(s.model, v[None], x, y)[0], w)
    top = torch.linalg.eigvalsh(hessian).abs().max()
    value, _ = probes.sharpness(s.model, s.current_params(), x, y, iterations=300)
    assert float(value[0]) == pytest.approx(float(top), rel=1e-3)


def test_layer_statistics_follow_their_definitions() -> None:
    s = session([{"optimizer": "Adam", "lr": 0.05}], layer_stats_every=1)
    before = s.current_params()
    s.step(1)
    after = s.current_params()
    rec = s.records()["layers"]
    w = s.model.layer_slices()[0][1]
    np.testing.assert_allclose(rec["update_ratio"][-1, 0, 0],
                               float((after[0, w] - before[0, w]).norm() / before[0, w].norm()))
    np.testing.assert_allclose(rec["weight_norm"][-1, 0, 0], float(after[0, w].norm()))
    # Adam's first step moves every parameter with a gradient by lr: |Δw/g| = lr/|g|
    assert rec["effective_lr_hist"][-1, 0].sum() > 0


def test_a_diverging_run_is_frozen_and_the_others_go_on() -> None:
    s = session([{"optimizer": "SGD", "lr": 1e8}, {"optimizer": "Adam", "lr": 0.01}], steps=30)
    s.step(30)
    assert s.status() == ("diverged", "ok")
    assert s.diverged_at()[0] is not None
    snap = s.snapshot()
    assert np.isnan(snap.loss[-1, 0]) and np.isfinite(snap.loss[-1, 1])
    assert np.isfinite(snap.eval["val_loss"][-1, 1])


def test_long_runs_keep_bounded_records() -> None:
    config = {"network": {"dataset": "moons", "n_samples": 60, "hidden": [3]}, "steps": 10**6,
              "batch_size": 8, "runs": [{"optimizer": "SGD", "lr": 0.1}], "eval_every": 1,
              "layer_stats_every": 1, "noise_scale_every": 0, "sharpness_every": 0}
    s = TrainingSession(parse_network_experiment(config), history_budget=200_000)
    s.step(3000)
    records = s.records()
    assert len(records["steps"]["steps"]) < 3000 and records["steps"]["steps"][-1] > 2900
    assert len(records["eval"]["steps"]) < 3000 and records["eval"]["steps"][0] == 0
    assert records["weights"]["steps"][-1] >= 2048


def test_hyperparameters_change_between_steps_and_reset_starts_over() -> None:
    s = session([{"optimizer": "SGD", "lr": 0.1}])
    s.step(3)
    s.set_hyperparameter(0, "lr", 0.0)
    frozen = s.current_params()
    s.step(2)
    torch.testing.assert_close(s.current_params(), frozen)
    with pytest.raises(ConfigError, match=r"runs\[0\]\.lr"):
        s.set_hyperparameter(0, "lr", -1)
    s.reset()
    assert s.step_count == 0
    torch.testing.assert_close(s.current_params()[0], s.init_params)


def test_decision_regions_of_two_classes_are_probabilities() -> None:
    s = session([{"optimizer": "Adam", "lr": 0.05}, {"optimizer": "SGD", "lr": 0.5}])
    s.step(20)
    grid = s.decision_grid((-2, 3, -2, 2), 16)
    assert grid.shape == (2, 16, 16) and ((grid >= 0) & (grid <= 1)).all()
    digits = session([{"optimizer": "SGD"}], network={"dataset": "digits", "hidden": [4]})
    with pytest.raises(ValueError):
        digits.decision_grid((0, 1, 0, 1))


def test_effective_lr_histograms_count_log_ratios_per_layer() -> None:
    s = session([{"optimizer": "Adam", "lr": 0.05}, {"optimizer": "SGD", "lr": 0.3}])
    s.step(3)
    before = s.current_params()
    grad = torch.randn_like(before)
    grad[0, :7] = 0.0  # parameters without a gradient are left out
    after = before - 0.01 * grad * torch.rand_like(before)
    counts = probes.layer_stats(s.model, before, after, grad)["effective_lr_hist"].numpy()
    edges = probes.ELR_EDGES.numpy()
    for r in range(2):
        for i, (_, span) in enumerate(s.model.layer_slices()):
            ratio = ((after - before)[r, span] / grad[r, span]).abs().numpy()
            logs = np.log10(ratio[np.isfinite(np.log10(ratio))])
            expected, _ = np.histogram(np.clip(logs, edges[0], edges[-1]), bins=edges)
            np.testing.assert_array_equal(counts[r, i], expected)


def test_a_changed_lr_follows_the_runs_schedule_from_where_it_is() -> None:
    schedule = {"name": "StepLR", "step_size": 2, "gamma": 0.5}
    s = session([{"optimizer": "SGD", "lr": 0.1, "schedule": schedule}])
    s.step(4)  # two decays: the next step uses 0.1 / 4
    assert s.rules.current_lr() == [pytest.approx(0.025)]
    s.set_hyperparameter(0, "lr", 0.4)
    assert s.rules.current_lr() == [pytest.approx(0.1)]
    s.step(2)
    assert s.rules.current_lr() == [pytest.approx(0.05)]
