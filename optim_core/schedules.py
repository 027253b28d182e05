"""Learning-rate schedules by torch name, per run: read from experiment files, stepped exactly.

A run's ``"schedule": {"name": "CosineAnnealingLR", "T_max": 60}`` names a class of
``torch.optim.lr_scheduler`` and its arguments, with torch's names and defaults;
``{"name": "SequentialLR", "schedulers": [{...}, {...}], "milestones": [30]}`` chains them. The
schedule is stepped once per optimizer step, as in ``opt.step(); scheduler.step()``.

The values are torch's by construction: a :class:`ScheduleClock` drives a real torch scheduler
on a stand-in optimizer — the run's own ``torch.optim`` class and hyperparameters over a
one-element parameter that never has a gradient — and reads the stand-in's param group before
each step: ``lr``, and for ``OneCycleLR``/``CyclicLR`` with ``cycle_momentum`` the ``momentum``
or ``betas`` that torch cycles. That costs about 10 µs a step for each distinct pair of
hyperparameters and schedule (runs alike, such as one run from several starts, share one).
"""

from __future__ import annotations

import inspect
import math
import re
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import torch
from torch.optim import lr_scheduler

from optim_core.errors import ConfigError
from optim_core.params import ParamSpec

#: the schedules a run may name, in the order an editor lists them
SCHEDULE_NAMES = (
    "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR", "ConstantLR",
    "OneCycleLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR", "SequentialLR",
)
_REFUSED = {
    "ReduceLROnPlateau": "it steps on a validation metric, not once per optimizer step",
    "LambdaLR": "its lr_lambda is a Python function, which a JSON file cannot hold",
    "MultiplicativeLR": "its lr_lambda is a Python function, which a JSON file cannot hold",
    "ChainedScheduler": "chain schedules in time with SequentialLR instead",
}
#: constructor arguments that are not the schedule's: the optimizer, resuming, callables
_NOT_ARGUMENTS = {"self", "optimizer", "last_epoch", "verbose", "scale_fn"}
#: the hyperparameters a schedule can set, in the order they are reported
SCHEDULED = ("lr", "momentum", "betas")


def _spec(name: str, kind: str = "float", doc: str = "", **bounds: Any) -> ParamSpec:
    return ParamSpec(name, None, kind=kind, doc=doc, **bounds)


#: each argument's type and range, by torch's name (the default comes from torch's signature)
ARGUMENTS: dict[str, ParamSpec] = {spec.name: spec for spec in (
    _spec("step_size", "int", "steps between decays", low=1),
    _spec("gamma", "float", "multiplicative factor of the lr decay", low=0.0),
    _spec("T_max", "int", "steps of one cosine half-period", low=1),
    _spec("eta_min", "float", "the lowest learning rate", low=0.0),
    _spec("start_factor", "float", "lr factor at the first step", low=0.0, low_open=True,
          high=1.0),
    _spec("end_factor", "float", "lr factor after total_iters", low=0.0, high=1.0),
    _spec("factor", "float", "lr factor until total_iters", low=0.0, high=1.0),
    _spec("total_iters", "int", "steps until the factor reaches its end", low=0),
    _spec("max_lr", "float", "the peak learning rate", low=0.0, low_open=True, log_scale=True),
    _spec("total_steps", "int", "steps in the cycle", low=1, optional=True),
    _spec("epochs", "int", "epochs in the cycle (with steps_per_epoch)", low=1, optional=True),
    _spec("steps_per_epoch", "int", "steps per epoch (with epochs)", low=1, optional=True),
    _spec("pct_start", "float", "fraction of the cycle spent increasing the lr", low=0.0,
          high=1.0),
    _spec("cycle_momentum", "bool", "cycle momentum (or Adam's β₁) inversely to the lr"),
    _spec("base_momentum", "float", "the lowest momentum of the cycle", low=0.0, high=1.0),
    _spec("max_momentum", "float", "the highest momentum of the cycle", low=0.0, high=1.0),
    _spec("div_factor", "float", "initial lr = max_lr / div_factor", low=0.0, low_open=True),
    _spec("final_div_factor", "float", "final lr = initial lr / final_div_factor", low=0.0,
          low_open=True),
    _spec("three_phase", "bool", "a third phase annihilates the lr"),
    _spec("power", "float", "power of the polynomial decay", low=0.0),
    _spec("T_0", "int", "steps until the first restart", low=1),
    _spec("T_mult", "int", "factor by which the period grows after a restart", low=1),
    _spec("base_lr", "float", "the lowest learning rate of the cycle", low=0.0, low_open=True,
          log_scale=True),
    _spec("step_size_up", "int", "steps in the increasing half of a cycle", low=1),
    _spec("step_size_down", "int", "steps in the decreasing half (null: step_size_up)", low=1,
          optional=True),
)}
#: arguments that take one of a few strings
CHOICES: dict[str, tuple[str, ...]] = {
    "anneal_strategy": ("cos", "linear"),
    "mode": ("triangular", "triangular2", "exp_range"),
    "scale_mode": ("cycle", "iterations"),
}


