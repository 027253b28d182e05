"""Data sets for the network workbench: generated from a seed, or shipped inside a dependency.

The 2D classification sets are the ones people know from TensorFlow Playground (two moons,
circles, spirals, XOR, Gaussian blobs); ``sine`` is a 1D regression; ``digits`` is scikit-learn's
bundled 8×8 digits (1,797 images, in its wheel — nothing downloads). Every set is split into
training and validation samples by a seeded permutation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from optim_core.errors import ConfigError
from optim_core.params import ParamSpec, validate_all


@dataclass(frozen=True)
class DataSet:
    """Training and validation samples: ``x`` ``(M, *input_shape)``, ``y`` class indices
    (``int64``) or regression targets ``(M, 1)``."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    n_classes: int  # 0 for a regression
    input_shape: tuple[int, ...]

    @property
    def is_regression(self) -> bool:
        return self.n_classes == 0

    @property
    def n_outputs(self) -> int:
        return 1 if self.is_regression else self.n_classes

    def to(self, device: torch.device, dtype: torch.dtype) -> DataSet:
        """The samples on ``device``, inputs (and regression targets) in ``dtype``."""
        def target(y: torch.Tensor) -> torch.Tensor:
            return y.to(device, dtype) if self.is_regression else y.to(device)

        return DataSet(self.name, self.train_x.to(device, dtype), target(self.train_y),
                       self.val_x.to(device, dtype), target(self.val_y), self.n_classes,
                       self.input_shape)


@dataclass(frozen=True)
class DataSetKind:
    """A data set the workbench knows: how to make it and its parameters."""

    name: str
    title: str
    about: str
    make: Callable[[np.random.Generator, Mapping[str, Any]], tuple[np.ndarray, np.ndarray]]
    n_classes: int
    parameters: tuple[ParamSpec, ...]


def _n(default: int, low: int = 8, high: int = 100_000) -> ParamSpec:
    return ParamSpec("n_samples", default, kind="int", low=low, high=high,
                     doc="samples generated (training and validation together)")


def _noise(default: float, high: float = 5.0) -> ParamSpec:
    return ParamSpec("noise", default, low=0.0, high=high, doc="standard deviation of the noise")


def _moons(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n = p["n_samples"]
    outer, inner = n - n // 2, n // 2
    t_out = rng.uniform(0, math.pi, outer)
    t_in = rng.uniform(0, math.pi, inner)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(outer), np.ones(inner)])
    return x + rng.normal(0, p["noise"], x.shape), y


