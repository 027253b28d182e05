"""Run an experiment to the end within a memory budget: the records of ``python -m optim_core run``.

:func:`run_experiment` steps a :class:`~optim_core.session.Session` through all ``steps`` and
returns an :class:`~optim_core.experiment_result.ExperimentResult`: one array per record with the
runs along the first axis, read per run as ``result["runs"][r]`` (run-major over the starts, in
the experiment's order). The records of one call take at most :data:`RECORD_BUDGET_BYTES`: a
longer experiment is recorded every k-th step, its first and last step always kept, and says so in
``result["thinning"]``; one whose runs do not fit even so is refused before any work.
:func:`to_jsonable` turns a result into plain JSON values (NaN and ±inf become ``null``) and
:func:`write_result` streams it to ``.json``, ``.csv`` (long format, one row per run and recorded
step) or ``.npz`` (one array per record). Every write is atomic: the file is written under a
temporary name in the target's folder, synced, and moved into place only when complete.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from optim_core.collector import collector_held_off
from optim_core.errors import ConfigError
from optim_core.experiment import DTYPES, Experiment, parse_experiment
from optim_core.experiment_result import STEP_ARRAYS, ExperimentResult
from optim_core.files import atomic_write
from optim_core.networks.experiment import is_network_experiment
from optim_core.networks.results import run_network
from optim_core.optimizers import get_rule
from optim_core.params import ParamSpec
from optim_core.session import Session

#: the most memory the per-step records of one run_experiment call take (thinned past it). A
#: result is for reading and plotting, and a plot needs far fewer than 1,000 points a run: 10,000
#: starts × 1,000 Adam steps in float32 keep 1 step in 14 (73 rows a run), 8 Adam runs in float64
#: every step of up to 46,000. A caller wanting more passes ``record_budget`` (``run
#: --record-budget MIB``). Every recorded row is fresh memory (page faults, copies), so the budget
#: is also what the records cost in time: on P1, 256 MiB cost 0.4× torch.optim's whole run.
RECORD_BUDGET_BYTES = 32 * 2**20
RECORD_BUDGET_MIB = ParamSpec("record_budget", RECORD_BUDGET_BYTES / 2**20, low=1.0,
                              doc="MiB the records may take (thinned past it)")
#: the fewest recorded steps a run may be thinned to: the start, one step between, the end
MIN_RECORDED_STEPS = 3
#: with the default budget, a session whose fewest records do not fit it still runs with those
#: while they fit this (the default thins long runs; it does not refuse what the 256 MiB default
#: before it ran, e.g. a 512 × 512 grid of starts); a budget the caller sets is also the limit
RECORD_LIMIT_BYTES = 256 * 2**20
RESULT_FORMATS = (".json", ".csv", ".npz")
CSV_COLUMNS = ("run", "label", "optimizer", "step", "x", "y", "loss", "grad_x", "grad_y",
               "clipped", "effective_lr_x", "effective_lr_y")
CSV_FINITE_SUM_COLUMNS = ("full_grad_x", "full_grad_y", "sample_grads")
#: rows of a record converted to text at a time by the writers (bounds their memory)
WRITE_CHUNK_ROWS = 4096

__all__ = ["CSV_COLUMNS", "CSV_FINITE_SUM_COLUMNS", "RECORD_BUDGET_BYTES", "RECORD_BUDGET_MIB",
           "RESULT_FORMATS", "STEP_ARRAYS", "ExperimentResult", "atomic_write", "check_out",
           "check_record_size", "final_index", "record_bytes", "record_stride", "run_experiment",
           "to_jsonable", "write_result"]


def run_experiment(config: Mapping[str, Any] | Experiment, *,
                   record_budget: int = RECORD_BUDGET_BYTES, thin: bool = True
                   ) -> ExperimentResult:
    """Validate ``config`` (an experiment dict), run every step and return the records.

    The result reads as ``{"experiment": <experiment dict>, "problem": <name>,
    "recorded_steps": <(rows,) step numbers>, "thinning": None or {"every", "rows", "steps",
    "budget_bytes"}, "runs": [...]}``. Each run has ``label``, ``optimizer``,
    ``hyperparameters``, ``start``, ``status`` (``"ok"``/``"diverged"``), ``diverged_at`` (a
    step) and the arrays ``trajectory`` ``(rows, 2)`` and ``loss`` ``(rows,)`` (row 0 is the
    start), ``grad`` ``(rows - 1, 2)`` (the gradient of the step that reached row i + 1, before
    clipping), ``clipped``, ``effective_lr`` ``(rows - 1, 2)``, ``state`` ``{torch name:
    (rows - 1, 2)}`` (the state torch.optim keeps for this run's hyperparameters) and, for
    finite-sum problems, ``full_grad`` and the cumulative ``sample_grads``. Unthinned, rows is
    ``steps + 1``. ``result.column(name)`` gives a record of all runs at once.

    Records past ``record_budget`` bytes are thinned (``thin``) or refused on ``steps``; runs
    that do not fit even thinned are refused on ``runs`` (or ``starts``).
    """
    if is_network_experiment(config):  # "network" in place of "problem": train a network
        return run_network(config)  # type: ignore[return-value]
    with collector_held_off():  # see optim_core.collector: 10⁴ starts, no cycles
        experiment = config if isinstance(config, Experiment) else parse_experiment(config)
        result = _run(experiment, record_budget, thin)
        del experiment  # its 10⁴ run descriptions are freed now, before the collector resumes
    return result


def _run(experiment: Experiment, record_budget: int, thin: bool) -> ExperimentResult:
    every = record_stride(experiment, record_budget, thin=thin)
    # The stride above is the memory guard, so the session may keep every row it records.
    session = Session.from_experiment(experiment, history_budget=sys.maxsize,
                                      record_every=every)
    session.step(experiment.steps)
    records = session.take_records()
    diverged_at = session.diverged_at
    del session
    steps = experiment.steps
    expected = np.union1d(np.arange(0, steps + 1, every), [steps])
    if not np.array_equal(records["steps"], expected):
        raise RuntimeError("the session dropped rows of the records")
    facts = RunFacts(experiment, diverged_at)
    thinning = None if every == 1 else {
        "every": every, "rows": len(expected), "steps": steps + 1, "budget_bytes": record_budget}
    return ExperimentResult(experiment.to_dict(), experiment.problem.name, records, facts,
                            thinning)


class RunFacts(Sequence[dict[str, Any]]):
    """Each run's fixed facts (label, optimizer, hyperparameters, start, status, diverged_at and
    the state torch keeps for it), made when asked for: 10,000 starts would otherwise be 20,000
    dicts built, and kept, by every call. Holds each distinct run once and the starts."""

    def __init__(self, experiment: Experiment, diverged_at: Sequence[int | None]) -> None:
        runs, starts = experiment.runs, experiment.starts
        per_start = len(starts) if starts and len(runs) % len(starts) == 0 else 1
        self._specs = runs[::per_start]  # the runs are these × the starts, run-major
        self._starts = tuple(starts) if per_start > 1 else None
        self._per_start = per_start
        self._diverged_at = tuple(diverged_at)
        if self._starts is not None and any(
                spec.start != start for spec, start in zip(runs, self._starts * len(self._specs),
                                                           strict=True)):
            self._specs, self._starts, self._per_start = runs, None, 1

    def __len__(self) -> int:
        return len(self._diverged_at)

    def __getitem__(self, r):  # type: ignore[override]
        if isinstance(r, slice):
            return [self[i] for i in range(*r.indices(len(self)))]
        diverged_at = self._diverged_at[r]
        spec = self._specs[r // self._per_start]
        start = spec.start if self._starts is None else self._starts[r % self._per_start]
        return {
            "label": spec.label,
            "optimizer": spec.optimizer,
            "hyperparameters": dict(spec.hyperparameters),
            "start": tuple(start),
            "status": "ok" if diverged_at is None else "diverged",
            "diverged_at": diverged_at,
            "state_names": get_rule(spec.optimizer).state_in_use([spec.hyperparameters]),
        }


def row_bytes(experiment: Experiment) -> int:
    """Bytes one recorded step of all runs of ``experiment`` takes at most."""
    itemsize = DTYPES[experiment.dtype].itemsize
    hypers: dict[str, list[Mapping[str, Any]]] = {}
    for run in experiment.runs:
        hypers.setdefault(run.optimizer, []).append(run.hyperparameters)
    state_names: set[str] = set()  # the state the session records: what some run keeps
    for name, hyper in hypers.items():
        state_names.update(get_rule(name).state_in_use(hyper))
    floats = 7 + 2 * len(state_names)  # position, loss, grad, position_before, state
    extra = 1  # clipped
    if experiment.problem.is_finite_sum:
        floats += 2  # full_grad
        extra += 8  # sample_grads
    return len(experiment.runs) * (floats * itemsize + extra) + 16  # + step and wall time


def record_bytes(experiment: Experiment) -> int:
    """Bytes the per-step records of ``experiment`` take unthinned (all runs and steps)."""
    return (experiment.steps + 1) * row_bytes(experiment)


def record_stride(experiment: Experiment, budget: int = RECORD_BUDGET_BYTES, *,
                  thin: bool = True) -> int:
    """Record every k-th step (plus the last) so that the records fit ``budget`` bytes: k.

    Raises :class:`ConfigError` on ``steps`` when they do not fit and ``thin`` is off, and on
    ``runs`` (``starts`` for several starts) when not even :data:`MIN_RECORDED_STEPS` fit.
    """
    per_row = row_bytes(experiment)
    rows = budget // per_row
    steps = experiment.steps
    if steps + 1 <= rows:
        return 1
    n = len(experiment.runs)
    if not thin:
        raise ConfigError(
            "steps", steps,
            f"at most {max(rows - 1, 0)} for these {n} runs (the records would take "
            f"{_size(record_bytes(experiment))}; the limit is {_size(budget)})")
    if rows < MIN_RECORDED_STEPS:
        limit = RECORD_LIMIT_BYTES if budget == RECORD_BUDGET_BYTES else budget
        if MIN_RECORDED_STEPS * per_row <= limit:  # the start, one step between, the end
            return math.ceil(steps / (MIN_RECORDED_STEPS - 2))
        per_run = per_row / n
        most = max(int(limit // (MIN_RECORDED_STEPS * per_run)), 1)
        several = len(experiment.starts) > 1
        field = "starts" if several else "runs"
        value: Any = (f"{len(experiment.starts)} starts × {n // len(experiment.starts)} runs"
                      if several else f"{n} runs")
        raise ConfigError(field, value, f"at most {most} runs in all (starts × runs): "
                          f"{MIN_RECORDED_STEPS} recorded steps of each take "
                          f"{_size(MIN_RECORDED_STEPS * per_row)}; the limit is {_size(limit)} "
                          f"(run --record-budget MIB raises it)")
    return math.ceil(steps / (rows - 2))


def check_record_size(experiment: Experiment, limit: int = RECORD_BUDGET_BYTES) -> None:
    """Raise :class:`ConfigError` on ``steps`` when the unthinned records exceed ``limit``."""
    record_stride(experiment, limit, thin=False)


def _size(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def final_index(run: Mapping[str, Any]) -> int:
    """The row of ``trajectory``/``loss`` that ends a run: the last step, or the last recorded
    step up to where it diverged."""
    diverged_at = run.get("diverged_at")
    if diverged_at is None:
        return len(run["loss"]) - 1
    steps = run.get("steps")
    if steps is None:
        return int(diverged_at)
    return int(np.searchsorted(steps, diverged_at, side="right")) - 1


# ---------------------------------------------------------------------------------- JSON form
def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON values: arrays and tuples become lists, NaN and ±inf ``null``."""
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
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