def schedule_arguments(name: str) -> dict[str, Any]:
    """A schedule's arguments in torch's order, each with torch's default (``REQUIRED`` if it
    has none)."""
    signature = inspect.signature(getattr(lr_scheduler, name).__init__)
    return {arg: REQUIRED if p.default is inspect.Parameter.empty else p.default
            for arg, p in signature.parameters.items() if arg not in _NOT_ARGUMENTS}


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


# ---------------------------------------------------------------------------------- editors
def new_schedule(name: str, steps: int, lr: float) -> dict[str, Any]:
    """Schedule ``name`` with the arguments it needs filled in to fit a run of ``steps`` steps at
    learning rate ``lr`` (a cosine over the whole run, a one-cycle peaking at 10·lr…)."""
    steps = max(int(steps), 2)
    fillers: dict[str, Any] = {
        "step_size": max(1, steps // 3), "milestones": [max(1, steps // 2), max(2, steps * 3 // 4)],
        "gamma": 0.1 if name in ("StepLR", "MultiStepLR") else 0.99, "T_max": steps,
        "max_lr": 10.0 * lr if name == "OneCycleLR" else lr, "total_steps": steps,
        "T_0": max(1, steps // 4), "base_lr": lr / 10.0, "step_size_up": max(1, steps // 4),
    }
    out: dict[str, Any] = {"name": name}
    for arg, default in schedule_arguments(name).items():
        if default is REQUIRED or (name == "OneCycleLR" and arg == "total_steps"):
            out[arg] = fillers[arg]
    return out


def argument_descriptions(name: str) -> list[dict[str, Any]]:
    """The numbers and switches of schedule ``name`` as an editor form describes them
    (:meth:`ParamSpec.describe`, with torch's default); lists and choices are left out."""
    out = []
    for arg, default in schedule_arguments(name).items():
        if arg in ARGUMENTS:
            described = ARGUMENTS[arg].describe()
            described["default"] = None if default is REQUIRED else default
            out.append(described)
    return out


# ---------------------------------------------------------------------------------- parsing
def parse_schedule(
    value: Any, where: str, optimizer: str, hyper: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A run's schedule validated and normalised (``name`` first, then the given arguments in
    torch's order, JSON types), or None for no schedule. Raises :class:`ConfigError` naming
    ``{where}.schedule…``; torch builds and steps it once on the run's optimizer to check it."""
    if value is None:
        return None
    field = f"{where}.schedule"
    schedule = _parse(value, field, nested=False)
    clock = ScheduleClock(optimizer, [hyper], [schedule], field=field)
    try:
        clock.advance(strict=True)
    except Exception as exc:
        raise _torch_refusal(exc, schedule, field) from None
    return schedule


def _parse(value: Any, field: str, nested: bool) -> dict[str, Any]:
    example = '{"name": "StepLR", "step_size": 30}'
    if not isinstance(value, Mapping):
        raise ConfigError(field, value, f"a schedule object like {example}, or null")
    name = value.get("name")
    allowed = [n for n in SCHEDULE_NAMES if not (nested and n == "SequentialLR")]
    if isinstance(name, str) and name in _REFUSED:
        raise ConfigError(f"{field}.name", name, f"not here: {_REFUSED[name]}; "
                          f"allowed: {', '.join(allowed)}")
    if nested and name == "SequentialLR":
        raise ConfigError(f"{field}.name", name,
                          f"a SequentialLR cannot hold another; allowed: {', '.join(allowed)}")
    if not isinstance(name, str) or name not in allowed:
        raise ConfigError(f"{field}.name", name,
                          f"a torch.optim.lr_scheduler name; allowed: {', '.join(allowed)}")
    known = schedule_arguments(name)
    for key in value:
        if key != "name" and key not in known:
            raise ConfigError(f"{field}.{key}", value[key],
                              f"unknown argument of {name}; it takes: {', '.join(known)}")
    out: dict[str, Any] = {"name": name}
    for arg, default in known.items():
        if arg not in value:
            if default is REQUIRED:
                raise ConfigError(f"{field}.{arg}", None, f"{name} needs {arg}")
            continue
        out[arg] = _argument(arg, value[arg], f"{field}.{arg}")
    if name == "SequentialLR":
        _check_sequence(out, field)
    if name == "OneCycleLR" and out.get("total_steps") is None and (
            out.get("epochs") is None or out.get("steps_per_epoch") is None):
        raise ConfigError(f"{field}.total_steps", out.get("total_steps"),
                          "OneCycleLR needs total_steps (or epochs and steps_per_epoch): "
                          "the length of its cycle")
    return out


def _argument(arg: str, value: Any, field: str) -> Any:
    if arg in CHOICES:
        if not isinstance(value, str) or value not in CHOICES[arg]:
            raise ConfigError(field, value, f"allowed: {', '.join(CHOICES[arg])}")
        return value
    if arg == "milestones":
        ok = (isinstance(value, list | tuple) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value)
            and all(v >= 1 for v in value) and all(a < b for a, b in pairwise(value)))
        if not ok:
            raise ConfigError(field, value, "a list of increasing step numbers, each ≥ 1")
        return list(value)
    if arg == "schedulers":
        if not isinstance(value, list | tuple) or not value:
            raise ConfigError(field, value, "a non-empty list of schedule objects")
        return [_parse(item, f"{field}[{i}]", nested=True) for i, item in enumerate(value)]
    return ARGUMENTS[arg].validate(value, field)


def _check_sequence(schedule: Mapping[str, Any], field: str) -> None:
    count = len(schedule["schedulers"])
    milestones = schedule["milestones"]
    if len(milestones) != count - 1:
        raise ConfigError(f"{field}.milestones", milestones,
                          f"{count - 1} increasing step number(s), one for each hand-over "
                          f"between its {count} schedulers")


def _torch_refusal(exc: Exception, schedule: Mapping[str, Any], field: str) -> ConfigError:
    """A torch error building or stepping ``schedule`` as a ConfigError naming its argument."""
    if isinstance(exc, ConfigError):
        return exc
    name = schedule["name"]
    message = f"torch.optim.lr_scheduler.{name} says: {exc}"
    blamed = _blamed(str(exc), schedule)
    if blamed is None:
        return ConfigError(field, dict(schedule), message)
    value = schedule.get(blamed, schedule_arguments(name).get(blamed))
    return ConfigError(f"{field}.{blamed}", value, message)


def _blamed(message: str, schedule: Mapping[str, Any]) -> str | None:
    """The argument a torch message is about: the one it names, else the only one given."""
    lowered = message.lower()
    names = schedule_arguments(schedule["name"])
    for arg in sorted(names, key=len, reverse=True):
        if re.search(rf"\b{re.escape(arg.lower())}\b", lowered):
            return arg
    given = [arg for arg in schedule if arg != "name"]
    return given[0] if len(given) == 1 else None


def check_schedule_length(schedule: Mapping[str, Any] | None, steps: int, where: str) -> None:
    """Refuse a OneCycleLR shorter than the steps it is stepped: torch raises past its end."""
    if schedule is None:
        return
    sequence = schedule["name"] == "SequentialLR"
    parts = schedule["schedulers"] if sequence else [schedule]
    starts = [0, *schedule["milestones"]] if sequence else [0]
    for i, part in enumerate(parts):
        if part["name"] != "OneCycleLR":
            continue
        # scheduler.step() calls it receives; at its milestone SequentialLR restarts it at 0
        last = i == len(parts) - 1
        stepped = (steps if last else min(steps, starts[i + 1] - 1)) - starts[i]
        total = part.get("total_steps")
        name = "total_steps"
        if total is None:
            total, name = part["epochs"] * part["steps_per_epoch"], "epochs"
        if stepped > total:
            field = f"{where}.schedule" + (f".schedulers[{i}]" if sequence else "")
            raise ConfigError(f"{field}.{name}", part[name],
                              f"a cycle of at least the {stepped} steps it is stepped "
                              "(torch's OneCycleLR raises when stepped past its end)")


# ---------------------------------------------------------------------------------- stepping
def _stand_in(optimizer: str, hyper: Mapping[str, Any]) -> torch.optim.Optimizer:
    """The run's torch.optim optimizer (a bare ``Optimizer`` holding the hyperparameters for a
    rule torch lacks, as the exported script writes Newton out) over one element that never
    updates: its ``step`` only tells the scheduler that the optimizer has stepped."""
    param = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    cls = getattr(torch.optim, optimizer, None)
    if inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer):
        takes = inspect.signature(cls.__init__).parameters
        opt = cls([param], **{k: v for k, v in hyper.items() if k in takes})
    else:
        opt = torch.optim.Optimizer([param], dict(hyper))
    # a real step costs ~50 µs even without gradients; the scheduler reads only param_groups
    opt.step = types.MethodType(_no_update, opt)  # type: ignore[method-assign]
    return opt


def _no_update(self: torch.optim.Optimizer, closure: Any = None) -> None:
    return None


def _build(schedule: Mapping[str, Any], opt: torch.optim.Optimizer, field: str
           ) -> lr_scheduler.LRScheduler:
    """The torch scheduler of ``schedule`` on ``opt``; a refusal names the argument."""
    args = {k: v for k, v in schedule.items() if k != "name"}
    if schedule["name"] == "SequentialLR":
        args["schedulers"] = [_build(part, opt, f"{field}.schedulers[{i}]")
                              for i, part in enumerate(schedule["schedulers"])]
    try:
        return getattr(lr_scheduler, schedule["name"])(opt, **args)
    except Exception as exc:
        raise _torch_refusal(exc, schedule, field) from None


def _cycled(scheduler: Any) -> bool:
    """Whether the scheduler (or one it holds) cycles momentum."""
    parts = getattr(scheduler, "_schedulers", [scheduler])
    return any(getattr(part, "cycle_momentum", False) for part in parts)


@dataclass
class _Driver:
    """A torch scheduler on its stand-in optimizer."""

    optimizer: torch.optim.Optimizer
    scheduler: Any
    ended: bool = False


class ScheduleClock:
    """The scheduled hyperparameters of a block of runs (one optimizer), step by step."""

    def __init__(self, optimizer: str, hypers: list[Mapping[str, Any]],
                 schedules: list[dict[str, Any] | None], field: str = "schedule") -> None:
        if len(hypers) != len(schedules):
            raise ValueError("one schedule (or None) per run")
        self.optimizer = optimizer
        self.hypers = [dict(h) for h in hypers]
        self.schedules = list(schedules)
        # one torch scheduler per distinct (hyperparameters, schedule): runs alike share it
        self._drivers: list[_Driver] = []
        self._driver_of: list[int | None] = []
        seen: dict[str, int] = {}
        names = set()
        for hyper, schedule in zip(self.hypers, self.schedules, strict=True):
            if schedule is None:
                self._driver_of.append(None)
                continue
            key = repr((sorted(hyper.items()), schedule))
            if key not in seen:
                seen[key] = len(self._drivers)
                opt = _stand_in(optimizer, hyper)
                driver = _Driver(opt, _build(schedule, opt, field))
                self._drivers.append(driver)
                names.add("lr")
                if _cycled(driver.scheduler):
                    names.add("betas" if "betas" in opt.defaults else "momentum")
            self._driver_of.append(seen[key])
        self.names = tuple(n for n in SCHEDULED if n in names)

    def current(self) -> dict[str, list[Any]]:
        """Hyperparameters that schedules set for the step about to be taken, per run (runs
        without a schedule keep their own value); only names some schedule changes."""
        groups = [driver.optimizer.param_groups[0] for driver in self._drivers]
        return {name: [hyper.get(name) if d is None else groups[d][name]
                       for hyper, d in zip(self.hypers, self._driver_of, strict=True)]
                for name in self.names}

    def advance(self, strict: bool = False) -> None:
        """Step every schedule once, after an optimizer step (``scheduler.step()``). Where torch
        refuses to go on (a OneCycleLR past total_steps) the last values hold; ``strict``
        raises instead."""
        for driver in self._drivers:
            if driver.ended:
                continue
            driver.optimizer.step()
            try:
                driver.scheduler.step()
            except Exception:
                driver.ended = True
                if strict:
                    raise

    def lr_curve(self, steps: int) -> np.ndarray:
        """``(runs, steps)``: each run's learning rate at steps 1…steps, from a fresh clock."""
        fresh = ScheduleClock(self.optimizer, self.hypers, self.schedules)
        out = np.empty((len(self.hypers), max(steps, 0)))
        constant = [float(h.get("lr", math.nan)) for h in self.hypers]
        for step in range(max(steps, 0)):
            out[:, step] = fresh.current().get("lr", constant)
            fresh.advance()
        return out


def schedule_lr_curve(optimizer: str, hyper: Mapping[str, Any], schedule: dict[str, Any] | None,
                      steps: int) -> np.ndarray:
    """One run's learning rate at steps 1…steps (constant without a schedule)."""
    return ScheduleClock(optimizer, [hyper], [schedule]).lr_curve(steps)[0]


def schedule_text(schedule: Mapping[str, Any] | None) -> str:
    """A short description such as ``CosineAnnealingLR(T_max=60)`` ("" for none)."""
    if schedule is None:
        return ""
    args = []
    for arg, value in schedule.items():
        if arg == "name":
            continue
        if arg == "schedulers":
            value = "[" + ", ".join(schedule_text(part) for part in value) + "]"
        args.append(f"{arg}={value}")
    return f"{schedule['name']}({', '.join(args)})"


__all__: Sequence[str] = (
    "ARGUMENTS", "CHOICES", "REQUIRED", "SCHEDULED", "SCHEDULE_NAMES", "ScheduleClock",
    "argument_descriptions", "check_schedule_length", "new_schedule", "parse_schedule",
    "schedule_arguments", "schedule_lr_curve", "schedule_text",
)
