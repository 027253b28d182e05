"""Fuzzing in the suite: hostile experiment files, CLI arguments and torch.optim hyperparameters.

Property everywhere: the engine gives a result, or one :class:`ConfigError` naming a field —
never another exception, never a hang (each example runs under an alarm), never a partial
output file. Examples are bounded so the whole file runs in well under a minute; what hypothesis
found is kept below as explicit regression cases (``@example``). Set ``OPTIMIZER_LAB_FUZZ=N`` to
explore with random seeds and N examples per test.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optim_core import ConfigError, cli, load_experiment, parse_experiment, run_experiment
from optim_core.optimizers import BUILT_IN, get_rule, optimizer_names
from optim_core.results import write_result

#: seconds one example may take before it counts as a hang
HANG_SECONDS = 20
#: experiments with more steps than this are parsed, not run (the run is what is fuzzed, not time)
MOST_STEPS_RUN = 40
#: ``OPTIMIZER_LAB_FUZZ=2000`` explores further (random seeds, that many examples per test)
EXPLORE = int(os.environ.get("OPTIMIZER_LAB_FUZZ", "0"))
FUZZ = settings(max_examples=EXPLORE or 150, deadline=None, derandomize=not EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
#: the CLI examples start whole commands, so fewer of them
FUZZ_CLI = settings(FUZZ, max_examples=EXPLORE or 60)

BASES: dict[str, dict[str, Any]] = {
    "quadratic, three runs": {
        "problem": {"name": "quadratic", "condition": 50, "angle": 30},
        "start": [-3, 2], "steps": 12, "batch_size": None, "seed": 0, "device": "cpu",
        "dtype": "float64",
        "runs": [{"optimizer": "SGD", "lr": 0.03, "label": "SGD"},
                 {"optimizer": "SGD", "lr": 0.03, "momentum": 0.9, "label": "momentum"},
                 {"optimizer": "Adam", "lr": 0.1, "betas": [0.9, 0.999], "clip_norm": 1.0}],
    },
    "finite sum, minibatches": {
        "problem": {"name": "mean_quadratic", "n_samples": 20}, "steps": 8, "batch_size": 4,
        "starts": [[-1, 1], [0.5, 0.5]], "grad_noise": 0.1,
        "runs": [{"optimizer": "RMSprop", "lr": 0.01, "clip_value": 0.5},
                 {"optimizer": "Newton", "batch_size": 20}],
    },
}

# ---------------------------------------------------------------------------------- strategies
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 2**63, 1e308, -1e308, 5e-324, 1e-320, math.nan, math.inf,
                     -math.inf, 0.5, 1e-12]),
)
TEXT = st.one_of(st.text(max_size=8),
                 st.sampled_from(["", "cpu", "cuda", "cuda:7", "float16", "SGD", "\ud800",
                                  "ü", "𝔵", "\x00", "nan", "1e999", "../x"]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
HOSTILE = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)), max_leaves=6)
DEEP = st.integers(min_value=1, max_value=200).map(lambda n: _nest(n))


def _nest(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"a": value}
    return value


def _paths(config: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every place in ``config`` a value sits (dict keys and list indices)."""
    items = config.items() if isinstance(config, dict) else enumerate(config)
    for key, value in items:
        yield (*prefix, key)
        if isinstance(value, dict | list):
            yield from _paths(value, (*prefix, key))


@st.composite
def mutated_configs(draw) -> dict[str, Any]:
    """A valid experiment with one field changed, removed, or an unknown key added."""
    config = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    paths = list(_paths(config))
    path = draw(st.sampled_from(paths))
    parent = config
    for key in path[:-1]:
        parent = parent[key]
    action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "deep"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "add":
        target = parent if isinstance(parent, dict) else config
        target[draw(TEXT)] = draw(HOSTILE)
    else:
        parent[path[-1]] = draw(DEEP if action == "deep" else HOSTILE)
    return config


