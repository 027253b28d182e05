"""Arrows at the runs' current points, computed from a snapshot: what pushes each run, and where.

Four kinds, each an ``(R, 2)`` pair of origins and vectors in data units (NaN rows: no arrow):

- ``gradient``: −∇f at the current point, the descent direction plain gradient descent would
  move along (the minibatch gradient the next step will use, for finite-sum problems); the panel
  labels it "−gradient".
- ``velocity``: −lr·b, the displacement the momentum buffer ``b`` contributes to the next step
  (SGD and RMSprop with momentum; the lecture's α·v with v = −b).
- ``look-ahead``: Nesterov runs only. torch.optim's parameter *is* the look-ahead point; the
  classical iterate w sits at p + μ·lr·b, so the arrow runs from w and *ends* at the current
  point p, where the gradient is taken.
- ``clipped gradient``: −clip(∇f) for runs whose clipping would change the gradient right now.

The momentum buffer is the optimizer state *now* (``Snapshot.current_state``), not the last
recorded row, which lags the current point once a long run's records thin out. Pure functions
of the snapshot (the clipped gradient comes from the engine, clipped as its next step will clip
it); no Qt, no torch: they run in the GUI thread.
"""

from __future__ import annotations

import numpy as np

from optim_core.snapshot import Snapshot

ARROW_KINDS = ("gradient", "velocity", "look-ahead", "clipped gradient")
Arrows = dict[str, tuple[np.ndarray, np.ndarray]]


def compute_arrows(snapshot: Snapshot) -> Arrows:
    """Origins and vectors of every arrow kind for every run of ``snapshot``."""
    origin = np.asarray(snapshot.current_position, dtype=float)
    grad = np.asarray(snapshot.current_grad, dtype=float)
    velocity, look_ahead_from = _momentum_arrows(snapshot, origin)
    clipped = snapshot.current_clipped_grad  # computed by the engine, as its next step clips
    clipped = np.full_like(grad, np.nan) if clipped is None else np.asarray(clipped, float)
    return {
        "gradient": (origin, -grad),
        "velocity": (origin, velocity),
        "look-ahead": (look_ahead_from, origin - look_ahead_from),
        "clipped gradient": (origin, -clipped),
    }


def _momentum_arrows(snapshot: Snapshot, origin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Velocity vectors and Nesterov's classical iterates (NaN where a run has neither)."""
    n = snapshot.n_runs
    velocity = np.full((n, 2), np.nan)
    classical = np.full((n, 2), np.nan)
    buffers = snapshot.current_state.get("momentum_buffer")
    if buffers is None or not len(buffers):
        return velocity, classical
    buffer = np.asarray(buffers, dtype=float).reshape(n, 2)
    for r, hyper in enumerate(snapshot.hyperparameters):
        momentum = float(hyper.get("momentum") or 0.0)
        if momentum <= 0 or not np.isfinite(buffer[r]).all():
            continue
        lr = float(hyper.get("lr", 0.0))
        with np.errstate(over="ignore", invalid="ignore"):  # lr = 1e308: no arrow, no warning
            velocity[r] = -lr * buffer[r]
            if hyper.get("nesterov"):
                classical[r] = origin[r] + momentum * lr * buffer[r]
    velocity[~np.isfinite(velocity).all(axis=1)] = np.nan
    classical[~np.isfinite(classical).all(axis=1)] = np.nan
    return velocity, classical
