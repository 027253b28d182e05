"""``python -m optim_core curvature``: the Hessian of a problem at a point, and what it implies.

Prints the Hessian (by autograd, of the full loss), its eigenvalues (ascending) and unit
eigenvectors (one per eigenvalue), the condition number λ_max/λ_min (when both are positive) and
``gd_lr_limit`` = 2/λ_max, the learning rate below which plain gradient descent is stable there.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from typing import Any

from optim_core.curvature import Curvature, curvature_at
from optim_core.errors import ConfigError
from optim_core.problems import Problem, make_problem
from optim_core.problems.registry import point_from_argument, problem_from_argument
from optim_core.subcommand import add_point_argument, add_problem_argument, add_subcommand


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``curvature`` sub-command to ``subparsers``; its handler is :func:`run`."""
    parser = add_subcommand(
        subparsers, "curvature", "Hessian, eigenvalues, condition number and 2/λ_max at a point",
        __doc__)
    add_problem_argument(parser)
    parser.add_argument("--param", action="append", default=[], metavar="K=V",
                        help="a problem parameter (repeatable); V is JSON or else text, e.g. "
                             "--param expression='x**2 + 10*y**2' --param view=[-1,1,-1,1]")
    add_point_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command; bad input raises ConfigError (``cli.main`` prints it, exit status 2)."""
    problem = _problem(args.problem, args.param)
    point = point_from_argument(args.at, problem)
    curvature = curvature_at(problem, [point])
    facts = describe(problem, curvature)
    print(json.dumps(facts, indent=2, ensure_ascii=False) if args.json else report(facts))
    return 0


def describe(problem: Problem, curvature: Curvature) -> dict[str, Any]:
    """The facts at the first point, JSON-ready (``null`` for what is undefined or not finite)."""
    return {
        "problem": problem.config(),
        "at": _list(curvature.points[0]),
        "loss": _number(curvature.loss[0]),
        "gradient": _list(curvature.gradient[0]),
        "hessian": [_list(row) for row in curvature.hessian[0]],
        "eigenvalues": _list(curvature.eigenvalues[0]),
        "eigenvectors": [_list(row) for row in curvature.eigenvectors[0]],
        "condition": _number(curvature.condition[0]),
        "gd_lr_limit": _number(curvature.gd_lr_limit[0]),
    }


def report(facts: dict[str, Any]) -> str:
    """The facts as aligned text lines."""
    config = facts["problem"]
    name = config["name"] if len(config) == 1 else json.dumps(config, ensure_ascii=False)
    low, high = facts["eigenvalues"]
    condition = facts["condition"]
    limit = facts["gd_lr_limit"]
    rows = [
        ("problem", name),
        ("at", _pair(facts["at"])),
        ("loss", _g(facts["loss"])),
        ("gradient", _pair(facts["gradient"])),
        ("hessian", "[" + ", ".join(_pair(row, "[]") for row in facts["hessian"]) + "]"),
        ("eigenvalues", f"{_g(low)}, {_g(high)}  (ascending)"),
        ("eigenvectors", ", ".join(_pair(v) for v in facts["eigenvectors"])
         + "  (one per eigenvalue)"),
        ("condition", _g(condition) if condition is not None
         else "undefined (an eigenvalue is not positive)"),
        ("gd_lr_limit", f"{_g(limit)}  (2/λ_max: plain gradient descent is stable below it)"
         if limit is not None else "none (λ_max ≤ 0: no learning rate is stable)"),
    ]
    width = max(len(key) for key, _ in rows)
    return "\n".join(f"{key.ljust(width)}  {value}" for key, value in rows)


def _problem(text: str, params: Sequence[str]) -> Problem:
    if not params:
        return problem_from_argument(text)
    base = problem_from_argument(text).config()
    for item in params:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("param", item, "K=V, e.g. condition=100")
        base[key.strip()] = _value(value)
    return make_problem(base)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _number(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _list(values: Sequence[float]) -> list[float | None]:
    return [_number(v) for v in values]


def _g(value: float | None) -> str:
    return "undefined" if value is None else f"{value:.6g}"


def _pair(values: Sequence[float | None], brackets: str = "()") -> str:
    return f"{brackets[0]}{_g(values[0])}, {_g(values[1])}{brackets[1]}"
