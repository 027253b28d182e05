"""Minibatches of a training set: one seeded shuffle per epoch, shared by every run.

As ``DataLoader(shuffle=True, drop_last=True)`` with a seeded generator: each epoch draws a
permutation of the training samples and cuts it into consecutive batches of ``batch_size``; a
last batch that would be short is dropped, so every step sees exactly ``batch_size`` samples.
All runs of a session see the same sequence — a fair race — and the sequence depends only on the
seed, the number of samples and the batch size.
"""

from __future__ import annotations

import torch


class EpochSampler:
    """Batches of ``batch_size`` indices into ``n_samples``, without replacement within an epoch."""

    def __init__(self, n_samples: int, batch_size: int, seed: int) -> None:
        self.n_samples = n_samples
        self.batch_size = batch_size
        self.per_epoch = n_samples // batch_size
        self.generator = torch.Generator(device="cpu")
        self.generator.manual_seed(seed)
        self._order = torch.empty(0, dtype=torch.int64)
        self._next = self.per_epoch  # start a new epoch on the first draw

    def draw(self) -> torch.Tensor:
        """The next batch (CPU ``int64``, shape ``(batch_size,)``)."""
        if self._next == self.per_epoch:
            self._order = torch.randperm(self.n_samples, generator=self.generator)
            self._next = 0
        start = self._next * self.batch_size
        self._next += 1
        return self._order[start:start + self.batch_size]
