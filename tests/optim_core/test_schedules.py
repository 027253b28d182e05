"""Learning-rate schedules by torch name: the values a plain ``opt.step(); sched.step()`` loop
uses, exactly; the engine stepping with them; bad arguments named; files and scripts keep them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as L

from optim_core import ConfigError, cli, parse_experiment, run_experiment
from optim_core.optimizers import get_rule
from optim_core.problems import make_problem
from optim_core.schedules import (
    ARGUMENTS,
    CHOICES,
    REQUIRED,
    SCHEDULE_NAMES,
    ScheduleClock,
    parse_schedule,
    schedule_arguments,
    schedule_lr_curve,
)
from optim_core.script_export import training_script

ROOT = Path(__file__).resolve().parents[2]
STEPS = 50


def _hyper(optimizer: str, **given) -> dict:
    rule = get_rule(optimizer)
    return {**{s.name: s.default for s in rule.hyperparameters}, **given}


def _torch_kwargs(optimizer: str, hyper: dict) -> dict:
    return {k: v for k, v in hyper.items() if k != "bias_correction"}


#: (optimizer, its hyperparameters, the schedule as a file writes it, the same built by hand)
CASES = {
    "StepLR": ("SGD", {"lr": 0.1}, {"name": "StepLR", "step_size": 7, "gamma": 0.5},
               lambda o: L.StepLR(o, step_size=7, gamma=0.5)),
    "MultiStepLR": ("Adam", {"lr": 0.01}, {"name": "MultiStepLR", "milestones": [10, 25],
                                           "gamma": 0.3},
                    lambda o: L.MultiStepLR(o, milestones=[10, 25], gamma=0.3)),
    "ExponentialLR": ("RMSprop", {"lr": 0.01}, {"name": "ExponentialLR", "gamma": 0.95},
                      lambda o: L.ExponentialLR(o, gamma=0.95)),
    "CosineAnnealingLR past T_max": (
        "AdamW", {"lr": 0.02, "weight_decay": 0.1},
        {"name": "CosineAnnealingLR", "T_max": 30, "eta_min": 1e-4},
        lambda o: L.CosineAnnealingLR(o, T_max=30, eta_min=1e-4)),
    "LinearLR warm-up": ("SGD", {"lr": 0.3, "momentum": 0.9},
                         {"name": "LinearLR", "start_factor": 0.1, "total_iters": 10},
                         lambda o: L.LinearLR(o, start_factor=0.1, total_iters=10)),
    "LinearLR defaults": ("Adam", {"lr": 0.1}, {"name": "LinearLR"}, lambda o: L.LinearLR(o)),
    "ConstantLR": ("Adagrad", {"lr": 0.1}, {"name": "ConstantLR", "factor": 0.5,
                                            "total_iters": 8},
                   lambda o: L.ConstantLR(o, factor=0.5, total_iters=8)),
    "OneCycleLR, SGD momentum cycles": (
        "SGD", {"lr": 0.1, "momentum": 0.9},
        {"name": "OneCycleLR", "max_lr": 0.5, "total_steps": STEPS},
        lambda o: L.OneCycleLR(o, max_lr=0.5, total_steps=STEPS)),
    "OneCycleLR, plain SGD gets momentum": (
        "SGD", {"lr": 0.1}, {"name": "OneCycleLR", "max_lr": 0.5, "total_steps": STEPS},
        lambda o: L.OneCycleLR(o, max_lr=0.5, total_steps=STEPS)),
    "OneCycleLR, Adam betas cycle": (
        "Adam", {"lr": 0.01},
        {"name": "OneCycleLR", "max_lr": 0.05, "epochs": 5, "steps_per_epoch": 10,
         "anneal_strategy": "linear", "three_phase": True, "pct_start": 0.25},
        lambda o: L.OneCycleLR(o, max_lr=0.05, epochs=5, steps_per_epoch=10,
                               anneal_strategy="linear", three_phase=True, pct_start=0.25)),
    "OneCycleLR without cycling momentum": (
        "AdamW", {"lr": 0.01},
        {"name": "OneCycleLR", "max_lr": 0.05, "total_steps": STEPS, "cycle_momentum": False},
        lambda o: L.OneCycleLR(o, max_lr=0.05, total_steps=STEPS, cycle_momentum=False)),
    "PolynomialLR": ("NAdam", {"lr": 0.01}, {"name": "PolynomialLR", "total_iters": 40,
                                             "power": 2.0},
                     lambda o: L.PolynomialLR(o, total_iters=40, power=2.0)),
    "CosineAnnealingWarmRestarts": (
        "SGD", {"lr": 0.1}, {"name": "CosineAnnealingWarmRestarts", "T_0": 5, "T_mult": 2},
        lambda o: L.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2)),
    "CyclicLR": ("SGD", {"lr": 0.1, "momentum": 0.9},
                 {"name": "CyclicLR", "base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5,
                  "mode": "triangular2"},
                 lambda o: L.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                      mode="triangular2")),
    "SequentialLR: warm-up, then cosine": (
        "Adam", {"lr": 0.02},
        {"name": "SequentialLR", "milestones": [10],
         "schedulers": [{"name": "LinearLR", "start_factor": 0.01, "total_iters": 10},
                        {"name": "CosineAnnealingLR", "T_max": 40}]},
        lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.01, total_iters=10),
                                     L.CosineAnnealingLR(o, T_max=40)], milestones=[10])),
    "SequentialLR: constant, step, one cycle": (
        "SGD", {"lr": 0.05, "momentum": 0.5},
        {"name": "SequentialLR", "milestones": [5, 20],
         "schedulers": [{"name": "ConstantLR", "factor": 0.1, "total_iters": 5},
                        {"name": "StepLR", "step_size": 4},
                        {"name": "OneCycleLR", "max_lr": 0.2, "total_steps": 30}]},
        lambda o: L.SequentialLR(o, [L.ConstantLR(o, factor=0.1, total_iters=5),
                                     L.StepLR(o, step_size=4),
                                     L.OneCycleLR(o, max_lr=0.2, total_steps=30)],
                                 milestones=[5, 20])),
}


def _torch_sequence(optimizer: str, hyper: dict, make_scheduler, steps: int) -> list[dict]:
    """What a plain loop's optimizer uses at each step: lr, momentum, betas."""
    w = torch.tensor([1.5, -2.0], dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, optimizer)([w], **_torch_kwargs(optimizer, hyper))
    scheduler = make_scheduler(opt)
    seen = []
    for _ in range(steps):
        group = opt.param_groups[0]
        seen.append({k: group[k] for k in ("lr", "momentum", "betas") if k in group})
        opt.zero_grad()
        (w * w * torch.tensor([1.0, 10.0], dtype=torch.float64)).sum().backward()
        opt.step()
        scheduler.step()
    return seen


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_the_clock_gives_what_torch_uses_at_every_step(case):
    optimizer, given, schedule, make_scheduler = case
    hyper = _hyper(optimizer, **given)
    parsed = parse_schedule(schedule, "runs[0]", optimizer, hyper)
    assert parsed == schedule
    expected = _torch_sequence(optimizer, hyper, make_scheduler, STEPS)
    clock = ScheduleClock(optimizer, [hyper, hyper], [parsed, None])
    for step, wanted in enumerate(expected):
        current = clock.current()
        assert set(current) <= set(wanted) and "lr" in current
        for name, values in current.items():
            assert values[0] == wanted[name], (step, name)  # exactly: torch's own arithmetic
            assert values[1] == hyper[name]  # the run without a schedule keeps its own
        clock.advance()
    changed = {n for n in ("momentum", "betas")
               if any(seen[n] != expected[0][n] for seen in expected if n in seen)}
    assert changed <= set(clock.current())


