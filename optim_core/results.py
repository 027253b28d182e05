"""Run an experiment to the end, keeping every step: the records of ``python -m optim_core run``.

:func:`run_experiment` steps a :class:`~optim_core.session.Session` through all ``steps`` without
thinning its records and returns one entry per run (run-major over the starts, in the
experiment's order) holding numpy arrays. :func:`to_jsonable` turns a result into plain JSON
values (NaN and ±inf become ``null``), and :func:`write_result` saves it as ``.json``, ``.csv``
(long format, one row per run and step) or ``.npz``. Every write is atomic: the file is written
under a temporary name in the target's folder and moved into place only when complete.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import secrets
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from optim_core.errors import ConfigError
from optim_core.experiment import DTYPES, Experiment, parse_experiment
from optim_core.optimizers import get_rule
from optim_core.session import Session
from optim_core.snapshot import Snapshot

#: the most memory the per-step records of one run_experiment call may take
MAX_RECORD_BYTES = 4 * 2**30
RESULT_FORMATS = (".json", ".csv", ".npz")
CSV_COLUMNS = ("run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y",
               "clipped", "effective_lr_x", "effective_lr_y")
CSV_FINITE_SUM_COLUMNS = ("full_grad_x", "full_grad_y", "sample_grads")
#: per-step arrays of a run entry, in the order they are written
STEP_ARRAYS = ("trajectory", "loss", "grad", "clipped", "effective_lr", "full_grad",
               "sample_grads")


def run_experiment(config: Mapping[str, Any] | Experiment) -> dict[str, Any]:
    """Validate ``config`` (an experiment dict), run every step and return all records.

    Returns ``{"experiment": <experiment dict>, "problem": <name>, "runs": [...]}``. Each run has
    ``label``, ``optimizer``, ``hyperparameters``, ``start``, ``status`` (``"ok"``/``"diverged"``),
    ``diverged_at`` and the arrays ``trajectory`` ``(steps+1, 2)`` and ``loss`` ``(steps+1,)``
    (row 0 is the start), ``grad`` ``(steps, 2)`` (before clipping), ``clipped`` ``(steps,)``,
    ``effective_lr`` ``(steps, 2)``, ``state`` ``{torch name: (steps, 2)}`` (the state torch.optim
    keeps for this run's hyperparameters, e.g. no ``momentum_buffer`` at momentum 0) and, for
    finite-sum problems, ``full_grad`` ``(steps, 2)`` and the cumulative ``sample_grads``
    ``(steps,)``.
    Raises :class:`ConfigError` for an invalid experiment, or on ``steps`` when the records
    would exceed :data:`MAX_RECORD_BYTES`.
    """
    experiment = config if isinstance(config, Experiment) else parse_experiment(config)
    check_record_size(experiment)
    # The size check above is the memory guard, so the session may keep every row.
    session = Session.from_experiment(experiment, history_budget=sys.maxsize)
    session.step(experiment.steps)
    snapshot = session.snapshot()
    del session
    if not np.array_equal(snapshot.steps, np.arange(experiment.steps + 1)):
        raise RuntimeError("the session dropped rows of the records")
    runs = [_run_entry(snapshot, r, experiment) for r in range(snapshot.n_runs)]
    return {"experiment": experiment.to_dict(), "problem": experiment.problem.name, "runs": runs}


def record_bytes(experiment: Experiment) -> int:
    """Bytes the per-step records of ``experiment`` take at most (one copy, all runs and steps)."""
    itemsize = DTYPES[experiment.dtype].itemsize
    state_names: set[str] = set()
    for run in experiment.runs:
        state_names.update(get_rule(run.optimizer).state_names)
    floats = 7 + 2 * len(state_names)  # position, loss, grad, effective_lr, state
    extra = 1  # clipped
    if experiment.problem.is_finite_sum:
        floats += 2  # full_grad
        extra += 8  # sample_grads
    return (experiment.steps + 1) * len(experiment.runs) * (floats * itemsize + extra)


def check_record_size(experiment: Experiment, limit: int = MAX_RECORD_BYTES) -> None:
    """Raise :class:`ConfigError` on ``steps`` when the records would exceed ``limit`` bytes."""
    size = record_bytes(experiment)
    if size > limit:
        per_step = size / (experiment.steps + 1)
        raise ConfigError(
            "steps", experiment.steps,
            f"at most {int(limit // per_step) - 1} for these {len(experiment.runs)} runs (the "
            f"records would take {size / 2**30:.1f} GiB; the limit is {limit / 2**30:g} GiB)",
        )


def _run_entry(snapshot: Snapshot, r: int, experiment: Experiment) -> dict[str, Any]:
    spec = experiment.runs[r]
    state_names = get_rule(spec.optimizer).state_in_use([spec.hyperparameters])
    entry: dict[str, Any] = {
        "label": snapshot.labels[r],
        "optimizer": spec.optimizer,
        "hyperparameters": dict(spec.hyperparameters),
        "start": tuple(spec.start),
        "status": snapshot.status[r],
        "diverged_at": snapshot.diverged_at[r],
        "trajectory": np.array(snapshot.position[:, r]),
        "loss": np.array(snapshot.loss[:, r]),
        "grad": np.array(snapshot.grad[1:, r]),
        "clipped": np.array(snapshot.clipped[1:, r]),
        "effective_lr": np.array(snapshot.effective_lr[1:, r]),
        "state": {name: np.array(snapshot.state[name][1:, r])
                  for name in state_names if name in snapshot.state},
    }
    if snapshot.full_grad is not None:
        entry["full_grad"] = np.array(snapshot.full_grad[1:, r])
        entry["sample_grads"] = np.array(snapshot.sample_grads[1:, r])
    return entry


def final_index(run: Mapping[str, Any]) -> int:
    """The row of ``trajectory``/``loss`` that ends a run: the last step, or where it diverged."""
    diverged_at = run.get("diverged_at")
    return len(run["loss"]) - 1 if diverged_at is None else int(diverged_at)


# ---------------------------------------------------------------------------------- JSON form
def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON values: arrays and tuples become lists, NaN and ±inf ``null``."""
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------------------------- writers
def output_format(path: str | Path) -> str:
    """The result format ``path``'s extension chooses; anything else is a ConfigError on ``out``."""
    suffix = Path(path).suffix.lower()
    if suffix not in RESULT_FORMATS:
        raise ConfigError("out", str(path), f"a file ending in {', '.join(RESULT_FORMATS)}")
    return suffix


def check_out(out: str | Path, suffixes: Sequence[str]) -> None:
    """Check an ``--out`` path before any work: a file ending in one of ``suffixes`` (not a
    folder), in a folder that exists."""
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        names = " or ".join([", ".join(suffixes[:-1]), suffixes[-1]] if len(suffixes) > 1
                            else suffixes)
        raise ConfigError("out", str(out), f"a file ending in {names}")
    if not path.parent.is_dir():
        raise ConfigError("out", str(out), f"a file in an existing folder ({path.parent} is none)")
    if path.is_dir():
        raise ConfigError("out", str(out), "a file, not a folder")


def write_result(result: Mapping[str, Any], path: str | Path) -> None:
    """Save ``result`` as JSON, CSV or NPZ (by extension), atomically.

    Raises :class:`ConfigError` on ``out`` for an unknown extension or a path that cannot be
    written; a failed write leaves no file behind and an existing file untouched.
    """
    writer = _WRITERS[output_format(path)]
    atomic_write(path, lambda stream: writer(result, stream))


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write`` on a temporary file next to ``path``, then move it into place.

    Any exception (from ``write`` or the file system) removes the temporary file and leaves
    ``path`` as it was; I/O errors become a :class:`ConfigError` on ``out``.
    """
    path = Path(path)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # os.open with 0o666 lets the umask decide the permissions, as for a plain open().
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
    except OSError as exc:
        raise ConfigError("out", str(path), f"a writable file ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ConfigError("out", str(path), f"a writable file ({exc.strerror})") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _write_json(result: Mapping[str, Any], stream: BinaryIO) -> None:
    text = json.dumps(to_jsonable(result), allow_nan=False, ensure_ascii=False)
    stream.write(text.encode("utf-8"))
    stream.write(b"\n")


def _write_csv(result: Mapping[str, Any], stream: BinaryIO) -> None:
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        rows = csv.writer(text)
        finite_sum = any("full_grad" in run for run in result["runs"])
        rows.writerow(CSV_COLUMNS + (CSV_FINITE_SUM_COLUMNS if finite_sum else ()) + ("status",))
        for r, run in enumerate(result["runs"]):
            for step in range(len(run["loss"])):
                rows.writerow(_csv_row(r, run, step, finite_sum))
        text.flush()
    finally:
        text.detach()  # leave the binary stream open for atomic_write to sync and close


def _csv_row(r: int, run: Mapping[str, Any], step: int, finite_sum: bool) -> list[Any]:
    x, y = run["trajectory"][step]
    row: list[Any] = [r, run["label"], run["optimizer"], step, _num(x), _num(y),
                      _num(run["loss"][step])]
    if step == 0:  # the start: no step has produced a gradient yet
        row += [""] * 5
        if finite_sum:
            row += ["", "", 0]
    else:
        t = step - 1
        row += [*map(_num, run["grad"][t]), int(run["clipped"][t]),
                *map(_num, run["effective_lr"][t])]
        if finite_sum:
            row += [*map(_num, run["full_grad"][t]), int(run["sample_grads"][t])]
    row.append(run["status"])
    return row


def _num(value: Any) -> str:
    return repr(float(value))  # round-trips exactly; non-finite as nan / inf / -inf


def _write_npz(result: Mapping[str, Any], stream: BinaryIO) -> None:
    arrays: dict[str, np.ndarray] = {}
    runs_meta = []
    for r, run in enumerate(result["runs"]):
        for name in STEP_ARRAYS:
            if name in run:
                arrays[f"run{r}/{name}"] = np.asarray(run[name])
        for name, values in run["state"].items():
            arrays[f"run{r}/state/{name}"] = np.asarray(values)
        runs_meta.append({k: v for k, v in run.items() if k not in STEP_ARRAYS and k != "state"})
    metadata = {"experiment": result["experiment"], "problem": result["problem"],
                "runs": runs_meta}
    arrays["metadata"] = np.array(json.dumps(to_jsonable(metadata), allow_nan=False))
    np.savez(stream, **arrays)


_WRITERS: dict[str, Callable[[Mapping[str, Any], BinaryIO], None]] = {
    ".json": _write_json, ".csv": _write_csv, ".npz": _write_npz,
}
