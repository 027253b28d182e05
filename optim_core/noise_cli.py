"""``python -m optim_core noise``: the minibatch gradient's standard error against batch size.

At one point of a finite-sum problem, for each batch size N, it draws many minibatch gradients
(without replacement) and prints the measured standard error per coordinate, the exact one
σ/√N · √((M − N)/(M − 1)) and their ratio, plus the time one minibatch gradient takes; ``--out``
saves the same table as CSV or JSON. Bad input prints ``error: …`` on stderr and exits with 2.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math

import torch

from optim_core.errors import ConfigError
from optim_core.experiment import SEED
from optim_core.noise import (
    NoiseCurve,
    default_batch_sizes,
    finite_sum_problem_names,
    fit_loglog_slope,
    fit_range,
    noise_curve,
)
from optim_core.problems import FiniteSumProblem, problem_from_argument
from optim_core.problems.registry import point_from_argument
from optim_core.results import check_out
from optim_core.subcommand import (
    add_point_argument,
    add_problem_argument,
    add_subcommand,
    save_then_print,
)

DEFAULT_DRAWS = 2000
MAX_DRAWS = 10_000_000


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``noise`` sub-command to ``subparsers``; its handler is :func:`run`."""
    parser = add_subcommand(
        subparsers, "noise", "standard error of minibatch gradients against batch size", __doc__)
    add_problem_argument(parser, "a finite-sum problem name, or a JSON object with 'name' and "
                                 "its parameters, e.g. '{\"name\": \"sigmoid_fit\", "
                                 "\"n_samples\": 500}'")
    add_point_argument(parser)
    parser.add_argument("--batch-sizes", help="comma-separated N (default: 1,2,4,… and M)")
    parser.add_argument("--draws", type=int, default=DEFAULT_DRAWS,
                        help=f"minibatch gradients drawn per N (default {DEFAULT_DRAWS})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    parser.add_argument("--no-timing", action="store_true",
                        help="skip timing the minibatch gradient")
    parser.add_argument("--out", help="also save the table as .csv or .json")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run the command; bad input raises ConfigError (``cli.main`` prints it, exit status 2)."""
    if args.out is not None:
        check_out(args.out, (".csv", ".json"))
    problem = _problem(args.problem)
    point = point_from_argument(args.at, problem)
    sizes = _batch_sizes(args.batch_sizes, problem.n_samples)
    if not 2 <= args.draws <= MAX_DRAWS:
        raise ConfigError("draws", args.draws, f"an integer from 2 to {MAX_DRAWS}")
    seed = SEED.validate(args.seed, "seed")  # as sweep and run: torch refuses seeds ≥ 2⁶⁴
    generator = torch.Generator(device="cpu")
    generator.manual_seed(seed)
    curve = noise_curve(problem, point, sizes, args.draws, generator,
                        time_gradients=not args.no_timing)
    save_then_print(args.out, lambda out: (to_csv(curve) if out.lower().endswith(".csv")
                                           else to_json(problem, curve)).encode("utf-8"),
                    report(problem.name, curve, seed))
    return 0


# ------------------------------------------------------------------------------ input
def _problem(text: str) -> FiniteSumProblem:
    problem = problem_from_argument(text)
    if not isinstance(problem, FiniteSumProblem):
        raise ConfigError("problem", problem.name,
                          f"a finite-sum problem: {', '.join(finite_sum_problem_names())}")
    return problem


def _batch_sizes(text: str | None, m: int) -> list[int]:
    if text is None:
        return default_batch_sizes(m)
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ConfigError("batch-sizes", text, "comma-separated integers such as 1,2,4") from None
    if not sizes or any(not 1 <= n <= m for n in sizes):
        raise ConfigError("batch-sizes", text, f"integers from 1 to M = {m}")
    return sizes


# ------------------------------------------------------------------------------ output
def _num(value: float, width: int = 11) -> str:
    return f"{'n/a':>{width}}" if not math.isfinite(value) else f"{value:>{width}.4g}"


def report(name: str, curve: NoiseCurve, seed: int) -> str:
    """The table ``noise`` prints: one line per N, then the fitted slopes."""
    x, y = curve.point
    tolerance = 4 / math.sqrt(2 * curve.draws)
    lines = [
        f"{name} (M = {curve.n_samples}) at w = ({x:g}, {y:g}); {curve.draws} draws per N, "
        f"seed {seed}",
        f"full gradient ({curve.full_grad[0]:.4g}, {curve.full_grad[1]:.4g}); per-sample σ "
        f"({curve.sigma[0]:.4g}, {curve.sigma[1]:.4g})",
        "theory: σ/√N · √((M−N)/(M−1)), without replacement; ratio = measured / theory, "
        f"expected within 1 ± {tolerance:.2f}",
        f"{'N':>8} {'measured g1':>11} {'theory g1':>11} {'ratio g1':>9}"
        f" {'measured g2':>11} {'theory g2':>11} {'ratio g2':>9} {'µs/grad':>9}",
    ]
    ratio = curve.ratio
    for i, n in enumerate(curve.batch_sizes.tolist()):
        cells = [f"{n:>8}"]
        for j in range(2):
            cells += [_num(curve.measured[i, j]), _num(curve.theoretical[i, j]),
                      _num(ratio[i, j], 9)]
        cells.append(_num(curve.seconds_per_gradient[i] * 1e6, 9))
        lines.append(" ".join(cells))
    limit = fit_range(curve.n_samples)
    slopes = [fit_loglog_slope(curve.batch_sizes, curve.measured[:, j], max_x=limit)[0]
              for j in range(2)]
    lines.append(f"log-log slope of the measured error for N ≤ {limit}: "
                 f"g1 {_num(slopes[0], 0).strip()}, g2 {_num(slopes[1], 0).strip()} "
                 "(σ/√N: −0.5)")
    return "\n".join(lines)


def to_csv(curve: NoiseCurve) -> str:
    """The table as CSV, one row per batch size."""
    rows = curve.rows()
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue()


def to_json(problem: FiniteSumProblem, curve: NoiseCurve) -> str:
    """The table as JSON, with the problem, point, σ and full gradient (NaN → null)."""

    def clean(value: float) -> float | None:
        return value if math.isfinite(value) else None

    rows = [{k: clean(v) if isinstance(v, float) else v for k, v in row.items()}
            for row in curve.rows()]
    payload = {
        "problem": problem.config(), "at": list(curve.point), "n_samples": curve.n_samples,
        "draws": curve.draws, "full_grad": [clean(v) for v in curve.full_grad.tolist()],
        "sigma": [clean(v) for v in curve.sigma.tolist()], "rows": rows,
    }
    return json.dumps(payload, indent=2, allow_nan=False) + "\n"