def test_the_lr_curve_is_the_clocks_lr_step_by_step():
    optimizer, given, schedule, make_scheduler = CASES["SequentialLR: warm-up, then cosine"]
    hyper = _hyper(optimizer, **given)
    clock = ScheduleClock(optimizer, [hyper, _hyper("Adam", lr=0.5)], [schedule, None])
    clock.advance()  # the curve starts from a fresh clock whatever this one has done
    curve = clock.lr_curve(STEPS)
    assert curve.shape == (2, STEPS)
    expected = [seen["lr"] for seen in _torch_sequence(optimizer, hyper, make_scheduler, STEPS)]
    assert curve[0].tolist() == expected
    assert curve[1].tolist() == [0.5] * STEPS
    assert schedule_lr_curve(optimizer, hyper, schedule, 3).tolist() == expected[:3]


def test_newton_steps_its_schedule_like_sgd():
    schedule = {"name": "StepLR", "step_size": 3, "gamma": 0.5}
    newton = schedule_lr_curve("Newton", _hyper("Newton", lr=0.8), schedule, 10)
    sgd = schedule_lr_curve("SGD", _hyper("SGD", lr=0.8), schedule, 10)
    assert newton.tolist() == sgd.tolist()


def test_every_argument_of_every_schedule_has_a_type_and_range():
    for name in SCHEDULE_NAMES:
        for arg in schedule_arguments(name):
            assert arg in ARGUMENTS or arg in CHOICES or arg in ("milestones", "schedulers"), (
                name, arg)


