"""Every network lesson shows what its text says: each claim checked by training the lesson's net.

A lesson on a network is a promise about training ("AdamW fits at lr 0.01 and 0.1, SGD only at
3", "the sharpness hovers at 2/lr"); these tests run each lesson's experiment with
``run_experiment`` — over several seeds where one seed could be luck — and check the promise,
the numbers its text quotes, and the outcome its "try" suggestion claims.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from app.network_lessons import LESSONS, PANELS, network_lesson
from optim_core import run_experiment
from optim_core.networks.batch_sweep import batch_size_sweep
from optim_core.networks.experiment import parse_network_experiment
from optim_core.sweep import log_grid, network_lr_sweep

pytestmark = pytest.mark.usefixtures("one_torch_thread")

Runs = dict[str, dict[str, Any]]
SEEDS = (0, 1, 2)


def play(key: str, *, seed: int | None = None, run: int | None = None,
         every_run: dict[str, Any] | None = None, **changes: Any) -> Runs:
    """Lesson ``key``'s runs by label (numpy arrays), with ``seed`` and the ``changes`` its "try"
    suggests: to run ``run`` when given, else to the experiment; ``every_run`` to each run."""
    config = copy.deepcopy(network_lesson(key)["experiment"])
    if seed is not None:
        config["seed"] = seed
    for entry in config["runs"]:
        entry.update(every_run or {})
    if run is not None:
        config["runs"][run].update(changes)
    else:
        config.update(changes)
    result = run_experiment(config)
    return {r["label"]: {k: np.asarray(v) if isinstance(v, list) else v for k, v in r.items()}
            for r in result["runs"]}


def final(run: dict[str, Any], name: str = "val_loss") -> float:
    return float(run[name][-1])


def total_norm(run: dict[str, Any]) -> float:
    """The whole net's weight norm after the last step, from the per-layer norms."""
    return float(np.sqrt((run["weight_norm"][-1] ** 2).sum()))


# ------------------------------------------------------------------ the claims, one per lesson


def lr_insensitivity(r: Runs) -> None:
    loss = {label: final(run) for label, run in r.items()}
    untrained = float(r["SGD lr=3"]["val_loss"][0])
    fits = {label for label, value in loss.items() if value < untrained / 10}
    assert {"AdamW lr=0.01", "AdamW lr=0.1", "SGD lr=3"} <= fits, loss
    assert not fits & {"SGD lr=0.03", "AdamW lr=0.001", "Adam + L2 lr=0.001",
                       "Adam + L2 lr=0.01"}, loss
    for lr in ("0.01", "0.1"):
        assert loss[f"Adam + L2 lr={lr}"] > 5 * loss[f"AdamW lr={lr}"], loss
    quoted = {"AdamW lr=0.001": 0.22, "AdamW lr=0.01": 0.008, "AdamW lr=0.1": 0.0001,
              "SGD lr=0.03": 0.24, "SGD lr=0.3": 0.094, "SGD lr=3": 0.001,
              "Adam + L2 lr=0.001": 0.23, "Adam + L2 lr=0.01": 0.23, "Adam + L2 lr=0.1": 0.048}
    for label, value in quoted.items():  # the watch text's numbers, to its rounding
        assert value / 2 < loss[label] < 2 * value, (label, loss[label])
    assert round(untrained, 2) == 0.66
    hist = {label: run["effective_lr_hist"][-1] for label, run in r.items()}  # (layers, bins)
    assert ((hist["SGD lr=0.3"] > 0).sum(-1) == 1).all()  # SGD: one effective lr, its lr
    assert ((hist["AdamW lr=0.01"] > 0).sum(-1) >= 5).all()  # Adam: one per parameter
    grid = log_grid(1e-4, 10, 16)  # the sweep window's default grid
    experiment = copy.deepcopy(network_lesson("network-lr-insensitivity")["experiment"])
    experiment["runs"].append({"optimizer": "Adam", "lr": 0.01})  # plain Adam, for comparison
    wider = narrower = 0
    for seed in range(6):
        sweep = network_lr_sweep(experiment, grid, seed=seed)
        assert sweep.optimizers == ("SGD", "Adam weight_decay=0.01", "AdamW", "Adam")
        assert not any(sweep.best_at_edge()), (seed, sweep.best)  # the ranges are whole
        _, l2, adamw, adam = sweep.improvement()  # the watch text's factors, to its rounding
        assert 100 <= adamw <= 5500 and 80 <= adam <= 9000 and 10 <= l2 <= 35, (
            seed, sweep.improvement())
        d_sgd, _, d_adamw, _ = (0.0 if math.isnan(d) else d for d in sweep.tolerant_decades())
        assert 0.3 <= round(d_adamw, 1) <= 1.7 and d_sgd <= 0.7, (seed, d_adamw, d_sgd)
        wider += d_adamw > d_sgd + 1e-6
        narrower += d_adamw < d_sgd - 1e-6
        assert sweep.best[0][0] >= 9 * sweep.best[2][0], (seed, sweep.best)  # SGD's lrs higher
    assert (wider, narrower) == (3, 3)  # "not reliably more tolerant": as the text says
    # try: without the coupled decay, Adam is as good as AdamW at every lr
    plain = play_adam_without_decay()
    for lr in ("0.001", "0.01", "0.1"):
        assert plain[f"Adam + L2 lr={lr}"] <= 2 * loss[f"AdamW lr={lr}"], (plain, loss)


