"""A small picture of a data set: a scatter of 2D classes, a curve of a 1D regression, or a grid of
images. A view: it draws the numpy arrays it is given and computes nothing."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import style

#: class colours of data points (Okabe & Ito, as the runs): class 0 blue, class 1 vermillion…
CLASS_COLORS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#882255",
                "#44aa99", "#999933", "#000000")
MAX_POINTS = 1500  #: points drawn in a scatter (a larger set is thinned evenly)
GRID_SIDE = 8  #: images per row and column of the digits grid
MAX_HEIGHT = 200  #: pixels


def class_brushes(labels: np.ndarray, alpha: int = 220) -> list[QtGui.QBrush]:
    """One brush per sample, in its class colour."""
    table = [style.brush(c, alpha) for c in CLASS_COLORS]
    return [table[int(k) % len(table)] for k in labels]


def thinned(n: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``limit`` of ``n`` samples, spread evenly."""
    return np.arange(n) if n <= limit else np.linspace(0, n - 1, limit).astype(int)


def image_mosaic(images: np.ndarray, side: int = GRID_SIDE) -> np.ndarray:
    """The first ``side²`` images ``(N, h, w)`` tiled into one ``(side·(h+1), side·(w+1))`` image
    with one-pixel gaps (NaN, drawn as background)."""
    n, h, w = images.shape
    mosaic = np.full((side * (h + 1), side * (w + 1)), np.nan)
    for k in range(min(n, side * side)):
        r, c = divmod(k, side)
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[k]
    return mosaic


class DataPreview(QtWidgets.QWidget):
    """The training samples of the data set picked: what the networks will learn."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.view = style.make_view()
        self.view.setMinimumHeight(150)
        self.view.setMaximumHeight(MAX_HEIGHT)  # a preview, not a panel
        layout.addWidget(self.view)
        self.plot = self.view.addPlot(axisItems=style.plot_axes())
        style.style_plot(self.plot, grid=False)
        self.plot.setMouseEnabled(False, False)
        self.scatter = pg.ScatterPlotItem(size=4, pen=None)
        self.curve = pg.ScatterPlotItem(size=3, pen=None, brush=style.brush(CLASS_COLORS[0], 160))
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(pg.colormap.get("CET-L1").getLookupTable(nPts=256)[::-1])
        for item in (self.scatter, self.curve, self.image):
            self.plot.addItem(item)
        self.kind = ""
        self.caption = QtWidgets.QLabel()
        self.caption.setWordWrap(True)
        self.caption.setFont(style.font(style.TEXT_PT - 1))
        self.caption.setContentsMargins(6, 0, 6, 2)
        layout.addWidget(self.caption)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(280, 190)

    def show_scatter(self, x: np.ndarray, labels: np.ndarray, caption: str = "") -> None:
        """2D inputs ``(N, 2)`` coloured by class."""
        keep = thinned(len(x))
        self._only(self.scatter, "scatter")
        self.scatter.setData(x[keep, 0], x[keep, 1], brush=class_brushes(labels[keep]))
        self._show_axes(True)
        self.plot.setAspectLocked(True)
        self._finish(caption)

    def show_curve(self, x: np.ndarray, y: np.ndarray, caption: str = "") -> None:
        """A 1D regression: targets ``y`` against inputs ``x``."""
        keep = thinned(len(x))
        self._only(self.curve, "curve")
        self.curve.setData(x[keep], y[keep])
        self._show_axes(True)
        self.plot.setAspectLocked(False)
        self._finish(caption)

    def show_images(self, images: np.ndarray, caption: str = "") -> None:
        """Images ``(N, h, w)``: the first 64 in an 8×8 grid, ink dark on white."""
        self._only(self.image, "images")
        mosaic = image_mosaic(images)
        self.image.setImage(np.flipud(mosaic), levels=(0.0, float(np.nanmax(mosaic) or 1.0)))
        self._show_axes(False)
        self.plot.setAspectLocked(True)
        self._finish(caption)

    def _only(self, item: pg.GraphicsObject, kind: str) -> None:
        self.kind = kind
        for other in (self.scatter, self.curve, self.image):
            other.setVisible(other is item)

    def _show_axes(self, on: bool) -> None:
        for side in ("left", "bottom"):
            self.plot.showAxis(side, on)

    def _finish(self, caption: str) -> None:
        self.caption.setText(caption)
        self.plot.autoRange(padding=0.02)
