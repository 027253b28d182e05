"""Per-step records of many runs, kept on the engine's device with bounded memory.

Rows are preallocated; when the buffer is full every other row is dropped and from then on only
every second step is kept (the stride doubles), so a long run keeps its whole shape at half the
resolution instead of growing without bound — the "grow, then decimate" of scrolling plots.
"""

from __future__ import annotations

import numpy as np
import torch


class History:
    """Rows of named tensors, one row per recorded step.

    ``fields`` maps a name to ``(tail_shape, dtype)``; a row of field ``name`` has shape
    ``(n_runs, *tail_shape)``. ``capacity`` is the most rows kept (at least 2).
    """

    def __init__(
        self,
        n_runs: int,
        fields: dict[str, tuple[tuple[int, ...], torch.dtype]],
        capacity: int,
        device: torch.device | str,
    ) -> None:
        self.capacity = max(2, int(capacity))
        self.stride = 1
        self.rows = 0
        self.steps = np.zeros(self.capacity, dtype=np.int64)
        self.wall_time = np.zeros(self.capacity, dtype=np.float64)
        self.buffers = {
            name: torch.empty((self.capacity, n_runs, *tail), dtype=dtype, device=device)
            for name, (tail, dtype) in fields.items()
        }

    def wants(self, step: int) -> bool:
        """Whether ``step`` falls on the current stride (only those rows are kept)."""
        return step % self.stride == 0

    def append(self, step: int, wall_time: float, values: dict[str, torch.Tensor]) -> None:
        """Record ``values`` for ``step`` if it falls on the stride; decimate when full."""
        if not self.wants(step):
            return
        if self.rows == self.capacity:
            self._halve()
            if not self.wants(step):
                return
        row = self.rows
        for name, buffer in self.buffers.items():
            buffer[row].copy_(values[name])
        self.steps[row] = step
        self.wall_time[row] = wall_time
        self.rows += 1

    def _halve(self) -> None:
        keep = (self.steps[: self.rows] % (2 * self.stride)) == 0
        index = np.flatnonzero(keep)
        n = len(index)
        torch_index = torch.as_tensor(index, device=next(iter(self.buffers.values())).device)
        for buffer in self.buffers.values():
            buffer[:n] = buffer.index_select(0, torch_index)
        self.steps[:n] = self.steps[index]
        self.wall_time[:n] = self.wall_time[index]
        self.rows = n
        self.stride *= 2

    def arrays(self, order: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Numpy copies of the recorded rows (``steps`` and ``wall_time`` included)."""
        out = {"steps": self.steps[: self.rows].copy(), "wall_time": self.wall_time[: self.rows].copy()}
        for name, buffer in self.buffers.items():
            array = buffer[: self.rows].detach().cpu().numpy()
            out[name] = array[:, order] if order is not None else array.copy()
        return out
