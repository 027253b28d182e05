"""The lr sweep on a network: the same runs as a plain network experiment, judged by validation
loss against the untrained network's; the ``sweep --network`` command line."""

import copy
import json
import math

import pytest
import torch

from optim_core import cli, run_experiment
from optim_core.errors import ConfigError
from optim_core.sweep import SweepCancelled, network_lr_sweep, network_variants

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NETWORK = {"network": {"dataset": "moons", "n_samples": 200, "noise": 0.1, "hidden": [8],
                       "activation": "tanh"},
           "steps": 20, "batch_size": 16, "seed": 2, "dtype": "float64",
           "runs": [{"optimizer": "SGD", "lr": 0.1, "momentum": 0.9},
                    {"optimizer": "AdamW", "lr": 0.01, "weight_decay": 0.1, "clip_norm": 1.0}]}
LRS = [0.003, 0.3]


@pytest.fixture(scope="module")
def sweep():
    torch.set_num_threads(1)
    return network_lr_sweep(NETWORK, LRS)


def single_run(run: dict, lr: float) -> dict:
    config = copy.deepcopy(NETWORK)
    config["runs"] = [{**run, "lr": lr}]
    config["eval_every"] = config["steps"]  # evaluated at the start and the end
    return run_experiment(config)["runs"][0]


def test_variants_are_the_runs_without_their_lr():
    config = copy.deepcopy(NETWORK)
    config["runs"].append({"optimizer": "SGD", "lr": 0.5, "momentum": 0.9, "label": "fast"})
    config["runs"].append({"optimizer": "Adam", "lr": 0.5, "schedule": {
        "name": "CosineAnnealingLR", "T_max": 20}})
    names = [name for name, _ in network_variants(config)]
    assert names == ["SGD+momentum", "AdamW weight_decay=0.1 clip_norm=1",
                     "Adam CosineAnnealingLR"]  # the second SGD differs only in lr and label


