"""Exporting what is on screen: the trajectories of the runs as CSV.

The CSV has the columns of the CLI's result CSV (``optim_core.results.CSV_COLUMNS``), one row per
run and recorded step, with the real step numbers (a long session keeps every 2nd, 4th… step).
Writes are atomic, like the CLI's.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from optim_core.results import CSV_COLUMNS, CSV_FINITE_SUM_COLUMNS, atomic_write
from optim_core.snapshot import Snapshot


def trajectories_csv(snapshot: Snapshot) -> str:
    """The runs' recorded steps as CSV text (row 0 of each run is its start)."""
    finite_sum = snapshot.full_grad is not None
    out = io.StringIO()
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(CSV_COLUMNS + (CSV_FINITE_SUM_COLUMNS if finite_sum else ()) + ("status",))
    for r in range(snapshot.n_runs):
        for t, step in enumerate(snapshot.steps):
            rows.writerow(_row(snapshot, r, t, int(step), finite_sum))
    return out.getvalue()


def _row(snap: Snapshot, r: int, t: int, step: int, finite_sum: bool) -> list[object]:
    x, y = snap.position[t, r]
    row: list[object] = [r, snap.labels[r], snap.optimizers[r], step, _num(x), _num(y),
                         _num(snap.loss[t, r])]
    if step == 0:  # the start: no step has produced a gradient yet
        row += [""] * 5 + (["", "", 0] if finite_sum else [])
    else:
        row += [*map(_num, snap.grad[t, r]), int(snap.clipped[t, r]),
                *map(_num, snap.effective_lr[t, r])]
        if finite_sum:
            row += [*map(_num, snap.full_grad[t, r]), int(snap.sample_grads[t, r])]
    row.append(snap.status[r])
    return row


def _num(value: float) -> str:
    return repr(float(value))  # round-trips exactly; non-finite as nan / inf, as the CLI writes


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) atomically; raises ConfigError naming the file on failure."""
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))

