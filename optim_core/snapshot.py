"""An immutable picture of a session: numpy copies a caller (a GUI thread) may keep."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Snapshot:
    """Everything recorded so far, for R runs over T recorded rows.

    Row ``t`` describes step ``steps[t]`` (0 is the start). ``position``/``loss`` are the point
    reached at that step and the (full) loss there; ``grad`` is the gradient used to get there,
    before clipping, ``clipped`` whether clipping changed it, ``effective_lr`` the step actually
    taken divided by that gradient, per coordinate (−Δw/g; NaN where g = 0 or the step is too
    small against the weight for the ratio to be well conditioned); ``full_grad`` the full-batch
    gradient at the same point as ``grad`` and ``sample_grads`` the sample-gradients computed so far
    (finite-sum problems only); ``state`` the optimizer state after the step by torch name. Row 0
    holds NaN for what only a step produces. Rows thin out (every 2nd, 4th… step) in long runs.

    ``current_*`` describe the runs' current points, including the gradient the next step will use
    and the optimizer state now (by torch name, NaN for runs without it);
    ``current_clipped_grad`` is that gradient as each run's clipping will clip it, NaN rows where
    clipping leaves it as it is (None: no run clips).
    """

    step: int
    steps: np.ndarray
    wall_time: np.ndarray
    position: np.ndarray
    loss: np.ndarray
    grad: np.ndarray
    clipped: np.ndarray
    effective_lr: np.ndarray
    state: MappingProxyType
    full_grad: np.ndarray | None
    sample_grads: np.ndarray | None
    current_position: np.ndarray
    current_loss: np.ndarray
    current_grad: np.ndarray
    current_full_grad: np.ndarray | None
    current_state: MappingProxyType
    labels: tuple[str, ...]
    optimizers: tuple[str, ...]
    hyperparameters: tuple[MappingProxyType, ...]
    batch_sizes: tuple[int | None, ...]
    status: tuple[str, ...]
    diverged_at: tuple[int | None, ...]
    current_clipped_grad: np.ndarray | None = None

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    def run(self, r: int) -> dict[str, Any]:
        """The records of run ``r`` as a dict of arrays (rows over steps)."""
        out: dict[str, Any] = {
            "label": self.labels[r], "optimizer": self.optimizers[r], "status": self.status[r],
            "diverged_at": self.diverged_at[r], "steps": self.steps,
            "position": self.position[:, r], "loss": self.loss[:, r], "grad": self.grad[:, r],
            "clipped": self.clipped[:, r], "effective_lr": self.effective_lr[:, r],
            "state": {k: v[:, r] for k, v in self.state.items()},
        }
        if self.full_grad is not None:
            out["full_grad"] = self.full_grad[:, r]
            out["sample_grads"] = self.sample_grads[:, r]
        return out

    def describe_status(self, r: int) -> str:
        """``Adam lr=3: diverged at step 12`` or ``Adam lr=0.001: ok``."""
        if self.diverged_at[r] is not None:
            return f"{self.labels[r]}: diverged at step {self.diverged_at[r]}"
        return f"{self.labels[r]}: ok"


def freeze(array: np.ndarray | None) -> np.ndarray | None:
    """Make a numpy array read-only so a snapshot cannot be changed by its receiver."""
    if array is not None:
        array.flags.writeable = False
    return array
