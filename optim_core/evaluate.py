"""Loss, gradient (and Hessian) of many runs at their current points, by autograd."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from optim_core.problems import FiniteSumProblem, Problem


@dataclass(frozen=True)
class Evaluation:
    """What is known at the runs' current points ``w`` of shape ``(R, 2)``.

    ``loss`` is the full loss (the mean over all samples for finite-sum problems); ``grad`` is the
    gradient a step will use (of the minibatch loss, plus any synthetic noise); ``full_grad`` the
    full-batch gradient (finite-sum problems only); ``hessian`` ``(R, 2, 2)`` that of the minibatch
    loss, when asked for.
    """

    loss: torch.Tensor
    grad: torch.Tensor
    full_grad: torch.Tensor | None = None
    hessian: torch.Tensor | None = None
    loss_total: torch.Tensor | None = None


def evaluate(
    problem: Problem,
    w: torch.Tensor,
    weights: torch.Tensor | None = None,
    *,
    need_hessian: bool = False,
) -> Evaluation:
    """Evaluate ``problem`` at ``w`` ``(R, 2)``; ``weights`` ``(R, M)`` selects minibatches.

    ``weights`` is a 0/1 mask of each run's samples (see ``minibatch.batch_weights``); ``None``
    means the full batch.
    """
    w = w.detach().requires_grad_(True)
    with torch.enable_grad():
        if isinstance(problem, FiniteSumProblem):
            per_sample = problem.sample_losses(w)
            full = per_sample.mean(dim=-1)
            if weights is None:
                batch = full
            else:
                batch = (per_sample * weights).sum(dim=-1) / weights.sum(dim=-1)
        else:
            full = batch = problem.loss(w)
        separate = batch is not full
        batch_total = batch.sum()
        (grad,) = torch.autograd.grad(
            batch_total, w, create_graph=need_hessian, retain_graph=separate or need_hessian
        )
        hessian = _hessian(grad, w) if need_hessian else None
        full_grad = None
        full_total = full.sum() if separate else batch_total
        if isinstance(problem, FiniteSumProblem):
            full_grad = torch.autograd.grad(full_total, w)[0] if separate else grad
    return Evaluation(
        loss=full.detach(),
        grad=grad.detach(),
        full_grad=None if full_grad is None else full_grad.detach(),
        hessian=hessian,
        loss_total=full_total.detach(),
    )


def _hessian(grad: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    if not grad.requires_grad:  # the loss is linear in w: zero curvature
        return torch.zeros(*w.shape, w.shape[-1], dtype=w.dtype, device=w.device)
    rows = [
        torch.autograd.grad(grad[:, j].sum(), w, retain_graph=True, materialize_grads=True)[0]
        for j in range(w.shape[-1])
    ]
    return torch.stack(rows, dim=-2).detach()
