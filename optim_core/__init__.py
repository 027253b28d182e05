"""Optimizer Lab's engine: problems, optimizers, sessions, experiment files and results — no Qt."""

from optim_core.errors import ConfigError
from optim_core.experiment import load_experiment, parse_experiment
from optim_core.results import run_experiment
from optim_core.session import Session
from optim_core.snapshot import Snapshot

__all__ = [
    "ConfigError",
    "Session",
    "Snapshot",
    "load_experiment",
    "parse_experiment",
    "run_experiment",
]
