"""The result of an experiment run to its end: one array per record, runs along the first axis.

An :class:`ExperimentResult` holds the records of all runs as a few large arrays (a column per
record, shared with the session that filled them, never copied per run) and reads like the dict
the lab has always returned: ``result["experiment"]``, ``result["problem"]`` and
``result["runs"]``, a sequence whose ``r``-th entry is a view of run ``r`` built on demand.
Long experiments are recorded every k-th step (the first and last step always kept); which steps
were kept is ``result["recorded_steps"]`` and why is ``result["thinning"]``. The effective learning
rate is worked out when it is read, from where each recorded step started and ended and its
gradient (:mod:`optim_core.effective_lr`): a caller that never reads it never pays for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from optim_core.effective_lr import effective_lr
from optim_core.history import resolve_follows

#: per-step arrays of a run entry, in the order they are written
STEP_ARRAYS = ("trajectory", "loss", "grad", "clipped", "effective_lr", "full_grad",
               "sample_grads")
#: the session's name for each per-step array
SESSION_NAMES = {"trajectory": "position", "loss": "loss", "grad": "grad", "clipped": "clipped",
                 "effective_lr": "effective_lr", "full_grad": "full_grad",
                 "sample_grads": "sample_grads"}
#: arrays with a row for the start (the others start with the first step)
STARTS_AT_ZERO = ("trajectory", "loss")


class ExperimentResult(Mapping[str, Any]):
    """All runs' records as columns ``(runs, rows, …)``, with per-run views on demand.

    ``records`` are the session's arrays ``(rows, runs, …)`` by its names (``position``,
    ``loss``, ``grad``, ``clipped``, ``position_before`` as the session's history leaves it or
    ``effective_lr`` itself, ``state.<name>``, ``full_grad``, ``sample_grads``, ``steps``);
    ``runs`` the fixed facts of each run (label, optimizer, hyperparameters, start, status,
    diverged_at, the state names torch keeps for it), a sequence that may make them on demand.
    """

    def __init__(self, experiment: dict[str, Any], problem: str,
                 records: Mapping[str, np.ndarray], runs: Sequence[Mapping[str, Any]],
                 thinning: Mapping[str, Any] | None = None) -> None:
        self._records = {name: _read_only(array) for name, array in records.items()}
        self._facts = runs  # a sequence that may make each run's facts when asked for
        self._entries: dict[str, Any] = {
            "experiment": experiment,
            "problem": problem,
            "recorded_steps": self._records["steps"],
            "thinning": None if thinning is None else dict(thinning),
            "runs": None,  # made when asked for: a RunList kept here would be a reference cycle
        }

    # ------------------------------------------------------------------ the dict it reads as
    def __getitem__(self, key: str) -> Any:
        if key == "runs":
            return RunList(self)
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    # ------------------------------------------------------------------ columns
    @property
    def n_runs(self) -> int:
        return len(self._facts)

    @property
    def finite_sum(self) -> bool:
        """Whether the records hold ``full_grad`` and ``sample_grads`` (finite-sum problems)."""
        return "full_grad" in self._records

    @property
    def state_names(self) -> tuple[str, ...]:
        """Every optimizer state name some run keeps (NaN in the columns of the others)."""
        return tuple(k[6:] for k in self._records if k.startswith("state."))

    def column(self, name: str) -> np.ndarray:
        """Record ``name`` (a :data:`STEP_ARRAYS` name or ``state.<torch name>``) of every run,
        runs along the first axis: ``(runs, steps + 1, …)`` for ``trajectory`` and ``loss``,
        ``(runs, steps, …)`` for the rest (a read-only view, no copy; ``effective_lr`` is
        computed, a new array each call)."""
        if name == "effective_lr" and name not in self._records:
            return _read_only(np.moveaxis(self._effective_lr(slice(None)), 1, 0))
        array = self._records[SESSION_NAMES.get(name, name)]
        if name not in STARTS_AT_ZERO:
            array = array[1:]
        return np.moveaxis(array, 1, 0)

    def run_array(self, name: str, r: int) -> np.ndarray:
        """Record ``name`` of run ``r`` alone, ``column(name)[r]`` (the effective lr worked out
        for that run only)."""
        if name == "effective_lr" and name not in self._records:
            return _read_only(self._effective_lr(r))
        return self.column(name)[r]

    def _effective_lr(self, runs: slice | int) -> np.ndarray:
        """The effective lr of the recorded steps ``(rows - 1, …)`` of ``runs``, worked out from
        where each step started and ended and its gradient."""
        records = self._records
        position = records["position"][:, runs]
        before = resolve_follows(records["steps"], records["position_before"][:, runs], position)
        return effective_lr(before[1:], position[1:], records["grad"][1:, runs])

    def facts(self, r: int) -> dict[str, Any]:
        """Run ``r``'s label, optimizer, hyperparameters, start, status and diverged_at."""
        return {k: v for k, v in self._facts[r].items() if k != "state_names"}

    def run(self, r: int) -> RunView:
        """Run ``r``'s records as a mapping of arrays (views into the columns)."""
        if not -self.n_runs <= r < self.n_runs:
            raise IndexError(f"run {r} of {self.n_runs}")
        return RunView(self, r % self.n_runs)

    def _run_state_names(self, r: int) -> tuple[str, ...]:
        return tuple(n for n in self._facts[r]["state_names"] if f"state.{n}" in self._records)


class RunList(Sequence["RunView"]):
    """``result["runs"]``: run ``r``'s view is made when it is asked for."""

    def __init__(self, result: ExperimentResult) -> None:
        self._result = result

    def __len__(self) -> int:
        return self._result.n_runs

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self._result.run(r) for r in range(*index.indices(len(self)))]
        return self._result.run(index)


class RunView(Mapping[str, Any]):
    """One run of an :class:`ExperimentResult`, read like the per-run dict of earlier versions:
    ``label`` … ``diverged_at``, the arrays of :data:`STEP_ARRAYS`, ``state`` and ``steps``."""

    def __init__(self, result: ExperimentResult, r: int) -> None:
        self._result = result
        self._r = r
        arrays = [n for n in STEP_ARRAYS if result.finite_sum or n not in ("full_grad",
                                                                            "sample_grads")]
        self._keys = (*result.facts(r), *arrays[:5], "state", *arrays[5:], "steps")

    @property
    def index(self) -> int:
        return self._r

    def __getitem__(self, key: str) -> Any:
        result, r = self._result, self._r
        if key == "state":
            return {n: result.column(f"state.{n}")[r] for n in result._run_state_names(r)}
        if key == "steps":
            return result["recorded_steps"]
        if key in STEP_ARRAYS and key in self._keys:
            return result.run_array(key, r)
        facts = result.facts(r)
        if key in facts:
            return facts[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _read_only(array: np.ndarray) -> np.ndarray:
    view = array.view()
    view.flags.writeable = False
    return view
