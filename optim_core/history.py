"""Per-step records of many runs, kept on the engine's device with bounded memory.

Recording costs no copy per step: the engine's tensors are immutable once made (rules are pure
functions), so a step's records are references, staged in a list and stacked into preallocated
buffers only when a snapshot is read or the buffers would overflow — the copying happens at the
reader's pace (a GUI's display rate), not in the stepping loop. When the buffers are full every
other row is dropped and from then on only every second step is kept (the stride doubles), so a
long run keeps its whole shape at half the resolution instead of growing without bound.
"""

from __future__ import annotations

import numpy as np
import torch


class History:
    """Rows of named tensors, one row per recorded step.

    ``fields`` maps a name to ``(tail_shape, dtype)``; a row of field ``name`` has shape
    ``(n_runs, *tail_shape)``. ``capacity`` is the most rows kept (at least 4).
    """

    def __init__(
        self,
        n_runs: int,
        fields: dict[str, tuple[tuple[int, ...], torch.dtype]],
        capacity: int,
        device: torch.device | str,
    ) -> None:
        self.capacity = max(4, int(capacity))
        self.stride = 1
        self.rows = 0
        self.steps = np.zeros(self.capacity, dtype=np.int64)
        self.wall_time = np.zeros(self.capacity, dtype=np.float64)
        self.buffers = {
            name: torch.empty((self.capacity, n_runs, *tail), dtype=dtype, device=device)
            for name, (tail, dtype) in fields.items()
        }
        self._staged: list[tuple[int, float, dict[str, torch.Tensor]]] = []

    def wants(self, step: int) -> bool:
        """Whether ``step`` falls on the current stride (only those rows are kept)."""
        return step % self.stride == 0

    def append(self, step: int, wall_time: float, values: dict[str, torch.Tensor]) -> None:
        """Record ``values`` (kept by reference: don't change them later) for ``step``."""
        if not self.wants(step):
            return
        self._staged.append((step, wall_time, values))
        if self.rows + len(self._staged) >= self.capacity:
            self.flush()

    def flush(self) -> None:
        """Stack the staged rows into the buffers, thinning out when they are full."""
        staged = self._staged
        self._staged = []
        while staged and self.rows + len(staged) > self.capacity:
            self._halve()
            staged = [row for row in staged if self.wants(row[0])]
        if not staged:
            return
        start, stop = self.rows, self.rows + len(staged)
        for name, buffer in self.buffers.items():
            torch.stack([values[name] for _, _, values in staged], out=buffer[start:stop])
        self.steps[start:stop] = [step for step, _, _ in staged]
        self.wall_time[start:stop] = [wall for _, wall, _ in staged]
        self.rows = stop

    def _halve(self) -> None:
        keep = np.flatnonzero(self.steps[: self.rows] % (2 * self.stride) == 0)
        n = len(keep)
        index = torch.as_tensor(keep, device=next(iter(self.buffers.values())).device)
        for buffer in self.buffers.values():
            buffer[:n] = buffer.index_select(0, index)
        self.steps[:n] = self.steps[keep]
        self.wall_time[:n] = self.wall_time[keep]
        self.rows = n
        self.stride *= 2

    def arrays(self) -> dict[str, np.ndarray]:
        """Numpy copies of the recorded rows (``steps`` and ``wall_time`` included)."""
        self.flush()
        out = {"steps": self.steps[: self.rows].copy(),
               "wall_time": self.wall_time[: self.rows].copy()}
        for name, buffer in self.buffers.items():
            out[name] = buffer[: self.rows].detach().cpu().numpy().copy()
        return out
