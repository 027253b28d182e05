"""A basin-of-attraction map over the landscape: which minimum each start reaches.

:class:`BasinMapView` draws what it is given: an RGBA picture of the map (one colour per minimum,
darker where a start took more steps; computed by the caller, off the GUI thread) placed over
the extent, the landscape's isolines on top of it so the hills and valleys show through, the
minima as numbered stars, a title and a legend of colours with the share of starts. Two views
side by side (:class:`BasinPair`) pan and zoom together, so two optimizers can be compared
start by start.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style

__all__ = ["BasinMapView", "BasinPair"]


class BasinMapView(QtWidgets.QWidget):
    """One basin map: picture, isolines, minima, title and legend."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.title = QtWidgets.QLabel()
        self.title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.canvas = style.make_view()
        layout.addWidget(self.canvas, 1)
        self.plot = self.canvas.addPlot()
        style.style_plot(self.plot, grid=False)
        style.set_axis_label(self.plot, "bottom", "w₁")
        style.set_axis_label(self.plot, "left", "w₂")
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-100)
        self.plot.addItem(self.image)
        self.isolines = pg.PlotCurveItem(pen=pg.mkPen("#0f172a55", width=1), connect="finite",
                                         antialias=True)
        self.isolines.setZValue(-90)
        self.plot.addItem(self.isolines)
        self.minima = pg.ScatterPlotItem(symbol="star", size=style.px(16), pxMode=True,
                                         pen=pg.mkPen("#000000", width=style.px(1)),
                                         brush=style.brush("#ffffff"))
        self.minima.setZValue(20)
        self.plot.addItem(self.minima)
        self._numbers: list[pg.TextItem] = []
        self.legend = QtWidgets.QLabel()
        self.legend.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        # room for two lines on both sides, so that the two plots stay the same height
        self.legend.setMinimumHeight(2 * self.legend.fontMetrics().lineSpacing() + 4)
        self.legend.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.legend)
        self.extent: tuple[float, float, float, float] | None = None

    def set_isolines(self, polylines: np.ndarray | None) -> None:
        """The landscape's isolines as ``(P, 2)`` points, NaN rows between lines (or none)."""
        if polylines is None or len(polylines) == 0:
            self.isolines.setData(x=np.empty(0), y=np.empty(0))
            return
        lines = np.asarray(polylines, dtype=float).reshape(-1, 2)
        self.isolines.setData(x=lines[:, 0], y=lines[:, 1])

    def set_map(self, rgba: np.ndarray, extent: Sequence[float], minima: np.ndarray,
                title: str, legend: Sequence[tuple[tuple[int, int, int], str]]) -> None:
        """Show ``rgba`` ``(N, N, 4)`` (row 0 at the extent's lowest y) over ``extent``
        ``(x0, x1, y0, y1)``, the ``minima`` ``(K, 2)`` numbered from 0, ``title`` (HTML) and
        ``legend`` rows of (colour, text)."""
        x0, x1, y0, y1 = (float(v) for v in extent)
        n_rows, n_cols = rgba.shape[:2]
        dx = (x1 - x0) / max(n_cols - 1, 1)
        dy = (y1 - y0) / max(n_rows - 1, 1)
        self.image.setImage(np.ascontiguousarray(rgba), autoLevels=False)
        # pixel centres on the grid points
        self.image.setRect(QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy))
        new_extent = (x0, x1, y0, y1)
        if new_extent != self.extent:
            self.extent = new_extent
            self.reset_view()
        self._set_minima(np.asarray(minima, dtype=float).reshape(-1, 2), new_extent)
        self.title.setText(title)
        self.legend.setText(" &nbsp; ".join(
            f"<span style='color: rgb{tuple(colour)}; font-size: large'>■</span>&nbsp;"
            f"{html.escape(text).replace(' ', '&nbsp;')}" for colour, text in legend))

    def _set_minima(self, minima: np.ndarray, extent: tuple[float, float, float, float]) -> None:
        x0, x1, y0, y1 = extent
        inside = ((minima[:, 0] >= x0) & (minima[:, 0] <= x1) & (minima[:, 1] >= y0)
                  & (minima[:, 1] <= y1))
        shown = np.nonzero(inside)[0]
        self.minima.setData(minima[shown, 0], minima[shown, 1])
        for item in self._numbers:
            self.plot.removeItem(item)
        self._numbers = []
        if len(shown) > 24:  # a lattice of minima (Rastrigin): stars only
            return
        for k in shown:
            label = pg.TextItem(str(k), color="#000000", anchor=(-0.25, 1.1))
            label.setZValue(21)
            label.setPos(float(minima[k, 0]), float(minima[k, 1]))
            self.plot.addItem(label)
            self._numbers.append(label)

    def clear(self) -> None:
        """Nothing drawn."""
        self.image.clear()
        self.minima.setData([], [])
        for item in self._numbers:
            self.plot.removeItem(item)
        self._numbers = []
        self.title.setText("")
        self.legend.setText("")

    def reset_view(self) -> None:
        """Show the whole extent."""
        if self.extent is not None:
            x0, x1, y0, y1 = self.extent
            self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)


class BasinPair(QtWidgets.QWidget):
    """Two :class:`BasinMapView`\\ s side by side whose axes move together."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.views = (BasinMapView(), BasinMapView())
        for view in self.views:
            layout.addWidget(view, 1)
        self.views[1].plot.setXLink(self.views[0].plot)
        self.views[1].plot.setYLink(self.views[0].plot)
