"""Experiment files: round trips through to_dict/JSON, loading from disk, and bad input named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optim_core import ConfigError, load_experiment, parse_experiment, run_experiment
from optim_core.problems import PROBLEMS

FINITE_SUM = next((n for n, cls in PROBLEMS.items() if cls.is_finite_sum), None)

ROUND_TRIPS = {
    "one start, defaults filled in": {
        "problem": "rosenbrock", "steps": 20, "runs": [{"optimizer": "SGD", "lr": 1e-3}]},
    "several starts and options": {
        "problem": {"name": "quadratic", "condition": 50, "angle": 30},
        "starts": [[-3, 2], [2, 2]], "steps": 15, "seed": 3, "dtype": "float32",
        "runs": [
            {"optimizer": "SGD", "lr": 0.01, "momentum": 0.9, "nesterov": True,
             "clip_norm": 1.0, "color": "#1f77b4"},
            {"optimizer": "Adam", "lr": 0.1, "betas": [0.8, 0.99], "bias_correction": False,
             "clip_value": 0.5, "label": "slow start"},
            {"optimizer": "Newton", "damping": 0.5},
            {"optimizer": "NAdam", "lr": 0.01},
            {"optimizer": "RMSprop", "enabled": False},
        ]},
    "gradient noise": {
        "problem": "booth", "grad_noise": 0.5, "steps": 10,
        "runs": [{"optimizer": "AdamW", "lr": 0.1, "weight_decay": 0.1}]},
}
if FINITE_SUM is not None:
    ROUND_TRIPS["finite-sum with batches"] = {
        "problem": {"name": FINITE_SUM, "n_samples": 30}, "batch_size": 4, "steps": 5,
        "runs": [{"optimizer": "SGD", "lr": 0.05},
                 {"optimizer": "Adam", "lr": 0.05, "batch_size": 8}]}


@pytest.mark.parametrize("config", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
def test_to_dict_round_trips_through_json(config):
    first = parse_experiment(config)
    text = json.dumps(first.to_dict(), allow_nan=False)
    second = parse_experiment(json.loads(text))
    assert second.runs == first.runs
    assert second.problem.config() == first.problem.config()
    assert (second.steps, second.batch_size, second.seed, second.dtype, second.grad_noise,
            second.starts) == (first.steps, first.batch_size, first.seed, first.dtype,
                               first.grad_noise, first.starts)
    assert second.to_dict() == first.to_dict()


def test_disabled_runs_are_dropped_and_starts_expand_run_major():
    experiment = parse_experiment(ROUND_TRIPS["several starts and options"])
    assert [r.optimizer for r in experiment.runs] == [
        "SGD", "SGD", "Adam", "Adam", "Newton", "Newton", "NAdam", "NAdam"]
    assert [r.start for r in experiment.runs[:2]] == [(-3.0, 2.0), (2.0, 2.0)]


def test_a_result_names_the_experiment_that_reproduces_it():
    config = ROUND_TRIPS["gradient noise"]
    first = run_experiment(config)
    again = run_experiment(json.loads(json.dumps(first["experiment"])))
    for a, b in zip(first["runs"], again["runs"], strict=True):
        np.testing.assert_array_equal(a["trajectory"], b["trajectory"])


def test_load_experiment_reads_a_file(tmp_path):
    path = tmp_path / "exp.json"
    config = ROUND_TRIPS["several starts and options"]
    path.write_text(json.dumps(config), encoding="utf-8")
    assert load_experiment(path).runs == parse_experiment(config).runs


@pytest.mark.parametrize(("text", "allowed"), [
    (None, "readable file"),
    ("", "valid JSON"),
    ('{"problem": "rosenbrock",\n "runs": [}', "line 2"),
    ("{'problem': 'rosenbrock'}", "valid JSON"),
    (b'{"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "label": "\xff"}]}',
     "UTF-8 text"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"problem": "rosenbrock", "seed": ' + "1" * 5000 + "}", "too many digits"),
], ids=["missing", "empty", "syntax error", "single quotes", "not UTF-8", "deep nesting",
        "5000-digit number"])
def test_unreadable_files_are_config_errors_on_file(tmp_path, text, allowed):
    path = tmp_path / "exp.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_experiment(path)
    assert info.value.field == "file"
    assert info.value.value == str(path)
    assert allowed in info.value.allowed


def test_a_byte_order_mark_is_skipped(tmp_path):
    path = tmp_path / "exp.json"
    config = ROUND_TRIPS["one start, defaults filled in"]
    path.write_text(json.dumps(config), encoding="utf-8-sig")  # as Windows Notepad saves
    assert load_experiment(path).runs == parse_experiment(config).runs


RUN = {"optimizer": "SGD"}
BAD_CONFIGS = [
    # (what, config, field, value)
    ("not an object", [1, 2], "experiment", "list"),
    ("no problem", {"runs": [RUN]}, "problem", None),
    ("unknown key", {"problem": "rosenbrock", "stepz": 3, "runs": [RUN]}, "stepz", 3),
    ("unknown problem", {"problem": "rosenbrok", "runs": [RUN]}, "problem", "rosenbrok"),
    ("unknown problem name", {"problem": {"name": "nope"}, "runs": [RUN]}, "problem.name",
     "nope"),
    ("problem parameter out of range", {"problem": {"name": "quadratic", "condition": 0.5},
                                        "runs": [RUN]}, "problem.condition", 0.5),
    ("steps wrong type", {"problem": "rosenbrock", "steps": "ten", "runs": [RUN]}, "steps",
     "ten"),
    ("steps < 0", {"problem": "rosenbrock", "steps": -1, "runs": [RUN]}, "steps", -1),
    ("steps not an integer", {"problem": "rosenbrock", "steps": 2.5, "runs": [RUN]}, "steps",
     2.5),
    ("bad start", {"problem": "rosenbrock", "start": [1], "runs": [RUN]}, "start", [1]),
    ("no runs", {"problem": "rosenbrock", "runs": []}, "runs", []),
    ("run not an object", {"problem": "rosenbrock", "runs": ["SGD"]}, "runs[0]", "SGD"),
    ("unknown optimizer", {"problem": "rosenbrock", "runs": [{"optimizer": "Adamm"}]},
     "runs[0].optimizer", "Adamm"),
    ("unknown hyperparameter", {"problem": "rosenbrock",
                                "runs": [{"optimizer": "SGD", "lrr": 1}]}, "runs[0].lrr", 1),
    ("lr < 0", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "lr": -1}]},
     "runs[0].lr", -1),
    ("lr wrong type", {"problem": "rosenbrock", "runs": [{"optimizer": "Adam", "lr": "big"}]},
     "runs[0].lr", "big"),
    ("beta = 1", {"problem": "rosenbrock",
                  "runs": [RUN, {"optimizer": "Adam", "betas": [0.9, 1.0]}]},
     "runs[1].betas", [0.9, 1.0]),
    ("beta < 0", {"problem": "rosenbrock", "runs": [{"optimizer": "Adam", "betas": [-0.1, 0.9]}]},
     "runs[0].betas", [-0.1, 0.9]),
    ("eps = 0", {"problem": "rosenbrock", "runs": [{"optimizer": "Adam", "eps": 0}]},
     "runs[0].eps", 0),
    ("momentum = 1", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "momentum": 1}]},
     "runs[0].momentum", 1),
    ("clip_norm = 0", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "clip_norm": 0}]},
     "runs[0].clip_norm", 0),
    ("torch refuses lr", {"problem": "rosenbrock", "runs": [{"optimizer": "NAdam", "lr": -1}]},
     "runs[0].lr", -1.0),
    # values torch's own checks let through, which fail deeper in its step
    ("LBFGS history_size = 0", {"problem": "rosenbrock",
                                "runs": [{"optimizer": "LBFGS", "history_size": 0}]},
     "runs[0].history_size", 0),
    ("ASGD alpha = 1e308", {"problem": "rosenbrock",
                            "runs": [{"optimizer": "ASGD", "alpha": 1e308}]},
     "runs[0].alpha", 1e308),
    ("unknown dtype", {"problem": "rosenbrock", "dtype": "float16", "runs": [RUN]}, "dtype",
     "float16"),
    ("unknown device", {"problem": "rosenbrock", "device": "tpu", "runs": [RUN]}, "device",
     "tpu"),
    ("device index not a number", {"problem": "rosenbrock", "device": "cpu:x", "runs": [RUN]},
     "device", "cpu:x"),
    ("dtype a list", {"problem": "rosenbrock", "dtype": ["float32"], "runs": [RUN]}, "dtype",
     ["float32"]),
    ("optimizer a list", {"problem": "rosenbrock", "runs": [{"optimizer": ["SGD"]}]},
     "runs[0].optimizer", ["SGD"]),
    ("optimizer an object", {"problem": "rosenbrock", "runs": [{"optimizer": {"name": "SGD"}}]},
     "runs[0].optimizer", {"name": "SGD"}),
    ("lr an integer beyond float", {"problem": "rosenbrock",
                                    "runs": [{"optimizer": "SGD", "lr": 10**400}]},
     "runs[0].lr", 10**400),
    ("label 0", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "label": 0}]},
     "runs[0].label", 0),
    ("label false", {"problem": "rosenbrock", "runs": [{"optimizer": "SGD", "label": False}]},
     "runs[0].label", False),
    ("label with a lone surrogate", {"problem": "rosenbrock",
                                     "runs": [{"optimizer": "SGD", "label": "a\ud800b"}]},
     "runs[0].label", "a\ud800b"),
    ("colour with a sign", {"problem": "rosenbrock",
                            "runs": [{"optimizer": "SGD", "color": "#-12"}]},
     "runs[0].color", "#-12"),
    ("colour with a space", {"problem": "rosenbrock",
                             "runs": [{"optimizer": "SGD", "color": "# 12"}]},
     "runs[0].color", "# 12"),
    ("disabled run with an unknown optimizer",
     {"problem": "rosenbrock", "runs": [RUN, {"optimizer": "Adamm", "enabled": False}]},
     "runs[1].optimizer", "Adamm"),
]


@pytest.mark.parametrize(("config", "allowed"), [
    ({"problem": {"name": "rosenbrock", "a": 1}, "runs": [RUN]}, "unknown name 'a'; known: none"),
    ({"problem": {"name": "quadratic", "a": 1}, "runs": [RUN]},
     "unknown name 'a'; known: condition, angle"),
], ids=["problem without parameters", "problem with parameters"])
def test_an_unknown_parameter_lists_the_known_ones(config, allowed):
    with pytest.raises(ConfigError) as info:
        parse_experiment(config)
    assert info.value.field == "problem.a" and info.value.allowed == allowed


@pytest.mark.parametrize(("config", "field", "value"), [c[1:] for c in BAD_CONFIGS],
                         ids=[c[0] for c in BAD_CONFIGS])
def test_bad_input_names_the_field_and_the_value(config, field, value):
    with pytest.raises(ConfigError) as info:
        parse_experiment(config)
    assert info.value.field == field
    assert info.value.value == value or (isinstance(value, list)
                                         and list(info.value.value) == value)
    assert str(info.value).startswith(f"{field}: {info.value.value!r} is not allowed; ")
    assert info.value.allowed  # says what is allowed


GRID = [[x / 10, y / 10] for x in range(-50, 50) for y in range(-50, 50)]  # 10,000 starts


@pytest.mark.parametrize(("bad", "index"), [
    ([1.0], 0), ([1, 2, 3], 9_999), ("1,2", 5_000), ({"x": 1, "y": 2}, 17), (None, 1),
    ([True, 0.0], 3), (["1.5", 0.0], 4_321), ([float("nan"), 0.0], 2), ([0.0, float("inf")], 8),
    ([10**400, 0.0], 6), ([0.0, [1.0]], 9_998),
], ids=["too short", "too long", "a string", "an object", "null", "a bool", "a number as text",
        "NaN", "inf", "an integer beyond float", "a nested list"])
def test_a_bad_start_among_thousands_is_named_by_its_index(bad, index):
    starts = [list(p) for p in GRID]
    starts[index] = bad
    with pytest.raises(ConfigError) as info:
        parse_experiment({"problem": "rosenbrock", "starts": starts, "runs": [RUN]})
    assert info.value.field == f"starts[{index}]" and info.value.value is bad
    assert info.value.allowed == "a point [x, y] of two finite numbers"


def test_thousands_of_starts_parse_as_one_at_a_time():
    starts = [*GRID[:-3], (1, 2), [2**70, -0.0], [-3, 1e-310]]  # ints, a tuple, -0, subnormal
    experiment = parse_experiment({"problem": "rosenbrock", "starts": starts, "runs": [RUN]})
    want = [(float(x), float(y)) for x, y in starts]
    assert list(experiment.starts) == want and [r.start for r in experiment.runs] == want
    assert all(type(v) is float for p in experiment.starts for v in p)
    assert str(experiment.starts[-2][1]) == "-0.0"


def test_runs_copied_per_start_equal_dataclass_copies():
    """parse_experiment copies a run per start by its field dict (a dataclass's __init__ per
    copy is slow for 10⁴ starts): the copies must equal ``replace(spec, start=…)``, which holds
    only while RunSpec runs no code of its own on construction."""
    import dataclasses

    from optim_core.experiment import RunSpec

    assert "__post_init__" not in vars(RunSpec) and not hasattr(RunSpec, "__slots__")
    experiment = parse_experiment({"problem": "rosenbrock", "starts": [[0, 1], [2, 3]],
                                   "runs": [{"optimizer": "Adam", "lr": 0.1, "clip_norm": 1.0}]})
    first, second = experiment.runs
    assert second == dataclasses.replace(first, start=(2.0, 3.0))
    assert first.start == (0.0, 1.0) and first.hyperparameters is not None
