"""Experiment files: the JSON that says what to run, validated into :class:`Experiment`.

An experiment names a ``problem``, one ``start`` or several ``starts``, how many ``steps``, the
``batch_size`` (null = full batch), ``seed``, ``device``, ``dtype`` and a list of ``runs``. Each run
names its ``optimizer`` and its hyperparameters by torch name (``lr``, ``momentum``, ``betas``…),
optionally ``clip_norm``/``clip_value``, a learning-rate ``schedule`` (a torch.optim.lr_scheduler
by name, see :mod:`optim_core.schedules`), a ``label``, a ``batch_size`` of its own, a display
``color`` and ``enabled``. Every error names the field, the value and what is allowed.
"""

from __future__ import annotations

import json
import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from optim_core import labels
from optim_core.errors import ConfigError
from optim_core.files import read_json
from optim_core.optimizers import get_rule, optimizer_names
from optim_core.params import ParamSpec, validate_all
from optim_core.problems import Problem, make_problem
from optim_core.schedules import check_schedule_length, parse_schedule

TOP_LEVEL_KEYS = ("problem", "start", "starts", "steps", "batch_size", "seed", "device", "dtype",
                  "grad_noise", "runs")
RUN_OPTIONS = {
    "clip_norm": ParamSpec("clip_norm", None, low=0.0, low_open=True, optional=True,
                           doc="rescale the gradient when its norm exceeds this"),
    "clip_value": ParamSpec("clip_value", None, low=0.0, low_open=True, optional=True,
                            doc="clamp each gradient component to ±this"),
    "batch_size": ParamSpec("batch_size", None, kind="int", low=1, optional=True,
                            doc="samples per step for this run (null = the experiment's)"),
}
RUN_KEYS = ("optimizer", "label", "color", "enabled", "schedule", *RUN_OPTIONS)
STEPS = ParamSpec("steps", 100, kind="int", low=0, high=10_000_000, doc="steps to run")
SEED = ParamSpec("seed", 0, kind="int", low=0, high=2**63 - 1, doc="seed of the minibatch draws")
BATCH = ParamSpec("batch_size", None, kind="int", low=1, optional=True,
                  doc="samples per step (null = full batch)")
GRAD_NOISE = ParamSpec("grad_noise", 0.0, low=0.0, doc="std of Gaussian noise added to gradients")
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class RunSpec:
    """One run: an optimizer with its hyperparameters, options and start point."""

    optimizer: str
    hyperparameters: Mapping[str, Any]
    start: tuple[float, float]
    label: str = ""
    clip_norm: float | None = None
    clip_value: float | None = None
    batch_size: int | None = None
    color: str | None = None
    schedule: Mapping[str, Any] | None = None  # a torch.optim.lr_scheduler by name, see schedules

    def with_hyperparameter(self, name: str, value: Any) -> RunSpec:
        """A copy with one hyperparameter or option changed (not validated here)."""
        if name in RUN_OPTIONS:
            return replace(self, **{name: value})
        return replace(self, hyperparameters={**self.hyperparameters, name: value})


