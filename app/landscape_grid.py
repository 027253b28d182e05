"""The loss sampled on a grid for the landscape panel (computed in the worker thread).

The grid covers the problem's view window with a margin around it, so panning a little still shows
the surface. Finite-sum problems evaluate every sample at every grid point, so the grid is
computed in row blocks that keep the intermediate (rows × columns × samples) tensor small. The
isolines are traced here too, so the GUI thread only hands ready polylines to the panel. So are
what the problem may have to compute first — the minima a custom formula's are searched for, and
whether its loss spans decades (the loss axis's log scale): the panels get them with the grid.

A sum over more than :data:`PICTURE_SAMPLES` samples is drawn from a fixed random subset of that
many (the runs still use every sample; the title says so): 241² grid points × 10⁵ sigmoid samples
took minutes here, and the runs wait for the grid. Even so, sampling a large finite sum takes
seconds, so :func:`landscape_grid` asks ``cancelled()`` between blocks and between isolines and
gives up (:class:`GridCancelled`) when the grid is no longer wanted: the window closed, or
another problem was chosen meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from optim_core.problems import Problem
from widgets.colour_scale import choose_log_scale
from widgets.landscape import display_field, isoline_levels, isoline_polylines

GRID_POINTS = 241  #: samples per axis (odd: the window's centre is a grid point)
MARGIN = 0.25  #: extra width on each side, as a fraction of the view window
MAX_BLOCK_VALUES = 4_000_000  #: grid points × samples evaluated at once
PICTURE_SAMPLES = 8192  #: most samples of a finite sum the picture is computed from


class GridCancelled(Exception):
    """Raised by :func:`landscape_grid` when ``cancelled()`` turned true."""


@dataclass(frozen=True)
class LandscapeGrid:
    """``z[j, i] = f(x[i], y[j])`` and what the landscape panel needs to draw it."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    log_scale: bool
    minima: tuple[tuple[float, float], ...]
    f_min: float | None
    view: tuple[float, float, float, float]
    title: str
    #: (levels, polylines): the isolines the panel draws, NaN rows between lines
    isolines: tuple[np.ndarray, np.ndarray] | None = None
    #: known local maxima (Himmelblau's), marked too: Newton's method is drawn to them
    maxima: tuple[tuple[float, float], ...] = ()
    #: the problem's own choice of a log loss axis (``problem.log_scale``)
    log_loss: bool = False


def landscape_grid(problem: Problem, points: int = GRID_POINTS,
                   cancelled: Callable[[], bool] = lambda: False) -> LandscapeGrid:
    """Sample ``problem.loss`` on a ``points`` × ``points`` grid around its view window.

    ``cancelled()`` is asked between blocks of at most MAX_BLOCK_VALUES point-samples and between
    isolines; when it is true, :class:`GridCancelled` is raised.
    """
    v = problem.view
    dx, dy = (v.xmax - v.xmin) * MARGIN, (v.ymax - v.ymin) * MARGIN
    x = np.linspace(v.xmin - dx, v.xmax + dx, points)
    y = np.linspace(v.ymin - dy, v.ymax + dy, points)
    loss, title = problem.loss, problem.title
    samples = getattr(problem, "n_samples", 1)
    if samples > PICTURE_SAMPLES:
        subset = torch.randperm(samples, generator=torch.Generator().manual_seed(0))
        subset = subset[:PICTURE_SAMPLES]
        loss = lambda w: problem.batch_loss(w, subset)  # noqa: E731
        title = f"{title} (picture from {PICTURE_SAMPLES:,} of {samples:,} samples)"
        samples = PICTURE_SAMPLES
    block = max(1, MAX_BLOCK_VALUES // samples)  # grid points per block
    xs = torch.as_tensor(x, dtype=torch.float64)
    ys = torch.as_tensor(y, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(ys, xs, indexing="ij")[::-1], dim=-1).reshape(-1, 2)
    z = np.empty(points * points)
    with torch.no_grad():
        for start in range(0, len(grid), block):
            _check(cancelled)
            z[start:start + block] = loss(grid[start:start + block]).cpu().numpy()
    z = z.reshape(points, points)
    found = problem.minima  # a custom formula's are searched for here, in the worker thread
    minima = tuple(tuple(float(c) for c in m.point) for m in found)
    values = [m.value for m in found]
    log_loss = bool(problem.log_scale)
    log_scale = choose_log_scale(z, log_loss)  # the problem's, unless it hides too much
    field = display_field(z, log_scale)
    levels = isoline_levels(field, log_scale)
    lines = []
    for level in levels:
        _check(cancelled)
        lines.append(isoline_polylines(x, y, field, [level]))
    maxima = tuple(tuple(float(c) for c in m.point) for m in getattr(problem, "maxima", ()))
    return LandscapeGrid(x=x, y=y, z=z, log_scale=log_scale, minima=minima, maxima=maxima,
                         f_min=min(values) if values else None,
                         view=(v.xmin, v.xmax, v.ymin, v.ymax), title=title,
                         isolines=(levels, np.concatenate(lines) if lines else np.empty((0, 2))),
                         log_loss=log_loss)


def _check(cancelled: Callable[[], bool]) -> None:
    if cancelled():
        raise GridCancelled
