"""Per-layer pictures of a training network: the distribution of effective learning rates and
the update-to-weight ratio.

Left: for the run picked in the header, one histogram per layer of |Δw / g| over that layer's
parameters at the latest record — what Adam's "learning rate per parameter" really is (SGD's is
a single spike at its lr). Right: ‖Δw‖ / ‖w‖ per layer against steps for every run (colour: the
run; line style: the layer), both on log axes. A view: it draws the arrays it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style
from widgets.finite_curve import FiniteCurve
from widgets.training_curves import key_label, style_combo

#: layer colours in the histogram (light to dark: input layer to output layer)
LAYER_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
                "#8c8c8c")
PARTS = ("ratios", "histograms")  #: what :meth:`LayerStatsPanel.set_data` can draw
LINE_GLYPHS = ("—", "- -", "···", "-·")  #: how each line style reads in the key
LAYER_STYLES = (QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenStyle.DashLine,
                QtCore.Qt.PenStyle.DotLine, QtCore.Qt.PenStyle.DashDotLine)


def _pen(color: str, width: float, line: QtCore.Qt.PenStyle) -> pg.QtGui.QPen:
    result = pg.mkPen(color, width=width)
    result.setStyle(line)
    result.setCosmetic(True)
    return result


class LayerStatsPanel(QtWidgets.QWidget):
    """Effective-lr histograms of one run and update/weight ratios of all runs, per layer."""

    TITLE = "Layers"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        header = style.PanelHeader(self)
        header.add(QtWidgets.QLabel("histogram of run:"))
        self.run_combo = header.add(QtWidgets.QComboBox())
        style_combo(self.run_combo)
        self.run_combo.currentIndexChanged.connect(lambda _: self._draw_histograms())
        header.add_stretch()
        layout.addWidget(header)
        self.key = key_label("")
        layout.addWidget(self.key)
        self.view = style.make_view()
        layout.addWidget(self.view, 1)
        self.hist_plot = self.view.addPlot(row=0, col=0, axisItems=style.plot_axes())
        self.ratio_plot = self.view.addPlot(row=0, col=1, axisItems=style.plot_axes())
        for plot, x, y in ((self.hist_plot, "effective learning rate |Δw / g|",
                            "share of the layer's parameters"),
                           (self.ratio_plot, "steps", "update / weight ‖Δw‖ / ‖w‖")):
            style.style_plot(plot)
            style.set_axis_label(plot, "bottom", x)
            style.set_axis_label(plot, "left", y)
        self.hist_plot.setLogMode(x=True)
        self.ratio_plot.setLogMode(y=True)
        # a range that moves only when the data leave it: the axis is not laid out anew at
        # every drawing (the histograms' fixed bins and shares from 0 keep pyqtgraph's own)
        self._ratio_range = style.FollowedRange(self.ratio_plot)
        self.hist_items: list[pg.PlotDataItem] = []
        #: per run, a curve per layer: PlotCurveItems given log10 values (the log axis's
        #: coordinates), whose setData costs a seventh of a PlotDataItem's
        self.ratio_items: list[list[pg.PlotCurveItem]] = []
        self._layers: tuple[str, ...] = ()
        self._colors: tuple[str, ...] = ()
        self._edges = np.zeros(0)
        self._hist = np.zeros((0, 0, 0, 0))
        self.received = 0  #: data sets drawn so far (for tests)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(560, 280)

    def set_runs(self, labels: Sequence[str], colors: Sequence[str],
                 layers: Sequence[str]) -> None:
        """Curves for every run and layer (created here once, then only ``setData``)."""
        self._colors, self._layers = tuple(colors), tuple(layers)
        with QtCore.QSignalBlocker(self.run_combo):
            current = self.run_combo.currentIndex()
            self.run_combo.clear()
            self.run_combo.addItems(list(labels))
            self.run_combo.setCurrentIndex(min(max(current, 0), len(labels) - 1))
        for item in self.hist_items:
            self.hist_plot.removeItem(item)
        for items in self.ratio_items:
            for item in items:
                self.ratio_plot.removeItem(item)
        self.hist_items = []
        for k in range(len(layers)):
            color = LAYER_COLORS[k % len(LAYER_COLORS)]
            item = pg.PlotDataItem(stepMode="center", pen=_pen(color, 2.0,
                                                                QtCore.Qt.PenStyle.SolidLine))
            self.hist_plot.addItem(item)
            self.hist_items.append(item)
        self.ratio_items = []
        for r in range(len(labels)):
            items = []
            for k in range(len(layers)):
                item = FiniteCurve(pen=_pen(style.run_color(colors, r), 1.6,
                                            LAYER_STYLES[k % len(LAYER_STYLES)]))  # filtered
                self.ratio_plot.addItem(item)
                items.append(item)
            self.ratio_items.append(items)
        entries = [style.legend_entry(f"▬ {LINE_GLYPHS[k % len(LINE_GLYPHS)]}",
                                      LAYER_COLORS[k % len(LAYER_COLORS)], name)
                   for k, name in enumerate(layers)]
        self.key.setText(style.join_entries(entries))
        self.key.setToolTip("Histogram: the layer's colour. Ratios: the run's colour, the "
                            "layer's line style (— solid, - - dashed, ··· dotted, -· dash-dot).")

    def set_data(self, steps: np.ndarray, update_ratio: np.ndarray, edges: np.ndarray,
                 effective_lr_hist: np.ndarray, parts: Sequence[str] = PARTS) -> None:
        """``update_ratio`` ``(N, R, L)`` over ``steps``; ``effective_lr_hist`` ``(N, R, L,
        bins)`` over ``edges`` (the latest row is drawn). Only the ``parts`` named are drawn
        (one at a time keeps each repaint short while training)."""
        if "ratios" in parts:
            self._draw_ratios(steps, update_ratio)
        if "histograms" in parts:
            self._edges, self._hist = edges, effective_lr_hist
            self._draw_histograms()
        self.received += 1

    def _draw_ratios(self, steps: np.ndarray, update_ratio: np.ndarray) -> None:
        spans = []
        for r, items in enumerate(self.ratio_items):
            for k, item in enumerate(items):
                if update_ratio.ndim != 3 or r >= update_ratio.shape[1]:
                    item.setData([], [])
                    continue
                y = update_ratio[:, r, k]
                ok = np.isfinite(y) & (y > 0)
                log_y = np.log10(y[ok])
                item.setData(steps[ok], log_y)
                if ok.any():
                    spans.append((steps[ok][0], steps[ok][-1], log_y.min(), log_y.max()))
        if spans:
            lows, highs = np.min(spans, axis=0), np.max(spans, axis=0)
            self._ratio_range.fit((float(lows[0]), float(highs[1]), float(lows[2]),
                                   float(highs[3])))

    def _draw_histograms(self) -> None:
        r = self.run_combo.currentIndex()
        hist, edges = self._hist, self._edges
        for k, item in enumerate(self.hist_items):
            if hist.ndim != 4 or len(hist) == 0 or r < 0 or r >= hist.shape[1]:
                item.setData([], [])
                continue
            counts = np.nan_to_num(hist[-1, r, k])
            total = counts.sum()
            shares = counts / total if total > 0 else counts
            item.setData(edges, shares)
        style.settle((self.hist_plot,))
