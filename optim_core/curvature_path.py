"""Curvature along the runs' paths: the Hessian's eigenvalues at every recorded step, and the full
eigensystem at the current points, kept up to date from a session's snapshots.

A :class:`CurvatureTrack` belongs to one session (start a new one after a reset or a new session:
it remembers steps by number). :meth:`CurvatureTrack.update` computes only the steps it has not
seen yet, at most one batch of points per call (spread over the path; NaN until computed), so
following a playing session costs about one Hessian per new row and no call takes long.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from optim_core.curvature import Curvature, curvature_at
from optim_core.problems import FiniteSumProblem, Problem
from optim_core.snapshot import Snapshot

#: points per Hessian batch (fewer for finite sums: each point costs M per-sample losses)
BATCH_POINTS = 2048
BATCH_VALUES = 2**19


@dataclass(frozen=True)
class CurvaturePath:
    """Curvature of one snapshot's runs: ``eigenvalues`` ``(T, R, 2)`` (ascending) at the
    recorded ``steps`` ``(T,)``, and ``current``, the eigensystem at the current points (step
    ``step``), with the runs' optimizers and hyperparameters to read stability limits against."""

    step: int
    steps: np.ndarray
    eigenvalues: np.ndarray
    current: Curvature
    labels: tuple[str, ...]
    optimizers: tuple[str, ...]
    hyperparameters: tuple[MappingProxyType, ...]

    @property
    def n_runs(self) -> int:
        return len(self.labels)


class CurvatureTrack:
    """Hessian eigenvalues at a session's recorded points, computed once per step number."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self._known: dict[int, np.ndarray] = {}
        n = problem.n_samples if isinstance(problem, FiniteSumProblem) else 1
        self._batch = max(16, min(BATCH_POINTS, BATCH_VALUES // max(n, 1)))

    def update(self, snapshot: Snapshot) -> CurvaturePath:
        """The curvature along ``snapshot``'s records and at its current points."""
        steps = [int(s) for s in snapshot.steps]
        new = [t for t, s in enumerate(steps) if s not in self._known]
        n_runs = snapshot.n_runs
        most = max(1, self._batch // max(n_runs, 1))
        if len(new) > most:  # one batch per update, spread over the path; the rest comes later
            new = [new[i] for i in np.linspace(0, len(new) - 1, most).round().astype(int)]
            new = sorted(set(new))
        if new:
            points = np.asarray(snapshot.position, dtype=np.float64)[new]  # (N, R, 2)
            values = self._eigenvalues(points.reshape(-1, 2)).reshape(len(new), -1, 2)
            for t, row in zip(new, values, strict=True):
                self._known[steps[t]] = row
        kept = set(steps)
        for step in [s for s in self._known if s not in kept]:  # rows thinned out of the records
            del self._known[step]
        missing = np.full((n_runs, 2), np.nan)
        eigenvalues = (np.stack([self._known.get(s, missing) for s in steps]) if steps
                       else np.zeros((0, n_runs, 2)))
        current = curvature_at(self.problem, np.asarray(snapshot.current_position, dtype=float))
        return CurvaturePath(step=snapshot.step, steps=np.asarray(steps, dtype=np.int64),
                             eigenvalues=eigenvalues, current=current, labels=snapshot.labels,
                             optimizers=snapshot.optimizers,
                             hyperparameters=snapshot.hyperparameters)

    def _eigenvalues(self, points: np.ndarray) -> np.ndarray:
        out = np.full((len(points), 2), np.nan)
        finite = np.isfinite(points).all(axis=-1)
        index = np.flatnonzero(finite)
        for start in range(0, len(index), self._batch):
            chunk = index[start:start + self._batch]
            out[chunk] = curvature_at(self.problem, points[chunk]).eigenvalues
        return out
