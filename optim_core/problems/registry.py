"""The problem catalogue: names (as used in experiment files) to problem classes."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from optim_core.errors import ConfigError
from optim_core.problems.base import Problem

PROBLEMS: dict[str, type[Problem]] = {}


def register(cls: type[Problem]) -> type[Problem]:
    """Class decorator: add a problem to the catalogue under ``cls.name``."""
    if cls.name in PROBLEMS:
        raise RuntimeError(f"problem {cls.name!r} registered twice")
    PROBLEMS[cls.name] = cls
    return cls


def make_problem(config: str | Mapping[str, Any], field: str = "problem") -> Problem:
    """Build a problem from a name or ``{"name": ..., **parameters}``, validating everything."""
    if isinstance(config, str):
        name, params = config, {}
    elif isinstance(config, Mapping):
        if "name" not in config:
            raise ConfigError(f"{field}.name", None, "a problem object needs a 'name'")
        params = {k: v for k, v in config.items() if k != "name"}
        name = config["name"]
    else:
        raise ConfigError(field, config, "a problem name or an object with 'name'")
    if not isinstance(name, str) or name not in PROBLEMS:
        raise ConfigError(
            f"{field}.name" if isinstance(config, Mapping) else field,
            name,
            f"known problems: {', '.join(sorted(PROBLEMS))}",
        )
    return PROBLEMS[name].from_params(params, field)


def problem_from_argument(text: str, field: str = "problem") -> Problem:
    """A problem from a command-line argument: a name, or a JSON object with ``name``."""
    config: Any = text
    if text.lstrip().startswith("{"):
        try:
            config = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(field, text, f"valid JSON ({exc.msg})") from None
    return make_problem(config, field)


def point_from_argument(text: str | None, problem: Problem, field: str = "at"
                        ) -> tuple[float, float]:
    """A point from a command-line argument ``x,y`` (None: the problem's default start)."""
    if text is None:
        return problem.default_start
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise ConfigError(field, text, "two numbers x,y such as -3,2") from None
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ConfigError(field, text, "finite numbers")
    return x, y