# ---------------------------------------------------------------------------------- helpers
@contextlib.contextmanager
def no_hang(seconds: int = HANG_SECONDS) -> Iterator[None]:
    """Fail (rather than wait forever) when the body runs past ``seconds``."""
    def alarm(signum, frame):
        raise TimeoutError(f"hung for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def result_or_config_error(config: Any, out: Path | None = None) -> str:
    """Parse and (when short) run ``config``; "ok", "parsed" or "refused <field>"."""
    try:
        with no_hang():
            experiment = parse_experiment(config)
            if experiment.steps > MOST_STEPS_RUN or len(experiment.runs) > 16:
                return "parsed"
            result = run_experiment(experiment)
            assert len(result["runs"]) == len(experiment.runs)
            if out is not None:
                write_result(result, out)
                json.loads(out.read_text(encoding="utf-8"))
        return "ok"
    except ConfigError as exc:
        assert isinstance(exc.field, str) and exc.field, repr(exc)
        assert str(exc).startswith(exc.field)
        return f"refused {exc.field}"


def only_whole_files(folder: Path, wrote: bool, out: Path) -> None:
    """No temporary file is left, and ``out`` exists only if the command succeeded."""
    leftovers = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [], leftovers
    if not wrote:
        assert not out.exists(), f"{out.name} was left by a failed command"


# ------------------------------------------------------------------------- experiment files
@FUZZ
@given(config=mutated_configs())
@example(config={**BASES["finite sum, minibatches"], "": None})  # named no field
@example(config={**BASES["quadratic, three runs"], "steps": 2**63})
@example(config={**BASES["quadratic, three runs"], "start": [1e308, -1e308]})
@example(config={**BASES["quadratic, three runs"], "device": "cuda:99"})
@example(config={**BASES["quadratic, three runs"], "dtype": ["float64"]})
@example(config={**BASES["quadratic, three runs"], "runs": [{"optimizer": {"a": 1}}]})
@example(config={**BASES["finite sum, minibatches"], "batch_size": 10**30})
@example(config={**BASES["finite sum, minibatches"], "starts": []})
@example(config={**BASES["quadratic, three runs"], "problem": {"name": "quadratic",
                                                                 "condition": 5e-324}})
def test_a_mutated_experiment_gives_a_result_or_one_config_error(tmp_path, config):
    result_or_config_error(config, tmp_path / "result.json")
    only_whole_files(tmp_path, wrote=(tmp_path / "result.json").exists(),
                     out=tmp_path / "result.json")


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12)


@FUZZ
@given(value=JSON_VALUES)
@example(value={"problem": "rosenbrock", "runs": [{"optimizer": "SGD"}], "steps": 2.5})
@example(value={"problem": {"name": "rosenbrock", "name2": 1}, "runs": []})
def test_random_json_is_an_experiment_or_one_config_error(value):
    result_or_config_error(value)


@FUZZ
@given(data=st.one_of(st.binary(max_size=64), JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                      st.sampled_from([b"\xff\xfe{", b"{" * 5000, b"[" * 100000 + b"]" * 100000,
                                       b'{"problem": NaN}', b"\xef\xbb\xbf{}", b""])))
def test_any_file_loads_or_is_one_config_error(tmp_path, data):
    path = tmp_path / "exp.json"
    path.write_bytes(data)
    try:
        with no_hang():
            load_experiment(path)
    except ConfigError as exc:
        assert exc.field


# ---------------------------------------------------------------------------------- CLI
GOOD_EXPERIMENT = {"problem": "rosenbrock", "steps": 5,
                   "runs": [{"optimizer": "SGD", "lr": 1e-3}, {"optimizer": "Adam"}]}
ARG_VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "2", "3", "-1", "0.5", "1e-3", "nan", "inf", "-inf",
                     "1e308", "1e-320", "x", "ü", "\ud800", "[]", "{}", "null", "1,2", "-3,2",
                     "1,2,3,4", "1:0:3", "1e-5:1:3", "SGD", "Adam,SGD", "LBFGS", "rosenbrock",
                     "mean_quadratic", '{"name": "quadratic", "condition": -1}', "lr=0.1",
                     "float32", "float16", "k=v", "=", "--", "-"]),
    st.text(max_size=6))
#: per command: the arguments that keep it small, and the options the fuzzer may add
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "run": (["{exp}"], ["--out"]),
    "export-script": (["{exp}"], ["--out"]),
    "demo": (["--steps", "5"], ["--steps", "--out"]),
    "problems": ([], ["--json"]),
    "optimizers": ([], ["--json"]),
    "noise": (["--problem", "mean_quadratic", "--draws", "8", "--no-timing",
               "--batch-sizes", "1,2"], ["--problem", "--at", "--batch-sizes", "--seed", "--out"]),
    "sweep": (["--problem", "rosenbrock", "--steps", "3", "--lrs", "1e-3,1e-2",
               "--optimizers", "SGD"], ["--problem", "--optimizers", "--lrs", "--batch-size",
                                        "--seed", "--out"]),
    "basins": (["--problem", "himmelblau", "--optimizer", "SGD", "--grid", "3", "--steps", "3"],
               ["--problem", "--optimizer", "--extent", "--radius", "--dtype", "--out", "--lr",
                "--momentum", "--betas", "--param"]),
    "curvature": (["--problem", "rosenbrock"], ["--problem", "--param", "--at", "--json"]),
    "datasets": ([], []),
}
FLAGS = {"--json", "--no-timing"}
OUT_SUFFIXES = ["", ".json", ".csv", ".npz", ".py", ".png", ".txt", "/"]


