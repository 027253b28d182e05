"""Minibatches for finite-sum problems: which samples each run's next step sees.

Every step draws one random permutation of the M samples from a seeded generator; a run with batch
size N uses its first N entries (sampling without replacement). All runs therefore see common
random numbers — SGD and Adam at the same batch size get the same batches, and a batch of 8 holds
the batch of 1 — and a run's batches depend only on the seed, not on how many other runs there are.
"""

from __future__ import annotations

import torch


class MinibatchSampler:
    """Seeded permutations of ``n_samples`` indices, one per step."""

    def __init__(self, n_samples: int, seed: int) -> None:
        self.n_samples = n_samples
        self.seed = seed
        self.generator = torch.Generator(device="cpu")
        self.generator.manual_seed(seed)

    def draw(self) -> torch.Tensor:
        """The next permutation (CPU ``int64``, shape ``(M,)``)."""
        return torch.randperm(self.n_samples, generator=self.generator)


def batch_weights(
    permutation: torch.Tensor, batch_sizes: torch.Tensor, dtype: torch.dtype
) -> torch.Tensor:
    """``(R, M)`` mask: 1 for the samples in each run's minibatch, 0 elsewhere.

    Run ``r`` takes ``permutation[:batch_sizes[r]]``.
    """
    rank = torch.empty_like(permutation)
    rank[permutation] = torch.arange(len(permutation), device=permutation.device)
    return (rank[None, :] < batch_sizes[:, None]).to(dtype)
