"""Network experiments: a 2D experiment's JSON with ``"network"`` in place of ``"problem"``.

``{"network": {"dataset": "moons", "n_samples": 600, "noise": 0.2, "validation": 0.25,
"hidden": [16, 16], "activation": "tanh"}, "steps": 60, "batch_size": 32, "seed": 3,
"dtype": "float64", "record_batches": true, "runs": [...]}`` — the runs are parsed exactly as a 2D
experiment's (optimizer, torch hyperparameters, ``clip_norm``/``clip_value``, ``schedule``,
``label``, ``color``, ``enabled``). What is recorded how often is set by ``eval_every`` (loss and
accuracy on the training and validation sets), ``layer_stats_every`` (per-layer norms, update
ratios, effective-lr histograms), ``noise_scale_every`` and ``sharpness_every`` (0 = off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optim_core.errors import ConfigError
from optim_core.experiment import (
    BATCH,
    DTYPES,
    SEED,
    STEPS,
    RunSpec,
    parse_device,
    parse_run,
)
from optim_core.networks.datasets import DATASETS, DataSet, make_dataset, parse_dataset
from optim_core.networks.models import Model, build_model, parse_model
from optim_core.params import ParamSpec
from optim_core.schedules import check_schedule_length

NETWORK_KEYS = ("network", "steps", "batch_size", "seed", "device", "dtype", "record_batches",
                "eval_every", "layer_stats_every", "noise_scale_every", "sharpness_every", "runs")
MODEL_KEYS = ("model", "hidden", "activation")
EVERY = {
    "eval_every": ParamSpec("eval_every", 25, kind="int", low=1, high=10**7,
                            doc="steps between evaluations on the training and validation sets"),
    "layer_stats_every": ParamSpec("layer_stats_every", 10, kind="int", low=0, high=10**7,
                                   doc="steps between per-layer records (0 = off)"),
    "noise_scale_every": ParamSpec("noise_scale_every", 50, kind="int", low=0, high=10**7,
                                   doc="steps between gradient-noise-scale estimates (0 = off)"),
    "sharpness_every": ParamSpec("sharpness_every", 50, kind="int", low=0, high=10**7,
                                 doc="steps between sharpness (λ_max) estimates (0 = off)"),
}
#: weights of all runs together that a session may hold (each run keeps several copies: the
#: weights, gradient, optimizer state and records — about 2 GB in float64 at this size)
MAX_RUN_WEIGHTS = 2**25
#: optimizers whose update depends on the shapes of a model's tensors, not only on their values
SHAPE_AWARE = {"Adafactor": "it factorises each weight matrix's second moment; the lab holds a "
               "run's weights as one flat vector", "Newton": "it needs the full P×P Hessian"}


@dataclass(frozen=True)
class NetworkExperiment:
    """A validated network experiment."""

    data_fields: Mapping[str, Any]
    model_fields: Mapping[str, Any]
    runs: tuple[RunSpec, ...]
    steps: int
    batch_size: int | None
    seed: int
    device: str
    dtype: str
    record_batches: bool
    every: Mapping[str, int]

    def dataset(self) -> DataSet:
        """The training and validation samples (generated from the seed)."""
        return make_dataset(self.data_fields, self.seed)

    def model(self, data: DataSet) -> Model:
        return build_model(self.model_fields, data.input_shape, data.n_outputs)

    def to_dict(self) -> dict[str, Any]:
        """The experiment-file form (round-trips through :func:`parse_network_experiment`)."""
        runs = []
        for spec in self.runs:
            entry: dict[str, Any] = {"optimizer": spec.optimizer, "label": spec.label}
            entry.update({k: list(v) if isinstance(v, tuple) else v
                          for k, v in spec.hyperparameters.items()})
            for name in ("clip_norm", "clip_value", "color"):
                if getattr(spec, name) is not None:
                    entry[name] = getattr(spec, name)
            if spec.schedule is not None:
                entry["schedule"] = spec.schedule
            runs.append(entry)
        return {"network": {**self.data_fields, **self.model_fields}, "steps": self.steps,
                "batch_size": self.batch_size, "seed": self.seed, "device": self.device,
                "dtype": self.dtype, "record_batches": self.record_batches, **self.every,
                "runs": runs}


def is_network_experiment(config: Any) -> bool:
    """Whether ``config`` describes a network (``"network"`` in place of ``"problem"``)."""
    return isinstance(config, Mapping) and "network" in config


def parse_network_experiment(config: Any) -> NetworkExperiment:
    """Validate a network experiment dict; raise :class:`ConfigError` naming the first bad field."""
    if not isinstance(config, Mapping):
        raise ConfigError("experiment", type(config).__name__, "a JSON object")
    for key in config:
        if key not in NETWORK_KEYS:
            raise ConfigError(key, config[key], f"unknown key; known: {', '.join(NETWORK_KEYS)}")
    network = config["network"]
    if not isinstance(network, Mapping):
        raise ConfigError("network", network, "an object such as {\"dataset\": \"moons\"}")
    data_fields = parse_dataset(network)
    known = {s.name for s in DATASETS[data_fields["dataset"]].parameters}
    known |= {"dataset", "validation", *MODEL_KEYS}
    for key in network:
        if key not in known:
            raise ConfigError(f"network.{key}", network[key],
                              f"unknown key; known: {', '.join(sorted(known))}")
    data = make_dataset(data_fields, 0)  # shapes only; the seeded one is made when run
    model_fields = parse_model(network, data.input_shape, data.n_outputs)
    steps = STEPS.validate(config.get("steps", STEPS.default))
    batch_size = BATCH.validate(config.get("batch_size"))
    n_train = len(data.train_x)
    if batch_size is not None and batch_size > n_train:
        raise ConfigError("batch_size", batch_size,
                          f"at most the training samples ({n_train}); null for the full batch")
    seed = SEED.validate(config.get("seed", SEED.default))
    device = parse_device(config.get("device", "cpu"))
    dtype = config.get("dtype", "float32")
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ConfigError("dtype", dtype, f"allowed: {', '.join(DTYPES)}")
    record_batches = config.get("record_batches", False)
    if not isinstance(record_batches, bool):
        raise ConfigError("record_batches", record_batches, "true or false")
    every = {name: spec.validate(config.get(name, spec.default)) for name, spec in EVERY.items()}
    runs_config = config.get("runs")
    if not isinstance(runs_config, list) or not runs_config:
        raise ConfigError("runs", runs_config, "a non-empty list of run objects")
    runs = []
    for i, run in enumerate(runs_config):
        where = f"runs[{i}]"
        spec = parse_run(run, where)
        if spec.optimizer in SHAPE_AWARE:
            raise ConfigError(f"{where}.optimizer", spec.optimizer,
                              f"not on networks: {SHAPE_AWARE[spec.optimizer]}")
        if spec.batch_size is not None:
            raise ConfigError(f"{where}.batch_size", spec.batch_size,
                              "network runs share the experiment's batch_size (one minibatch "
                              "sequence for all runs, so the race is fair)")
        check_schedule_length(spec.schedule, steps, where)
        if run.get("enabled", True) is not False:
            runs.append(spec)
    if not runs:
        raise ConfigError("runs", runs_config, "at least one enabled run")
    n_params = build_model(model_fields, data.input_shape, data.n_outputs).n_params
    if n_params * len(runs) > MAX_RUN_WEIGHTS:
        raise ConfigError("network.hidden", model_fields["hidden"],
                          f"a smaller model: {len(runs)} runs × {n_params:,} weights exceed the "
                          f"{MAX_RUN_WEIGHTS:,} weights the lab holds at once (fewer runs, or "
                          "narrower layers)")
    return NetworkExperiment(data_fields=data_fields, model_fields=model_fields, runs=tuple(runs),
                             steps=steps, batch_size=batch_size, seed=seed, device=device,
                             dtype=dtype, record_batches=record_batches, every=every)
