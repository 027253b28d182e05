"""The network workbench's experiment as plain data: the default race, run edits and schedules.

The window keeps the experiment as the dict of an experiment file (what Open and Save read and
write, and what the CLI's ``train`` runs); every edit makes a new dict, which
:func:`~optim_core.networks.experiment.parse_network_experiment` validates before anything runs.
"""

from __future__ import annotations

import copy
from typing import Any

from optim_core.schedules import ARGUMENTS, REQUIRED, SCHEDULE_NAMES, schedule_arguments
from widgets.style import RUN_COLORS

STEPS = 300
#: SGD, Adam and AdamW on the moons with a cosine schedule: the lecture's race on a real net
DEFAULT_NETWORK_EXPERIMENT: dict[str, Any] = {
    "network": {"dataset": "moons", "n_samples": 600, "noise": 0.2, "validation": 0.25,
                "model": "mlp", "hidden": [16, 16], "activation": "tanh"},
    "steps": STEPS, "batch_size": 32, "seed": 0, "dtype": "float32", "device": "cpu",
    "runs": [
        {"optimizer": "SGD", "lr": 0.1, "schedule": {"name": "CosineAnnealingLR",
                                                     "T_max": STEPS}},
        {"optimizer": "Adam", "lr": 0.02, "schedule": {"name": "CosineAnnealingLR",
                                                       "T_max": STEPS}},
        {"optimizer": "AdamW", "lr": 0.02, "weight_decay": 0.1,
         "schedule": {"name": "CosineAnnealingLR", "T_max": STEPS}},
    ],
}
#: schedules the editor offers (SequentialLR chains others: from a file only)
EDITABLE_SCHEDULES = tuple(name for name in SCHEDULE_NAMES if name != "SequentialLR")
#: keys of a run that are not hyperparameters
RUN_KEYS = ("optimizer", "label", "color", "enabled", "clip_norm", "clip_value", "schedule",
            "batch_size")


def default_config() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_NETWORK_EXPERIMENT)


def run_color(run: dict[str, Any], index: int) -> str:
    return run.get("color") or RUN_COLORS[index % len(RUN_COLORS)]


def new_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """A run to add: the first of SGD, Adam, AdamW not racing yet (else Adam), at a usual lr."""
    racing = {run.get("optimizer") for run in runs}
    for optimizer, lr in (("SGD", 0.1), ("Adam", 0.01), ("AdamW", 0.01)):
        if optimizer not in racing:
            return {"optimizer": optimizer, "lr": lr}
    return {"optimizer": "Adam", "lr": 0.01}


def with_optimizer(run: dict[str, Any], optimizer: str) -> dict[str, Any]:
    """The run with another optimizer: its lr, clipping, schedule, colour kept; the rest reset."""
    kept = {k: v for k, v in run.items()
            if k in ("lr", "clip_norm", "clip_value", "schedule", "color", "enabled")}
    return {"optimizer": optimizer, **kept}


def hyperparameters(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k not in RUN_KEYS}


def schedule_filler(name: str, steps: int, lr: float) -> dict[str, Any]:
    """Values for the arguments torch requires and gives no default, sized to the run: a cosine
    over all the steps, a step decay every third of them, a cycle peaking at 10× the lr…"""
    fill = {"T_max": steps, "step_size": max(1, steps // 3), "T_0": max(1, steps // 4),
            "total_steps": steps, "max_lr": 10 * lr if name == "OneCycleLR" else lr,
            "base_lr": lr / 10, "gamma": 0.99, "milestones": [steps // 2, 3 * steps // 4]}
    return {arg: fill[arg] for arg, default in schedule_arguments(name).items()
            if default is REQUIRED and arg in fill}


def new_schedule(name: str, steps: int, lr: float) -> dict[str, Any]:
    """A fresh schedule ``name`` with its required arguments filled (OneCycleLR: total_steps)."""
    schedule = {"name": name, **schedule_filler(name, steps, lr)}
    if name == "OneCycleLR":
        schedule["total_steps"] = steps
    return schedule


def schedule_specs(schedule: dict[str, Any], steps: int, lr: float) -> list[dict[str, Any]]:
    """Parameter descriptions of the schedule's editable arguments (numbers and switches), each
    with torch's default or the filler's."""
    name = schedule["name"]
    if name not in EDITABLE_SCHEDULES:
        return []
    filler = schedule_filler(name, steps, lr)
    specs = []
    for arg, default in schedule_arguments(name).items():
        spec = ARGUMENTS.get(arg)
        if spec is None:
            continue
        described = spec.describe()
        value = filler.get(arg, default)
        if value is REQUIRED or (value is None and not described["optional"]):
            continue
        described["default"] = value
        specs.append(described)
    return specs
