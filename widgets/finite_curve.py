"""A curve of finite points, whose bounds cost next to nothing.

pyqtgraph works out a curve's bounds at its first paint after each ``setData``, NaN-proof
(``nanmin``/``nanmax`` under ``warnings.catch_warnings``): for the network workbench's live
curves that was half of a plot's paint. The panels filter non-finite points before handing
them over, so the bounds are the data's plain minimum and maximum.
"""

from __future__ import annotations

import pyqtgraph as pg


class FiniteCurve(pg.PlotCurveItem):
    """A ``PlotCurveItem`` given finite points only (``skipFiniteCheck`` on)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, skipFiniteCheck=True, **kwargs)

    def dataBounds(self, ax: int, frac: float = 1.0,
                   orthoRange: tuple[float, float] | None = None) -> tuple[float | None, ...]:
        """The data's (min, max) along ``ax``: pyqtgraph's own for a share of the points or a
        range of the other axis (autorange's questions)."""
        if frac < 1.0 or orthoRange is not None or self.opts["fillLevel"] is not None:
            return super().dataBounds(ax, frac, orthoRange)
        cache = self._boundsCache[ax]
        if cache is not None and cache[0] == (frac, orthoRange):
            return cache[1]
        data = self.xData if ax == 0 else self.yData
        if data is None or len(data) == 0:
            return (None, None)
        bounds = (float(data.min()), float(data.max()))
        pen = self.opts["pen"]
        if not pen.isCosmetic() and pen.style() != pg.QtCore.Qt.PenStyle.NoPen:
            bounds = (bounds[0] - pen.widthF() * 0.7072, bounds[1] + pen.widthF() * 0.7072)
        self._boundsCache[ax] = [(frac, orthoRange), bounds]
        return bounds
