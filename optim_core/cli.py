"""The command line: ``python -m optim_core run|problems|optimizers|export-script|demo|noise``.

``run`` runs an experiment file and prints one line per run (optionally saving every step with
``--out``); ``problems``, ``optimizers`` and ``schedules`` list what an experiment may name, with
defaults and allowed ranges; ``export-script`` writes the experiment as a PyTorch training
script; ``demo`` runs a built-in experiment; ``noise`` (see :mod:`optim_core.noise_cli`)
measures minibatch noise. Bad input never crashes and never half-writes a file: it prints one line
``error: <field>: <value> is not allowed; <what is allowed>`` on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from optim_core import basins_cli, curvature_cli, noise_cli, schedules_cli, sweep_cli
from optim_core.errors import ConfigError
from optim_core.experiment import Experiment, parse_experiment, read_json
from optim_core.networks import cli as network_cli
from optim_core.networks.experiment import is_network_experiment, parse_network_experiment
from optim_core.networks.script_export import network_script
from optim_core.optimizers import BUILT_IN, get_rule, optimizer_names
from optim_core.problems import PROBLEMS, make_problem
from optim_core.results import (
    RECORD_BUDGET_BYTES,
    RECORD_BUDGET_MIB,
    RESULT_FORMATS,
    atomic_write,
    check_out,
    final_index,
    run_experiment,
    write_result,
)
from optim_core.script_export import training_script

#: exit status for bad input (argparse uses the same for its usage errors)
EXIT_BAD_INPUT = 2

DEMO_EXPERIMENT: dict[str, Any] = {
    "problem": "rosenbrock",
    "steps": 1000,
    "runs": [
        {"optimizer": "SGD", "lr": 1e-3, "label": "SGD"},
        {"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9, "label": "SGD + momentum 0.9"},
        {"optimizer": "Adam", "lr": 0.05, "label": "Adam"},
    ],
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    _tolerate_unencodable_output()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130  # interrupted: nothing was written (writes are atomic)
    except BrokenPipeError:  # the reader went away (`... | head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(
        prog="python -m optim_core", description="Optimizer Lab's engine on the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run an experiment file and print a summary")
    run.add_argument("experiment", help="experiment file (.json)")
    run.add_argument("--out", help="save the records as .json, .csv or .npz (every step, or "
                                   "thinned past --record-budget)")
    run.add_argument("--record-budget", type=float, metavar="MIB",
                     default=RECORD_BUDGET_BYTES / 2**20,
                     help="memory the records may take; a longer experiment is recorded every "
                          "k-th step (default %(default)g MiB)")
    run.set_defaults(handler=_cmd_run)

    problems = commands.add_parser("problems", help="list the problems and their parameters")
    problems.add_argument("--json", action="store_true", help="print JSON instead of a table")
    problems.set_defaults(handler=_cmd_problems)

    optimizers = commands.add_parser("optimizers", help="list the optimizers and hyperparameters")
    optimizers.add_argument("--json", action="store_true", help="print JSON instead of a table")
    optimizers.set_defaults(handler=_cmd_optimizers)

    export = commands.add_parser("export-script", help="write the experiment as a PyTorch script")
    export.add_argument("experiment", help="experiment file (.json)")
    export.add_argument("--out", help="write the script to this .py file instead of stdout")
    export.set_defaults(handler=_cmd_export_script)

    demo = commands.add_parser("demo", help="run Rosenbrock with SGD, SGD + momentum and Adam")
    demo.add_argument("--steps", type=int, default=DEMO_EXPERIMENT["steps"],
                      help=f"steps per run (default {DEMO_EXPERIMENT['steps']})")
    demo.add_argument("--out", help="save the records as .json, .csv or .npz")
    demo.set_defaults(handler=_cmd_demo)

    noise_cli.add_parser(commands)
    network_cli.add_parsers(commands)
    sweep_cli.add_parser(commands)
    basins_cli.add_parser(commands)
    curvature_cli.add_parser(commands)
    schedules_cli.add_parser(commands)
    return parser


# ---------------------------------------------------------------------------------- commands
def _cmd_run(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_out(args.out, RESULT_FORMATS)
        _refuse_same_file(args.out, args.experiment)
    config = read_json(args.experiment)
    if is_network_experiment(config):  # a network: train it, as `train` does
        return network_cli.train_and_report(parse_network_experiment(config), args.out)
    budget = RECORD_BUDGET_MIB.validate(args.record_budget)
    return _run_and_report(parse_experiment(config), args.out, int(budget * 2**20))


def _cmd_demo(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_out(args.out, RESULT_FORMATS)
    return _run_and_report(parse_experiment({**DEMO_EXPERIMENT, "steps": args.steps}), args.out)


def _run_and_report(experiment: Experiment, out: str | None,
                    record_budget: int = RECORD_BUDGET_BYTES) -> int:
    result = run_experiment(experiment, record_budget=record_budget)
    if out is not None:  # write first: a failed write must print nothing but its error
        write_result(result, out)
    print(summary(result))
    if out is not None:
        print(f"wrote {out}")
    return 0


def _cmd_export_script(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_out(args.out, (".py",))
        _refuse_same_file(args.out, args.experiment)
    config = read_json(args.experiment)
    script = (network_script(parse_network_experiment(config)) if is_network_experiment(config)
              else training_script(parse_experiment(config)))
    if args.out is None:
        sys.stdout.write(script)
        return 0
    atomic_write(args.out, lambda stream: stream.write(script.encode("utf-8")))
    print(f"wrote {args.out}")
    return 0


def _cmd_problems(args: argparse.Namespace) -> int:
    described = [describe_problem(name) for name in PROBLEMS]
    print(json.dumps(described, indent=2, ensure_ascii=False) if args.json
          else problems_table(described))
    return 0


def _cmd_optimizers(args: argparse.Namespace) -> int:
    described = [describe_optimizer(name) for name in optimizer_names()]
    print(json.dumps(described, indent=2, ensure_ascii=False) if args.json
          else optimizers_table(described))
    return 0


# ---------------------------------------------------------------------------------- output
def summary(result: Mapping[str, Any]) -> str:
    """One line per run: label, status, final loss and final point (where it diverged, if so)."""
    experiment = result["experiment"]
    runs = result["runs"]
    header = (f"{result['problem']}: {len(runs)} run{'s' if len(runs) != 1 else ''}, "
              f"{experiment['steps']} steps")
    several_starts = len({tuple(run["start"]) for run in runs}) > 1
    rows = [("run", *(["start"] if several_starts else []), "status", "final loss", "final point")]
    for run in runs:
        t = final_index(run)
        status = run["status"] if run["diverged_at"] is None else \
            f"diverged at step {run['diverged_at']}"
        start = [_point(run["start"])] if several_starts else []
        rows.append((run["label"], *start, status, _g(run["loss"][t]),
                     _point(run["trajectory"][t])))
    thinning = result.get("thinning")
    if thinning:
        header += (f" (recorded 1 step in {thinning['every']} and the last: {thinning['rows']}"
                   f" of {thinning['steps']} rows, to stay within "
                   f"{thinning['budget_bytes'] / 2**20:g} MiB)")
    return header + "\n" + _table(rows)


def describe_problem(name: str) -> dict[str, Any]:
    """A problem's listing entry: what it is, its parameters, and its default instance's view."""
    cls = PROBLEMS[name]
    problem = make_problem(name)
    view = problem.view
    return {
        "name": name, "title": cls.title, "formula": cls.formula, "about": cls.about,
        "finite_sum": bool(cls.is_finite_sum),
        "parameters": [spec.describe() for spec in cls.parameters],
        "default_start": list(problem.default_start),
        "view": [view.xmin, view.xmax, view.ymin, view.ymax],
        "minima": [{"point": list(m.point), "value": m.value} for m in problem.minima],
    }


def describe_optimizer(name: str) -> dict[str, Any]:
    """An optimizer's listing entry; ``built_in`` is false for the generic torch.optim ones."""
    return {**get_rule(name).describe(), "built_in": name in BUILT_IN}