@dataclass(frozen=True)
class Experiment:
    """A validated experiment; ``runs`` is expanded over the starts, run-major."""

    problem: Problem
    runs: tuple[RunSpec, ...]
    steps: int = 100
    batch_size: int | None = None
    seed: int = 0
    device: str = "cpu"
    dtype: str = "float64"
    grad_noise: float = 0.0
    starts: tuple[tuple[float, float], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """The experiment-file form (round-trips through :func:`parse_experiment`)."""
        per_start = len(self.starts) or 1
        runs = []
        for spec in self.runs[::per_start]:
            entry: dict[str, Any] = {"optimizer": spec.optimizer, "label": spec.label}
            entry.update({k: list(v) if isinstance(v, tuple) else v
                          for k, v in spec.hyperparameters.items()})
            for name in RUN_OPTIONS:
                if getattr(spec, name) is not None:
                    entry[name] = getattr(spec, name)
            if spec.color:
                entry["color"] = spec.color
            if spec.schedule is not None:
                entry["schedule"] = spec.schedule
            runs.append(entry)
        return experiment_file(
            self.problem.config(), self.starts, runs, steps=self.steps,
            batch_size=self.batch_size, seed=self.seed, device=self.device, dtype=self.dtype,
            grad_noise=self.grad_noise)


def experiment_file(
    problem: Mapping[str, Any],
    starts: Sequence[tuple[float, float]] | None,
    runs: list[dict[str, Any]],
    *,
    steps: int,
    batch_size: int | None,
    seed: int,
    device: str,
    dtype: str,
    grad_noise: float,
) -> dict[str, Any]:
    """An experiment file's dict, keys in their usual order (``start`` for a single start)."""
    out: dict[str, Any] = {"problem": dict(problem)}
    if starts is not None and len(starts) == 1:
        out["start"] = list(starts[0])
    elif starts:
        out["starts"] = [list(s) for s in starts]
    out.update(steps=steps, batch_size=batch_size, seed=seed, device=device, dtype=dtype)
    if grad_noise:
        out["grad_noise"] = grad_noise
    out["runs"] = runs
    return out


def parse_experiment(config: Any) -> Experiment:
    """Validate an experiment dict; raise :class:`ConfigError` naming the first bad field."""
    if not isinstance(config, Mapping):
        raise ConfigError("experiment", type(config).__name__, "a JSON object")
    _refuse_unknown(config, TOP_LEVEL_KEYS, "")
    if "problem" not in config:
        raise ConfigError("problem", None, "an experiment needs a problem")
    problem = make_problem(config["problem"])
    starts = _parse_starts(config, problem)
    steps = STEPS.validate(config.get("steps", STEPS.default))
    batch_size = BATCH.validate(config.get("batch_size"))
    check_batch_size(batch_size, problem, "batch_size")
    seed = SEED.validate(config.get("seed", SEED.default))
    device = parse_device(config.get("device", "cpu"))
    dtype = config.get("dtype", "float64")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ConfigError("dtype", dtype, f"allowed: {', '.join(DTYPES)}")
    grad_noise = GRAD_NOISE.validate(config.get("grad_noise", 0.0))
    runs_config = config.get("runs")
    if not isinstance(runs_config, list) or not runs_config:
        raise ConfigError("runs", runs_config, "a non-empty list of run objects")
    runs = []
    for i, run in enumerate(runs_config):
        spec = parse_run(run, f"runs[{i}]", problem)
        check_schedule_length(spec.schedule, steps, f"runs[{i}]")
        if run.get("enabled", True) is not False:
            runs.extend(_at_starts(spec, starts))
    if not runs:
        raise ConfigError("runs", runs_config, "at least one enabled run")
    return Experiment(problem=problem, runs=tuple(runs), steps=steps, batch_size=batch_size,
                      seed=seed, device=device, dtype=dtype, grad_noise=grad_noise,
                      starts=tuple(starts))


def parse_run(run: Any, where: str, problem: Problem | None = None) -> RunSpec:
    """Validate one run object (start is filled in by the caller)."""
    if not isinstance(run, Mapping):
        raise ConfigError(where, run, "a run object with an 'optimizer'")
    if "optimizer" not in run:
        raise ConfigError(f"{where}.optimizer", None, "every run needs an optimizer")
    name = run["optimizer"]
    if not isinstance(name, str):  # get_rule is cached: a list or object would not hash
        raise ConfigError(f"{where}.optimizer", name,
                          f"known optimizers: {', '.join(optimizer_names())}")
    rule = get_rule(name, f"{where}.optimizer")
    specs = {spec.name: spec for spec in rule.hyperparameters}
    reserved = set(RUN_KEYS)
    hyper_in = {k: v for k, v in run.items() if k not in reserved}
    hyper = validate_all(specs, hyper_in, where)
    rule.check(hyper, where)
    options = {name: spec.validate(run.get(name), f"{where}.{name}")
               for name, spec in RUN_OPTIONS.items()}
    if problem is not None:
        check_batch_size(options["batch_size"], problem, f"{where}.batch_size")
    label = run.get("label")
    if label is None or label == "":
        label = default_label(rule.name, hyper, options)
    if not isinstance(label, str) or not _is_text(label):
        raise ConfigError(f"{where}.label", label, "a string of Unicode text")
    color = run.get("color")
    if color is not None and not _is_colour(color):
        raise ConfigError(f"{where}.color", color, "a colour like '#1f77b4'")
    enabled = run.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}.enabled", enabled, "true or false")
    schedule = parse_schedule(run.get("schedule"), where, rule.name, hyper)
    return RunSpec(optimizer=rule.name, hyperparameters=hyper, start=(0.0, 0.0), label=label,
                   color=color, schedule=schedule, **options)


