"""Exported training scripts need torch alone: run with ``optim_core`` not importable, every
problem's script prints the losses and end points the engine reaches (the finite sums' data and
minibatches included)."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from optim_core import parse_experiment, run_experiment
from optim_core.problems import PROBLEMS, make_problem
from optim_core.script_export import training_script
from optim_core.script_problems import FINITE_SUM_SOURCES, finite_sum_source

RESULT_LINE = re.compile(
    r"^(?P<label>.+): ok, loss (?P<loss>\S+) at w = \((?P<x>[^,]+), (?P<y>[^)]+)\)$")
#: runs the script as its own __main__ with any import of optim_core refused
WITHOUT_THE_LAB = ("import runpy, sys; sys.modules['optim_core'] = None; "
                   "runpy.run_path(sys.argv[1], run_name='__main__')")
FINITE_SUMS = sorted(name for name, cls in PROBLEMS.items() if cls.is_finite_sum)
#: lrs that make progress without diverging in 40 steps
LR = {"mean_quadratic": 0.05, "linear_regression": 0.05, "sigmoid_fit": 1.0}


def run_without_the_lab(script: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WITHOUT_THE_LAB, str(script)], cwd=script.parent,
                          capture_output=True, encoding="utf-8", timeout=300,
                          env={"PYTHONIOENCODING": "utf-8", "PATH": "/usr/bin:/bin"})


def finite_sum_config(name: str) -> dict:
    lr = LR.get(name, 0.01)
    return {"problem": {"name": name, "n_samples": 64}, "steps": 40, "batch_size": 8, "seed": 3,
            "runs": [{"optimizer": "SGD", "lr": lr, "momentum": 0.5},
                     {"optimizer": "Adam", "lr": 0.05, "batch_size": 1, "clip_norm": 1.0},
                     {"optimizer": "SGD", "lr": lr, "batch_size": 64}]}


CASES = {name: finite_sum_config(name) for name in FINITE_SUMS}
CASES["rastrigin (analytic)"] = {"problem": "rastrigin", "steps": 30, "start": [2.2, -1.3],
                                 "runs": [{"optimizer": "RMSprop", "lr": 0.01}]}
CASES["sigmoid_fit, float32, noise, defaults"] = {
    "problem": "sigmoid_fit", "steps": 25, "dtype": "float32", "grad_noise": 0.01,
    "runs": [{"optimizer": "Adagrad", "lr": 0.5}]}


@pytest.mark.parametrize("config", CASES.values(), ids=CASES.keys())
def test_the_script_runs_without_the_lab_and_prints_the_labs_losses(tmp_path, config):
    text = training_script(parse_experiment(config))
    assert "import optim_core" not in text and "from optim_core" not in text
    script = tmp_path / "train.py"
    script.write_text(text, encoding="utf-8")
    done = run_without_the_lab(script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    runs = run_experiment(config)["runs"]
    assert len(lines) == len(runs)
    tol = 1e-4 if config.get("dtype") == "float32" else 1e-9
    for line, run in zip(lines, runs, strict=True):
        match = RESULT_LINE.match(line)
        assert match, line
        assert match["label"] == run["label"]
        np.testing.assert_allclose(float(match["loss"]), run["loss"][-1], rtol=tol, err_msg=line)
        np.testing.assert_allclose([float(match["x"]), float(match["y"])], run["trajectory"][-1],
                                   rtol=0, atol=tol, err_msg=line)


def test_every_finite_sum_is_written_out():
    assert sorted(FINITE_SUM_SOURCES) == FINITE_SUMS


@pytest.mark.parametrize("name", FINITE_SUMS)
@pytest.mark.parametrize("params", [{}, {"n_samples": 37, "data_seed": 5}])
def test_the_written_out_data_and_losses_are_the_engines(name, params):
    problem = make_problem({"name": name, **params})
    namespace = {"torch": torch, "math": math, "DEVICE": "cpu", "DTYPE": torch.float64}
    exec(finite_sum_source(problem), namespace)
    engine_data = problem.data()
    assert sorted(namespace["DATA"]) == sorted(engine_data)
    for key, values in engine_data.items():
        np.testing.assert_array_equal(namespace["DATA"][key].numpy(), values)
    w = torch.randn((5, 2), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    torch.testing.assert_close(namespace["sample_losses"](w, namespace["DATA"]),
                               problem.sample_losses(w), rtol=0, atol=0)
    torch.testing.assert_close(namespace["loss_fn"](w), problem.sample_losses(w).mean(dim=-1),
                               rtol=0, atol=0)
