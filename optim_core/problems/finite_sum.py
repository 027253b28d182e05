"""Finite-sum problems: losses that are the mean of ``n_samples`` per-sample losses over data.

Each problem generates its data once, in float64 on the CPU, from a ``torch.Generator`` seeded by
``data_seed``, so the same parameters give the same data on every machine and device.
``to(device, dtype)`` returns a copy whose data live on ``device`` in ``dtype`` (cached per pair);
``sample_losses`` also picks that copy from its argument, so a loss never mixes devices or silently
promotes float32 to float64. ``data()`` gives the float64 data as numpy arrays for drawing.
"""

from __future__ import annotations

import copy
import math
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from optim_core.params import ParamSpec
from optim_core.problems.base import FiniteSumProblem, Minimum, View
from optim_core.problems.registry import register

Data = dict[str, torch.Tensor]

_CHUNK = 1 << 22  #: most per-sample values that loss() holds at once

_N_SAMPLES = ParamSpec(
    "n_samples",
    1000,
    kind="int",
    low=2,
    high=1_000_000,
    log_scale=True,
    doc="M, the number of samples in the sum",
)
_DATA_SEED = ParamSpec(
    "data_seed", 0, kind="int", low=0, high=2**31 - 1, doc="seed of the generated data"
)


def _generator(seed: int) -> torch.Generator:
    gen = torch.Generator(device="cpu")
    gen.manual_seed(seed)
    return gen


def _device(device: torch.device | str) -> torch.device:
    """The concrete device (``"cuda"`` becomes ``cuda:0``), so each device is cached once."""
    device = torch.device(device)
    if device.index is None and device.type not in ("cpu", "meta"):
        return torch.empty(0, device=device).device
    return device