def play_adam_without_decay() -> dict[str, float]:
    """The final validation losses of the lr lesson with Adam's weight_decay set to 0."""
    config = copy.deepcopy(network_lesson("network-lr-insensitivity")["experiment"])
    for run in config["runs"]:
        if run["optimizer"] == "Adam":
            run["weight_decay"] = 0.0
    return {run["label"]: float(run["val_loss"][-1]) for run in run_experiment(config)["runs"]}


def batch_size(r: Runs) -> None:
    assert r["SGD+momentum lr=0.3"]["noise_scale"].size > 0  # the panel has B_simple to show
    b_simple = []
    for seed in SEEDS:
        config = {**network_lesson("network-batch-size")["experiment"], "seed": seed}
        sweep = batch_size_sweep(config, [8, 32, 64, None], 0.05)
        steps = dict(zip(sweep.batch_sizes.tolist(), sweep.steps_to_target[:, 0], strict=True))
        assert steps[8] >= 2.5 * steps[32], (seed, steps)  # small batches: 4× buys ≥ 2.5×
        assert steps[64] <= 1.6 * steps[450], (seed, steps)  # past B_simple: 7× buys ≤ 1.6×
        assert steps[64] < steps[8], (seed, steps)
        b_simple.append(sweep.b_simple)
    assert all(20 <= b <= 100 for b in b_simple), b_simple  # where the steps stop falling


def clipping(r: Runs) -> None:
    own = r["SGD lr=3"]
    assert final(own) > own["val_loss"][0]  # "here the net ends worse than it began"
    for seed in (0, 1, 2):
        runs = r if seed == 1 else play("network-clipping", seed=seed)
        wild, clipped = runs["SGD lr=3"], runs["SGD lr=3, clip_norm=0.5"]
        assert np.nanmax(wild["loss"]) > 8, seed  # spikes to > 10× the untrained loss
        assert np.nanmax(clipped["loss"]) < 2.5, seed
        assert final(clipped) < 0.3 and final(clipped, "val_accuracy") > 0.88, seed
        assert final(wild) > final(clipped), seed
        assert 0.1 < clipped["clipped"].mean() < 0.4, seed  # a sixth to a third of the steps
        assert not wild["clipped"].any()
        lrs = np.array(network_effective_lrs(clipped))  # where the clip fired, below 3
        assert lrs.min() < 2.5 and lrs.max() <= 3.0 * 1.01, (seed, lrs)
    calm = play("network-clipping", every_run={"lr": 0.3})  # try: a smaller lr
    assert abs(final(calm["SGD lr=3"]) - final(calm["SGD lr=3, clip_norm=0.5"])) < 0.05
    assert max(np.nanmax(run["loss"]) for run in calm.values()) < 1.5  # no spikes either way
    tight = play("network-clipping", run=1, clip_norm=0.05)["SGD lr=3, clip_norm=0.5"]
    assert tight["clipped"].mean() > 0.95 and final(tight) < 0.3  # fixed-length steps, and fine


