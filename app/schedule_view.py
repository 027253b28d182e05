"""The selected run's learning-rate schedule in the main window: what its editor shows, and the
schedule an edit makes.

The curve is the engine's own: :func:`optim_core.schedules.schedule_lr_curve` steps the torch
scheduler the run will use, about 10 µs a step, so it is computed here on the GUI thread — only
when a run is shown or its schedule changes, and for at most :data:`MAX_CURVE_STEPS` steps
(under 0.1 s).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.session_state import RunConfig
from optim_core.schedules import (
    SCHEDULE_NAMES,
    argument_descriptions,
    new_schedule,
    schedule_lr_curve,
    schedule_text,
)
from widgets.schedule_editor import ScheduleEditor

MAX_CURVE_STEPS = 5000
#: offered in the editor; a SequentialLR chains others and is written in the experiment file
EDITABLE = tuple(name for name in SCHEDULE_NAMES if name != "SequentialLR")


def show_schedule(editor: ScheduleEditor, run: RunConfig, steps: int) -> None:
    """Show ``run``'s schedule, its arguments and its lr over the experiment's ``steps``."""
    schedule = run.schedule
    editable = schedule is not None and schedule["name"] in EDITABLE
    descriptions = argument_descriptions(schedule["name"]) if editable else []
    notes = []
    if schedule is not None and not editable:
        notes.append(f"{schedule_text(schedule)} — from the experiment file; edit it there.")
    if schedule is not None and _cycles_momentum(schedule):
        what = "β₁" if "betas" in run.hyperparameters else "momentum"
        notes.append(f"It also cycles {what} between max_momentum and base_momentum, as torch "
                     f"does (cycle_momentum), in place of the run's own {what}.")
    shown = min(max(steps, 1), MAX_CURVE_STEPS)
    if shown < steps:
        notes.append(f"The curve shows the first {shown:,} of {steps:,} steps.")
    editor.set_schedule(EDITABLE, schedule, descriptions, " ".join(notes))
    editor.set_curve(lr_curve(run, shown), run.color)


def _cycles_momentum(schedule: dict[str, Any]) -> bool:
    parts = schedule.get("schedulers", [schedule])
    return any(part["name"] in ("OneCycleLR", "CyclicLR") and part.get("cycle_momentum", True)
               for part in parts)


def lr_curve(run: RunConfig, steps: int) -> np.ndarray:
    """The learning rate ``run`` uses at steps 1…steps."""
    if run.schedule is None:
        return np.full(steps, float(run.hyperparameters.get("lr", np.nan)))
    return schedule_lr_curve(run.optimizer, run.hyperparameters, run.schedule, steps)


def picked_schedule(run: RunConfig, name: str | None, steps: int) -> dict[str, Any] | None:
    """The schedule after picking ``name`` (None: constant lr): the run's own if it already
    follows that one, else a fresh one fitted to ``steps`` steps."""
    if name is None:
        return None
    if run.schedule is not None and run.schedule["name"] == name:
        return dict(run.schedule)
    return new_schedule(name, steps, float(run.hyperparameters.get("lr", 1e-3)))


def edited_schedule(schedule: dict[str, Any], argument: str, value: Any) -> dict[str, Any]:
    """``schedule`` with one argument changed (None: back to torch's default)."""
    out = {k: v for k, v in schedule.items() if k != argument}
    if value is not None:
        out[argument] = value
    return out