def default_label(
    optimizer: str, hyper: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> str:
    """``Adam lr=0.001``, ``SGD+momentum lr=0.001``: see :mod:`optim_core.labels`."""
    return labels.default_label(optimizer, hyper, options)


def parse_device(device: Any) -> str:
    """``cpu``, ``cuda``/``cuda:N`` or ``mps`` when present here."""
    available = available_devices()
    if not isinstance(device, str) or device.split(":")[0] not in available:
        raise ConfigError("device", device, f"available here: {', '.join(available)}")
    try:
        torch.device(device)
    except RuntimeError:
        raise ConfigError("device", device, f"available here: {', '.join(available)}") from None
    if device.startswith("cuda:"):
        index = device.split(":", 1)[1]
        if not index.isdigit() or int(index) >= torch.cuda.device_count():
            raise ConfigError("device", device, f"cuda:0 … cuda:{torch.cuda.device_count() - 1}")
    return device


def available_devices() -> list[str]:
    """The torch devices present on this machine."""
    devices = ["cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file; a malformed file raises ConfigError."""
    return parse_experiment(read_json(path))


def _parse_starts(config: Mapping[str, Any], problem: Problem) -> list[tuple[float, float]]:
    if "start" in config and "starts" in config:
        raise ConfigError("starts", config["starts"], "give either 'start' or 'starts', not both")
    if "starts" in config:
        starts = config["starts"]
        if not isinstance(starts, list) or not starts:
            raise ConfigError("starts", starts, "a non-empty list of [x, y] points")
        return _points(starts)
    if "start" in config:
        return [_point(config["start"], "start")]
    return [tuple(float(v) for v in problem.default_start)]


def _at_starts(spec: RunSpec, starts: Sequence[tuple[float, float]]) -> list[RunSpec]:
    """``spec`` at each start. A grid has 10⁴–10⁵ starts, and a frozen dataclass's ``__init__``
    (or ``replace``) sets its nine fields one ``object.__setattr__`` at a time: each copy gets
    ``spec``'s field dict with its own start instead (RunSpec has no ``__post_init__``)."""
    fields = spec.__dict__
    new, set_fields = object.__new__, object.__setattr__
    runs = []
    for start in starts:
        run = new(RunSpec)
        set_fields(run, "__dict__", {**fields, "start": start})
        runs.append(run)
    return runs


#: what a JSON point and its coordinates are, exactly (bool is an int subclass, and refused)
_PAIRS = (list, tuple)
_NUMBERS = (int, float)


def _points(values: list[Any]) -> list[tuple[float, float]]:
    """Each of ``values`` as a point, checked in one pass over all the numbers (a basin grid has
    up to 262,144 starts); anything unusual goes point by point, so that a bad one is refused
    by :func:`_point` naming ``starts[i]``."""
    if all(type(v) in _PAIRS and len(v) == 2 for v in values):
        flat = [x for v in values for x in v]
        if all(type(x) in _NUMBERS for x in flat):
            try:
                array = np.array(flat, dtype=np.float64)
            except OverflowError:  # an integer beyond float's range: named below
                array = None
            if array is not None and np.isfinite(array).all():
                return list(zip(array[0::2].tolist(), array[1::2].tolist(), strict=True))
    return [_point(v, f"starts[{i}]") for i, v in enumerate(values)]


def _point(value: Any, where: str) -> tuple[float, float]:
    ok = (isinstance(value, list | tuple) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and _finite(v) for v in value))
    if not ok:
        raise ConfigError(where, value, "a point [x, y] of two finite numbers")
    return (float(value[0]), float(value[1]))


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float (JSON allows 1000 digits)
        return False


def check_batch_size(batch_size: int | None, problem: Problem, where: str) -> None:
    """Refuse a batch larger than a finite-sum problem's number of samples."""
    n = getattr(problem, "n_samples", None)
    if batch_size is not None and n is not None and batch_size > n:
        raise ConfigError(where, batch_size, f"at most the problem's n_samples ({n})")


def _refuse_unknown(config: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for key in config:
        if key not in known:
            # a blank key would name no field: quote it
            name = key if isinstance(key, str) and key.strip() else json.dumps(str(key))
            raise ConfigError(f"{where}{name}", config[key],
                              f"unknown key; known: {', '.join(known)}")


def _is_colour(value: Any) -> bool:
    # not int(…, 16): it also takes "#-12", "# 12" and "#1_2"
    return (isinstance(value, str) and value.startswith("#") and len(value) in (4, 7, 9)
            and all(c in string.hexdigits for c in value[1:]))


def _is_text(value: str) -> bool:
    """Whether ``value`` can be written as UTF-8 (no lone surrogates from JSON ``\\ud800``)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
