"""``python -m optim_core sweep``: final loss over a grid of learning rates, per optimizer.

Every optimizer runs at every learning rate from the problem's start (torch.optim's defaults
otherwise) and the command prints a table of final losses, one row per lr and one column per
optimizer ("diverged" where a run diverged), then each optimizer's best lr and how many decades
of lr around it reach a loss within 10× of its best. ``--out`` saves the grid as CSV or JSON.
Bad input prints ``error: …`` on stderr and exits with 2.

``--network FILE.json`` (or a JSON object) sweeps a network experiment instead of a problem:
the optimizers are its runs with their other settings (or ``--optimizers`` with torch.optim's
defaults), and each is judged by its final validation loss against the untrained network's.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from typing import Any

import numpy as np

from optim_core.errors import ConfigError
from optim_core.experiment import read_json
from optim_core.networks.experiment import parse_network_experiment
from optim_core.problems import Problem, problem_from_argument
from optim_core.results import check_out
from optim_core.subcommand import (
    PROBLEM_HELP,
    add_problem_argument,
    add_subcommand,
    save_then_print,
)
from optim_core.sweep import (
    DEFAULT_OPTIMIZERS,
    SweepResult,
    log_grid,
    lr_sweep,
    network_lr_sweep,
)

DEFAULT_LRS = "1e-4:1:13"
DEFAULT_STEPS = 300
TOLERANCE = 10.0  #: "within 10× of the best loss"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``sweep`` sub-command to ``subparsers``; its handler is :func:`run`."""
    parser = add_subcommand(
        subparsers, "sweep", "final loss over a grid of learning rates, per optimizer", __doc__)
    subject = parser.add_mutually_exclusive_group(required=True)
    add_problem_argument(subject, f"{PROBLEM_HELP}, e.g. "
                                  "'{\"name\": \"quadratic\", \"condition\": 100}'",
                         required=False)
    subject.add_argument("--network", metavar="EXPERIMENT",
                         help="a network experiment (a .json file or a JSON object with "
                              "'network'): its runs are swept, judged by validation loss")
    parser.add_argument("--optimizers",
                        help=f"comma-separated names (default {','.join(DEFAULT_OPTIMIZERS)}; "
                             "with --network, the experiment's runs)")
    parser.add_argument("--lrs", default=DEFAULT_LRS,
                        help="lo:hi:count, log-spaced, or a comma-separated list "
                             f"(default {DEFAULT_LRS})")
    parser.add_argument("--steps", type=int,
                        help=f"steps per run (default {DEFAULT_STEPS}; with --network, the "
                             "experiment's)")
    parser.add_argument("--batch-size", type=int,
                        help="samples per step (finite-sum problems; with --network, in place "
                             "of the experiment's)")
    parser.add_argument("--seed", type=int,
                        help="seed of the minibatches (default 0; with --network, the "
                             "experiment's)")
    parser.add_argument("--out", help="also save the grid as .csv or .json")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command; bad input raises ConfigError (``cli.main`` prints it, exit status 2)."""
    if args.out is not None:
        check_out(args.out, (".csv", ".json"))
    optimizers = (None if args.optimizers is None else
                  [name.strip() for name in args.optimizers.split(",") if name.strip()])
    if args.network is not None:
        config = network_argument(args.network)
        result = network_lr_sweep(
            config, parse_lrs(args.lrs), optimizers=optimizers, steps=args.steps,
            batch_size="experiment" if args.batch_size is None else args.batch_size,
            seed=args.seed)
        subject = {"network": config}
    else:
        problem = problem_from_argument(args.problem)
        result = lr_sweep(problem, list(DEFAULT_OPTIMIZERS) if optimizers is None else optimizers,
                          parse_lrs(args.lrs),
                          steps=DEFAULT_STEPS if args.steps is None else args.steps,
                          batch_size=args.batch_size, seed=0 if args.seed is None else args.seed)
        subject = {"problem": problem.config()}
    save_then_print(args.out, lambda out: (to_csv(result) if out.lower().endswith(".csv")
                                           else to_json(subject, result)).encode("utf-8"),
                    report(result))
    return 0


# ------------------------------------------------------------------------------ input
def network_argument(text: str) -> dict[str, Any]:
    """``--network``: a JSON object written out, or the path of an experiment file (validated)."""
    config = json_object(text) if text.lstrip().startswith("{") else read_json(text)
    return parse_network_experiment(config).to_dict()


def json_object(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigError("network", text, f"a JSON object ({error})") from None


def parse_lrs(text: str) -> np.ndarray:
    """``"1e-4:1:13"`` (log-spaced lo:hi:count) or ``"0.01,0.1,1"`` → learning rates."""
    if ":" in text:
        try:
            lo, hi, count = text.split(":")
            return log_grid(float(lo), float(hi), int(count))
        except ValueError:
            raise ConfigError("lrs", text, "lo:hi:count such as 1e-4:1:13, "
                                           "or a comma list such as 0.01,0.1,1") from None
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError("lrs", text, "numbers such as 0.01,0.1,1") from None
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        raise ConfigError("lrs", text, "learning rates > 0 such as 0.01,0.1,1")
    return np.array(values)


# ------------------------------------------------------------------------------ output
def _cell(value: float, diverged: bool, width: int) -> str:
    return f"{'diverged' if diverged else format(value, '.4g'):>{width}}"


def report(result: SweepResult, factor: float = TOLERANCE) -> str:
    """The table ``sweep`` prints: one row per lr, one column per optimizer, then the summary."""
    width = max(10, *(len(name) + 1 for name in result.optimizers))
    batch = "full batch" if result.batch_size is None else f"batch size {result.batch_size}"
    if result.network is not None:
        start = "the untrained loss"
        head = (f"{result.network}: final validation loss after {result.steps} steps, {batch}, "
                f"seed {result.seed}; untrained validation loss {result.start_loss:.4g}")
    else:
        start = "the start"
        x, y = result.start
        head = (f"{result.problem}: final loss after {result.steps} steps from ({x:g}, {y:g}), "
                f"start loss {result.start_loss:.4g}"
                + (f", minimum {result.f_min:g}" if result.f_min is not None else "")
                + (f"; {batch}, seed {result.seed}" if result.batch_size is not None else ""))
    lines = [head, f"{'lr':>10}" + "".join(f"{name:>{width}}" for name in result.optimizers)]
    for j, lr in enumerate(result.lrs):
        lines.append(f"{lr:>10.3g}" + "".join(
            _cell(result.final_loss[o, j], bool(result.diverged[o, j]), width)
            for o in range(len(result.optimizers))))
    verdicts = zip(result.optimizers, result.best, result.tolerant_decades(factor),
                   result.improvement(), result.best_at_edge(), result.range_at_edge(factor),
                   strict=True)
    for name, (lr, loss), d, better, best_edge, range_edge in verdicts:
        if math.isnan(lr):
            lines.append(f"{name}: diverged at every lr")
            continue
        below = "" if math.isnan(better) else f", {_times(better)}× below {start}"
        edge = " at the grid's edge: a better lr may lie beyond it" if best_edge else ""
        if math.isnan(d):
            span = (f"n/a (no lr got {factor:g}× below {start}"
                    + (" loss)" if result.network is None else ")")
                    if not math.isnan(better) else "n/a")
        else:
            span = ("≥ " if range_edge else "") + f"{d:.1f} decades of lr"
        lines.append(f"{name}: best lr {lr:.3g} (final loss {loss:.4g}{below}){edge}; "
                     f"within {factor:g}× of its best: {span}")
    return "\n".join(lines)


def _times(factor: float) -> str:
    """A factor for reading: 2.82, 106, 1,466, 1.5e+28."""
    return f"{factor:,.0f}" if 100 <= factor < 1e6 else f"{factor:.3g}"


def _rows(result: SweepResult) -> list[dict[str, Any]]:
    return [{"optimizer": name, "lr": float(lr),
             "final_loss": None if result.diverged[o, j] else float(result.final_loss[o, j]),
             "diverged": bool(result.diverged[o, j])}
            for o, name in enumerate(result.optimizers) for j, lr in enumerate(result.lrs)]


def to_csv(result: SweepResult) -> str:
    """The grid as CSV, one row per (optimizer, lr); a diverged run has an empty final_loss."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=["optimizer", "lr", "final_loss", "diverged"],
                            lineterminator="\n")
    writer.writeheader()
    for row in _rows(result):
        writer.writerow({**row, "lr": repr(row["lr"]),
                         "final_loss": "" if row["final_loss"] is None
                         else repr(row["final_loss"])})
    return stream.getvalue()