def test_past_the_end_of_a_one_cycle_the_last_values_hold():
    hyper = _hyper("SGD", lr=0.1, momentum=0.9)
    schedule = {"name": "OneCycleLR", "max_lr": 0.5, "total_steps": 5}
    curve = ScheduleClock("SGD", [hyper], [schedule]).lr_curve(9)[0]
    assert curve[6:].tolist() == [curve[5]] * 3


# ---------------------------------------------------------------------------------- the engine
ENGINE = {
    "problem": {"name": "quadratic", "condition": 20, "angle": 30}, "steps": 60,
    "start": [-3, 2],
    "runs": [
        {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9,
         "schedule": {"name": "OneCycleLR", "max_lr": 0.08, "total_steps": 60}},
        {"optimizer": "SGD", "lr": 0.02,
         "schedule": {"name": "OneCycleLR", "max_lr": 0.05, "total_steps": 60}},
        {"optimizer": "SGD", "lr": 0.02, "momentum": 0.5},
        {"optimizer": "Adam", "lr": 0.1,
         "schedule": {"name": "OneCycleLR", "max_lr": 0.3, "total_steps": 60,
                      "anneal_strategy": "linear"}},
        {"optimizer": "Adam", "lr": 0.05, "betas": [0.8, 0.99]},
        {"optimizer": "AdamW", "lr": 0.2, "weight_decay": 0.1,
         "schedule": {"name": "SequentialLR", "milestones": [10],
                      "schedulers": [{"name": "LinearLR", "start_factor": 0.1,
                                      "total_iters": 10},
                                     {"name": "CosineAnnealingLR", "T_max": 50}]}},
        {"optimizer": "RMSprop", "lr": 0.05, "momentum": 0.5,
         "schedule": {"name": "CyclicLR", "base_lr": 0.01, "max_lr": 0.05,
                      "step_size_up": 7}},
        {"optimizer": "NAdam", "lr": 0.1, "schedule": {"name": "ExponentialLR", "gamma": 0.97}},
    ],
}


def _torch_trajectory(problem, run: dict, steps: int) -> np.ndarray:
    """A plain torch loop: zero_grad → loss → backward → step → scheduler.step()."""
    w = torch.tensor([-3.0, 2.0], dtype=torch.float64, requires_grad=True)
    hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in run.items()
             if k not in ("optimizer", "schedule")}
    opt = getattr(torch.optim, run["optimizer"])([w], **hyper)
    scheduler = None
    if "schedule" in run:
        spec = dict(run["schedule"])
        name = spec.pop("name")
        if name == "SequentialLR":
            spec["schedulers"] = [getattr(L, part.pop("name"))(opt, **part)
                                  for part in map(dict, spec["schedulers"])]
        scheduler = getattr(L, name)(opt, **spec)
    points = [w.detach().clone()]
    for _ in range(steps):
        opt.zero_grad()
        problem.loss(w).backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
        points.append(w.detach().clone())
    return torch.stack(points).numpy()