class _DataProblem(FiniteSumProblem):
    """Shared machinery: the data, their per-(device, dtype) copies and the minibatch loss.

    Subclasses pass their float64 CPU data to ``__init__`` as a dict of tensors whose first
    dimension is the sample index, and implement :meth:`_losses`.
    """

    def __init__(self, data: Data, **params: Any) -> None:
        super().__init__(**params)
        self._home = data  # float64 on the CPU: what data() returns
        self._data = data  # this copy's data
        self._copies: dict[tuple[torch.device, torch.dtype], _DataProblem] = {
            (torch.device("cpu"), torch.float64): self
        }

    @property
    def n_samples(self) -> int:
        return int(self.params["n_samples"])

    @abstractmethod
    def _losses(self, w: torch.Tensor, data: Data) -> torch.Tensor:
        """Per-sample losses at ``w`` ``(..., 2)`` for ``data`` of K samples: ``(..., K)``."""

    def to(self, device: torch.device | str, dtype: torch.dtype) -> _DataProblem:
        key = (_device(device), dtype)
        found = self._copies.get(key)
        if found is None:
            found = copy.copy(self)  # shares _home and the _copies cache
            found._data = {k: v.to(device=key[0], dtype=dtype) for k, v in self._home.items()}
            self._copies[key] = found
        return found

    def _data_for(self, w: torch.Tensor) -> Data:
        return self.to(w.device, w.dtype)._data

    def sample_losses(self, w: torch.Tensor) -> torch.Tensor:
        return self._losses(w, self._data_for(w))

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        # The mean over samples, summed chunk by chunk so that many points × M samples (a grid
        # for the landscape) never need more than about _CHUNK values at once.
        data = self._data_for(w)
        m = self.n_samples
        size = max(1, _CHUNK // max(1, w[..., 0].numel()))
        total = sum(
            self._losses(w, {k: v[i : i + size] for k, v in data.items()}).sum(dim=-1)
            for i in range(0, m, size)
        )
        return total / m

    def batch_loss(self, w: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        # Evaluates only the N chosen samples rather than all M, then indexing.
        data = self._data_for(w)
        rows = indices.to(w.device)
        return self._losses(w, {k: v[rows] for k, v in data.items()}).mean(dim=-1)

    def data(self) -> dict[str, np.ndarray]:
        """The samples as float64 numpy arrays (copies), keyed as the problem documents."""
        return {k: v.numpy().copy() for k, v in self._home.items()}


def _enclosing(view: View, minima: tuple[Minimum, ...]) -> View:
    """``view``, widened where needed to show the minima with a margin of 1."""
    xs = [m.point[0] for m in minima]
    ys = [m.point[1] for m in minima]
    return View(
        min([view.xmin, *(x - 1 for x in xs)]),
        max([view.xmax, *(x + 1 for x in xs)]),
        min([view.ymin, *(y - 1 for y in ys)]),
        max([view.ymax, *(y + 1 for y in ys)]),
    )


def _rotation(angle: float) -> tuple[float, float]:
    return math.cos(math.radians(angle)), math.sin(math.radians(angle))


@register
class MeanQuadratic(_DataProblem):
    """The lecture's example: the mean of M quadratics centred on sample points wᵢ.

    ``data()`` returns ``{"points": (M, 2)}``, the wᵢ, which live in the same plane as w.
    """

    name = "mean_quadratic"
    title = "Mean of quadratics"
    formula = "f(w) = 1/(2M) Σᵢ (w − wᵢ)ᵀ A (w − wᵢ),  A = Rᵀ diag(1, κ) R"
    about = (
        "The slides' batch example with M sample points wᵢ ~ N(0, spread² I). The full "
        "gradient is A(w − w̄) (the slide's ½(w − wᵢ)ᵀA drops a factor 2 and a transpose), a "
        "single-sample gradient A(w − wᵢ): minibatch noise grows with spread and shrinks like "
        "1/√N. The minimum is the sample mean w̄."
    )
    parameters = (
        _N_SAMPLES,
        ParamSpec("condition", 10.0, low=1.0, high=1e6, log_scale=True, doc="condition number κ"),
        ParamSpec("angle", 0.0, low=-180.0, high=180.0, doc="rotation of A in degrees"),
        ParamSpec("spread", 1.0, low=0.0, high=10.0, doc="standard deviation of the points wᵢ"),
        _DATA_SEED,
    )

    def __init__(
        self,
        n_samples: int = 1000,
        condition: float = 10.0,
        angle: float = 0.0,
        spread: float = 1.0,
        data_seed: int = 0,
    ) -> None:
        gen = _generator(data_seed)
        points = spread * torch.randn(n_samples, 2, generator=gen, dtype=torch.float64)
        super().__init__(
            {"points": points},
            n_samples=n_samples,
            condition=condition,
            angle=angle,
            spread=spread,
            data_seed=data_seed,
        )
        self.condition = condition
        self.angle = angle
        mean = points.mean(dim=0)
        self._mean = (float(mean[0]), float(mean[1]))
        self._min_value = float(self._form(mean - points).mean())

    def _form(self, d: torch.Tensor) -> torch.Tensor:
        """½ dᵀ A d for d of shape (..., 2)."""
        c, s = _rotation(self.angle)
        u = c * d[..., 0] + s * d[..., 1]
        v = -s * d[..., 0] + c * d[..., 1]
        return 0.5 * (u * u + self.condition * v * v)

    def _losses(self, w: torch.Tensor, data: Data) -> torch.Tensor:
        return self._form(w[..., None, :] - data["points"])

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        # Exact identity: mean ½(w − wᵢ)ᵀA(w − wᵢ) = ½(w − w̄)ᵀA(w − w̄) + mean ½(w̄ − wᵢ)ᵀA(w̄ − wᵢ).
        # O(1) per point instead of O(M), e.g. for drawing the landscape on a grid.
        centre = w.new_tensor(self._mean)
        return self._form(w - centre) + self._min_value

    @property
    def view(self) -> View:
        return _enclosing(View(-4.0, 4.0, -4.0, 4.0), self.minima)

    @property
    def default_start(self) -> tuple[float, float]:
        return (-3.0, 2.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        return (Minimum(self._mean, self._min_value),)


_NOISE_DOC = "standard deviation of the Gaussian noise added to each target yᵢ"


@register
class LinearRegression(_DataProblem):
    """Least-squares fit of a line y = w₁x + w₂ to noisy samples.

    ``data()`` returns ``{"x": (M,), "y": (M,)}``.
    """

    name = "linear_regression"
    title = "Linear regression"
    formula = "f(w) = 1/M Σᵢ ½ (w₁ xᵢ + w₂ − yᵢ)²"
    about = (
        "Fit slope w₁ and intercept w₂ to points yᵢ = 2xᵢ − 1 + noise with xᵢ in [0, 4]. "
        "Because the xᵢ are not centred, slope and intercept are coupled: the bowl is a tilted "
        "valley with condition number ≈ 28. The minimum is the exact least-squares fit."
    )
    log_scale = True  # the valley floor is 10³ below the window's corners
    parameters = (
        _N_SAMPLES,
        ParamSpec("noise", 0.5, low=0.0, high=10.0, doc=_NOISE_DOC),
        _DATA_SEED,
    )
    true_slope = 2.0
    true_intercept = -1.0

    def __init__(self, n_samples: int = 1000, noise: float = 0.5, data_seed: int = 0) -> None:
        gen = _generator(data_seed)
        x = 4.0 * torch.rand(n_samples, generator=gen, dtype=torch.float64)
        eps = torch.randn(n_samples, generator=gen, dtype=torch.float64)
        y = self.true_slope * x + self.true_intercept + noise * eps
        super().__init__({"x": x, "y": y}, n_samples=n_samples, noise=noise, data_seed=data_seed)
        # Closed-form least squares in float64, in the centred form (no normal-equation
        # cancellation): slope = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², intercept = ȳ − slope·x̄.
        xc, yc = x - x.mean(), y - y.mean()
        slope = float((xc * yc).sum() / (xc * xc).sum())
        intercept = float(y.mean() - slope * x.mean())
        self._fit = (slope, intercept)
        self._min_value = float((0.5 * (slope * x + intercept - y) ** 2).mean())
        self._m1, self._m2 = float(x.mean()), float((x * x).mean())

    def _losses(self, w: torch.Tensor, data: Data) -> torch.Tensor:
        residual = w[..., 0:1] * data["x"] + w[..., 1:2] - data["y"]
        return 0.5 * residual * residual

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        # Exact identity: the least-squares residual is orthogonal to (xᵢ) and (1), so with
        # d = w − ŵ the mean loss is f(ŵ) + ½(d₀² mean x² + 2 d₀d₁ mean x + d₁²). O(1) per point.
        d0 = w[..., 0] - self._fit[0]
        d1 = w[..., 1] - self._fit[1]
        return self._min_value + 0.5 * (self._m2 * d0 * d0 + 2 * self._m1 * d0 * d1 + d1 * d1)

    @property
    def view(self) -> View:
        return _enclosing(View(-2.0, 5.0, -5.0, 3.0), self.minima)

    @property
    def default_start(self) -> tuple[float, float]:
        return (0.0, 0.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        return (Minimum(self._fit, self._min_value),)


@register
class SigmoidFit(_DataProblem):
    """Least-squares fit of a sigmoid σ(w₁·x + w₂) to noisy samples: the lecture's plateau.

    ``data()`` returns ``{"x": (M,), "y": (M,)}``.
    """

    name = "sigmoid_fit"
    title = "Sigmoid fit"
    log_scale = True
    formula = "f(w) = 1/M Σᵢ ½ (σ(w₁ xᵢ + w₂) − yᵢ)²"
    about = (
        "Fit σ(w₁·x + w₂) to points yᵢ = σ(2xᵢ + 1) + noise with xᵢ in [−3, 3]. Where w₁·x + w₂ "
        "is large for every sample the sigmoid saturates, its derivative vanishes and the loss is "
        "a plateau: from the default start full-batch gradient descent at lr 1 spends about "
        "1200 steps on it before the loss drops; Adam, which normalises the step, does not."
    )
    parameters = (
        _N_SAMPLES,
        ParamSpec("noise", 0.05, low=0.0, high=1.0, doc=_NOISE_DOC),
        _DATA_SEED,
    )
    true_a = 2.0
    true_b = 1.0

    def __init__(self, n_samples: int = 1000, noise: float = 0.05, data_seed: int = 0) -> None:
        gen = _generator(data_seed)
        x = 6.0 * torch.rand(n_samples, generator=gen, dtype=torch.float64) - 3.0
        eps = torch.randn(n_samples, generator=gen, dtype=torch.float64)
        # Targets are not clipped to [0, 1]: the loss is a plain squared error, like regression.
        y = torch.sigmoid(self.true_a * x + self.true_b) + noise * eps
        super().__init__({"x": x, "y": y}, n_samples=n_samples, noise=noise, data_seed=data_seed)
        # No closed form: Newton's method with autograd derivatives, from the true parameters.
        self._minimum = _newton_minimum(self.loss, (self.true_a, self.true_b))

    def _losses(self, w: torch.Tensor, data: Data) -> torch.Tensor:
        r = torch.sigmoid(w[..., 0:1] * data["x"] + w[..., 1:2]) - data["y"]
        return 0.5 * r * r

    @property
    def view(self) -> View:
        return _enclosing(View(-4.0, 8.0, -8.0, 8.0), self.minima)

    @property
    def default_start(self) -> tuple[float, float]:
        return (-1.0, 6.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        return () if self._minimum is None else (self._minimum,)


def _newton_minimum(
    loss: Callable[[torch.Tensor], torch.Tensor], start: tuple[float, float], iterations: int = 100
) -> Minimum | None:
    """A local minimum of ``loss`` near ``start``, by Newton's method in float64.

    Gradient and Hessian come from autograd. Steps are (H + λI)⁻¹g with λ = 0 wherever the plain
    Newton step is safe, raised tenfold while H + λI is not positive definite or the step would
    raise the loss, and lowered tenfold after each accepted step (Levenberg–Marquardt). Returns
    None unless it ends at a zero gradient with a positive definite Hessian, e.g. when the data
    push the best fit off to infinity.
    """
    w = torch.tensor(start, dtype=torch.float64)
    damping = 0.0
    for _ in range(iterations):
        grad, hess = _derivatives(loss, w)
        found = _damped_step(loss, w, grad, hess, damping / 10)
        if found is None:
            break
        step, damping = found
        if float(step.abs().max()) <= 1e-15 * (1.0 + float(w.abs().max())):
            break
        w = w - step
    grad, hess = _derivatives(loss, w)
    value = float(loss(w))
    if not math.isfinite(value) or float(grad.norm()) > 1e-9:
        return None
    if not bool((torch.linalg.eigvalsh(hess) > 0).all()):
        return None
    return Minimum((float(w[0]), float(w[1])), value)


def _derivatives(
    loss: Callable[[torch.Tensor], torch.Tensor], w: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    grad = torch.autograd.functional.jacobian(loss, w)
    return grad, torch.autograd.functional.hessian(loss, w)


def _damped_step(
    loss: Callable[[torch.Tensor], torch.Tensor],
    w: torch.Tensor,
    grad: torch.Tensor,
    hess: torch.Tensor,
    damping: float,
) -> tuple[torch.Tensor, float] | None:
    """The step (H + λI)⁻¹g and its λ, for the least λ ≥ ``damping`` (rounded to 0 when
    negligible, else grown tenfold) that is positive definite and does not raise the loss."""
    value = loss(w)
    scale = float(hess.abs().max()) or 1.0
    eye = torch.eye(2, dtype=w.dtype)
    damping = 0.0 if damping < 1e-8 * scale else damping
    while damping <= 1e8 * scale:
        factor, info = torch.linalg.cholesky_ex(hess + damping * eye)
        if int(info) == 0:
            # Solve with the factor itself: a barely definite H passes Cholesky yet may be
            # singular to a general solver (then the step is huge or not finite, and refused).
            step = torch.cholesky_solve(grad.unsqueeze(-1), factor).squeeze(-1)
            if bool(torch.isfinite(step).all()) and loss(w - step) <= value:
                return step, damping
        damping = max(10.0 * damping, 1e-8 * scale)
    return None
