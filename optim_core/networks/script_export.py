"""A network experiment as a standalone PyTorch script: the lecture's training loop, torch only.

The script holds the training set and the initial weights (base64 of their bytes, in the
experiment's dtype), rebuilds the same ``nn.Sequential``, draws the same minibatches (the same
seeded ``torch.randperm`` per epoch, the last short batch dropped), and trains each run with
``torch.optim.<Name>``, its ``lr_scheduler`` and its gradient clipping — printing the losses the
lab records, so a student can check the lab against the code they would write.
"""

from __future__ import annotations

import base64
import json

import torch

from optim_core.networks.experiment import NetworkExperiment
from optim_core.networks.models import ACTIVATIONS, Model
from optim_core.networks.training import TrainingSession

#: lab hyperparameters that torch.optim does not take (their default is torch's behaviour)
LAB_ONLY = ("bias_correction",)


def _blob(tensor: torch.Tensor) -> str:
    return base64.b64encode(tensor.detach().cpu().contiguous().numpy().tobytes()).decode("ascii")


def _module_code(model: Model) -> str:
    lines = []
    for layer in model.layers:
        if layer.kind == "linear":
            lines.append(f"nn.Linear({layer.shape[1]}, {layer.shape[0]})")
        elif layer.kind == "conv":
            lines.append(f"nn.Conv2d({layer.shape[1]}, {layer.shape[0]}, {layer.shape[2]}, "
                         f"padding={layer.shape[2] // 2})")
        elif layer.kind == "act":
            lines.append(f"nn.{ACTIVATIONS[layer.activation].__name__}()")
        elif layer.kind == "pool":
            lines.append("nn.MaxPool2d(2)")
        else:
            lines.append("nn.Flatten()")
    return "nn.Sequential(\n" + "".join(f"        {line},\n" for line in lines) + "    )"


def network_script(experiment: NetworkExperiment, print_every: int = 10) -> str:
    """The experiment as a runnable Python script that needs only torch."""
    session = TrainingSession(experiment, record_batches=False)
    data, model = session.data, session.model
    dtype = "float64" if experiment.dtype == "float64" else "float32"
    runs = []
    for spec in experiment.runs:
        hyper = {k: list(v) if isinstance(v, tuple) else v
                 for k, v in spec.hyperparameters.items() if k not in LAB_ONLY}
        runs.append({"label": spec.label, "optimizer": spec.optimizer, "hyper": hyper,
                     "clip_norm": spec.clip_norm, "clip_value": spec.clip_value,
                     "schedule": spec.schedule})
    criterion = "nn.MSELoss()" if data.is_regression else "nn.CrossEntropyLoss()"
    y_dtype = dtype if data.is_regression else "int64"
    return f'''"""Optimizer Lab experiment as a plain PyTorch training loop (needs only torch).

{model.description}; data set {experiment.data_fields["dataset"]!r}, {len(data.train_x)} training
samples; batch size {experiment.batch_size or "full"}; {experiment.steps} steps; seed
{experiment.seed}. Prints each run's minibatch loss every {print_every} steps, as the lab records
it: the loss of the step's batch before the step's update.
"""

import base64
import json

import torch
from torch import nn

DTYPE = torch.{dtype}
STEPS = {experiment.steps}
BATCH_SIZE = {experiment.batch_size!r}
SEED = {experiment.seed}
RUNS = json.loads({json.dumps(json.dumps(runs))})


def tensor(blob, dtype, shape):
    return torch.frombuffer(bytearray(base64.b64decode(blob)), dtype=dtype).reshape(shape)


TRAIN_X = tensor("{_blob(data.train_x)}", DTYPE, {tuple(data.train_x.shape)!r})
TRAIN_Y = tensor("{_blob(data.train_y)}", torch.{y_dtype}, {tuple(data.train_y.shape)!r})
INITIAL_WEIGHTS = tensor("{_blob(session.init_params.to(session.dtype))}", DTYPE,
                         ({model.n_params},))


def make_model():
    model = {_module_code(model)}
    nn.utils.vector_to_parameters(INITIAL_WEIGHTS.clone(), model.parameters())
    return model.to(DTYPE)


def make_scheduler(optimizer, schedule):
    if schedule is None:
        return None
    args = {{k: v for k, v in schedule.items() if k != "name"}}
    cls = getattr(torch.optim.lr_scheduler, schedule["name"])
    if schedule["name"] == "SequentialLR":
        children = [make_scheduler(optimizer, child) for child in args.pop("schedulers")]
        return cls(optimizer, schedulers=children, **args)
    return cls(optimizer, **args)


def minibatches():
    """One seeded shuffle per epoch, consecutive batches, the last short batch dropped."""
    n = len(TRAIN_X)
    if BATCH_SIZE is None:
        while True:
            yield torch.arange(n)
    generator = torch.Generator().manual_seed(SEED)
    while True:
        order = torch.randperm(n, generator=generator)
        for k in range(n // BATCH_SIZE):
            yield order[k * BATCH_SIZE:(k + 1) * BATCH_SIZE]


def train(run):
    model = make_model()
    criterion = {criterion}
    optimizer = getattr(torch.optim, run["optimizer"])(model.parameters(), **{{
        k: tuple(v) if isinstance(v, list) else v for k, v in run["hyper"].items()}})
    scheduler = make_scheduler(optimizer, run["schedule"])
    batches = minibatches()
    for step in range(1, STEPS + 1):
        index = next(batches)
        inputs, labels = TRAIN_X[index], TRAIN_Y[index]

        def closure():
            optimizer.zero_grad()
            loss = criterion(model(inputs), labels)
            loss.backward()
            if run["clip_norm"] is not None:
                nn.utils.clip_grad_norm_(model.parameters(), run["clip_norm"])
            if run["clip_value"] is not None:
                nn.utils.clip_grad_value_(model.parameters(), run["clip_value"])
            return loss

        if run["optimizer"] == "LBFGS":
            loss = optimizer.step(closure)
        else:
            loss = closure()
            optimizer.step()
        if scheduler is not None:
            scheduler.step()
        if step % {print_every} == 0 or step == 1 or step == STEPS:
            print(f"{{run['label']}}\\tstep {{step}}\\tloss {{loss.item()!r}}")


if __name__ == "__main__":
    for run in RUNS:
        train(run)
'''