@st.composite
def command_lines(draw) -> tuple[str, list[str]]:
    name = draw(st.sampled_from(sorted(COMMANDS)))
    base, options = COMMANDS[name]
    argv = [name, *base]
    for option in draw(st.lists(st.sampled_from(options), max_size=3)) if options else []:
        if option in FLAGS:
            argv.append(option)
        elif option == "--out":
            argv += [option, "{out}" + draw(st.sampled_from(OUT_SUFFIXES))]
        else:
            argv += [option, draw(ARG_VALUES)]
    if name in ("sweep", "basins", "noise", "demo"):  # keep the work small, whatever was drawn
        argv += {"sweep": ["--steps", "3"], "basins": ["--grid", "3", "--steps", "3"],
                 "noise": ["--draws", "8", "--no-timing"], "demo": ["--steps", "5"]}[name]
    return name, argv


@FUZZ_CLI
@given(line=command_lines())
@example(line=("run", ["run", "{exp}", "--out", "{out}.json/"]))
@example(line=("basins", ["basins", "--problem", "himmelblau", "--optimizer", "SGD", "--lr",
                          "nan", "--grid", "3", "--steps", "3", "--out", "{out}.npz"]))
@example(line=("noise", ["noise", "--problem", "rosenbrock", "--draws", "8", "--no-timing"]))
@example(line=("curvature", ["curvature", "--problem", "rosenbrock", "--at", "1e308,1e308"]))
def test_every_command_exits_cleanly_and_writes_whole_files_or_nothing(tmp_path, line):
    _name, argv = line
    folder = tmp_path / "work"
    folder.mkdir(exist_ok=True)
    for stale in folder.iterdir():
        stale.unlink()
    exp = folder / "exp.json"
    exp.write_text(json.dumps(GOOD_EXPERIMENT), encoding="utf-8")
    out = folder / "out"
    argv = [a.replace("{exp}", str(exp)).replace("{out}", str(out)) for a in argv]
    outs = [Path(argv[i + 1]) for i, a in enumerate(argv[:-1]) if a == "--out"]
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        with no_hang(), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            status = cli.main(argv)
    except SystemExit as exc:  # argparse refusing an argument, or --help
        status = exc.code
    assert status in (0, 2), (argv, status, stderr.getvalue())
    if status == 2:
        assert stderr.getvalue().strip(), argv  # one message says why
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    if status != 0:
        for path in outs:
            assert not path.is_file() or path == exp, (argv, path)


# ---------------------------------------------------------------------------------- torch.optim
GENERIC = [name for name in optimizer_names() if name not in BUILT_IN]


@st.composite
def generic_runs(draw) -> dict[str, Any]:
    name = draw(st.sampled_from(GENERIC))
    known = [spec.name for spec in get_rule(name).hyperparameters]
    run: dict[str, Any] = {"optimizer": name}
    for key in draw(st.lists(st.sampled_from([*known, "not_a_hyperparameter"]), max_size=3,
                             unique=True)):
        run[key] = draw(HOSTILE)
    return run


@FUZZ
@given(run=generic_runs())
@example(run={"optimizer": "LBFGS", "max_iter": 2**62})
@example(run={"optimizer": "LBFGS", "history_size": 0})
@example(run={"optimizer": "Rprop", "etas": [2.0, 0.5]})
@example(run={"optimizer": "ASGD", "t0": math.inf})
@example(run={"optimizer": "Adadelta", "rho": math.nan})
def test_any_hyperparameter_of_a_generic_optimizer_runs_or_is_refused_by_name(run):
    outcome = result_or_config_error({"problem": "rosenbrock", "steps": 3, "runs": [run]})
    if outcome.startswith("refused"):
        assert outcome.split()[1].startswith(("runs[0]", "runs")), outcome


@pytest.mark.parametrize("name", GENERIC)
def test_each_generic_optimizer_runs_with_its_defaults(name):
    assert result_or_config_error({"problem": "rosenbrock", "steps": 3,
                                   "runs": [{"optimizer": name}]}) == "ok"
