"""Gradient clipping per run: by norm (clip_grad_norm_) and by value (clip_grad_value_).

Each run's gradient is clipped on its own, exactly as ``torch.nn.utils.clip_grad_norm_`` and
``clip_grad_value_`` would clip that run's parameter: the norm is rescaled by
``max_norm / (‖g‖ + 1e-6)`` when that factor is below 1, then components are clamped to ±value.
"""

from __future__ import annotations

import torch


def clip_gradients(
    grad: torch.Tensor, max_norm: torch.Tensor | None, max_value: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Return the clipped gradient ``(R, 2)`` and whether clipping changed each run ``(R,)``.

    ``max_norm`` and ``max_value`` are ``(R, 1)`` tensors holding ``inf`` for runs that do not
    clip, or ``None`` when no run clips that way (then nothing is computed and ``None`` says
    that no run clipped).
    """
    if max_norm is None and max_value is None:
        return grad, None
    fired = torch.zeros(grad.shape[0], dtype=torch.bool, device=grad.device)
    if max_norm is not None:
        total_norm = torch.linalg.vector_norm(grad, 2, dim=-1, keepdim=True)
        coef = max_norm / (total_norm + 1e-6)
        grad = grad * torch.clamp(coef, max=1.0)
        fired |= (coef < 1.0).squeeze(-1)
    if max_value is not None:
        fired |= (grad.abs() > max_value).any(dim=-1)
        grad = torch.clamp(grad, min=-max_value, max=max_value)
    return grad, fired