def test_the_engine_steps_with_the_schedules_torch_would_use():
    result = run_experiment(ENGINE)
    problem = make_problem(ENGINE["problem"])
    for run, got in zip(ENGINE["runs"], result["runs"], strict=True):
        expected = _torch_trajectory(problem, json.loads(json.dumps(run)), ENGINE["steps"])
        np.testing.assert_allclose(got["trajectory"], expected, rtol=1e-10, atol=1e-12,
                                   err_msg=run["optimizer"])


# ---------------------------------------------------------------------------------- bad input
def _run_with(schedule, optimizer: str = "SGD", steps: int = 20, **hyper) -> dict:
    return {"problem": "rosenbrock", "steps": steps,
            "runs": [{"optimizer": "Adam", "lr": 0.1},
                     {"optimizer": optimizer, "lr": 0.1, **hyper, "schedule": schedule}]}


BAD = {
    "negative T_max": ({"name": "CosineAnnealingLR", "T_max": -5}, "runs[1].schedule.T_max"),
    "gamma as a string": ({"name": "StepLR", "step_size": 3, "gamma": "0.5"},
                          "runs[1].schedule.gamma"),
    "unknown name": ({"name": "CosineLR", "T_max": 5}, "runs[1].schedule.name"),
    "no name": ({"T_max": 5}, "runs[1].schedule.name"),
    "milestones not increasing": ({"name": "MultiStepLR", "milestones": [30, 10]},
                                  "runs[1].schedule.milestones"),
    "milestones not integers": ({"name": "MultiStepLR", "milestones": [1.5]},
                                "runs[1].schedule.milestones"),
    "OneCycleLR without total_steps": ({"name": "OneCycleLR", "max_lr": 0.1},
                                       "runs[1].schedule.total_steps"),
    "OneCycleLR shorter than the run": ({"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 10},
                                        "runs[1].schedule.total_steps"),
    "pct_start out of range": ({"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 20,
                                "pct_start": 1.5}, "runs[1].schedule.pct_start"),
    "anneal_strategy torch lacks": ({"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 20,
                                     "anneal_strategy": "cosine"},
                                    "runs[1].schedule.anneal_strategy"),
    "a missing argument": ({"name": "StepLR"}, "runs[1].schedule.step_size"),
    "an unknown argument": ({"name": "StepLR", "step_size": 3, "lr_min": 0.1},
                            "runs[1].schedule.lr_min"),
    "optimizer passed in": ({"name": "StepLR", "step_size": 3, "optimizer": "SGD"},
                            "runs[1].schedule.optimizer"),
    "resuming": ({"name": "StepLR", "step_size": 3, "last_epoch": 4},
                 "runs[1].schedule.last_epoch"),
    "not an object": ("cosine", "runs[1].schedule"),
    "a metric's scheduler": ({"name": "ReduceLROnPlateau"}, "runs[1].schedule.name"),
    "a lambda": ({"name": "LambdaLR", "lr_lambda": "lambda k: 0.9 ** k"},
                 "runs[1].schedule.name"),
    "MultiplicativeLR": ({"name": "MultiplicativeLR"}, "runs[1].schedule.name"),
    "a bad scheduler inside a sequence": (
        {"name": "SequentialLR", "milestones": [5],
         "schedulers": [{"name": "LinearLR"}, {"name": "StepLR", "step_size": 0}]},
        "runs[1].schedule.schedulers[1].step_size"),
    "a sequence inside a sequence": (
        {"name": "SequentialLR", "milestones": [5],
         "schedulers": [{"name": "LinearLR"}, {"name": "SequentialLR"}]},
        "runs[1].schedule.schedulers[1].name"),
    "milestones of a sequence not one fewer": (
        {"name": "SequentialLR", "milestones": [5, 10],
         "schedulers": [{"name": "LinearLR"}, {"name": "ExponentialLR", "gamma": 0.9}]},
        "runs[1].schedule.milestones"),
    "LinearLR's start_factor": ({"name": "LinearLR", "start_factor": 0},
                                "runs[1].schedule.start_factor"),
}


@pytest.mark.parametrize(("schedule", "field"), BAD.values(), ids=BAD.keys())
def test_bad_schedules_are_one_error_naming_the_field(schedule, field):
    with pytest.raises(ConfigError) as info:
        parse_experiment(_run_with(schedule))
    assert info.value.field == field


def test_torchs_own_refusal_is_named_and_quoted():
    # Adagrad has neither momentum nor betas: torch refuses to cycle them
    schedule = {"name": "OneCycleLR", "max_lr": 0.1, "total_steps": 20}
    with pytest.raises(ConfigError) as info:
        parse_experiment(_run_with(schedule, optimizer="Adagrad"))
    assert info.value.field == "runs[1].schedule.cycle_momentum"
    assert "torch.optim.lr_scheduler.OneCycleLR says: " in info.value.allowed
    schedule["cycle_momentum"] = False
    parse_experiment(_run_with(schedule, optimizer="Adagrad"))


# ---------------------------------------------------------------------------------- files, script
def test_schedules_round_trip_through_experiment_files():
    first = parse_experiment(ENGINE)
    assert first.runs[5].schedule == ENGINE["runs"][5]["schedule"]
    assert first.runs[2].schedule is None
    text = json.dumps(first.to_dict(), allow_nan=False)
    second = parse_experiment(json.loads(text))
    assert second.runs == first.runs
    assert second.to_dict() == first.to_dict()
    assert [run.get("schedule") for run in second.to_dict()["runs"]] == [
        run.get("schedule") for run in ENGINE["runs"]]


def test_arguments_are_normalised_in_torchs_order():
    given = {"gamma": 1, "name": "StepLR", "step_size": 4.0}
    assert list(parse_schedule(given, "runs[0]", "SGD", _hyper("SGD")).items()) == [
        ("name", "StepLR"), ("step_size", 4), ("gamma", 1.0)]
    assert parse_schedule(None, "runs[0]", "SGD", _hyper("SGD")) is None


RESULT_LINE = re.compile(r"^(?P<label>.+): ok, loss \S+ at w = \((?P<x>[^,]+), (?P<y>[^)]+)\)$")


def test_the_exported_script_steps_the_schedules_and_ends_where_the_engine_ends(tmp_path):
    experiment = parse_experiment(ENGINE)
    source = training_script(experiment)
    assert "from torch.optim import lr_scheduler" in source
    assert "lr_scheduler.OneCycleLR(" in source and "lr_scheduler.SequentialLR(" in source
    assert re.search(r"optimizer\.step\(\)\n\s+if scheduler is not None:\n\s+scheduler\.step\(\)",
                     source)
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr
    runs = run_experiment(experiment)["runs"]
    lines = done.stdout.splitlines()
    assert len(lines) == len(runs)
    for line, run in zip(lines, runs, strict=True):
        match = RESULT_LINE.match(line)
        assert match and match["label"] == run["label"], line
        np.testing.assert_allclose([float(match["x"]), float(match["y"])],
                                   run["trajectory"][-1], rtol=0, atol=1e-9, err_msg=line)
    # without the schedules the script ends elsewhere: it is the schedules that it steps
    plain = {**ENGINE, "runs": [{k: v for k, v in run.items() if k != "schedule"}
                                for run in ENGINE["runs"]]}
    assert not np.allclose(run_experiment(plain)["runs"][0]["trajectory"][-1],
                           runs[0]["trajectory"][-1])


def test_runs_alike_share_a_scheduler_and_each_keeps_its_values():
    schedule = {"name": "OneCycleLR", "max_lr": 0.5, "total_steps": 20}
    hypers = [_hyper("SGD", lr=0.1, momentum=0.9), _hyper("SGD", lr=0.1, momentum=0.5),
              _hyper("SGD", lr=0.1, momentum=0.9), _hyper("SGD", lr=0.1, momentum=0.9)]
    schedules = [schedule, schedule, dict(schedule), {**schedule, "max_lr": 0.4}]
    clock = ScheduleClock("SGD", hypers, schedules)
    alone = [ScheduleClock("SGD", [h], [s]) for h, s in zip(hypers, schedules, strict=True)]
    assert len(clock._drivers) == 3
    for _ in range(20):
        assert clock.current() == {name: [c.current()[name][0] for c in alone]
                                   for name in ("lr", "momentum")}
        clock.advance()
        for c in alone:
            c.advance()


# ---------------------------------------------------------------------------------- fuzzing
_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 120), st.integers(10**18, 10**30),
    st.floats(allow_nan=False), st.sampled_from([0.0, 1.0, 0.5, 1e-300, 1e308, -1.0]),
    st.text(max_size=4), st.lists(st.integers(-2, 80), max_size=4),
    st.sampled_from(["cos", "linear", "triangular", "exp_range", "cycle", "iterations"]))