@pytest.mark.parametrize("o, j", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_each_cell_is_the_final_validation_loss_of_that_run_alone(sweep, o, j):
    alone = single_run(NETWORK["runs"][o], LRS[j])
    assert sweep.final_loss[o, j] == pytest.approx(float(alone["val_loss"][-1]), rel=1e-9)
    assert sweep.start_loss == pytest.approx(float(alone["val_loss"][0]), rel=1e-12)


def test_the_result_says_what_was_trained(sweep):
    assert sweep.optimizers == ("SGD+momentum", "AdamW weight_decay=0.1 clip_norm=1")
    assert sweep.start is None and sweep.f_min is None
    assert sweep.network.startswith("moons (n_samples 200, noise 0.1), MLP 2-8-2, tanh")
    assert (sweep.steps, sweep.batch_size, sweep.seed) == (20, 16, 2)
    assert all(math.isfinite(x) for x in sweep.improvement())


def test_named_optimizers_get_torchs_defaults():
    r = network_lr_sweep(NETWORK, [0.01], optimizers=["Adam", "AdamW"], steps=5,
                         batch_size=None, seed=0)
    assert r.optimizers == ("Adam", "AdamW") and r.batch_size is None and r.steps == 5
    assert r.final_loss[0, 0] != r.final_loss[1, 0]  # AdamW's weight_decay 1e-2


def test_a_diverged_run_is_nan():
    sine = {**NETWORK, "network": {"dataset": "sine", "n_samples": 100, "hidden": [8]}}
    r = network_lr_sweep(sine, [0.01, 100.0], optimizers=["SGD"], steps=10)
    assert r.diverged[0].tolist() == [False, True] and math.isnan(r.final_loss[0, 1])


def test_cancel_stops_between_chunks():
    with pytest.raises(SweepCancelled):
        network_lr_sweep(NETWORK, LRS, cancelled=lambda: True)


def test_progress_every_ten_steps_and_cancel_at_every_step():
    """A network's steps are costly (48 CNNs: 50 took up to 30 s): progress every 10, and
    Cancel is looked at before every step (it waited for the end of a chunk of 10)."""
    reports: list[tuple[int, int]] = []
    network_lr_sweep(NETWORK, LRS, steps=25, progress=lambda done, n: reports.append((done, n)))
    assert reports == [(10, 25), (20, 25), (25, 25)]
    reports.clear()
    looks: list[int] = []

    def from_third_look() -> bool:  # Cancel pressed and staying pressed
        looks.append(1)
        return len(looks) >= 3

    with pytest.raises(SweepCancelled):  # looks: before the chunk, before step 1, before step 2
        network_lr_sweep(NETWORK, LRS, steps=100, cancelled=from_third_look,
                         progress=lambda done, n: reports.append((done, n)))
    assert reports == [(1, 100)]


@pytest.mark.parametrize("change, kwargs, field", [
    ({}, {"lrs": []}, "lrs"),
    ({}, {"lrs": [0.1, 0.1]}, "lrs"),
    ({}, {"lrs": [-1.0]}, "lrs[0]"),
    ({}, {"optimizers": ["Nope"]}, "optimizers[0]"),
    ({}, {"steps": 0}, "steps"),
    ({"network": {"dataset": "moons", "validation": 0.0}}, {}, "network.validation"),
    ({"network": {"dataset": "moonz"}}, {}, "network.dataset"),
])
def test_bad_input_names_the_field(change, kwargs, field):
    config = {**copy.deepcopy(NETWORK), **change}
    args = {"lrs": LRS, **kwargs}
    with pytest.raises(ConfigError) as caught:
        network_lr_sweep(config, args.pop("lrs"), **args)
    assert caught.value.field == field


# ------------------------------------------------------------------ the command line


def test_command_line_prints_validation_losses_and_the_verdict(tmp_path, capsys):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(NETWORK))
    out = tmp_path / "sweep.json"
    assert cli.main(["sweep", "--network", str(path), "--lrs", "0.003,0.3",
                     "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("moons (n_samples 200, noise 0.1), MLP 2-8-2, tanh: final "
                               "validation loss after 20 steps, batch size 16, seed 2; "
                               "untrained validation loss ")
    assert lines[1].split()[:2] == ["lr", "SGD+momentum"]
    assert lines[4].startswith("SGD+momentum: best lr ")
    assert "below the untrained loss" in lines[4] and "within 10× of its best" in lines[4]
    saved = json.loads(out.read_text())
    assert saved["network"]["network"]["dataset"] == "moons" and saved["start"] is None
    assert [row["optimizer"] for row in saved["summary"]] == ["SGD+momentum",
                                                              "AdamW weight_decay=0.1 clip_norm=1"]


def test_command_line_takes_a_json_object_and_overrides(capsys):
    assert cli.main(["sweep", "--network", json.dumps(NETWORK), "--optimizers", "Adam",
                     "--lrs", "0.01", "--steps", "5", "--batch-size", "32", "--seed", "7"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "after 5 steps, batch size 32, seed 7" in lines[0]
    assert lines[1].split() == ["lr", "Adam"]


@pytest.mark.parametrize("argv, field", [
    (["--network", "{not json"], "network"),
    (["--network", '{"network": {"dataset": "moons", "hidden": [0]}, "runs": '
                   '[{"optimizer": "SGD", "lr": 0.1}]}'], "network.hidden"),
    (["--network", "/no/such/file.json"], "file"),
])
def test_bad_network_exits_2_naming_the_field(capsys, argv, field):
    assert cli.main(["sweep", *argv]) == 2
    assert capsys.readouterr().err.startswith(f"error: {field}")


def test_problem_and_network_are_one_or_the_other(capsys):
    with pytest.raises(SystemExit):
        cli.main(["sweep", "--problem", "booth", "--network", json.dumps(NETWORK)])
    assert "not allowed with argument" in capsys.readouterr().err
