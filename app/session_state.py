"""The editable experiment: what to run, as plain data the controls change and the worker runs.

:class:`SessionState` holds everything the left-hand controls edit — the problem and its
parameters, the runs (each with its optimizer, hyperparameters, clipping, learning-rate schedule,
colour, label and on/off switch), steps, batch size, seed, device, dtype, synthetic gradient
noise and the playback speed. It reads and writes the experiment JSON of the CLI
(:mod:`optim_core.experiment`) and validates through the engine's own parser, so every refusal
names the field that caused it.

Disabled runs stay in the state (and in saved files, as ``"enabled": false``) but not in the
session the worker runs; :meth:`SessionState.session_rows` maps the session's runs back to rows.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from optim_core.errors import ConfigError
from optim_core.experiment import (
    Experiment,
    RunSpec,
    default_label,
    experiment_file,
    parse_experiment,
    parse_run,
)
from optim_core.labels import legacy_label, variant
from optim_core.optimizers import get_rule
from optim_core.problems import Problem
from optim_core.schedules import schedule_text
from widgets.style import RUN_COLORS

#: Rosenbrock's curved valley with plain SGD, heavy-ball momentum and Adam racing: the lecture's
#: three ideas side by side, each visibly different within a few hundred steps.
DEFAULT_EXPERIMENT: dict[str, Any] = {
    "problem": {"name": "rosenbrock"},
    "steps": 500,
    "batch_size": None,
    "seed": 0,
    "device": "cpu",
    "dtype": "float64",
    "runs": [
        {"optimizer": "SGD", "lr": 0.001},
        {"optimizer": "SGD", "lr": 0.001, "momentum": 0.9},
        {"optimizer": "Adam", "lr": 0.05},
    ],
}
DEFAULT_SPEED = 100.0  #: steps per second when the app starts


def auto_label(optimizer: str, hyperparameters: Mapping[str, Any],
               options: Mapping[str, Any] | None = None) -> str:
    """A run's name from its settings: ``SGD lr=0.001``, ``SGD+momentum lr=0.001``, ``Adam
    lr=0.05 betas=(0.9, 0.9)``… (the engine's :func:`default_label`: runs that differ in any
    setting are named apart)."""
    return default_label(optimizer, hyperparameters, options)


def _older_auto_labels(optimizer: str, hyperparameters: Mapping[str, Any]) -> set[str]:
    """Labels earlier versions gave automatically (``SGD lr=0.001`` for every SGD run)."""
    name, _ = variant(optimizer, hyperparameters)
    return {legacy_label(optimizer, hyperparameters), legacy_label(name, hyperparameters)}


def summary(run: RunConfig) -> str:
    """The run's settings that differ from the optimizer's defaults (lr always), for the table."""
    defaults = {spec.name: spec.default for spec in get_rule(run.optimizer).hyperparameters}
    parts = []
    for name, value in run.hyperparameters.items():
        if name == "lr" or value != defaults.get(name):
            parts.append(f"{name}={_short(value)}")
    if run.clip_norm is not None:
        parts.append(f"clip_norm={_short(run.clip_norm)}")
    if run.clip_value is not None:
        parts.append(f"clip_value={_short(run.clip_value)}")
    if run.batch_size is not None:
        parts.append(f"batch_size={run.batch_size}")
    if run.schedule is not None:
        parts.append(schedule_text(run.schedule))
    return " ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass
class RunConfig:
    """One row of the runs table; ``label`` "" means: named by :func:`auto_label`."""

    optimizer: str
    hyperparameters: dict[str, Any]
    color: str
    label: str = ""
    enabled: bool = True
    clip_norm: float | None = None
    clip_value: float | None = None
    batch_size: int | None = None
    schedule: dict[str, Any] | None = None  # a torch.optim.lr_scheduler by name

    @property
    def display_label(self) -> str:
        """The label shown in legends and the status bar."""
        return self.label or auto_label(self.optimizer, self.hyperparameters, self.options())

    def options(self) -> dict[str, Any]:
        """The run's own clipping and batch size (None: not set)."""
        return {"batch_size": self.batch_size, "clip_norm": self.clip_norm,
                "clip_value": self.clip_value}

    def to_dict(self) -> dict[str, Any]:
        """The run object of the experiment file."""
        out: dict[str, Any] = {"optimizer": self.optimizer}
        if self.label:
            out["label"] = self.label
        out.update({k: list(v) if isinstance(v, tuple) else v
                    for k, v in self.hyperparameters.items()})
        for name in ("clip_norm", "clip_value", "batch_size"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.schedule is not None:
            out["schedule"] = copy.deepcopy(self.schedule)
        out["color"] = self.color
        if not self.enabled:
            out["enabled"] = False
        return out

    @classmethod
    def from_spec(cls, spec: RunSpec, color: str, enabled: bool, label_given: bool) -> RunConfig:
        """A row from a validated run; a label the engine or :func:`auto_label` would give is
        kept automatic, so it follows later edits of the learning rate."""
        hyper = dict(spec.hyperparameters)
        options = {"batch_size": spec.batch_size, "clip_norm": spec.clip_norm,
                   "clip_value": spec.clip_value}
        automatic = {auto_label(spec.optimizer, hyper, options),
                     *_older_auto_labels(spec.optimizer, hyper)}
        label = spec.label if label_given and spec.label not in automatic else ""
        return cls(optimizer=spec.optimizer, hyperparameters=hyper, color=spec.color or color,
                   label=label, enabled=enabled, clip_norm=spec.clip_norm,
                   clip_value=spec.clip_value, batch_size=spec.batch_size,
                   schedule=copy.deepcopy(dict(spec.schedule)) if spec.schedule else None)


@dataclass
class SessionState:
    """What to run. Edit it through the methods, which refuse invalid values with ConfigError."""

    problem: dict[str, Any]
    runs: list[RunConfig]
    starts: list[tuple[float, float]] | None = None  # None: the problem's default start
    steps: int = 500
    batch_size: int | None = None
    seed: int = 0
    device: str = "cpu"
    dtype: str = "float64"
    grad_noise: float = 0.0
    speed: float | None = DEFAULT_SPEED  # steps per second; None = as fast as possible
    _experiment: Experiment | None = field(default=None, repr=False, compare=False)

    # ------------------------------------------------------------------ file form
    @classmethod
    def default(cls) -> SessionState:
        """The experiment the app starts on."""
        return cls.from_dict(DEFAULT_EXPERIMENT)

    @classmethod
    def empty(cls) -> SessionState:
        """A new experiment: the default problem and start with one run (File → New)."""
        return cls.from_dict({**DEFAULT_EXPERIMENT, "runs": DEFAULT_EXPERIMENT["runs"][:1]})

    @classmethod
    def from_dict(cls, config: Any) -> SessionState:
        """Validate an experiment dict (the CLI's JSON); raise ConfigError naming the bad field."""
        experiment = parse_experiment(config)
        runs = []
        for i, run in enumerate(config["runs"]):
            spec = parse_run(run, f"runs[{i}]", experiment.problem)
            runs.append(RunConfig.from_spec(spec, RUN_COLORS[i % len(RUN_COLORS)],
                                            enabled=run.get("enabled", True) is not False,
                                            label_given="label" in run))
        starts = None
        if "start" in config or "starts" in config:
            starts = [tuple(s) for s in experiment.starts]
        return cls(problem=experiment.problem.config(), runs=runs, starts=starts,
                   steps=experiment.steps, batch_size=experiment.batch_size,
                   seed=experiment.seed, device=experiment.device, dtype=experiment.dtype,
                   grad_noise=experiment.grad_noise)

    def to_dict(self) -> dict[str, Any]:
        """The experiment file (round-trips through :meth:`from_dict`)."""
        return experiment_file(
            self.problem, self.starts, [run.to_dict() for run in self.runs], steps=self.steps,
            batch_size=self.batch_size, seed=self.seed, device=self.device, dtype=self.dtype,
            grad_noise=self.grad_noise)

    def copy(self) -> SessionState:
        """An independent copy (edits to it leave this state alone; the validated experiment,
        being immutable, is shared)."""
        return replace(self, problem=copy.deepcopy(self.problem),
                       runs=[copy.deepcopy(run) for run in self.runs],
                       starts=list(self.starts) if self.starts is not None else None)

    # ------------------------------------------------------------------ what runs
    def experiment(self) -> Experiment:
        """The validated experiment of the enabled runs, each labelled as shown (cached until the
        state changes)."""
        if self._experiment is None:
            config = self.to_dict()
            for entry, run in zip(config["runs"], self.runs, strict=True):
                entry["label"] = run.display_label
            self._experiment = parse_experiment(config)
        return self._experiment

    def session_rows(self) -> list[int]:
        """For each run of the session, the row it comes from (enabled rows, once per start)."""
        per_start = len(self.starts) if self.starts else 1
        return [i for i, run in enumerate(self.runs) if run.enabled for _ in range(per_start)]

    def session_runs_of(self, row: int) -> list[int]:
        """The session's runs that come from ``row`` (empty when the row is off)."""
        return [k for k, r in enumerate(self.session_rows()) if r == row]

    @property
    def problem_object(self) -> Problem:
        """The validated problem (its title, view, minima, loss…)."""
        return self.experiment().problem

    @property
    def is_finite_sum(self) -> bool:
        return self.problem_object.is_finite_sum

    # ------------------------------------------------------------------ edits
    def with_changes(self, **changes: Any) -> SessionState:
        """A validated copy with top-level fields changed (``seed``, ``problem``, ``starts``…)."""
        state = replace(self.copy(), _experiment=None, **changes)
        state.experiment()
        return state

    def with_run(self, row: int, run: RunConfig) -> SessionState:
        """A validated copy with row ``row`` replaced by ``run``."""
        runs = [copy.deepcopy(r) for r in self.runs]
        runs[row] = run
        return self.with_runs(runs)

    def with_runs(self, runs: list[RunConfig]) -> SessionState:
        """A validated copy with these runs (at least one, at least one of them on)."""
        if not runs:
            raise ConfigError("runs", [], "at least one run; add another before removing this one")
        if not any(run.enabled for run in runs):
            raise ConfigError("runs", "all off", "at least one run must stay on")
        state = self.with_changes(runs=runs)
        for i, run in enumerate(runs):
            if not run.enabled:  # the experiment only checked the enabled ones
                parse_run(run.to_dict(), f"runs[{i}]", state.experiment().problem)
        return state

    def with_hyperparameter(self, row: int, name: str, value: Any) -> SessionState:
        """A validated copy with one hyperparameter or clipping option of ``row`` changed."""
        run = copy.deepcopy(self.runs[row])
        if name in ("clip_norm", "clip_value", "batch_size"):
            setattr(run, name, value)
        else:
            run.hyperparameters[name] = tuple(value) if isinstance(value, list) else value
        parse_run(run.to_dict(), f"runs[{row}]", None)
        return self.with_run(row, run)

    def twins(self) -> list[int | None]:
        """For each row that is on, the first earlier row on that runs exactly as it does (its
        path, losses and all drawn on top of that one's), else None.

        Label, colour and being on or off do not change a run; on a deterministic problem its
        batch size does not either (every step uses the exact gradient). Synthetic gradient
        noise is drawn per run, so with it no two runs are twins.
        """
        if self.grad_noise > 0:
            return [None] * len(self.runs)
        first: dict[str, int] = {}
        out: list[int | None] = []
        for i, run in enumerate(self.runs):
            if not run.enabled:  # not drawn, so hidden under nothing and hiding nothing
                out.append(None)
                continue
            key = self._run_key(run)
            out.append(first.get(key))
            first.setdefault(key, i)
        return out

    def _run_key(self, run: RunConfig) -> str:
        settings = {k: v for k, v in run.to_dict().items()
                    if k not in ("label", "color", "enabled", "batch_size")}
        batch = (run.batch_size or self.batch_size) if self.is_finite_sum else None
        return json.dumps([settings, batch], sort_keys=True, default=repr)

    def row_summary(self, row: int) -> str:
        """The runs table's line under a run's name: its settings (:func:`summary`), a batch size
        a deterministic problem ignores, and the earlier run it is identical to."""
        run = self.runs[row]
        text = summary(run)
        if run.batch_size is not None and not self.is_finite_sum:
            text = text.replace(f"batch_size={run.batch_size}",
                                f"batch_size={run.batch_size} (ignored: exact gradients)")
        twin = self.twins()[row]
        if twin is not None:
            text += f" · identical to run {twin + 1}"
        return text

    def without_labels(self, labels: Iterable[str]) -> SessionState:
        """A copy whose runs labelled one of ``labels`` are named automatically again (a lesson's
        "SGD, full batch" must not outlive the lesson's settings)."""
        dropped = set(labels)
        runs = [replace(copy.deepcopy(run), label="") if run.label in dropped
                else copy.deepcopy(run) for run in self.runs]
        return self.with_changes(runs=runs)

    def with_optimizer(self, row: int, optimizer: str) -> SessionState:
        """A validated copy where ``row`` uses ``optimizer`` with that optimizer's defaults."""
        rule = get_rule(optimizer, f"runs[{row}].optimizer")
        run = replace(copy.deepcopy(self.runs[row]), optimizer=rule.name,
                      hyperparameters={s.name: s.default for s in rule.hyperparameters})
        try:
            return self.with_run(row, run)
        except ConfigError as exc:
            if run.schedule is None or ".schedule" not in exc.field:
                raise
            # a schedule the new optimizer cannot take (OneCycleLR cycling momentum on Adagrad)
            return self.with_run(row, replace(run, schedule=None))

    def with_schedule(self, row: int, schedule: Mapping[str, Any] | None) -> SessionState:
        """A validated copy where ``row`` follows ``schedule`` (None: a constant lr)."""
        run = replace(copy.deepcopy(self.runs[row]),
                      schedule=copy.deepcopy(dict(schedule)) if schedule else None)
        return self.with_run(row, run)

    def new_run(self, optimizer: str = "Adam") -> RunConfig:
        """A fresh run with the optimizer's defaults and the first colour not in use."""
        rule = get_rule(optimizer)
        return RunConfig(optimizer=rule.name, color=self.free_color(),
                         hyperparameters={s.name: s.default for s in rule.hyperparameters})

    def free_color(self) -> str:
        """The first palette colour no run uses (the palette repeats when all are taken)."""
        used = {run.color.lower() for run in self.runs}
        free = [c for c in RUN_COLORS if c.lower() not in used]
        return free[0] if free else RUN_COLORS[len(self.runs) % len(RUN_COLORS)]
