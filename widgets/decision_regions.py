"""Decision regions side by side: what each run's network predicts over the 2D plane, with the
training points on top — TensorFlow Playground's picture, one small multiple per run.

Two classes are drawn as the probability of class 1, from the blue of class 0 through white (0.5,
the boundary) to the vermillion of class 1; more classes as the predicted class in light tints.
A view: it draws the grids it is given (``(R, res, res)``, row i at y = y0 + i·Δ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import style
from widgets.data_preview import CLASS_COLORS, class_brushes, thinned

COLUMNS_MAX = 4  #: small multiples per row (a square-ish grid up to this)
TITLE_CHARACTERS = 17  #: longer run labels are cut in the small multiples' titles
TINT = 0.35  #: how much of a class colour a region takes (the rest is white)


def _tint(color: str, amount: float) -> tuple[int, int, int]:
    c = QtGui.QColor(color)
    return tuple(round(255 + amount * (v - 255)) for v in (c.red(), c.green(), c.blue()))


def probability_lut() -> np.ndarray:
    """256 colours: class 0's tint → white → class 1's tint."""
    cmap = pg.ColorMap([0.0, 0.5, 1.0], [_tint(CLASS_COLORS[0], 0.75), (255, 255, 255),
                                         _tint(CLASS_COLORS[1], 0.75)])
    return cmap.getLookupTable(nPts=256)


def class_lut(n_classes: int) -> np.ndarray:
    """One light tint per class."""
    return np.array([_tint(CLASS_COLORS[k % len(CLASS_COLORS)], TINT) for k in range(n_classes)],
                    dtype=np.ubyte)


def elided(text: str, limit: int = TITLE_CHARACTERS) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (a title must not widen a tile)."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


class _Tile:
    """One run's picture: regions, boundary line, points and a title."""

    def __init__(self, view: pg.GraphicsLayoutWidget, row: int, col: int) -> None:
        self.plot = view.addPlot(row=row, col=col, axisItems=style.plot_axes())
        style.style_plot(self.plot, grid=False)
        self.plot.setMouseEnabled(False, False)
        for side in ("left", "bottom"):
            self.plot.hideAxis(side)
        self.image = pg.ImageItem(axisOrder="row-major")
        # segments computed off the GUI thread (see widgets.level_lines), drawn as pairs
        self.boundary = pg.PlotCurveItem(pen=pg.mkPen(style.FOREGROUND, width=1.5),
                                         connect="pairs")
        self.points = pg.ScatterPlotItem(size=5, pen=pg.mkPen("#ffffff", width=0.6))
        # the points stay while the regions under them change four times a second: painted
        # once into a pixmap, then copied (600 points a tile cost ~1 ms of each repaint)
        self.points.setCacheMode(QtWidgets.QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.plot.addItem(self.image)
        self.plot.addItem(self.boundary)
        self.plot.addItem(self.points)

    def remove(self, view: pg.GraphicsLayoutWidget) -> None:
        view.removeItem(self.plot)


class DecisionRegionsPanel(QtWidgets.QWidget):
    """Every run's decision regions over the 2D data, one small picture per run."""

    TITLE = "Decision regions"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.note = QtWidgets.QLabel()
        self.note.setWordWrap(True)
        self.note.setFont(style.font(style.TEXT_PT))
        self.note.setContentsMargins(8, 4, 8, 0)
        layout.addWidget(self.note)
        self.view = style.make_view()
        layout.addWidget(self.view, 1)
        self.tiles: list[_Tile] = []
        self._labels: tuple[str, ...] = ()
        self._colors: tuple[str, ...] = ()
        self._n_classes = 2
        self._extent = (0.0, 1.0, 0.0, 1.0)
        self.received = 0  #: grids drawn so far (for tests)
        self.set_unavailable("")

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(520, 300)

    def set_runs(self, labels: Sequence[str], colors: Sequence[str]) -> None:
        """One picture per run, titled with its label in its colour."""
        labels, colors = tuple(labels), tuple(colors)
        if len(labels) != len(self.tiles):
            for tile in self.tiles:
                tile.remove(self.view)
            columns = min(COLUMNS_MAX, max(1, math.ceil(math.sqrt(len(labels)))))
            self.tiles = [_Tile(self.view, i // columns, i % columns) for i in range(len(labels))]
        self._labels, self._colors = labels, colors
        for i, tile in enumerate(self.tiles):
            scale = style.presentation_scale()  # larger for a projector, and so cut shorter
            tile.plot.setTitle(elided(labels[i], round(TITLE_CHARACTERS / scale)),
                               color=style.run_color(colors, i), size=f"{9 * scale:g}pt")

    def set_points(self, x: np.ndarray, labels: np.ndarray, n_classes: int,
                   extent: tuple[float, float, float, float]) -> None:
        """The training points ``(N, 2)`` and their classes; ``extent`` (x0, x1, y0, y1) of the
        grids to come."""
        self._n_classes, self._extent = n_classes, extent
        keep = thinned(len(x), 600)
        brushes = class_brushes(labels[keep])
        x0, x1, y0, y1 = extent
        for tile in self.tiles:
            tile.points.setData(x[keep, 0], x[keep, 1], brush=brushes)
            tile.image.clear()
            tile.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.note.hide()
        self.view.show()

    def set_unavailable(self, text: str) -> None:
        """Say why there is nothing to draw (a data set without 2D inputs)."""
        self.note.setText(text)
        self.note.setVisible(bool(text))
        self.view.setVisible(not text)

    def set_grids(self, grids: np.ndarray, boundaries: Sequence[np.ndarray] = ()) -> None:
        """What each run predicts over the grid: probabilities of class 1, or class indices;
        with two classes, each run's boundary as segment end points ``(2K, 2)`` in data units
        (:func:`widgets.level_lines.level_segments` at 0.5)."""
        x0, x1, y0, y1 = self._extent
        rows, cols = np.shape(grids)[1:] if np.ndim(grids) == 3 else (2, 2)
        # the samples (row i at y0 + i·Δ) are the pixels' centres, where the boundary runs
        dx, dy = (x1 - x0) / max(cols - 1, 1), (y1 - y0) / max(rows - 1, 1)
        rect = QtCore.QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy)
        two = self._n_classes == 2
        lut = probability_lut() if two else class_lut(self._n_classes)
        levels = (0.0, 1.0) if two else (0.0, float(self._n_classes - 1))
        for i, (tile, grid) in enumerate(zip(self.tiles, grids, strict=False)):
            values = np.nan_to_num(np.asarray(grid, dtype=float), nan=0.5 if two else 0.0)
            tile.image.setImage(values, levels=levels, lut=lut if two else lut[:, :3])
            tile.image.setRect(rect)
            line = boundaries[i] if two and i < len(boundaries) else np.empty((0, 2))
            tile.boundary.setData(line[:, 0], line[:, 1])
        self.received += 1