def to_json(subject: Problem | dict[str, Any], result: SweepResult) -> str:
    """The grid as JSON, with the problem (or ``{"network": experiment}``), steps, start, best
    lr and tolerant decades."""
    if isinstance(subject, Problem):
        subject = {"problem": subject.config()}

    def clean(value: float) -> float | None:
        return value if math.isfinite(value) else None

    summary = [{"optimizer": name, "best_lr": clean(lr), "best_loss": clean(loss),
                "improvement_over_start": clean(better), "best_lr_at_grid_edge": best_edge,
                f"decades_within_{TOLERANCE:g}x": clean(d),
                "decades_reach_grid_edge": range_edge}
               for name, (lr, loss), d, better, best_edge, range_edge in zip(
                   result.optimizers, result.best, result.tolerant_decades(TOLERANCE),
                   result.improvement(), result.best_at_edge(), result.range_at_edge(TOLERANCE),
                   strict=True)]
    payload = {
        **subject, "steps": result.steps,
        "start": None if result.start is None else list(result.start),
        "batch_size": result.batch_size, "seed": result.seed,
        "start_loss": clean(result.start_loss), "f_min": result.f_min,
        "summary": summary, "rows": _rows(result),
    }
    return json.dumps(payload, indent=2, allow_nan=False) + "\n"