def _write_json(result: Mapping[str, Any], stream: BinaryIO) -> None:
    """Stream ``result`` as one JSON object, a chunk of rows at a time."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")
    try:
        text.write("{")
        first = True
        for key, value in result.items():
            text.write(("" if first else ", ") + json.dumps(key) + ": ")
            first = False
            if key == "runs":
                text.write("[")
                for r, run in enumerate(value):
                    text.write(", " if r else "")
                    _write_json_run(run, text)
                text.write("]")
            else:
                _write_json_array_or_value(value, text)
        text.write("}\n")
        text.flush()
    finally:
        text.detach()  # leave the binary stream open for atomic_write to sync and close


def _write_json_run(run: Mapping[str, Any], text: io.TextIOWrapper) -> None:
    text.write("{")
    for i, (key, value) in enumerate(run.items()):
        if key == "steps":  # the result's recorded_steps, written once
            continue
        text.write(("" if i == 0 else ", ") + json.dumps(key) + ": ")
        if key == "state":
            text.write("{")
            for j, (name, array) in enumerate(value.items()):
                text.write(("" if j == 0 else ", ") + json.dumps(name) + ": ")
                _write_json_array_or_value(array, text)
            text.write("}")
        else:
            _write_json_array_or_value(value, text)
    text.write("}")


_NON_FINITE = re.compile(r"-?Infinity|NaN")


def _write_json_array_or_value(value: Any, text: io.TextIOWrapper) -> None:
    if not isinstance(value, np.ndarray):
        text.write(json.dumps(to_jsonable(value), allow_nan=False, ensure_ascii=False))
        return
    text.write("[")
    for i, chunk in enumerate(_chunks(value)):
        # a list of numbers only: NaN and ±Infinity are whole tokens, written as null
        part = _NON_FINITE.sub("null", json.dumps(chunk.tolist()))
        text.write(("" if i == 0 else ", ") + part[1:-1])
    text.write("]")


def _chunks(array: np.ndarray) -> Iterator[np.ndarray]:
    for start in range(0, len(array), WRITE_CHUNK_ROWS):
        piece = array[start:start + WRITE_CHUNK_ROWS]
        if len(piece):
            yield piece


def _write_csv(result: Mapping[str, Any], stream: BinaryIO) -> None:
    """One row per run and recorded step, written a chunk of rows at a time."""
    text = io.TextIOWrapper(stream, encoding="utf-8", newline="")
    try:
        rows = csv.writer(text)
        runs = result["runs"]
        finite_sum = any("full_grad" in run for run in runs)
        rows.writerow(CSV_COLUMNS + (CSV_FINITE_SUM_COLUMNS if finite_sum else ()) + ("status",))
        for r, run in enumerate(runs):
            steps = run.get("steps")
            if steps is None:
                steps = np.arange(len(run["loss"]))
            head = [r, run["label"], run["optimizer"]]
            status = run["status"]
            effective_lr = run["effective_lr"]  # worked out on read: once a run, not a chunk
            for start in range(0, len(steps), WRITE_CHUNK_ROWS):
                rows.writerows(_csv_rows(run, effective_lr, steps, start, head, status,
                                         finite_sum))
        text.flush()
    finally:
        text.detach()  # leave the binary stream open for atomic_write to sync and close


def _csv_rows(run: Mapping[str, Any], effective_lr: np.ndarray, steps: np.ndarray, start: int,
              head: list[Any], status: str, finite_sum: bool) -> Iterator[list[Any]]:
    stop = min(start + WRITE_CHUNK_ROWS, len(steps))
    points = _texts(run["trajectory"][start:stop])
    losses = _texts(run["loss"][start:stop])
    before = max(start - 1, 0)  # per-step arrays have no row for the start
    grads = _texts(run["grad"][before:stop - 1])
    clipped = np.asarray(run["clipped"][before:stop - 1], dtype=np.int64).tolist()
    lrs = _texts(effective_lr[before:stop - 1])
    if finite_sum:
        full = _texts(run["full_grad"][before:stop - 1])
        samples = np.asarray(run["sample_grads"][before:stop - 1]).tolist()
    for i in range(start, stop):
        k = i - start
        row = [*head, int(steps[i]), *points[k], losses[k]]
        if i == 0:  # the start: no step has produced a gradient yet
            row += [""] * 5
            if finite_sum:
                row += ["", "", 0]
        else:
            t = i - 1 - before
            row += [*grads[t], clipped[t], *lrs[t]]
            if finite_sum:
                row += [*full[t], samples[t]]
        row.append(status)
        yield row


def _texts(array: np.ndarray) -> list[Any]:
    """Numbers as text that round-trips exactly (non-finite as nan / inf / -inf)."""
    values = np.asarray(array, dtype=np.float64).tolist()
    if values and isinstance(values[0], list):
        return [[repr(v) for v in pair] for pair in values]
    return [repr(v) for v in values]


def _write_npz(result: Mapping[str, Any], stream: BinaryIO) -> None:
    """One array per record, runs along the first axis (``trajectory`` ``(runs, rows, 2)``,
    ``state/<name>``…), ``steps`` (the recorded steps) and the JSON ``metadata``; arrays are
    written in chunks by numpy, never copied whole."""
    runs = result["runs"]
    arrays: dict[str, np.ndarray] = {}
    if isinstance(result, ExperimentResult):
        names = [n for n in STEP_ARRAYS if result.finite_sum or n not in ("full_grad",
                                                                         "sample_grads")]
        arrays.update({name: result.column(name) for name in names})
        arrays.update({f"state/{n}": result.column(f"state.{n}") for n in result.state_names})
        arrays["steps"] = result["recorded_steps"]
        runs_meta = [result.facts(r) for r in range(result.n_runs)]
    else:  # a plain dict of per-run arrays (all of the same length)
        names = [n for n in STEP_ARRAYS if all(n in run for run in runs)]
        arrays.update({name: np.stack([run[name] for run in runs]) for name in names})
        state_names = sorted({n for run in runs for n in run["state"]})
        nan = np.full_like(np.asarray(runs[0]["grad"], dtype=float), np.nan)
        arrays.update({f"state/{n}": np.stack([run["state"].get(n, nan) for run in runs])
                       for n in state_names})
        arrays["steps"] = np.arange(len(runs[0]["loss"]))
        runs_meta = [{k: v for k, v in run.items() if k not in (*STEP_ARRAYS, "state", "steps")}
                     for run in runs]
    metadata = {"experiment": result["experiment"], "problem": result["problem"],
                "thinning": result.get("thinning"), "runs": runs_meta}
    arrays["metadata"] = np.array(json.dumps(to_jsonable(metadata), allow_nan=False))
    np.savez(stream, **arrays)


_WRITERS: dict[str, Callable[[Mapping[str, Any], BinaryIO], None]] = {
    ".json": _write_json, ".csv": _write_csv, ".npz": _write_npz,
}
