"""The Hessian's eigenvectors drawn as two axes through a point of a plot (the landscape).

Each axis is a segment through the point along an eigenvector, its half-length proportional to
|λ|: the larger one spans :data:`LONGEST` of the visible diagonal, the other in proportion (but
at least :data:`SHORTEST`, to stay visible). A negative curvature is drawn dashed. Draws what
it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import Qt

from widgets.curvature import LAMBDA_MAX_COLOR, LAMBDA_MIN_COLOR

#: half-length of the longer axis, as a share of the visible diagonal
LONGEST = 0.12
#: the least half-length of an axis with non-zero curvature (so that it stays visible)
SHORTEST = 0.012


class CurvatureAxes:
    """Two segments in ``plot``; :meth:`set_axes` moves them, :meth:`hide` hides them."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._items = [pg.PlotDataItem([], [], pen=pg.mkPen(color, width=3.5))
                       for color in (LAMBDA_MIN_COLOR, LAMBDA_MAX_COLOR)]
        self._halos = [pg.PlotDataItem([], [], pen=pg.mkPen("#ffffff", width=7))
                       for _ in self._items]
        for item, halo in zip(self._items, self._halos, strict=True):
            halo.setZValue(26)  # over the paths (a white edge keeps them apart), under the heads
            item.setZValue(27)
            plot.addItem(halo)
            plot.addItem(item)
        self._data: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        plot.getViewBox().sigRangeChanged.connect(self._redraw)

    def set_axes(self, point: Sequence[float], eigenvalues: Sequence[float],
                 eigenvectors: np.ndarray) -> None:
        """Axes at ``point`` along ``eigenvectors[i]`` scaled by ``|eigenvalues[i]|``."""
        self._data = (np.asarray(point, dtype=float), np.asarray(eigenvalues, dtype=float),
                      np.asarray(eigenvectors, dtype=float))
        self._redraw()

    def hide(self) -> None:
        """Draw nothing (nothing to do once the items are deleted: the window is closing, its
        dock hidden after its landscape went)."""
        self._data = None
        if all(shiboken6.isValid(item) for item in (*self._items, *self._halos)):
            self._redraw()

    def segments(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The segments drawn, λ_min's first (for tests)."""
        return [item.getData() for item in self._items]

    def _redraw(self, *_: object) -> None:
        data = self._data
        ok = data is not None and np.isfinite(data[0]).all() and np.isfinite(data[1]).all() \
            and np.isfinite(data[2]).all()
        if not ok:
            for item in (*self._items, *self._halos):
                item.setData([], [])
            return
        point, values, vectors = data  # type: ignore[misc]
        (x0, x1), (y0, y1) = self._plot.getViewBox().viewRange()
        diagonal = float(np.hypot(x1 - x0, y1 - y0))
        largest = float(np.abs(values).max())
        for item, halo, value, vector in zip(self._items, self._halos, values, vectors,
                                             strict=True):
            half = LONGEST * diagonal * (abs(value) / largest if largest > 0 else 0.0)
            if value != 0:  # a very flat direction still shows which way it runs
                half = max(half, SHORTEST * diagonal)
            ends = np.stack([point - half * vector, point + half * vector])
            pen = item.opts["pen"]
            pen.setStyle(Qt.PenStyle.DashLine if value < 0 else Qt.PenStyle.SolidLine)
            item.setPen(pen)
            item.setData(ends[:, 0], ends[:, 1])
            halo.setData(ends[:, 0], ends[:, 1])