def _circles(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n = p["n_samples"]
    outer, inner = n - n // 2, n // 2
    t = rng.uniform(0, 2 * math.pi, n)
    radius = np.concatenate([np.ones(outer), np.full(inner, p["factor"])])
    x = np.stack([radius * np.cos(t), radius * np.sin(t)], 1)
    y = np.concatenate([np.zeros(outer), np.ones(inner)])
    return x + rng.normal(0, p["noise"], x.shape), y


def _spirals(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n, arms = p["n_samples"], 2
    y = np.arange(n) % arms
    t = rng.uniform(0, 1, n)
    angle = t * p["turns"] * 2 * math.pi + y * math.pi
    x = np.stack([t * np.cos(angle), t * np.sin(angle)], 1) * 2
    return x + rng.normal(0, p["noise"], x.shape), y


def _xor(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1, 1, (p["n_samples"], 2))
    y = (x[:, 0] * x[:, 1] < 0).astype(np.float64)
    return x + rng.normal(0, p["noise"], x.shape), y


def _blobs(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    n, k = p["n_samples"], p["centers"]
    angles = 2 * math.pi * np.arange(k) / k
    centres = 1.5 * np.stack([np.cos(angles), np.sin(angles)], 1)
    y = np.arange(n) % k
    return centres[y] + rng.normal(0, p["noise"], (n, 2)), y


def _sine(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-math.pi, math.pi, (p["n_samples"], 1))
    return x, np.sin(2 * x) + rng.normal(0, p["noise"], x.shape)


def _digits(rng: np.random.Generator, p: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # its data ships inside the wheel

    digits = load_digits()
    images = digits.images / 16.0  # pixel intensities 0 … 16 → 0 … 1
    return images[:, None, :, :], digits.target


_SPIRAL_TURNS = ParamSpec("turns", 1.5, low=0.25, high=5.0, doc="turns of each spiral arm")
DATASETS: dict[str, DataSetKind] = {kind.name: kind for kind in (
    DataSetKind("moons", "Two moons", "two interleaving half circles (2 classes)", _moons, 2,
                (_n(600), _noise(0.2))),
    DataSetKind("circles", "Circles", "a ring around a disc (2 classes)", _circles, 2,
                (_n(600), _noise(0.1), ParamSpec("factor", 0.5, low=0.0, high=1.0,
                                                  high_open=True, doc="inner radius / outer"))),
    DataSetKind("spirals", "Spirals", "two interleaved spirals (2 classes)", _spirals, 2,
                (_n(600), _noise(0.05), _SPIRAL_TURNS)),
    DataSetKind("xor", "XOR", "the four quadrants, opposite ones alike (2 classes)", _xor, 2,
                (_n(600), _noise(0.05))),
    DataSetKind("blobs", "Gaussian blobs", "Gaussian clusters on a circle", _blobs, -1,
                (_n(600), _noise(0.5), ParamSpec("centers", 3, kind="int", low=2, high=10,
                                                  doc="number of clusters (classes)"))),
    DataSetKind("sine", "Noisy sine", "y = sin 2x + noise on [−π, π] (regression, MSE)", _sine,
                0, (_n(400), _noise(0.1))),
    DataSetKind("digits", "Digits 8×8", "scikit-learn's 1,797 handwritten digits (10 classes)",
                _digits, 10, ()),
)}
VALIDATION = ParamSpec("validation", 0.25, low=0.0, high=0.9,
                       doc="fraction of the samples held out for validation")


def dataset_names() -> list[str]:
    return list(DATASETS)


def parse_dataset(config: Mapping[str, Any], where: str = "network") -> dict[str, Any]:
    """Validated data-set fields of a network config: ``dataset``, its parameters and
    ``validation``."""
    name = config.get("dataset")
    if not isinstance(name, str) or name not in DATASETS:
        raise ConfigError(f"{where}.dataset", name, f"known data sets: {', '.join(DATASETS)}")
    kind = DATASETS[name]
    specs = {s.name: s for s in kind.parameters}
    given = {k: v for k, v in config.items() if k in specs}
    values = validate_all(specs, given, where)
    values["validation"] = VALIDATION.validate(config.get("validation", VALIDATION.default),
                                               f"{where}.validation")
    return {"dataset": name, **values}


def make_dataset(fields: Mapping[str, Any], seed: int) -> DataSet:
    """The samples of validated ``fields`` (see :func:`parse_dataset`), split by ``seed``."""
    kind = DATASETS[fields["dataset"]]
    rng = np.random.default_rng(seed)
    x, y = kind.make(rng, fields)
    n_classes = kind.n_classes if kind.n_classes >= 0 else int(fields["centers"])
    order = rng.permutation(len(x))
    n_val = round(fields["validation"] * len(x))
    if len(x) - n_val < 1:
        raise ConfigError("network.validation", fields["validation"],
                          "a fraction that leaves at least one training sample")
    val, train = order[:n_val], order[n_val:]
    x_t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    if n_classes:
        y_t = torch.from_numpy(np.asarray(y, dtype=np.int64))
    else:
        y_t = torch.from_numpy(np.asarray(y, dtype=np.float64).reshape(-1, 1))
    train_i, val_i = torch.from_numpy(train), torch.from_numpy(val)
    return DataSet(fields["dataset"], x_t[train_i], y_t[train_i], x_t[val_i], y_t[val_i],
                   n_classes, tuple(x.shape[1:]))


def describe_datasets() -> list[dict[str, Any]]:
    """Names, titles and parameters for ``python -m optim_core datasets`` and the window."""
    return [{"name": k.name, "title": k.title, "about": k.about,
             "parameters": [s.describe() for s in (*k.parameters, VALIDATION)]}
            for k in DATASETS.values()]
