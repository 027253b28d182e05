"""What the sub-commands of ``python -m optim_core`` share: a parser described by its module's
docstring, the ``--problem`` and ``--at`` arguments, and ``--out`` written before anything is
printed (so a failed write prints nothing but its error).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from optim_core.results import atomic_write

PROBLEM_HELP = "a problem name, or a JSON object with 'name' and its parameters"


def add_subcommand(subparsers: argparse._SubParsersAction, name: str, summary: str,
                   doc: str | None) -> argparse.ArgumentParser:
    """The sub-command ``name``: ``summary`` in the list of commands, the second paragraph of
    ``doc`` (its module's docstring) in its own ``--help``."""
    return subparsers.add_parser(name, help=summary,
                                 description=(doc or "").split("\n\n")[1].replace("\n", " "))


def add_problem_argument(parser: argparse._ActionsContainer,
                         summary: str = PROBLEM_HELP, *, required: bool = True) -> None:
    """``--problem``: a name or a JSON object (read by ``problem_from_argument``)."""
    parser.add_argument("--problem", required=required, help=summary)


def add_point_argument(parser: argparse.ArgumentParser) -> None:
    """``--at x,y`` (read by ``point_from_argument``; absent: the problem's start)."""
    parser.add_argument("--at", help="the point x,y (default: the problem's start); "
                                     "write --at=-3,2 when x is negative")


def save_then_print(out: str | None, content: Callable[[str], bytes], report: str) -> None:
    """Write ``content(out)`` to ``out`` (when given), then print ``report`` and ``wrote OUT``."""
    if out is not None:  # write first: a failed write must print nothing but its error
        data = content(out)
        atomic_write(out, lambda stream: stream.write(data))
    print(report)
    if out is not None:
        print(f"wrote {out}")
