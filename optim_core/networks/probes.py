"""What a training run is doing, measured: gradient noise scale, sharpness, per-layer statistics.

* :func:`noise_scale` — the simple gradient noise scale B_simple = tr(Σ)/‖G‖² of McCandlish et
  al. (2018), from per-sample gradients on a probe batch: the batch size past which larger batches
  stop paying, the lecture's "is it worth estimating the gradient from the whole training set?".
* :func:`sharpness` — λ_max of the training-loss Hessian by power iteration on Hessian-vector
  products (double backward, all runs at once); gradient descent is stable only while
  λ_max < 2/lr (Cohen et al. 2021, the edge of stability).
* :func:`layer_stats` — per layer: gradient norm, weight norm, update-to-weight ratio ‖Δw‖/‖w‖
  and a histogram of per-parameter effective learning rates |Δw/g|.
"""

from __future__ import annotations

import functools
import math

import torch

from optim_core.networks.models import Model

#: edges of the effective-lr histograms: 10⁻⁸ … 10² in tenths of a decade
ELR_EDGES = torch.linspace(-8.0, 2.0, 51, dtype=torch.float64)
#: at most this many weights are copied at once for per-sample gradients
_COPIES_LIMIT = 2**24


def batch_loss(model: Model, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor
               ) -> torch.Tensor:
    """Each run's mean loss over the samples ``(R,)``."""
    return model.losses(model.forward(params, x), y).mean(-1)


def noise_scale(model: Model, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor
                ) -> torch.Tensor:
    """B_simple ``(R,)`` from the per-sample gradients of the probe samples ``x``, ``y``.

    With n per-sample gradients gᵢ of mean ḡ: tr(Σ) ≈ Σ‖gᵢ − ḡ‖²/(n − 1) and the unbiased
    ‖G‖² ≈ ‖ḡ‖² − tr(Σ)/n; NaN where noise swamps the signal (that estimate ≤ 0).
    """
    n = x.shape[0]
    if model.is_mlp:
        squares, mean = _per_sample_square_norms(model, params, x, y)
    else:
        squares, mean = _per_sample_square_norms_by_copies(model, params, x, y)
    trace = (squares.sum(1) - n * (mean**2).sum(1)) / (n - 1)
    signal = (mean**2).sum(1) - trace / n
    return torch.where(signal > 0, trace / signal.clamp_min(1e-300), float("nan"))


