"""Optimizer Lab's engine: problems, optimizers, sessions, experiment files and results — no Qt.

The names below are imported on first use (PEP 562), so a light module such as
:mod:`optim_core.errors` can be imported without torch: the window paints before the engine
has loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from optim_core.errors import ConfigError
    from optim_core.experiment import load_experiment, parse_experiment
    from optim_core.results import run_experiment
    from optim_core.session import Session
    from optim_core.snapshot import Snapshot

_HOMES = {
    "ConfigError": "optim_core.errors",
    "Session": "optim_core.session",
    "Snapshot": "optim_core.snapshot",
    "load_experiment": "optim_core.experiment",
    "parse_experiment": "optim_core.experiment",
    "run_experiment": "optim_core.results",
}

__all__ = [
    "ConfigError",
    "Session",
    "Snapshot",
    "load_experiment",
    "parse_experiment",
    "run_experiment",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'optim_core' has no attribute {name!r}")
