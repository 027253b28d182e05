"""``python -m optim_core train|datasets|run|export-script`` on network experiments."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from optim_core import run_experiment
from optim_core.cli import main

EXPERIMENT: dict[str, Any] = {
    "network": {"dataset": "moons", "n_samples": 160, "noise": 0.2, "hidden": [6],
                "activation": "tanh"},
    "steps": 12, "batch_size": 16, "seed": 2, "dtype": "float64", "record_batches": True,
    "runs": [{"optimizer": "AdamW", "lr": 0.02, "weight_decay": 0.1, "clip_norm": 0.5},
             {"optimizer": "SGD", "lr": 0.1, "momentum": 0.9, "label": "momentum"}],
}


def write(tmp_path: Path, config: Any, name: str = "exp.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(config))
    return path


@pytest.mark.parametrize("suffix", [".json", ".npz", ".csv"])
def test_train_writes_the_records(tmp_path, capsys, suffix) -> None:
    out = tmp_path / f"result{suffix}"
    assert main(["train", str(write(tmp_path, EXPERIMENT)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "momentum: loss" in printed and "val accuracy" in printed
    expected = run_experiment(EXPERIMENT)["runs"][1]
    if suffix == ".json":
        run = json.loads(out.read_text())["runs"][1]
        np.testing.assert_allclose(run["loss"], expected["loss"], rtol=1e-15)
        np.testing.assert_allclose(run["params"], expected["params"], rtol=1e-15)
    elif suffix == ".npz":
        with np.load(out) as data:
            np.testing.assert_array_equal(data["run1/params"], expected["params"])
            assert data["network/batches"].shape == (12, 16)
    else:
        rows = out.read_text().splitlines()
        assert rows[0].startswith("run,label,optimizer,step,loss,lr")
        assert len(rows) == 1 + 2 * 12


def test_run_trains_a_network_file_too(tmp_path, capsys) -> None:
    assert main(["run", str(write(tmp_path, EXPERIMENT))]) == 0
    assert "MLP 2-6-2, tanh" in capsys.readouterr().out


def test_datasets_lists_every_data_set(capsys) -> None:
    assert main(["datasets", "--json"]) == 0
    names = [d["name"] for d in json.loads(capsys.readouterr().out)]
    assert names == ["moons", "circles", "spirals", "xor", "blobs", "sine", "digits"]


BAD = [
    ({"network": {"dataset": "mnist"}}, "network.dataset"),
    ({"network": {"dataset": "moons", "hidden": [16, 0]}}, "network.hidden[1]"),
    ({"network": {"dataset": "moons", "activation": "swish"}}, "network.activation"),
    ({"network": {"dataset": "moons", "model": "cnn"}}, "network.model"),
    ({"network": {"dataset": "moons", "depth": 3}}, "network.depth"),
    ({"network": {"dataset": "moons", "noise": -1}}, "network.noise"),
    ({"network": {"dataset": "moons", "validation": 0.95}}, "network.validation"),
    ({"network": "moons"}, "network"),
    ({"batch_size": 10_000}, "batch_size"),
    ({"runs": [{"optimizer": "Newton"}]}, "runs[0].optimizer"),
    ({"runs": [{"optimizer": "Adafactor"}]}, "runs[0].optimizer"),
    ({"runs": [{"optimizer": "SGD", "batch_size": 8}]}, "runs[0].batch_size"),
    ({"runs": [{"optimizer": "Adam", "betas": [0.9, 1.5]}]}, "runs[0].betas"),
    ({"eval_every": 0}, "eval_every"),
    ({"network": {"dataset": "moons", "hidden": [4096] * 4}}, "network.hidden"),
    ({"dtype": "float16"}, "dtype"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[f for _, f in BAD])
def test_bad_input_names_the_field_and_writes_nothing(tmp_path, capsys, change, field) -> None:
    config = {**EXPERIMENT, **change}
    out = tmp_path / "result.json"
    assert main(["train", str(write(tmp_path, config)), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}: "), err
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "exp.json"]


def test_the_exported_script_needs_only_torch_and_prints_the_labs_losses(tmp_path) -> None:
    script = tmp_path / "train.py"
    assert main(["export-script", str(write(tmp_path, EXPERIMENT)), "--out", str(script)]) == 0
    # optim_core cannot be imported by the script: a student without the lab runs it so
    guard = f"import sys; sys.modules['optim_core'] = None; exec(open({str(script)!r}).read())"
    done = subprocess.run([sys.executable, "-I", "-c", guard], capture_output=True, text=True,
                          timeout=120, check=True)
    printed = {}
    for line in done.stdout.splitlines():
        label, step, loss = line.split("\t")
        printed[(label, int(step.split()[1]))] = float(loss.split()[1])
    result = run_experiment(EXPERIMENT)
    for run in result["runs"]:
        for step in (1, 10, 12):
            assert printed[(run["label"], step)] == pytest.approx(run["loss"][step - 1],
                                                                  rel=1e-12)