def _per_sample_square_norms(model: Model, params: torch.Tensor, x: torch.Tensor,
                             y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """‖gᵢ‖² ``(R, n)`` and the mean gradient ``(R, P)`` of an MLP in one backward pass.

    A linear layer's per-sample gradient is the outer product δᵢ aᵢᵀ (and δᵢ for the bias), so
    ‖gᵢ‖² = Σ_layers ‖δᵢ‖² (‖aᵢ‖² + 1), with δᵢ the gradient of sample i's loss at the layer's
    output and aᵢ its input (Goodfellow 2015).
    """
    n = x.shape[0]
    w = params.detach().requires_grad_(True)
    trace: list[tuple[torch.Tensor, torch.Tensor]] = []
    with torch.enable_grad():
        losses = model.losses(model.forward(w, x, trace=trace), y)
        grads = torch.autograd.grad(losses.sum(), [w, *(out for _, out in trace)])
    squares = torch.zeros(losses.shape, dtype=w.dtype, device=w.device)
    for (inputs, _), delta in zip(trace, grads[1:], strict=True):
        squares = squares + (delta**2).sum(-1) * ((inputs.detach() ** 2).sum(-1) + 1)
    return squares, grads[0] / n


def _per_sample_square_norms_by_copies(model: Model, params: torch.Tensor, x: torch.Tensor,
                                       y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """‖gᵢ‖² and the mean gradient from explicit per-sample gradients: n copies of each run's
    weights, each seeing one sample (any model; memory bounded by chunks of runs)."""
    n, r, p = x.shape[0], params.shape[0], params.shape[1]
    chunk = max(1, min(r, _COPIES_LIMIT // max(n * p, 1)))
    squares, means = [], []
    for first in range(0, r, chunk):
        rows = params[first:first + chunk].detach()
        k = rows.shape[0]
        copies = rows.repeat_interleave(n, 0).requires_grad_(True)
        with torch.enable_grad():
            inputs = x.repeat(k, *([1] * (x.dim() - 1)))[:, None]
            targets = y.repeat(k, *([1] * (y.dim() - 1)))[:, None]
            losses = model.losses(model.forward(copies, inputs, per_run_inputs=True), targets)
            (grads,) = torch.autograd.grad(losses.sum(), copies)
        grads = grads.view(k, n, p)
        squares.append((grads**2).sum(-1))
        means.append(grads.mean(1))
    return torch.cat(squares), torch.cat(means)


def sharpness(model: Model, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor,
              start: torch.Tensor | None = None, iterations: int = 20
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """λ_max ``(R,)`` of each run's loss Hessian on ``x``, ``y``, and the eigenvector estimates
    ``(R, P)`` (pass them back as ``start`` to warm-start the next call)."""
    w = params.detach().requires_grad_(True)
    with torch.enable_grad():
        loss = batch_loss(model, w, x, y).sum()
        (grad,) = torch.autograd.grad(loss, w, create_graph=True)
    if start is None:
        generator = torch.Generator(device="cpu").manual_seed(0)
        start = torch.randn(w.shape, generator=generator, dtype=w.dtype).to(w.device)
    v = start / torch.linalg.vector_norm(start, dim=1, keepdim=True).clamp_min(1e-30)
    value = torch.zeros(w.shape[0], dtype=w.dtype, device=w.device)
    if not grad.requires_grad:  # a model linear in its weights: no curvature
        return value, v
    for _ in range(iterations):
        (hv,) = torch.autograd.grad(grad, w, grad_outputs=v, retain_graph=True)
        value = (v * hv).sum(1)
        v = hv / torch.linalg.vector_norm(hv, dim=1, keepdim=True).clamp_min(1e-30)
    return value.detach(), v.detach()


def layer_stats(model: Model, before: torch.Tensor, after: torch.Tensor, grad: torch.Tensor
                ) -> dict[str, torch.Tensor]:
    """Per run and weighted layer ``(R, L)``: ``grad_norm``, ``weight_norm`` (after the step),
    ``update_ratio`` ‖Δw‖/‖w‖ (w before the step), and ``effective_lr_hist`` ``(R, L, bins)``:
    counts of log₁₀|Δw/g| over :data:`ELR_EDGES` (parameters with g = 0 left out).

    The norms sum each layer's span of the flat vector (a scatter along the runs' rows cost
    5–10× more); the histogram is one bincount over (run, layer, bin) cells for all layers.
    """
    r, dtype, device = before.shape[0], before.dtype, before.device
    layer = _layer_ids(model, device)
    sizes = [span.stop - span.start for _, span in model.layer_slices()]
    layers = len(sizes)
    low, high = float(ELR_EDGES[0]), float(ELR_EDGES[-1])
    bins = len(ELR_EDGES) - 1
    delta = after - before

    def layer_norms(values: torch.Tensor) -> torch.Tensor:
        squares = (values * values).split(sizes, dim=1)
        return torch.stack([part.sum(1) for part in squares], dim=1).sqrt_()

    grad_norm, weight_norm = layer_norms(grad), layer_norms(after)
    update_ratio = layer_norms(delta).div_(layer_norms(before))
    logs = (delta / grad).abs_().log10_()
    counted = torch.isfinite(logs).to(dtype)
    # the bin of each log₁₀|Δw/g| by arithmetic on the equal-width edges (outliers clamp into
    # the first or last bin), then one bincount over (run, layer, bin) cells
    index = logs.sub_(low).mul_(bins / (high - low)).nan_to_num_(0.0).floor_()
    index = index.clamp_(0, bins - 1).long() + (layer * bins)
    index += torch.arange(r, device=device)[:, None] * (layers * bins)
    counts = torch.bincount(index.flatten(), weights=counted.flatten(),
                            minlength=r * layers * bins)
    return {"grad_norm": grad_norm, "weight_norm": weight_norm, "update_ratio": update_ratio,
            "effective_lr_hist": counts.to(dtype).view(r, layers, bins)}


@functools.lru_cache(maxsize=8)
def _layer_ids(model: Model, device: torch.device) -> torch.Tensor:
    """The weighted layer each parameter of the flat vector belongs to ``(P,)``."""
    sizes = [span.stop - span.start for _, span in model.layer_slices()]
    return torch.repeat_interleave(torch.arange(len(sizes), device=device),
                                   torch.tensor(sizes, device=device))


def probe_size(n_train: int, wanted: int) -> int:
    """Samples in a probe batch: ``wanted``, or all of a smaller training set (at least 2)."""
    return max(2, min(n_train, wanted)) if n_train >= 2 else n_train


def log_edges() -> list[float]:
    """The effective-lr histogram's bin edges as learning rates (10^edge)."""
    return [math.pow(10.0, float(e)) for e in ELR_EDGES]
