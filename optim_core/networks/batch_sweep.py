"""Diminishing returns of the batch size, measured: steps to a target loss against batch size.

The lecture asks "is it worth estimating the gradient from the whole training set?" and answers
that a larger batch "suffers from diminishing returns". :func:`batch_size_sweep` trains a network
experiment once per batch size (same initial weights, same seed) and records, per run, the first
step at which the training-set loss falls to ``target`` — with the gradient noise scale B_simple
(McCandlish et al. 2018) measured early in those runs, the batch size past which the steps stop
falling. Steps × batch size is the computation each took, in sample-gradients.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from optim_core.errors import ConfigError
from optim_core.networks.experiment import NetworkExperiment, parse_network_experiment
from optim_core.networks.training import TrainingSession

#: noise-scale estimates per run, from the start, that count as "early in training"
EARLY = 2


@dataclass(frozen=True)
class BatchSweepResult:
    """Steps to ``target`` of R runs at B batch sizes.

    ``batch_sizes`` ``(B,)`` holds the full batch as the training-set size ``n_train``;
    ``steps_to_target`` ``(B, R)`` is the first evaluation step whose training loss is at most
    ``target`` (inf where none was within ``steps``); ``b_simple`` the median of the finite early
    noise-scale estimates of all of them (NaN if there are none).
    """

    labels: tuple[str, ...]
    batch_sizes: np.ndarray
    steps_to_target: np.ndarray
    target: float
    steps: int
    n_train: int
    b_simple: float

    def sample_gradients(self) -> np.ndarray:
        """Steps × batch size ``(B, R)``: the per-sample gradients each run took to get there."""
        return self.steps_to_target * self.batch_sizes[:, None]


def batch_size_sweep(
    config: Mapping[str, Any] | NetworkExperiment,
    batch_sizes: Sequence[int | None],
    target: float,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BatchSweepResult:
    """Train ``config``'s runs once per batch size (None: the full batch) for its ``steps``.

    The training loss is read every ``eval_every`` steps of the experiment, the noise scale every
    ``noise_scale_every`` (0 turns it off: ``b_simple`` is then NaN). ``progress(done, total)``
    is called after each batch size. Bad input raises :class:`ConfigError` naming the field.
    """
    experiment = (config if isinstance(config, NetworkExperiment)
                  else parse_network_experiment(config))
    if not (isinstance(target, (int, float)) and not isinstance(target, bool)
            and math.isfinite(target) and target > 0):
        raise ConfigError("target", target, "a training loss > 0")
    if not batch_sizes:
        raise ConfigError("batch_sizes", list(batch_sizes), "one or more batch sizes")
    steps_to, early, sizes = [], [], []
    for i, batch in enumerate(batch_sizes):
        try:
            one = parse_network_experiment({**experiment.to_dict(), "batch_size": batch})
        except ConfigError as error:
            raise ConfigError(f"batch_sizes[{i}]", batch, error.allowed) from None
        session = TrainingSession(replace(one, record_batches=False), history_budget=1 << 22)
        session.step(experiment.steps)
        records = session.records()
        below = records["eval"]["train_loss"] <= target
        steps = records["eval"]["steps"].astype(float)
        steps_to.append([steps[np.argmax(below[:, r])] if below[:, r].any() else math.inf
                         for r in range(session.n_runs)])
        early.extend(records["noise"]["noise_scale"][:EARLY].ravel().tolist())
        sizes.append(session.batch_size)
        if progress is not None:
            progress(i + 1, len(batch_sizes))
    finite = [value for value in early if math.isfinite(value)]
    return BatchSweepResult(
        labels=tuple(run.label for run in experiment.runs), batch_sizes=np.array(sizes),
        steps_to_target=np.array(steps_to), target=float(target), steps=experiment.steps,
        n_train=session.n_train, b_simple=float(np.median(finite)) if finite else math.nan)
