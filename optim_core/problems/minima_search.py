"""Global minima of a loss found numerically: multi-start saddle-free Newton inside a view.

Used for problems whose minima are not known in closed form (the user's own formula). A grid of
starts over the view is stepped together by Newton's method on ``|H|`` (the Hessian with its
eigenvalues made positive, so saddles and maxima repel) inside a trust region that grows on
success and shrinks on failure. A point counts as a local minimum when the loss rises in every
one of 8 directions a small step away (this also finds kinks such as ``abs(x)``, and refuses flat
plateaus and saddles); the lowest of them, within rounding, are returned.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Loss = Callable[[torch.Tensor], torch.Tensor]

#: starts per axis of the grid over the view
GRID = 9
#: Newton steps taken from every start
STEPS = 60
#: most minima returned (all of the same, lowest, value)
MAX_MINIMA = 8


def global_minima(
    loss: Loss, view: tuple[float, float, float, float]
) -> list[tuple[tuple[float, float], float]]:
    """The lowest local minima of ``loss`` found inside ``view`` ``(x0, x1, y0, y1)``.

    Returns ``[((x, y), f), ...]``, best first; empty when none is found (e.g. unbounded below
    in the view, or flat). Never raises for a loss that returns NaN or infinities.
    """
    x0, x1, y0, y1 = view
    size = max(x1 - x0, y1 - y0)
    xs = torch.linspace(x0, x1, GRID + 2, dtype=torch.float64)[1:-1]
    ys = torch.linspace(y0, y1, GRID + 2, dtype=torch.float64)[1:-1]
    w = torch.cartesian_prod(xs, ys)
    radius = torch.full((len(w),), 0.1 * size, dtype=torch.float64)
    with torch.no_grad():
        value = _values(loss, w)
    for _ in range(STEPS):
        grad, hessian = _derivatives(loss, w)
        step = _saddle_free_newton(grad, hessian, size)
        length = torch.linalg.vector_norm(step, dim=-1)
        step = step * torch.clamp(radius / length.clamp_min(1e-300), max=1.0)[:, None]
        with torch.no_grad():
            trial = w + step
            trial_value = _values(loss, trial)
        better = torch.isfinite(trial_value) & (trial_value < value)
        w = torch.where(better[:, None], trial, w)
        value = torch.where(better, trial_value, value)
        radius = torch.where(better, radius * 2, radius * 0.25).clamp(1e-14 * size, size)
    return _lowest(loss, w, value, view, size)


def _values(loss: Loss, w: torch.Tensor) -> torch.Tensor:
    value = loss(w)
    return torch.where(torch.isfinite(value), value, torch.full_like(value, torch.inf))


def _derivatives(loss: Loss, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    w = w.detach().requires_grad_(True)
    with torch.enable_grad():
        total = loss(w).sum()
        if not total.requires_grad:
            zeros = torch.zeros_like(w)
            return zeros, torch.zeros(len(w), 2, 2, dtype=w.dtype)
        (grad,) = torch.autograd.grad(total, w, create_graph=True)
        if not grad.requires_grad:
            return grad.detach(), torch.zeros(len(w), 2, 2, dtype=w.dtype)
        rows = [torch.autograd.grad(grad[:, j].sum(), w, retain_graph=True,
                                    materialize_grads=True)[0] for j in range(2)]
    return grad.detach(), torch.stack(rows, dim=-2).detach()


def _saddle_free_newton(grad: torch.Tensor, hessian: torch.Tensor, size: float) -> torch.Tensor:
    """``−|H|⁻¹ g`` with tiny curvatures raised to a floor; gradient steps where H is not finite."""
    finite = torch.isfinite(hessian).all(dim=(-2, -1)) & torch.isfinite(grad).all(dim=-1)
    grad = torch.where(finite[:, None], grad, torch.zeros_like(grad))
    hessian = torch.where(finite[:, None, None], hessian, torch.eye(2, dtype=grad.dtype))
    hessian = 0.5 * (hessian + hessian.transpose(-1, -2))
    eigenvalues, vectors = torch.linalg.eigh(hessian)
    scale = torch.linalg.vector_norm(grad, dim=-1, keepdim=True) / size
    floor = torch.maximum(1e-8 * eigenvalues.abs().amax(dim=-1, keepdim=True), scale)
    curvature = torch.maximum(eigenvalues.abs(), floor.clamp_min(1e-300))
    along = (vectors.transpose(-1, -2) @ grad[..., None])[..., 0] / curvature
    return -(vectors @ along[..., None])[..., 0]


def _lowest(
    loss: Loss, w: torch.Tensor, value: torch.Tensor, view: tuple[float, float, float, float],
    size: float,
) -> list[tuple[tuple[float, float], float]]:
    x0, x1, y0, y1 = view
    inside = ((w[:, 0] >= x0) & (w[:, 0] <= x1) & (w[:, 1] >= y0) & (w[:, 1] <= y1)
              & torch.isfinite(value))
    angles = torch.arange(8, dtype=torch.float64) * (torch.pi / 4)
    directions = torch.stack((torch.cos(angles), torch.sin(angles)), dim=-1)
    with torch.no_grad():
        around = _values(loss, w[:, None, :] + 1e-5 * size * directions)
    strict = (around > value[:, None]).all(dim=-1) & inside
    if not bool(strict.any()):
        return []
    w, value = w[strict], value[strict]
    best = float(value.min())
    lowest = value <= best + 1e-8 * max(1.0, abs(best))
    found: list[tuple[tuple[float, float], float]] = []
    for point, f in sorted(zip(w[lowest].tolist(), value[lowest].tolist(), strict=True),
                           key=lambda item: item[1]):
        if all(max(abs(point[0] - p[0]), abs(point[1] - p[1])) > 1e-4 * size for p, _ in found):
            found.append(((point[0], point[1]), f))
        if len(found) == MAX_MINIMA:
            break
    return found