_ARGS = sorted({*ARGUMENTS, *CHOICES, "milestones", "last_epoch", "lr_lambda"})


def _plausible(arg: str):
    """Values of the argument's own type, mostly in range."""
    if arg in CHOICES:
        return st.sampled_from(CHOICES[arg])
    if arg == "milestones":
        return st.lists(st.integers(1, 80), max_size=3, unique=True).map(sorted)
    spec = ARGUMENTS[arg]
    if spec.kind == "bool":
        return st.booleans()
    if spec.kind == "int":
        return st.integers(int(spec.low or 0), 70)
    return st.floats(spec.low or 0.0, spec.high or 2.0)


@st.composite
def _schedules(draw, depth: int = 0):
    """Mostly torch's own argument names with plausible values, sometimes anything."""
    name = draw(st.sampled_from([*SCHEDULE_NAMES, "ReduceLROnPlateau", "LambdaLR", "Cosine"]))
    known = schedule_arguments(name) if name in SCHEDULE_NAMES else {}
    args = {}
    for arg, default in known.items():
        if arg == "schedulers":
            continue
        if default is REQUIRED or draw(st.integers(0, 2)) == 0:
            args[arg] = draw(_plausible(arg) if draw(st.integers(0, 5)) else _VALUES)
    if draw(st.integers(0, 5)) == 0:
        args.update(draw(st.dictionaries(st.sampled_from(_ARGS), _VALUES, max_size=2)))
    if name == "SequentialLR" and depth == 0:
        args["schedulers"] = draw(st.lists(_schedules(depth=1), min_size=0, max_size=3))
    return {"name": name, **args}


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(schedule=_schedules(), optimizer=st.sampled_from(["SGD", "Adam", "Adagrad", "Newton"]))
def test_any_schedule_is_either_steppable_or_one_config_error(schedule, optimizer):
    hyper = _hyper(optimizer, lr=0.1)
    try:
        parsed = parse_schedule(schedule, "runs[0]", optimizer, hyper)
    except ConfigError as exc:
        assert exc.field.startswith("runs[0].schedule")
        return
    curve = ScheduleClock(optimizer, [hyper], [parsed]).lr_curve(30)
    assert curve.shape == (1, 30)


# ---------------------------------------------------------------------------------- the CLI
def test_the_schedules_command_lists_names_arguments_and_torchs_defaults(capsys):
    assert cli.main(["schedules"]) == 0
    table = capsys.readouterr().out
    for name in SCHEDULE_NAMES:
        assert f"torch.optim.lr_scheduler.{name}\n" in table
    assert re.search(r"^  T_max +required +an integer ≥ 1", table, re.MULTILINE)
    assert cli.main(["schedules", "--json"]) == 0
    described = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    assert list(described) == list(SCHEDULE_NAMES)
    gamma = next(a for a in described["StepLR"]["arguments"] if a["name"] == "gamma")
    assert gamma["default"] == 0.1 and not gamma["required"]
