"""A network's loss landscape, sliced: the loss on a plane through a run's weights.

The plane passes through the run's current weights θ and is spanned by two directions:

* ``"random"`` — two Gaussian directions, *filter-normalised* as in Li et al. (2018), "Visualizing
  the Loss Landscape of Neural Nets": each filter (a row of a linear layer's weight, an output
  channel of a convolution) of a direction is scaled to the norm of the same filter of θ, and the
  biases are left at zero, so that the picture does not depend on the weights' scale;
* ``"pca"`` — the top two principal directions of the run's weight trajectory (the plane the
  run moved in most), as in the same paper's trajectory plots.

Every run's recorded weight trajectory is projected onto the plane (least squares), so several
optimizers' paths can be drawn over one picture — the lab's 2D view, for a network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from optim_core.errors import ConfigError
from optim_core.networks import probes
from optim_core.networks.models import Model

DIRECTIONS = ("random", "pca")
#: training samples the slice's loss is measured on (a fixed subset)
SLICE_SAMPLES = 1024
#: grid points evaluated per batched forward
CHUNK = 256


class Cancelled(Exception):
    """The slice was cancelled (``should_stop()`` said so) before it was complete."""


@dataclass(frozen=True)
class LossSlice:
    """The loss over ``alpha`` × ``beta`` (``loss[i, j]`` at ``(alpha[j], beta[i])``), the
    directions ``(2, P)``, the centre ``(P,)`` and each run's path ``(k, 2)`` on the plane."""

    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    directions: np.ndarray
    centre: np.ndarray
    paths: dict[int, np.ndarray]
    run: int
    kind: str


def filter_normalised(model: Model, centre: torch.Tensor, generator: torch.Generator
                      ) -> torch.Tensor:
    """A random direction ``(P,)`` whose filters have the norms of ``centre``'s; biases zero."""
    direction = torch.zeros_like(centre)
    for w_span, shape, _ in model.weight_slices():
        noise = torch.randn(shape, generator=generator, dtype=centre.dtype).to(centre.device)
        weights = centre[w_span].view(shape)
        filters = noise.flatten(1)
        scale = (torch.linalg.vector_norm(weights.flatten(1), dim=1, keepdim=True)
                 / torch.linalg.vector_norm(filters, dim=1, keepdim=True).clamp_min(1e-30))
        direction[w_span] = (filters * scale).reshape(-1)
    return direction


def principal_directions(trajectory: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """The top two principal directions ``(2, P)`` of a weight trajectory ``(k, P)`` about
    ``centre`` (orthonormal)."""
    moves = trajectory - centre
    moves = moves[torch.isfinite(moves).all(1)]
    if moves.shape[0] < 2 or float(moves.abs().max()) == 0.0:
        raise ConfigError("directions", "pca", "a run that has moved (take a few steps first)")
    _, _, vh = torch.linalg.svd(moves, full_matrices=False)
    out = torch.zeros(2, centre.shape[0], dtype=centre.dtype, device=centre.device)
    out[: min(2, vh.shape[0])] = vh[:2]
    return out


def project(paths: torch.Tensor, centre: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Least-squares coordinates ``(…, 2)`` of weights ``(…, P)`` on the plane."""
    gram = directions @ directions.T
    coords = (paths - centre) @ directions.T
    return torch.linalg.solve(gram, coords.unsqueeze(-1)).squeeze(-1)


def loss_slice(session, run: int, directions: str = "random", resolution: int = 41,
               span: float = 1.0, should_stop: Callable[[], bool] | None = None,
               seed: int = 0) -> LossSlice:
    """The loss on a plane through run ``run``'s current weights of a
    :class:`~optim_core.networks.training.TrainingSession`, with every run's path on it.

    ``span`` is the half-width of the grid in units of the directions (random) or of the
    paths' extent (pca). Raises :class:`Cancelled` when ``should_stop()`` turns true.
    """
    if directions not in DIRECTIONS:
        raise ConfigError("directions", directions, f"allowed: {', '.join(DIRECTIONS)}")
    if not 0 <= run < session.n_runs:
        raise ConfigError("run", run, f"a run index from 0 to {session.n_runs - 1}")
    if not (isinstance(resolution, int) and 3 <= resolution <= 201):
        raise ConfigError("resolution", resolution, "an integer from 3 to 201")
    model: Model = session.model
    params = session.current_params()
    centre = params[run]
    if not bool(torch.isfinite(centre).all()):
        raise ConfigError("run", run, "a run that has not diverged")
    weights = session.weight_record.arrays()["params"]  # (k, R, P)
    trajectories = torch.as_tensor(weights, device=centre.device)
    if directions == "random":
        generator = torch.Generator(device="cpu").manual_seed(seed)
        plane = torch.stack([filter_normalised(model, centre, generator) for _ in range(2)])
    else:
        plane = principal_directions(torch.cat([trajectories[:, run], centre[None]]), centre)
    paths = {r: project(torch.cat([trajectories[:, r], params[r][None]]), centre, plane)
             for r in range(session.n_runs)}
    if directions == "pca":
        extent = max(float(p[torch.isfinite(p).all(1)].abs().max()) for p in paths.values()
                     if bool(torch.isfinite(p).any()))
        span = span * max(extent, 1e-12) * 1.2
    axis = torch.linspace(-span, span, resolution, dtype=centre.dtype, device=centre.device)
    b, a = torch.meshgrid(axis, axis, indexing="ij")
    points = centre + a.reshape(-1, 1) * plane[0] + b.reshape(-1, 1) * plane[1]
    data = session.data
    subset = slice(0, min(SLICE_SAMPLES, len(data.train_x)))
    x, y = data.train_x[subset], data.train_y[subset]
    losses = []
    with torch.no_grad():
        for first in range(0, len(points), CHUNK):
            if should_stop is not None and should_stop():
                raise Cancelled
            losses.append(probes.batch_loss(model, points[first:first + CHUNK], x, y))
    loss = torch.cat(losses).reshape(resolution, resolution)
    return LossSlice(alpha=axis.cpu().numpy(), beta=axis.cpu().numpy(),
                     loss=loss.cpu().numpy(), directions=plane.cpu().numpy(),
                     centre=centre.cpu().numpy(),
                     paths={r: p.cpu().numpy() for r, p in paths.items()}, run=run,
                     kind=directions)