def network_effective_lrs(run: dict[str, Any]) -> list[float]:
    """The lower bin edges of the effective lrs a run's layer records saw, over all steps."""
    edges = np.logspace(-8, 2, 51)
    seen = run["effective_lr_hist"].sum(axis=(0, 1)) > 0
    return edges[:-1][seen].tolist()


def weight_decay(r: Runs) -> None:
    for seed in SEEDS:
        runs = r if seed == 0 else play("network-weight-decay", seed=seed)
        adam = runs["Adam"]
        l2, adamw = runs["Adam + L2, weight_decay=0.01"], runs["AdamW, weight_decay=0.01"]
        assert total_norm(l2) < 0.6 * total_norm(adam), seed  # a third to a half of Adam's
        assert 0.9 * total_norm(adam) < total_norm(adamw) < total_norm(adam), seed
        layers = l2["weight_norm"][-1]
        assert layers.max() < 1.4 * layers.min(), layers  # every layer about the same
        assert final(l2) > final(adamw) and final(l2) > final(adam), seed
        accuracy = [final(run, "val_accuracy") for run in (adam, l2, adamw)]
        assert accuracy[1] < min(accuracy[0], accuracy[2]) and accuracy[1] < 0.88, accuracy
        assert min(accuracy[0], accuracy[2]) > 0.89, accuracy
    strong = play("network-weight-decay", run=2, weight_decay=1.0)["AdamW, weight_decay=0.01"]
    assert total_norm(strong) < 0.6 * total_norm(r["AdamW, weight_decay=0.01"])


def edge_of_stability(r: Runs) -> None:
    for seed in SEEDS:
        runs = r if seed == 0 else play("network-edge-of-stability", seed=seed)
        for run in runs.values():
            edge = 2 / run["hyperparameters"]["lr"]
            later = run["sharpness"][run["sharpness_steps"] > 200]
            assert 0.8 * edge < np.median(later) < 1.15 * edge, (seed, edge, later)
            loss = run["loss"]
            assert loss.max() > loss[0] and loss[-1] < 0.2 * loss[0], seed  # spikes, yet falls
        first = runs["GD lr=0.1 (2/lr = 20)"]["sharpness"][0]
        assert first < 0.8 * 20, (seed, first)  # it rises to the edge
    stable = play("network-edge-of-stability", run=0, lr=0.02)["GD lr=0.1 (2/lr = 20)"]
    assert 25 < np.max(stable["sharpness"]) < 35  # "levels off near 30", far below 100
    assert np.all(np.diff(stable["loss"]) <= 0)  # and the loss falls smoothly


CLAIMS: dict[str, Callable[[Runs], None]] = {
    "network-lr-insensitivity": lr_insensitivity,
    "network-batch-size": batch_size,
    "network-clipping": clipping,
    "network-weight-decay": weight_decay,
    "network-edge-of-stability": edge_of_stability,
}


def test_every_lesson_has_a_checked_claim():
    assert [entry["key"] for entry in LESSONS] == list(CLAIMS)


@pytest.mark.parametrize("entry", LESSONS, ids=[entry["key"] for entry in LESSONS])
def test_lesson_is_well_formed(entry):
    needed = {"key", "title", "section", "experiment", "panels", "watch", "try"}
    assert needed <= set(entry) <= needed | {"lr_sweep"}  # lr_sweep: a link to the lr sweep
    assert isinstance(entry.get("lr_sweep", False), bool)
    parse_network_experiment(entry["experiment"])
    assert entry["panels"] and set(entry["panels"]) <= set(PANELS)
    assert entry["watch"].strip() and entry["try"].strip() and entry["title"].strip()
    assert entry["section"][0].isdigit()


@pytest.mark.parametrize("key", list(CLAIMS))
def test_lesson_shows_its_claim(key):
    CLAIMS[key](play(key))


def test_unknown_lesson_is_a_key_error():
    with pytest.raises(KeyError):
        network_lesson("nope")