def problems_table(described: Sequence[Mapping[str, Any]]) -> str:
    """The problems as a table, each followed by its parameters (default and range)."""
    rows = [("name", "title", "formula")]
    notes: dict[int, str] = {}
    for entry in described:
        rows.append((entry["name"], entry["title"], entry["formula"]))
        params = [f"{p['name']} = {_value(p['default'])} in {p['range']}"
                  for p in entry["parameters"]]
        if params:
            notes[len(rows) - 1] = "parameters: " + "; ".join(params)
    return _table(rows, notes)


def optimizers_table(described: Sequence[Mapping[str, Any]]) -> str:
    """Each optimizer with its update and its hyperparameters' defaults and allowed ranges."""
    blocks = []
    for entry in described:
        kind = "built-in" if entry["built_in"] else "generic torch.optim (runs through the adapter)"
        lines = [f"{entry['name']} — {entry['title']}  [{kind}]", f"  update: {entry['update']}"]
        rows = [("  " + p["name"], _value(p["default"]), _allowed(p, entry["built_in"]), p["doc"])
                for p in entry["hyperparameters"]]
        lines.append(_table([("  hyperparameter", "default", "allowed", ""), *rows]))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _table(rows: Sequence[Sequence[str]], notes: Mapping[int, str] | None = None) -> str:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if notes and i in notes:
            lines.append(" " * (widths[0] + 2) + notes[i])
    return "\n".join(lines)


def _allowed(param: Mapping[str, Any], built_in: bool) -> str:
    unbounded = param["low"] is None and param["high"] is None and param["kind"] != "bool"
    return "checked by torch.optim" if unbounded and not built_in else param["range"]


def _point(point: Sequence[float]) -> str:
    return f"({_g(point[0])}, {_g(point[1])})"


def _g(value: Any) -> str:
    value = float(value)
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------------------- guards
def _refuse_same_file(out: str, experiment: str) -> None:
    """Refuse to overwrite the experiment file with the output."""
    out_path, in_path = Path(out), Path(experiment)
    if out_path.exists() and in_path.exists() and out_path.samefile(in_path):
        raise ConfigError("out", out, "a different file from the experiment file")


def _tolerate_unencodable_output() -> None:
    """Formulas and ranges use symbols (≥, ², ∇); a console that cannot show them gets escapes."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
