"""Models of the workbench: the layers of an ``nn.Sequential``, run for many weight vectors at once.

A :class:`Model` is a list of layers in torch's order (``Linear(d_in, h₁), act, …,
Linear(h_last, n_out)`` for an MLP; two conv–ReLU–pool stages then a linear layer for the small
CNN). Each run's weights are one flat vector in ``torch.nn.utils.parameters_to_vector`` order,
and the runs' vectors are the rows of one ``(R, P)`` tensor — as torch.func's model ensembling
stacks weights, but kept flat so the optimizer rules see plain ``(runs, P)`` parameters. The
batched forward slices views of each layer's weight out of that tensor (no copies) and evaluates
all runs with batched matmuls (grouped convolutions for the CNN); autograd gives every run's
gradient in one backward pass, each row independent of the others.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from optim_core.errors import ConfigError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
}
_FUNCTIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "gelu": F.gelu}
MODELS = ("mlp", "cnn")
MAX_WIDTH = 4096
MAX_LAYERS = 16


@dataclass(frozen=True)
class Layer:
    """One layer: ``kind`` is linear, conv, act, pool or flatten; ``shape`` its weight's shape."""

    kind: str
    shape: tuple[int, ...] = ()
    activation: str = ""
    name: str = ""  # the layer's name in the user's words: "layer 1 (Linear 2→16)"

    @property
    def n_params(self) -> int:
        if self.kind not in ("linear", "conv"):
            return 0
        return math.prod(self.shape) + self.shape[0]


