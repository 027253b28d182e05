"""``python -m optim_core basins``: which minimum each start of a grid reaches, for one optimizer.

Every start of an N × N grid over the extent (default: the problem's view) runs the optimizer
with the hyperparameters given (torch.optim's defaults otherwise) for the steps given, all at once;
the command prints the share of starts reaching each minimum, diverging and not converging.
``--out`` saves x, y, label (label[i, j] at (x[j], y[i]): the index into minima, -1 diverged,
-2 not converged), steps_to_converge and minima as .npz, or the map as a .png picture.
Bad input prints ``error: …`` on stderr and exits with 2.
"""

from __future__ import annotations

import argparse
import io
import json
from typing import Any

import numpy as np

from optim_core.basin_image import basin_colours, png_bytes
from optim_core.basins import DIVERGED, GRID, STEPS, BasinMap, basin_map, parse_extent
from optim_core.errors import ConfigError
from optim_core.optimizers import BUILT_IN
from optim_core.problems import problem_from_argument
from optim_core.results import check_out
from optim_core.subcommand import add_problem_argument, add_subcommand, save_then_print

#: hyperparameters of the built-in rules, each an option (others through --param NAME=VALUE)
HYPERPARAMETERS = tuple(dict.fromkeys(
    spec.name for rule in BUILT_IN.values() for spec in rule.hyperparameters))


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``basins`` sub-command to ``subparsers``; its handler is :func:`run`."""
    parser = add_subcommand(
        subparsers, "basins", "which minimum each start of a grid reaches (basins of attraction)",
        __doc__)
    add_problem_argument(parser)
    parser.add_argument("--optimizer", required=True, help="an optimizer name (torch.optim's)")
    parser.add_argument("--grid", type=int, default=GRID.default,
                        help=f"starts per side, 2 to {GRID.high:g} (default {GRID.default})")
    parser.add_argument("--extent", help="x0,x1,y0,y1 (default: the problem's view); "
                                         "write --extent=-5,5,-5,5 when x0 is negative")
    parser.add_argument("--steps", type=int, default=STEPS.default,
                        help=f"steps per start (default {STEPS.default})")
    parser.add_argument("--radius", type=float,
                        help="distance within which a start has reached a minimum "
                             "(default: 1/1000 of the extent's diagonal)")
    parser.add_argument("--dtype", default="float64", help="float64 (default) or float32")
    parser.add_argument("--out", help="save the map as .npz (arrays) or .png (picture)")
    hyper = parser.add_argument_group(
        "hyperparameters", "by torch.optim's names; true/false for switches, a,b for pairs")
    for name in HYPERPARAMETERS:
        hyper.add_argument(f"--{name}", dest=f"hyper_{name}", metavar="VALUE")
    hyper.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                       help="any other hyperparameter (e.g. --param momentum_decay=0.004)")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command; bad input raises ConfigError (``cli.main`` prints it, exit status 2)."""
    if args.out is not None:
        check_out(args.out, (".npz", ".png"))
    problem = problem_from_argument(args.problem)
    extent = None if args.extent is None else parse_extent(args.extent)
    result = basin_map(problem, args.optimizer, hyperparameters(args), grid=args.grid,
                       extent=extent, steps=args.steps, every=None, radius=args.radius,
                       dtype=args.dtype)
    save_then_print(args.out, lambda out: png(result) if out.lower().endswith(".png")
                    else npz(result), report(result))
    return 0


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """The hyperparameters given on the command line, as values (validated later)."""
    given = {name: getattr(args, f"hyper_{name}") for name in HYPERPARAMETERS
             if getattr(args, f"hyper_{name}") is not None}
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError("param", item, "NAME=VALUE such as momentum_decay=0.004")
        given[name.strip()] = value
    return {name: parse_value(text) for name, text in given.items()}


def parse_value(text: str) -> Any:
    """``true``/``false``, a number, ``a,b`` (a pair) or ``null``; anything else stays text."""
    text = text.strip()
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    if "," in text:
        return [parse_value(part) for part in text.split(",")]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# ------------------------------------------------------------------------------ output
def label_name(result: BasinMap, label: int) -> str:
    """``minimum 2 at (3, 2)``, ``diverged`` or ``not converged``."""
    if label == DIVERGED:
        return "diverged"
    if label < 0:
        return "not converged"
    x, y = result.minima[label]
    found = "" if label < result.known else " (found)"
    return f"minimum {label} at ({x:.4g}, {y:.4g}){found}"


def report(result: BasinMap) -> str:
    """What ``basins`` prints: the setting, then the share of starts per outcome."""
    n = len(result.x)
    hyper = ", ".join(f"{k}={v}" for k, v in result.hyperparameters.items())
    lines = [f"{result.problem}: {result.optimizer} ({hyper}), {n} × {n} starts over "
             f"x {result.x[0]:g}…{result.x[-1]:g}, y {result.y[0]:g}…{result.y[-1]:g}, "
             f"{result.steps} steps; reached = within {result.radius:.3g} of a minimum "
             f"({result.seconds:.2f} s)"]
    fractions = result.fractions()
    shown = list(fractions.items())[:12]
    for label, share in shown:
        steps = result.steps_to_converge[result.label == label]
        median = f", median {np.median(steps):.0f} steps" if label >= 0 else ""
        lines.append(f"  {100 * share:6.2f}%  {label_name(result, label)}{median}")
    if len(fractions) > len(shown):
        rest = sum(share for _, share in list(fractions.items())[len(shown):])
        lines.append(f"  {100 * rest:6.2f}%  {len(fractions) - len(shown)} more minima")
    return "\n".join(lines)


def npz(result: BasinMap) -> bytes:
    """The map's arrays as the bytes of an .npz file (the setting as JSON in ``about``)."""
    about = {"problem": result.problem, "optimizer": result.optimizer,
             "hyperparameters": {k: list(v) if isinstance(v, tuple) else v
                                 for k, v in result.hyperparameters.items()},
             "steps": result.steps, "radius": result.radius, "known_minima": result.known}
    stream = io.BytesIO()
    np.savez_compressed(stream, x=result.x, y=result.y, label=result.label,
                        steps_to_converge=result.steps_to_converge, minima=result.minima,
                        about=np.array(json.dumps(about, default=str)))
    return stream.getvalue()


def png(result: BasinMap) -> bytes:
    """The map as a PNG picture, y growing upwards as on the landscape."""
    rgba = basin_colours(result.label, result.steps_to_converge, result.steps)
    return png_bytes(rgba[::-1])
