"""``python -m optim_core``: every command's output, bad input (exit 2, nothing written) and the
exported training scripts, which must end where the engine ends."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from optim_core import cli, parse_experiment, run_experiment
from optim_core.optimizers import BUILT_IN, get_rule, optimizer_names
from optim_core.problems import PROBLEMS, make_problem
from optim_core.script_export import ANALYTIC_LOSSES, training_script

ROOT = Path(__file__).resolve().parents[2]
FINITE_SUM = next((n for n, cls in PROBLEMS.items() if cls.is_finite_sum), None)
RESULT_LINE = re.compile(
    r"^(?P<label>.+): ok, loss (?P<loss>\S+) at w = \((?P<x>[^,]+), (?P<y>[^)]+)\)$")


def _python(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          encoding="utf-8", timeout=300)


def _write(path: Path, config) -> Path:
    path.write_text(config if isinstance(config, str) else json.dumps(config), encoding="utf-8")
    return path


GOOD = {"problem": "rosenbrock", "steps": 30,
        "runs": [{"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9},
                 {"optimizer": "Adam", "lr": 0.05}]}


# ---------------------------------------------------------------------------------- run
@pytest.mark.parametrize("suffix", [".json", ".csv", ".npz"])
def test_run_prints_a_summary_and_writes_the_result(tmp_path, capsys, suffix):
    exp = _write(tmp_path / "exp.json", GOOD)
    out = tmp_path / f"result{suffix}"
    assert cli.main(["run", str(exp), "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rosenbrock: 2 runs, 30 steps"
    assert lines[1].split() == ["run", "status", "final", "loss", "final", "point"]
    result = run_experiment(GOOD)
    for line, run in zip(lines[2:4], result["runs"], strict=True):
        assert line.startswith(run["label"]) and " ok " in line
        x, y = run["trajectory"][-1]
        assert f"({x:.6g}, {y:.6g})" in line
    assert lines[-1] == f"wrote {out}"
    assert out.stat().st_size > 0
    if suffix == ".json":
        assert len(json.loads(out.read_text(encoding="utf-8"))["runs"]) == 2
    elif suffix == ".csv":
        assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + 2 * 31
    else:
        with np.load(out) as data:
            assert data["trajectory"].shape == (2, 31, 2)


def test_run_without_out_writes_nothing(tmp_path, capsys):
    exp = _write(tmp_path / "exp.json", GOOD)
    assert cli.main(["run", str(exp)]) == 0
    assert "wrote" not in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["exp.json"]


@pytest.mark.parametrize(("budget", "said"), [
    (None, "recorded 1 step in 9 and the last: 113 of 1001 rows, to stay within 32 MiB"),
    ("2", "recorded 1 step in 200 and the last: 6 of 1001 rows, to stay within 2 MiB"),
    ("1024", None),  # every step kept
])
def test_run_keeps_what_its_record_budget_allows_and_says_so(tmp_path, capsys, budget, said):
    config = {"problem": "rosenbrock", "steps": 1000, "dtype": "float32",
              "starts": [[x / 1000, 0.5] for x in range(-1000, 1000)],
              "runs": [{"optimizer": "Adam"}] * 2 + [{"optimizer": "SGD"}]}
    exp = _write(tmp_path / "exp.json", config)
    out = tmp_path / "out.npz"
    argv = ["run", str(exp), "--out", str(out)] + ([] if budget is None else
                                                    ["--record-budget", budget])
    assert cli.main(argv) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("rosenbrock: 6000 runs, 1000 steps")
    assert (said is None and "recorded" not in header) or said in header
    with np.load(out) as saved:
        assert saved["loss"].shape[0] == 6000
        assert saved["steps"][-1] == 1000 and (said is not None) == (len(saved["steps"]) < 1001)


@pytest.mark.parametrize("budget", ["0", "-1", "nan", "inf", "1e-9", "0.5"])
def test_a_record_budget_that_keeps_nothing_is_refused(tmp_path, capsys, budget):
    exp = _write(tmp_path / "exp.json", GOOD)
    assert cli.main(["run", str(exp), "--record-budget", budget]) == 2
    assert capsys.readouterr().err.startswith("error: record_budget: ")


def test_run_reports_where_a_run_diverged(tmp_path, capsys):
    config = {"problem": "rosenbrock", "steps": 20, "starts": [[0, 0], [-1.5, 2]],
              "runs": [{"optimizer": "SGD", "lr": 1.0}]}
    exp = _write(tmp_path / "exp.json", config)
    assert cli.main(["run", str(exp)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "start" in lines[1].split()
    runs = run_experiment(config)["runs"]
    for line, run in zip(lines[2:], runs, strict=True):
        assert f"diverged at step {run['diverged_at']}" in line


def test_demo_runs_sgd_momentum_and_adam_on_rosenbrock(capsys):
    assert cli.main(["demo", "--steps", "40"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "rosenbrock: 3 runs, 40 steps"
    assert [line.split("  ")[0] for line in lines[2:]] == ["SGD", "SGD + momentum 0.9", "Adam"]
    assert all(" ok " in line for line in lines[2:])


def test_python_dash_m_runs_the_demo(tmp_path):
    done = _python(["-m", "optim_core", "demo", "--steps", "10"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "SGD + momentum 0.9" in done.stdout and done.stderr == ""


# ---------------------------------------------------------------------------------- listings
def test_problems_table_lists_every_problem_with_its_parameters(capsys):
    assert cli.main(["problems"]) == 0
    out = capsys.readouterr().out
    for name, cls in PROBLEMS.items():
        assert re.search(rf"^{name}\s+{re.escape(cls.title)}\s", out, re.MULTILINE), name
        for spec in cls.parameters:
            assert f"{spec.name} = " in out and spec.interval() in out
    assert "condition = 10 in [1, 1e+06]" in out


def test_problems_json(capsys):
    assert cli.main(["problems", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in listed] == list(PROBLEMS)
    for entry in listed:
        cls = PROBLEMS[entry["name"]]
        assert entry["formula"] == cls.formula and entry["finite_sum"] == cls.is_finite_sum
        assert [(p["name"], p["range"]) for p in entry["parameters"]] == [
            (s.name, s.interval()) for s in cls.parameters]
        assert entry["default_start"] == list(make_problem(entry["name"]).default_start)


def test_optimizers_table_lists_built_ins_first_with_ranges(capsys):
    assert cli.main(["optimizers"]) == 0
    out = capsys.readouterr().out
    headers = re.findall(r"^(\S+) — .*\[(built-in|generic torch\.optim.*)\]$", out, re.MULTILINE)
    assert [name for name, _ in headers] == optimizer_names()
    assert [kind == "built-in" for _, kind in headers] == [n in BUILT_IN for n in optimizer_names()]
    assert re.search(r"^  betas\s+\(0\.9, 0\.999\)\s+\[0, 1\)", out, re.MULTILINE)
    assert re.search(r"^  eps\s+1e-08\s+\(0, inf\)", out, re.MULTILINE)


def test_optimizers_json(capsys):
    assert cli.main(["optimizers", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [o["name"] for o in listed] == optimizer_names()
    first_generic = [o["built_in"] for o in listed].index(False)
    assert all(o["built_in"] for o in listed[:first_generic])
    assert not any(o["built_in"] for o in listed[first_generic:])
    for entry in listed:
        specs = get_rule(entry["name"]).hyperparameters
        assert [(h["name"], h["range"]) for h in entry["hyperparameters"]] == [
            (s.name, s.interval()) for s in specs]


# ---------------------------------------------------------------------------------- bad input
RUN = {"optimizer": "SGD"}
BAD_RUNS = [
    # (what, experiment file text or None for a missing file, extra args, field)
    ("missing file", None, [], "file"),
    ("malformed JSON", '{"problem": "rosenbrock", "runs": [', [], "file"),
    ("unknown key", {"problem": "rosenbrock", "runs": [RUN], "stepz": 3}, [], "stepz"),
    ("wrong type", {"problem": "rosenbrock", "steps": "ten", "runs": [RUN]}, [], "steps"),
    ("unknown problem", {"problem": "rosenbrok", "runs": [RUN]}, [], "problem"),
    ("unknown optimizer", {"problem": "rosenbrock", "runs": [{"optimizer": "Adamm"}]}, [],
     "runs[0].optimizer"),
    ("lr < 0", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "lr": -0.5}]}, [],
     "runs[0].lr"),
    ("beta outside [0, 1)", {"problem": "rosenbrock",
                             "runs": [{"optimizer": "Adam", "betas": [0.9, 1.5]}]}, [],
     "runs[0].betas"),
    ("eps <= 0", {"problem": "rosenbrock", "runs": [{"optimizer": "Adam", "eps": -1e-8}]}, [],
     "runs[0].eps"),
    ("steps < 0", {"problem": "rosenbrock", "steps": -5, "runs": [RUN]}, [], "steps"),
    # (records past the memory budget are thinned, not refused: see test_results)
    ("steps past the limit", {"problem": "rosenbrock", "steps": 10_000_001,
                              "runs": [{"optimizer": "Adam"}] * 8}, [], "steps"),
    ("unknown extension", GOOD, ["--out", "{dir}/result.txt"], "out"),
    ("missing folder", GOOD, ["--out", "{dir}/nowhere/result.json"], "out"),
    ("out is the experiment", GOOD, ["--out", "{dir}/exp.json"], "out"),
]


@pytest.mark.parametrize("existing_out", [False, True], ids=["no output", "old output"])
@pytest.mark.parametrize(("text", "extra", "field"), [c[1:] for c in BAD_RUNS],
                         ids=[c[0] for c in BAD_RUNS])
def test_bad_input_is_one_error_line_exit_2_and_no_write(tmp_path, capsys, text, extra, field,
                                                         existing_out):
    exp = tmp_path / "exp.json"
    if text is not None:
        _write(exp, text)
    out = tmp_path / "result.json"
    if existing_out:
        out.write_text("old", encoding="utf-8")
    args = [a.format(dir=tmp_path) for a in extra] or ["--out", str(out)]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert cli.main(["run", str(exp), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"error: {field}: ")
    assert "is not allowed; " in captured.err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(("what", "text", "field"), [
    ("missing file", None, "file"),
    ("malformed JSON", "{not json", "file"),
    ("lr < 0", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "lr": -1}]},
     "runs[0].lr"),
    ("unknown optimizer", {"problem": "rosenbrock", "runs": [{"optimizer": "Adamm"}]},
     "runs[0].optimizer"),
])
def test_bad_input_from_the_shell_exits_2_without_a_traceback(tmp_path, what, text, field):
    exp = tmp_path / "exp.json"
    if text is not None:
        _write(exp, text)
    done = _python(["-m", "optim_core", "run", str(exp), "--out", "result.json"], cwd=tmp_path)
    assert done.returncode == 2, what
    assert done.stdout == ""
    assert done.stderr.startswith(f"error: {field}: ") and done.stderr.count("\n") == 1
    assert not (tmp_path / "result.json").exists()


OUT_COMMANDS = {
    # command line with {exp} (an experiment file) and {out} (the output path), out suffix
    "run .json": (["run", "{exp}", "--out", "{out}"], ".json"),
    "run .csv": (["run", "{exp}", "--out", "{out}"], ".csv"),
    "run .npz": (["run", "{exp}", "--out", "{out}"], ".npz"),
    "demo": (["demo", "--steps", "5", "--out", "{out}"], ".json"),
    "export-script": (["export-script", "{exp}", "--out", "{out}"], ".py"),
    "sweep": (["sweep", "--problem", "booth", "--optimizers", "SGD", "--lrs", "0.01",
               "--steps", "5", "--out", "{out}"], ".json"),
    "noise": (["noise", "--problem", FINITE_SUM or "linear_regression", "--batch-sizes", "1",
               "--draws", "10", "--no-timing", "--out", "{out}"], ".csv"),
}


@pytest.mark.parametrize(("argv", "suffix"), OUT_COMMANDS.values(), ids=OUT_COMMANDS.keys())
def test_a_failed_write_prints_only_its_error_and_keeps_the_old_file(tmp_path, capsys,
                                                                     monkeypatch, argv, suffix):
    exp = _write(tmp_path / "exp.json", GOOD)
    out = tmp_path / f"result{suffix}"
    out.write_bytes(b"old")

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("optim_core.files.os.fsync", disk_full)
    assert cli.main([a.format(exp=exp, out=out) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # no summary of work whose file was not written
    assert captured.err == f"error: out: {str(out)!r} is not allowed; a writable file " \
                           "(No space left on device)\n"
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp.json", out.name]


@pytest.mark.parametrize("where", ["missing folder", "a folder"])
@pytest.mark.parametrize(("argv", "suffix"), OUT_COMMANDS.values(), ids=OUT_COMMANDS.keys())
def test_out_is_checked_before_any_work(tmp_path, capsys, argv, suffix, where):
    exp = _write(tmp_path / "exp.json", GOOD)
    out = tmp_path / ("nowhere" if where == "missing folder" else "") / f"result{suffix}"
    if where == "a folder":
        out.mkdir()
    assert cli.main([a.format(exp=exp, out=out) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: out: {str(out)!r} is not allowed; a file")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("args", [[], ["fly"], ["run"], ["demo", "--steps", "many"]])
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(args)
    assert info.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_usage_error_from_the_shell_exits_2(tmp_path):
    done = _python(["-m", "optim_core", "fly"], cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_demo_refuses_negative_steps(capsys):
    assert cli.main(["demo", "--steps", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: steps: -1 is not allowed")


# ---------------------------------------------------------------------------------- export-script
def test_export_script_prints_or_writes_a_valid_script(tmp_path, capsys):
    exp = _write(tmp_path / "exp.json", GOOD)
    assert cli.main(["export-script", str(exp)]) == 0
    printed = capsys.readouterr().out
    compile(printed, "exported.py", "exec")
    assert "torch.optim.SGD(" in printed and "torch.optim.Adam(" in printed
    assert not re.search(r"^\s*(from|import) optim_core", printed, re.MULTILINE)  # torch only
    out = tmp_path / "train.py"
    assert cli.main(["export-script", str(exp), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == printed


@pytest.mark.parametrize("out", ["train.txt", "exp.json"])
def test_export_script_refuses_a_bad_out(tmp_path, capsys, out):
    exp = _write(tmp_path / "exp.json", GOOD)
    assert cli.main(["export-script", str(exp), "--out", str(tmp_path / out)]) == 2
    assert capsys.readouterr().err.startswith("error: out: ")
    assert json.loads(exp.read_text(encoding="utf-8")) == GOOD
    assert [p.name for p in tmp_path.iterdir()] == ["exp.json"]


@pytest.mark.parametrize("name", sorted(ANALYTIC_LOSSES))
def test_every_written_out_loss_equals_the_problems_loss(name):
    assert name in PROBLEMS, f"{name} is in the exporter's table but not registered"
    params = {"quadratic": {"condition": 37.0, "angle": 25.0},
              "cliff": {"height": 50.0, "steepness": 8.0}}.get(name, {})
    problem = make_problem({"name": name, **params})
    namespace = {"torch": torch, "math": math}
    source = ANALYTIC_LOSSES[name].format(**problem.params)
    exec("def loss_fn(w):\n" + source, namespace)
    view = problem.view
    gen = torch.Generator().manual_seed(0)
    w = torch.rand((64, 2), generator=gen, dtype=torch.float64)
    w = w * torch.tensor([view.xmax - view.xmin, view.ymax - view.ymin], dtype=torch.float64)
    w = w + torch.tensor([view.xmin, view.ymin], dtype=torch.float64)
    torch.testing.assert_close(namespace["loss_fn"](w), problem.loss(w), rtol=0, atol=0)


SCRIPT_CASES = {
    "rosenbrock: SGD + momentum and Adam": {
        "problem": "rosenbrock", "steps": 200,
        "runs": [{"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9},
                 {"optimizer": "Adam", "lr": 0.05}]},
    "written-out optimizers, clipping, two starts": {
        "problem": {"name": "quadratic", "condition": 20, "angle": 30}, "steps": 60,
        "starts": [[-3, 2], [2, -1]],
        "runs": [{"optimizer": "Newton", "lr": 0.5, "damping": 0.1},
                 {"optimizer": "Adam", "lr": 0.1, "bias_correction": False, "clip_norm": 2.0},
                 {"optimizer": "AdamW", "lr": 0.1, "bias_correction": False,
                  "weight_decay": 0.1, "clip_value": 1.0},
                 {"optimizer": "NAdam", "lr": 0.05}]},
    "gradient noise": {
        "problem": "booth", "steps": 50, "grad_noise": 0.5, "seed": 7,
        "runs": [{"optimizer": "SGD", "lr": 0.01, "nesterov": True, "momentum": 0.5},
                 {"optimizer": "RMSprop", "lr": 0.05},
                 {"optimizer": "LBFGS", "lr": 0.2, "max_iter": 5}]},
}
if FINITE_SUM is not None:
    SCRIPT_CASES["finite-sum minibatches (engine's problem)"] = {
        "problem": {"name": FINITE_SUM, "n_samples": 50}, "steps": 40, "batch_size": 5,
        "runs": [{"optimizer": "SGD", "lr": 0.05},
                 {"optimizer": "Adam", "lr": 0.05, "batch_size": 1},
                 {"optimizer": "SGD", "lr": 0.05, "batch_size": 50}]}


@pytest.mark.parametrize("config", SCRIPT_CASES.values(), ids=SCRIPT_CASES.keys())
def test_the_exported_script_ends_where_the_engine_ends(tmp_path, config):
    script = tmp_path / "train.py"
    script.write_text(training_script(parse_experiment(config)), encoding="utf-8")
    done = _python([str(script)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    runs = run_experiment(config)["runs"]
    assert len(lines) == len(runs)
    for line, run in zip(lines, runs, strict=True):
        match = RESULT_LINE.match(line)
        assert match, line
        assert match["label"].startswith(run["label"])
        final = run["trajectory"][-1]
        np.testing.assert_allclose([float(match["x"]), float(match["y"])], final,
                                   rtol=0, atol=1e-9, err_msg=line)


def test_the_exported_script_reports_divergence_at_the_engines_step(tmp_path):
    config = {"problem": "rosenbrock", "steps": 30, "starts": [[0, 0], [1, 2]],
              "runs": [{"optimizer": "SGD", "lr": 1.0}]}
    script = tmp_path / "train.py"
    script.write_text(training_script(parse_experiment(config)), encoding="utf-8")
    done = _python([str(script)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    expected = [f"diverged at step {r['diverged_at']}" for r in run_experiment(config)["runs"]]
    assert [line.split(": ", 1)[1] for line in done.stdout.splitlines()] == expected


def test_the_noise_command_is_registered(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["noise", "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m optim_core noise")
