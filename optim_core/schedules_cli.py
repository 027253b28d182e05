"""``python -m optim_core schedules``: the learning-rate schedules a run may name.

Each ``torch.optim.lr_scheduler`` class an experiment's ``"schedule"`` may name, with its
arguments in torch's order, torch's defaults (``required`` where torch has none) and the values
allowed; ``--json`` prints the same as JSON.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from optim_core.schedules import (
    ARGUMENTS,
    CHOICES,
    REQUIRED,
    SCHEDULE_NAMES,
    schedule_arguments,
)
from optim_core.subcommand import add_subcommand

EXAMPLE = '"schedule": {"name": "CosineAnnealingLR", "T_max": 200}'
_LISTS = {
    "milestones": "increasing step numbers, each ≥ 1",
    "schedulers": "schedule objects (not SequentialLR), one more than milestones",
}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``schedules`` sub-command to ``subparsers``."""
    parser = add_subcommand(subparsers, "schedules",
                            "list the learning-rate schedules a run may name", __doc__)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the schedules, as a table or JSON."""
    described = describe_schedules()
    print(json.dumps(described, indent=2, ensure_ascii=False) if args.json
          else schedules_table(described))
    return 0


def describe_schedules() -> list[dict[str, Any]]:
    """Every schedule with its arguments: name, default (None where required), allowed."""
    out = []
    for name in SCHEDULE_NAMES:
        arguments = []
        for arg, default in schedule_arguments(name).items():
            arguments.append({"name": arg, "required": default is REQUIRED,
                              "default": None if default is REQUIRED else default,
                              "allowed": _allowed(arg), "doc": _doc(arg)})
        out.append({"name": name, "torch": f"torch.optim.lr_scheduler.{name}",
                    "arguments": arguments})
    return out


def schedules_table(described: list[dict[str, Any]]) -> str:
    """One block per schedule: its arguments, defaults and allowed values."""
    blocks = [f"A run's schedule, by torch name with torch's arguments, e.g.\n  {EXAMPLE}\n"
              "stepped once after each optimizer step."]
    for entry in described:
        rows = [("  argument", "default", "allowed", "")]
        rows += [("  " + a["name"], "required" if a["required"] else json.dumps(a["default"]),
                  a["allowed"], a["doc"]) for a in entry["arguments"]]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [entry["torch"]]
        lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                  for row in rows]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _allowed(arg: str) -> str:
    if arg in CHOICES:
        return " | ".join(CHOICES[arg])
    if arg in _LISTS:
        return "a list of " + _LISTS[arg]
    return ARGUMENTS[arg].allowed().removeprefix("allowed: ")


def _doc(arg: str) -> str:
    return ARGUMENTS[arg].doc if arg in ARGUMENTS else ""
