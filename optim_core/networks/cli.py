"""``python -m optim_core train|datasets``: train a network experiment; list the data sets.

``train EXP.json [--out RESULT.json|.npz|.csv]`` trains every run, with a progress line on
stderr, and prints one line per run (final minibatch and validation loss, validation accuracy);
``--out`` saves the records (written atomically, nothing half-written on error). ``datasets``
lists the data sets, their parameters, defaults and ranges. Bad input prints ``error: …`` on
stderr and exits with status 2 (handled by :func:`optim_core.cli.main`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

from optim_core.errors import ConfigError
from optim_core.experiment import read_json
from optim_core.networks.datasets import describe_datasets
from optim_core.networks.experiment import NetworkExperiment, parse_network_experiment
from optim_core.networks.results import run_network
from optim_core.results import atomic_write, check_out, to_jsonable

RESULT_FORMATS = (".json", ".csv", ".npz")
CSV_COLUMNS = ("run", "label", "optimizer", "step", "loss", "lr", "clipped", "train_loss",
               "train_accuracy", "val_loss", "val_accuracy", "status")


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` and ``datasets`` sub-commands."""
    train = subparsers.add_parser("train", help="train a network experiment file")
    train.add_argument("experiment", help="network experiment file (.json)")
    train.add_argument("--out", help="save the records as .json, .csv or .npz")
    train.add_argument("--quiet", action="store_true", help="no progress line")
    train.set_defaults(handler=_cmd_train)
    datasets = subparsers.add_parser("datasets", help="list the network data sets")
    datasets.add_argument("--json", action="store_true", help="print JSON instead of a table")
    datasets.set_defaults(handler=_cmd_datasets)


def _cmd_train(args: argparse.Namespace) -> int:
    from optim_core.cli import _refuse_same_file  # the top-level CLI imports this module

    if args.out is not None:
        check_out(args.out, RESULT_FORMATS)
        _refuse_same_file(args.out, args.experiment)
    config = read_json(args.experiment)
    if isinstance(config, Mapping) and "network" not in config:
        raise ConfigError("network", None, "a network experiment names its 'network' "
                          "(use 'run' for a problem)")
    return train_and_report(parse_network_experiment(config), args.out, quiet=args.quiet)


def train_and_report(experiment: NetworkExperiment, out: str | None, quiet: bool = False
                     ) -> int:
    """Train, write ``out`` (before printing: a failed write prints only its error), summarise."""
    show = not quiet and sys.stderr.isatty()  # a log file gets no carriage returns

    def progress(done: int, total: int) -> None:
        if show:
            print(f"\rstep {done}/{total}", end="" if done < total else "\n", file=sys.stderr,
                  flush=True)

    result = run_network(experiment, progress=progress)
    if out is not None:
        write_network_result(result, out)
    print(summary(result))
    if out is not None:
        print(f"wrote {out}")
    return 0


def summary(result: Mapping[str, Any]) -> str:
    """One line per run: final minibatch loss, validation loss and accuracy, or divergence."""
    network = result["network"]
    runs = result["runs"]
    lines = [f"{network['model']} ({network['n_params']} weights), "
             f"{len(network['train_x'])} training samples: {len(runs)} "
             f"run{'s' if len(runs) != 1 else ''}"]
    for run in runs:
        if run["status"] != "ok":
            lines.append(f"  {run['label']}: diverged at step {run['diverged_at']}")
            continue
        val_loss, val_acc = _last(run["val_loss"]), _last(run["val_accuracy"])
        text = f"  {run['label']}: loss {_g(_last(run['loss']))}, val loss {_g(val_loss)}"
        if not math.isnan(val_acc):
            text += f", val accuracy {100 * val_acc:.1f} %"
        lines.append(text)
    return "\n".join(lines)


def _last(values: np.ndarray) -> float:
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    return float(finite[-1]) if len(finite) else float("nan")


def _g(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.4g}"


def _cmd_datasets(args: argparse.Namespace) -> int:
    described = describe_datasets()
    if args.json:
        print(json.dumps(described, indent=2, ensure_ascii=False))
        return 0
    for entry in described:
        params = ", ".join(f"{p['name']}={_default(p['default'])} {p['range']}"
                           for p in entry["parameters"])
        print(f"{entry['name']:<9} {entry['title']}: {entry['about']}\n          {params}")
    return 0


def _default(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------------- writers
def write_network_result(result: Mapping[str, Any], path: str) -> None:
    """Save a network result as .json, .csv (one row per run and step) or .npz, atomically."""
    check_out(path, RESULT_FORMATS)
    suffix = path.lower().rsplit(".", 1)[-1]
    writer = {"json": _write_json, "csv": _write_csv, "npz": _write_npz}[suffix]
    atomic_write(path, lambda stream: writer(result, stream))


def _write_json(result: Mapping[str, Any], stream: BinaryIO) -> None:
    text = json.dumps(to_jsonable(result), allow_nan=False, ensure_ascii=False)
    stream.write(text.encode("utf-8") + b"\n")


def _write_csv(result: Mapping[str, Any], stream: BinaryIO) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        rows = csv.writer(text)
        rows.writerow(CSV_COLUMNS)
        for r, run in enumerate(result["runs"]):
            evaluated = {int(s): i for i, s in enumerate(run["eval_steps"])}
            for t in range(len(run["loss"])):
                step = t + 1
                row = [r, run["label"], run["optimizer"], step, _num(run["loss"][t]),
                       _num(run["lr"][t]), int(run["clipped"][t])]
                i = evaluated.get(step)
                row += (["", "", "", ""] if i is None else
                        [_num(run[name][i]) for name in ("train_loss", "train_accuracy",
                                                         "val_loss", "val_accuracy")])
                rows.writerow([*row, run["status"]])
        text.flush()
    finally:
        text.detach()


def _num(value: Any) -> str:
    return repr(float(value))


def _write_npz(result: Mapping[str, Any], stream: BinaryIO) -> None:
    arrays: dict[str, np.ndarray] = {}
    meta_runs = []
    for name, value in result["network"].items():
        if isinstance(value, np.ndarray):
            arrays[f"network/{name}"] = value
    for r, run in enumerate(result["runs"]):
        meta = {}
        for name, value in run.items():
            if isinstance(value, np.ndarray):
                arrays[f"run{r}/{name}"] = value
            else:
                meta[name] = value
        meta_runs.append(meta)
    network_meta = {k: v for k, v in result["network"].items() if not isinstance(v, np.ndarray)}
    metadata = {"experiment": result["experiment"], "network": network_meta, "runs": meta_runs}
    arrays["metadata"] = np.array(json.dumps(to_jsonable(metadata), allow_nan=False))
    np.savez(stream, **arrays)
