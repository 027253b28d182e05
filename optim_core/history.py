"""Per-step records of many runs, kept on the engine's device with bounded memory.

The buffers are allocated once, sized for the steps the caller expects, so that a step's records
are plain copies into memory that is already there. They are not cleared first (``torch.empty``):
rows are read only up to the count written, a field added later is NaN in the rows before it, and
the memory of rows never written (a run stopped early) is never touched. When the buffers are
full every other row is dropped and from then on only every second step is kept (the stride
doubles), so a long run keeps its whole shape at half the resolution instead of growing without
bound. A ``final_step`` is kept off the stride too, so a run recorded every k-th step still ends
on its last point. A field may *follow* another (``position_before`` follows ``position``): it is
written only in rows that are not the step right after the row before, since in those it is the
other field's row before (:func:`resolve_follows`); every step recorded, it costs nothing.
"""

from __future__ import annotations

import numpy as np
import torch


class History:
    """Rows of named tensors, one row per recorded step.

    ``fields`` maps a name to ``(tail_shape, dtype)``; a row of field ``name`` has shape
    ``(n_runs, *tail_shape)``. ``capacity`` is the most rows kept (at least 4); ``stride`` keeps
    only every stride-th step from the start (sweeps that need the shape, not every step), plus
    ``final_step`` when given. ``follows`` maps a field to the field whose row before it equals
    wherever a row is the step right after the row before; such rows of it are left unwritten
    (:meth:`arrays` fills them in, :meth:`views` does not: see :func:`resolve_follows`).
    """

    def __init__(
        self,
        n_runs: int,
        fields: dict[str, tuple[tuple[int, ...], torch.dtype]],
        capacity: int,
        device: torch.device | str,
        stride: int = 1,
        final_step: int | None = None,
        follows: dict[str, str] | None = None,
    ) -> None:
        self.follows = dict(follows or {})
        self.capacity = max(4, int(capacity))
        self.stride = max(1, int(stride))
        self.final_step = final_step
        self.rows = 0
        self.steps = np.zeros(self.capacity, dtype=np.int64)
        self.wall_time = np.zeros(self.capacity, dtype=np.float64)
        # empty, not zeros: only rows[:self.rows] are ever read, and clearing hundreds of MB
        # up front cost a quarter of torch.optim's whole run on 10,000 starts
        self.buffers = {
            name: torch.empty((self.capacity, n_runs, *tail), dtype=dtype, device=device)
            for name, (tail, dtype) in fields.items()
        }

    def add_field(self, name: str, tail: tuple[int, ...], dtype: torch.dtype) -> None:
        """Start recording a new field; the rows recorded before it hold NaN."""
        if name in self.buffers:
            return
        like = next(iter(self.buffers.values()))
        self.buffers[name] = torch.full((self.capacity, like.shape[1], *tail), float("nan"),
                                        dtype=dtype, device=like.device)

    def wants(self, step: int) -> bool:
        """Whether ``step`` falls on the current stride or is the final step (only those rows
        are kept)."""
        return step % self.stride == 0 or step == self.final_step

    def append(self, step: int, wall_time: float, values: dict[str, torch.Tensor]) -> None:
        """Copy ``values`` into the row for ``step`` if it falls on the stride."""
        if not self.wants(step):
            return
        if self.rows == self.capacity:
            self._halve()
            if not self.wants(step):
                return
        row = self.rows
        after_the_row_before = row > 0 and self.steps[row - 1] == step - 1
        for name, buffer in self.buffers.items():
            if not (after_the_row_before and name in self.follows):
                buffer[row].copy_(values[name])
        self.steps[row] = step
        self.wall_time[row] = wall_time
        self.rows += 1

    def _halve(self) -> None:
        keep = np.flatnonzero(self.steps[: self.rows] % (2 * self.stride) == 0)
        n = len(keep)
        device = next(iter(self.buffers.values())).device
        # a kept row whose row before goes: write the fields that followed it now
        steps = self.steps[: self.rows]
        filled = keep[follows_previous(steps)[keep]]
        if len(filled) and self.follows:
            rows = torch.as_tensor(filled, device=device)
            for name, source in self.follows.items():
                self.buffers[name][rows] = self.buffers[source][rows - 1]
        index = torch.as_tensor(keep, device=device)
        for buffer in self.buffers.values():
            buffer[:n] = buffer.index_select(0, index)
        self.steps[:n] = self.steps[keep]
        self.wall_time[:n] = self.wall_time[keep]
        self.rows = n
        self.stride *= 2

    def arrays(self) -> dict[str, np.ndarray]:
        """Numpy copies of the recorded rows (``steps`` and ``wall_time`` included), the
        ``follows`` fields filled in."""
        out = {"steps": self.steps[: self.rows].copy(),
               "wall_time": self.wall_time[: self.rows].copy()}
        for name, buffer in self.buffers.items():
            out[name] = buffer[: self.rows].detach().cpu().numpy().copy()
        for name, source in self.follows.items():
            out[name] = resolve_follows(out["steps"], out[name], out[source])
        return out

    def views(self) -> dict[str, np.ndarray]:
        """The recorded rows as numpy arrays sharing the buffers' memory (on the CPU; a copy from
        another device), for an owner that records nothing more. The ``follows`` fields are as
        written: read them through :func:`resolve_follows`."""
        out = {"steps": self.steps[: self.rows], "wall_time": self.wall_time[: self.rows]}
        for name, buffer in self.buffers.items():
            out[name] = buffer[: self.rows].detach().cpu().numpy()
        return out


def follows_previous(steps: np.ndarray) -> np.ndarray:
    """Whether each recorded row is the step right after the row before (row 0: no)."""
    out = np.zeros(len(steps), dtype=bool)
    out[1:] = np.diff(steps) == 1
    return out


def resolve_follows(steps: np.ndarray, field: np.ndarray, source: np.ndarray) -> np.ndarray:
    """``field``'s rows ``(rows, …)`` with those left to ``source`` filled in: ``source``'s row
    before wherever a row is the step right after the row before (a new array)."""
    after = follows_previous(steps).reshape((-1,) + (1,) * (field.ndim - 1))
    before = np.concatenate([source[:1], source[:-1]])  # row 0 never reads it
    return np.where(after, before, field)
