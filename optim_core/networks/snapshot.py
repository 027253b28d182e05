"""An immutable picture of a training session: numpy copies a GUI thread may keep and draw."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np


@dataclass(frozen=True)
class NetworkSnapshot:
    """What a training session has recorded so far, for R runs.

    Per step (rows ``steps``): ``loss`` ``(T, R)`` — the minibatch loss of each step before its
    update, ``lr`` and ``clipped``; ``samples_seen`` ``(T,)`` and ``wall_time`` ``(T,)``.
    Every few steps: ``eval`` (``steps``, ``train_loss``, ``train_accuracy``, ``val_loss``,
    ``val_accuracy``, each ``(E, R)``; accuracy NaN for a regression); ``layers`` (``steps``,
    ``grad_norm``, ``weight_norm``, ``update_ratio`` ``(N, R, L)``, ``effective_lr_hist``
    ``(N, R, L, bins)`` over ``effective_lr_edges``); ``noise`` (``steps``, ``noise_scale``);
    ``sharpness`` (``steps``, ``sharpness``). Long runs thin their rows.
    """

    step: int
    labels: tuple[str, ...]
    optimizers: tuple[str, ...]
    colors: tuple[str | None, ...]
    hyperparameters: tuple[MappingProxyType, ...]
    status: tuple[str, ...]
    diverged_at: tuple[int | None, ...]
    batch_size: int
    n_train: int
    layer_names: tuple[str, ...]
    effective_lr_edges: np.ndarray
    steps: np.ndarray
    wall_time: np.ndarray
    loss: np.ndarray
    lr: np.ndarray
    clipped: np.ndarray
    eval: MappingProxyType
    layers: MappingProxyType
    noise: MappingProxyType
    sharpness: MappingProxyType
    current_lr: np.ndarray

    @property
    def n_runs(self) -> int:
        return len(self.labels)

    @property
    def samples_seen(self) -> np.ndarray:
        """Training samples seen by each recorded step (steps × batch size)."""
        return (self.steps + 1) * self.batch_size

    def describe_status(self, r: int) -> str:
        if self.diverged_at[r] is not None:
            return f"{self.labels[r]}: diverged at step {self.diverged_at[r]}"
        return f"{self.labels[r]}: ok"


def frozen(arrays: dict[str, Any]) -> MappingProxyType:
    """Read-only numpy arrays in a read-only mapping."""
    for value in arrays.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return MappingProxyType(arrays)
