"""The oracle of the network parity tests: a plain PyTorch training loop, one run at a time.

``nn.Sequential`` of the same layers, weights loaded from the result's initial vector,
``torch.optim.<Name>``, ``lr_scheduler``, ``clip_grad_norm_``/``clip_grad_value_``, and the
minibatches the lab recorded — the loop a student would write.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from optim_core.networks.experiment import parse_network_experiment

#: hyperparameters of the lab that torch.optim does not have (their default is torch's behaviour)
LAB_ONLY = {"bias_correction"}


def make_scheduler(optimizer: torch.optim.Optimizer, schedule: Mapping[str, Any] | None):
    """The torch scheduler a run's ``schedule`` names (SequentialLR of its children)."""
    if schedule is None:
        return None
    args = {k: v for k, v in schedule.items() if k != "name"}
    cls = getattr(torch.optim.lr_scheduler, schedule["name"])
    if schedule["name"] == "SequentialLR":
        children = [make_scheduler(optimizer, child) for child in args.pop("schedulers")]
        return cls(optimizer, schedulers=children, **args)
    return cls(optimizer, **args)


def plain_loop(config: Mapping[str, Any], result: Mapping[str, Any], run: int
               ) -> tuple[np.ndarray, list[float]]:
    """Final weights and per-step losses of run ``run`` trained by a plain PyTorch loop."""
    experiment = parse_network_experiment(config)
    spec = experiment.runs[run]
    dtype = torch.float64 if experiment.dtype == "float64" else torch.float32
    data = experiment.dataset()
    model = experiment.model(data).reference().to(dtype)
    net = result["network"]
    # a copy: vector_to_parameters makes the parameters views of the vector it is given
    nn.utils.vector_to_parameters(torch.tensor(net["init_params"], dtype=dtype),
                                  model.parameters())
    x = torch.as_tensor(net["train_x"], dtype=dtype)
    y = torch.as_tensor(net["train_y"])
    if data.is_regression:
        y = y.to(dtype)
    criterion = nn.MSELoss() if data.is_regression else nn.CrossEntropyLoss()
    hyper = {k: v for k, v in spec.hyperparameters.items() if k not in LAB_ONLY}
    optimizer = getattr(torch.optim, spec.optimizer)(model.parameters(), **hyper)
    scheduler = make_scheduler(optimizer, spec.schedule)
    losses = []
    batches = net.get("batches")
    for step in range(experiment.steps):
        index = (torch.as_tensor(batches[step]) if experiment.batch_size is not None
                 else torch.arange(len(x)))

        def closure(index: torch.Tensor = index) -> torch.Tensor:
            optimizer.zero_grad()
            loss = criterion(model(x[index]), y[index])
            loss.backward()
            if spec.clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), spec.clip_norm)
            if spec.clip_value is not None:
                nn.utils.clip_grad_value_(model.parameters(), spec.clip_value)
            return loss

        if spec.optimizer == "LBFGS":
            losses.append(float(optimizer.step(closure).detach()))
        else:
            losses.append(float(closure().detach()))
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
    params = nn.utils.parameters_to_vector(model.parameters()).detach().numpy()
    return params, losses
