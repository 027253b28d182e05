"""Run a network experiment to the end: the result of ``run_experiment`` and ``python -m optim_core
train``.

Besides ``runs``, the result has a ``network`` entry — the training set, the flat initial weights
in ``parameters_to_vector`` order and (with ``record_batches``) each step's minibatch indices — so
that any run can be reproduced outside the lab with a plain PyTorch loop.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from optim_core.errors import ConfigError
from optim_core.networks import probes
from optim_core.networks.experiment import NetworkExperiment, parse_network_experiment
from optim_core.networks.training import TrainingSession

#: the most memory the records of one network run may take
MAX_RECORD_BYTES = 4 * 2**30
#: steps between progress reports
PROGRESS_EVERY = 25


def run_network(config: Mapping[str, Any] | NetworkExperiment,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Validate ``config``, train every run for ``steps`` steps and return all records.

    Each run has ``label``, ``optimizer``, ``hyperparameters``, ``schedule``, ``status``,
    ``diverged_at``; per step ``loss`` (the minibatch loss before the step's update), ``lr`` and
    ``clipped``; at ``eval_steps``: ``train_loss``, ``train_accuracy``, ``val_loss``,
    ``val_accuracy``; at ``layer_steps``: ``grad_norm``, ``weight_norm``, ``update_ratio``
    ``(n, layers)`` and ``effective_lr_hist`` ``(n, layers, bins)``; ``noise_scale`` and
    ``sharpness`` at their steps; ``params``, the final weights.
    """
    experiment = (config if isinstance(config, NetworkExperiment)
                  else parse_network_experiment(config))
    session = TrainingSession(experiment, history_budget=sys.maxsize)
    _check_size(experiment, session)
    done = 0
    while done < experiment.steps:
        done = session.step(min(PROGRESS_EVERY, experiment.steps - done))
        if progress is not None:
            progress(done, experiment.steps)
    return network_result(session)


def _check_size(experiment: NetworkExperiment, session: TrainingSession) -> None:
    itemsize = session.dtype.itemsize
    layers = len(session.layer_names)
    bins = len(probes.ELR_EDGES) - 1
    every = max(1, experiment.every["layer_stats_every"] or experiment.steps + 1)
    per_run = (experiment.steps * 3 + experiment.steps // every * layers * (bins + 3)
               + 256 * session.model.n_params) * itemsize
    size = per_run * session.n_runs
    if size > MAX_RECORD_BYTES:
        raise ConfigError("steps", experiment.steps,
                          f"fewer steps or runs: the records would take {size / 2**30:.1f} GiB "
                          f"(the limit is {MAX_RECORD_BYTES / 2**30:g} GiB)")


def network_result(session: TrainingSession) -> dict[str, Any]:
    """The records of ``session`` as a result dict (numpy arrays)."""
    records = session.records()
    experiment = session.experiment
    data = session.data
    network: dict[str, Any] = {
        "model": session.model.description,
        "n_params": session.model.n_params,
        "layers": session.layer_names,
        "train_x": data.train_x.cpu().numpy(), "train_y": data.train_y.cpu().numpy(),
        "val_x": data.val_x.cpu().numpy(), "val_y": data.val_y.cpu().numpy(),
        "init_params": session.init_params.cpu().numpy(),
        "effective_lr_edges": np.array(probes.log_edges()),
    }
    if session.keeps_batches:
        network["batches"] = session.batches()
    params = session.current_params().cpu().numpy()
    runs = []
    for r, spec in enumerate(session.runs):
        entry: dict[str, Any] = {
            "label": spec.label, "optimizer": spec.optimizer,
            "hyperparameters": dict(spec.hyperparameters),
            "schedule": spec.schedule,
            "status": session.status()[r], "diverged_at": session.diverged_at()[r],
            "loss": records["steps"]["loss"][:, r], "lr": records["steps"]["lr"][:, r],
            "clipped": records["steps"]["clipped"][:, r],
            "eval_steps": records["eval"]["steps"],
            "layer_steps": records["layers"]["steps"],
            "noise_scale_steps": records["noise"]["steps"],
            "sharpness_steps": records["sharpness"]["steps"],
            "params": params[r],
        }
        for kind, names in (("eval", ("train_loss", "train_accuracy", "val_loss",
                                      "val_accuracy")),
                            ("layers", ("grad_norm", "weight_norm", "update_ratio",
                                        "effective_lr_hist")),
                            ("noise", ("noise_scale",)), ("sharpness", ("sharpness",))):
            for name in names:
                entry[name] = records[kind][name][:, r]
        runs.append(entry)
    return {"experiment": experiment.to_dict(), "network": network, "runs": runs}