@dataclass(frozen=True)
class Model:
    """The layers of a network and where each layer's weights sit in the flat vector."""

    layers: tuple[Layer, ...]
    input_shape: tuple[int, ...]
    n_outputs: int
    description: str

    @property
    def n_params(self) -> int:
        return sum(layer.n_params for layer in self.layers)

    @property
    def is_mlp(self) -> bool:
        """Only linear layers hold weights (per-sample gradient norms have a closed form)."""
        return all(layer.kind != "conv" for layer in self.layers)

    @property
    def weighted(self) -> list[Layer]:
        """The layers that hold weights, in order."""
        return [layer for layer in self.layers if layer.n_params]

    def layer_slices(self) -> list[tuple[str, slice]]:
        """Each weighted layer's name and its span (weight and bias) in the flat vector."""
        out, start = [], 0
        for layer in self.weighted:
            out.append((layer.name, slice(start, start + layer.n_params)))
            start += layer.n_params
        return out

    def weight_slices(self) -> list[tuple[slice, tuple[int, ...], slice]]:
        """Each weighted layer's weight span and shape, then its bias span."""
        out, start = [], 0
        for layer in self.weighted:
            size = math.prod(layer.shape)
            out.append((slice(start, start + size), layer.shape,
                        slice(start + size, start + size + layer.shape[0])))
            start += layer.n_params
        return out

    def _split_sizes(self) -> list[int]:
        """Sizes of the weight and bias of each weighted layer, in the flat vector's order."""
        return [n for layer in self.weighted for n in (math.prod(layer.shape), layer.shape[0])]

    # ------------------------------------------------------------------ torch's model
    def reference(self) -> nn.Sequential:
        """The same network as a plain ``nn.Sequential`` (the oracle, and the exported script)."""
        modules: list[nn.Module] = []
        for layer in self.layers:
            if layer.kind == "linear":
                modules.append(nn.Linear(layer.shape[1], layer.shape[0]))
            elif layer.kind == "conv":
                modules.append(nn.Conv2d(layer.shape[1], layer.shape[0], layer.shape[2],
                                         padding=layer.shape[2] // 2))
            elif layer.kind == "act":
                modules.append(ACTIVATIONS[layer.activation]())
            elif layer.kind == "pool":
                modules.append(nn.MaxPool2d(2))
            else:
                modules.append(nn.Flatten())
        return nn.Sequential(*modules)

    def initial_params(self, seed: int) -> torch.Tensor:
        """torch's default initialisation of :meth:`reference` under ``seed``, as a float64
        vector in ``parameters_to_vector`` order (the same for every run)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = self.reference()
        return nn.utils.parameters_to_vector(model.parameters()).detach().to(torch.float64)

    # ------------------------------------------------------------------ batched forward
    def forward(self, params: torch.Tensor, x: torch.Tensor, per_run_inputs: bool = False,
                trace: list[tuple[torch.Tensor, torch.Tensor]] | None = None) -> torch.Tensor:
        """Outputs ``(R, B, n_out)`` of ``R`` weight vectors ``params`` ``(R, P)``.

        ``x`` is ``(B, *input_shape)`` shared by all runs, or ``(R, B, *input_shape)`` with
        ``per_run_inputs`` (each run its own samples: per-sample gradients, probes). A ``trace``
        list receives each linear layer's input and output (for per-sample gradient norms).
        """
        r = params.shape[0]
        # one split, not a slice per tensor: its backward is one concatenation instead of a
        # zero-filled (R, P) gradient per weight tensor
        pieces = iter(params.split(self._split_sizes(), dim=1))
        h = x
        grouped = False  # conv stages keep the runs in the channel axis: (B, R·C, H, W)
        for layer in self.layers:
            if layer.kind == "linear":
                weight, bias = next(pieces).view(r, *layer.shape), next(pieces)
                inputs = h
                if h.dim() == 2:  # the same inputs for all runs: a broadcast view, no copy
                    h = h.expand(r, *h.shape)
                h = torch.baddbmm(bias[:, None, :], h, weight.transpose(1, 2))
                if trace is not None:
                    trace.append((inputs, h))
            elif layer.kind == "conv":
                shape = layer.shape
                if not grouped:
                    h = _to_groups(h, r, per_run_inputs)
                    grouped = True
                weight = next(pieces).reshape(r * shape[0], *shape[1:])
                h = F.conv2d(h, weight, next(pieces).reshape(-1), padding=shape[2] // 2,
                             groups=r)
            elif layer.kind == "act":
                h = _FUNCTIONS[layer.activation](h)
            elif layer.kind == "pool":
                h = F.max_pool2d(h, 2)
            else:  # flatten
                if grouped:
                    b = h.shape[0]
                    h = h.reshape(b, r, -1).transpose(0, 1)
                    grouped = False
                else:
                    h = h.flatten(-len(self.input_shape))
        return h

    def losses(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Per-sample losses ``(R, B)``: cross-entropy for classes, squared error for a
        regression. ``targets`` is ``(B,…)`` shared, or ``(R, B,…)`` per run."""
        r, b = outputs.shape[:2]
        if self.n_outputs == 1 and targets.is_floating_point():
            return ((outputs - targets) ** 2).squeeze(-1)
        labels = targets.expand(r, b) if targets.dim() == 1 else targets
        return F.cross_entropy(outputs.reshape(r * b, -1), labels.reshape(-1),
                               reduction="none").view(r, b)

    def accuracy(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor | None:
        """Fraction of samples classified right, per run ``(R,)`` (None for a regression)."""
        if self.n_outputs == 1 and targets.is_floating_point():
            return None
        return (outputs.argmax(-1) == targets).to(outputs.dtype).mean(-1)


def _to_groups(x: torch.Tensor, r: int, per_run_inputs: bool) -> torch.Tensor:
    """Images ``(B, C, H, W)`` (or ``(R, B, C, H, W)``) as ``(B, R·C, H, W)`` for grouped convs."""
    if per_run_inputs:
        rr, b, c, hh, ww = x.shape
        return x.transpose(0, 1).reshape(b, rr * c, hh, ww)
    return x.repeat(1, r, 1, 1)


def parse_model(config: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int,
                where: str = "network") -> dict[str, Any]:
    """Validated model fields: ``model`` (mlp or cnn), ``hidden`` widths, ``activation``."""
    kind = config.get("model", "mlp")
    if kind not in MODELS:
        raise ConfigError(f"{where}.model", kind, f"allowed: {', '.join(MODELS)}")
    activation = config.get("activation", "relu")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ConfigError(f"{where}.activation", activation,
                          f"an activation torch.nn has: {', '.join(ACTIVATIONS)}")
    hidden = config.get("hidden", [16, 16] if kind == "mlp" else [8, 16])
    if not isinstance(hidden, list) or len(hidden) > MAX_LAYERS:
        raise ConfigError(f"{where}.hidden", hidden,
                          f"a list of at most {MAX_LAYERS} layer widths")
    for i, width in enumerate(hidden):
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_WIDTH:
            raise ConfigError(f"{where}.hidden[{i}]", width,
                              f"a layer width: an integer from 1 to {MAX_WIDTH}")
    if kind == "cnn":
        if tuple(input_shape) != (1, 8, 8):
            raise ConfigError(f"{where}.model", kind, "the CNN is for 8×8 images (digits); "
                              "use mlp for this data set")
        if len(hidden) != 2:
            raise ConfigError(f"{where}.hidden", hidden,
                              "two channel counts for the CNN's two conv layers, e.g. [8, 16]")
    return {"model": kind, "hidden": list(hidden), "activation": activation}


def build_model(fields: Mapping[str, Any], input_shape: Sequence[int], n_outputs: int) -> Model:
    """The :class:`Model` of validated ``fields`` (see :func:`parse_model`)."""
    act = fields["activation"]
    layers: list[Layer] = []
    if fields["model"] == "cnn":
        c1, c2 = fields["hidden"]
        layers += [Layer("conv", (c1, input_shape[0], 3, 3), name=f"conv 1 ({c1}×3×3)"),
                   Layer("act", activation=act), Layer("pool"),
                   Layer("conv", (c2, c1, 3, 3), name=f"conv 2 ({c2}×3×3)"),
                   Layer("act", activation=act), Layer("pool"), Layer("flatten")]
        widths = [c2 * (input_shape[1] // 4) * (input_shape[2] // 4)]
        text = f"CNN conv{c1}-conv{c2}-{n_outputs}, {act}"
    else:
        d_in = math.prod(input_shape)
        if len(input_shape) > 1:
            layers.append(Layer("flatten"))
        widths = [d_in, *fields["hidden"]]
        text = "MLP " + "-".join(str(w) for w in (*widths, n_outputs)) + f", {act}"
    widths = [*widths, n_outputs]
    for i, (d, h) in enumerate(itertools.pairwise(widths)):
        layers.append(Layer("linear", (h, d), name=f"linear {i + 1} ({d}→{h})"))
        if i < len(widths) - 2:
            layers.append(Layer("act", activation=act))
    return Model(tuple(layers), tuple(input_shape), n_outputs, text)
