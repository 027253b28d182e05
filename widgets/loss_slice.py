"""A network's loss landscape, sliced: the loss on a plane through one run's weights, with every
run's weight trajectory projected onto it — the lab's 2D picture, for a network.

The header picks the plane (two filter-normalised random directions, or the two directions the
run moved in most) and the run it passes through; *Compute* asks for a slice (the app computes
it off the GUI thread), *Cancel* gives it up. A view: it draws the arrays it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style
from widgets.training_curves import squeezable, style_combo

DIRECTIONS = {"PCA of its path": "pca", "random (filter-normalised)": "random"}
CONTOURS = 12


class LossSlicePanel(QtWidgets.QWidget):
    """The loss over a plane (log colours, contours) and the runs' paths on it.

    Signals: ``compute_requested(int run, str directions)``, ``cancel_requested()``.
    """

    compute_requested = QtCore.Signal(int, str)
    cancel_requested = QtCore.Signal()
    TITLE = "Loss landscape slice"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        header = style.PanelHeader(self)
        header.add(QtWidgets.QLabel("plane:"))
        self.directions = header.add(QtWidgets.QComboBox())
        self.directions.addItems(list(DIRECTIONS))
        style_combo(self.directions, 10)
        header.add(QtWidgets.QLabel("through run:"))
        self.run_combo = header.add(QtWidgets.QComboBox())
        style_combo(self.run_combo, 10)
        if style.presentation_scale() > 1.0:  # one row would be 1099 px wide at 2×
            header.add_stretch()
            layout.addWidget(header)
            header = style.PanelHeader(self)
        self.compute_button = header.add(QtWidgets.QPushButton("Compute slice"))
        self.cancel_button = header.add(QtWidgets.QPushButton("Cancel"))
        self.cancel_button.setEnabled(False)
        header.add_stretch()
        self.status = header.add(QtWidgets.QLabel(""))
        self.status.setStyleSheet(f"color: {style.MUTED}")
        squeezable(self.status)
        header.set_stretch(self.status)
        layout.addWidget(header)
        self.compute_button.clicked.connect(self._compute)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.view = style.make_view()
        layout.addWidget(self.view, 1)
        self.plot = self.view.addPlot(axisItems=style.plot_axes())
        style.style_plot(self.plot, grid=False)
        style.set_axis_label(self.plot, "bottom", "α (first direction)")
        style.set_axis_label(self.plot, "left", "β (second direction)")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(style.landscape_colormap().getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.contours: list[pg.IsocurveItem] = []
        for _ in range(CONTOURS):
            item = pg.IsocurveItem(pen=pg.mkPen(style.MUTED, width=0.7))
            item.setParentItem(self.image)
            self.contours.append(item)
        self.paths: list[pg.PlotDataItem] = []
        self.ends: list[pg.ScatterPlotItem] = []
        self.received = 0  #: slices drawn so far (for tests)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(520, 320)

    def set_runs(self, labels: Sequence[str], colors: Sequence[str]) -> None:
        with QtCore.QSignalBlocker(self.run_combo):
            current = self.run_combo.currentIndex()
            self.run_combo.clear()
            self.run_combo.addItems(list(labels))
            self.run_combo.setCurrentIndex(min(max(current, 0), len(labels) - 1))
        for item in (*self.paths, *self.ends):
            self.plot.removeItem(item)
        self.paths, self.ends = [], []
        for i in range(len(labels)):
            color = style.run_color(colors, i)
            path = pg.PlotDataItem(pen=pg.mkPen(color, width=2))
            end = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#ffffff", width=1),
                                     brush=style.brush(color))
            self.plot.addItem(path)
            self.plot.addItem(end)
            self.paths.append(path)
            self.ends.append(end)

    def set_busy(self, busy: bool, text: str = "") -> None:
        """While a slice is computed: Compute off, Cancel on, and what is happening."""
        self.compute_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.status.setText(text)
        self.status.setToolTip(text)

    def set_slice(self, alpha: np.ndarray, beta: np.ndarray, loss: np.ndarray,
                  paths: Mapping[int, np.ndarray], text: str = "") -> None:
        """``loss[i, j]`` at ``(alpha[j], beta[i])``; ``paths[r]`` ``(k, 2)`` in the plane."""
        finite = loss[np.isfinite(loss)]
        floor = max(float(finite.min()) if finite.size else 1.0, 1e-12)
        shown = np.log10(np.clip(np.nan_to_num(loss, nan=np.inf, posinf=finite.max()
                                               if finite.size else 1.0), floor, None))
        lo, hi = float(np.nanmin(shown)), float(np.nanmax(shown))
        self.image.setImage(shown, levels=(lo, max(hi, lo + 1e-9)))
        x0, x1, y0, y1 = (float(v) for v in (alpha[0], alpha[-1], beta[0], beta[-1]))
        self.image.setRect(QtCore.QRectF(x0, y0, x1 - x0, y1 - y0))
        # the isocurves live in pixel units of the image, indexed (x, y)
        for level, item in zip(np.linspace(lo, hi, CONTOURS + 2)[1:-1], self.contours,
                               strict=True):
            item.setData(shown.T, level=level)
        for r, (path, end) in enumerate(zip(self.paths, self.ends, strict=True)):
            points = paths.get(r)
            if points is None or len(points) == 0:
                path.setData([], [])
                end.setData([], [])
                continue
            ok = np.isfinite(points).all(1)
            points = points[ok].astype(float)
            path.setData(points[:, 0], points[:, 1])
            end.setData(points[-1:, 0], points[-1:, 1])
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)
        self.set_busy(False, text)
        self.received += 1

    def _compute(self) -> None:
        self.compute_requested.emit(max(self.run_combo.currentIndex(), 0),
                                    DIRECTIONS[self.directions.currentText()])
