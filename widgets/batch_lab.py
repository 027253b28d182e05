"""The batch-size lab's three plots: sample averages, noise against N, loss against compute.

Each view draws the numbers it is given and computes nothing but histograms and log-scale
filtering. :class:`SamplingView` shows, for a few sample sizes N, the histogram of many sample
averages with the normal density of variance σ²/N on top (x axes linked, so the narrowing shows).
:class:`NoiseCurveView` shows the measured standard error of the minibatch gradient against N on
log-log axes, the exact curve and the fitted slope, and beside it the time one minibatch gradient
takes. :class:`IterationsView` shows the loss of one optimizer at several batch sizes against
iterations and against sample-gradients computed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style

__all__ = ["IterationsView", "NoiseCurveView", "SamplingView"]

_INK = style.FOREGROUND
_COORD_COLORS = (style.RUN_COLORS[0], style.RUN_COLORS[1])


def _positive(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points a log-log plot can show: both coordinates finite and > 0."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    return x[keep], y[keep]


def _plot(view: pg.GraphicsLayoutWidget, row: int, col: int, *, log: bool = False) -> pg.PlotItem:
    plot = view.addPlot(row=row, col=col, axisItems=style.plot_axes())
    style.style_plot(plot)
    if log:
        plot.setLogMode(x=True, y=True)
    return plot


def _caption(view: pg.GraphicsLayoutWidget, row: int, colspan: int) -> style.RichTextItem:
    item = style.RichTextItem(point_size=style.TEXT_PT)
    view.addItem(item, row=row, col=0, colspan=colspan)
    return item


def _muted(text: str) -> str:
    return f"<span style='color:{style.MUTED}'>{text}</span>"


#: what a view says before its first estimate, instead of showing empty plots
WAITING = "Press <b>Estimate</b> to fill the plots of all three tabs."


def _wait(title: style.RichTextItem, caption: style.RichTextItem,
          plots: Sequence[pg.PlotItem]) -> None:
    """Hide ``plots`` and say what fills them."""
    for plot in plots:
        plot.setVisible(False)
    title.set_html(_muted(WAITING))
    caption.set_html("")


def lattice_bins(lo: float, hi: float, lattice: float | None, target: int = 40) -> np.ndarray:
    """Histogram edges over ``[lo, hi]``; with ``lattice`` (values are multiples of it), edges sit
    half-way between lattice points and each bin holds the same number of them (no aliasing)."""
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    if lattice is None or lattice <= 0:
        return np.linspace(lo, hi, target + 1)
    width = lattice * max(1, math.ceil((hi - lo) / (lattice * target)))
    start = round(lo / lattice) * lattice - lattice / 2  # each bin holds width/lattice points
    count = max(1, math.ceil((hi + lattice / 2 - start) / width - 1e-9))
    return start + width * np.arange(count + 1)


class SamplingView(QtWidgets.QWidget):
    """Histograms of sample averages for up to :attr:`PANELS` sample sizes, side by side."""

    PANELS = 4

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.view = style.make_view()
        layout.addWidget(self.view)
        self._title = _caption(self.view, 0, self.PANELS)
        self.plots: list[pg.PlotItem] = []
        self.hists: list[pg.PlotDataItem] = []
        self.normals: list[pg.PlotDataItem] = []
        self.means: list[pg.InfiniteLine] = []
        for i in range(self.PANELS):
            plot = _plot(self.view, 1, i)
            plot.showGrid(x=False, y=True, alpha=style.GRID_ALPHA)
            hist = pg.PlotDataItem(stepMode="center", fillLevel=0, antialias=True)
            normal = pg.PlotDataItem(pen=style.pen(_INK, 2.0, QtCore.Qt.PenStyle.DashLine))
            mean = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(_INK, 1.0))
            for item in (hist, normal, mean):
                plot.addItem(item)
            normal.setZValue(5)
            if i:
                plot.setXLink(self.plots[0])
            self.plots.append(plot)
            self.hists.append(hist)
            self.normals.append(normal)
            self.means.append(mean)
        style.set_axis_label(self.plots[0], "left", "density")
        self._caption = _caption(self.view, 2, self.PANELS)
        _wait(self._title, self._caption, self.plots)

    def show_samples(
        self,
        batch_sizes: Sequence[int],
        averages: Sequence[np.ndarray],
        *,
        mean: float,
        std_errors: Sequence[float],
        title: str,
        x_label: str,
        lattice: Sequence[float | None] | None = None,
        caption: str = "",
    ) -> None:
        """Show one histogram (as a density) per ``batch_sizes[i]`` of ``averages[i]`` ``(K,)``,
        with the normal density N(``mean``, ``std_errors[i]``²) and a line at ``mean``.

        ``lattice[i]``, when given, is the spacing of the values ``averages[i]`` can take
        (1/N for means of integers), so bins do not alias. Panels beyond ``len(batch_sizes)``
        are hidden.
        """
        data = [np.asarray(a, dtype=float) for a in averages]
        finite = [d[np.isfinite(d)] for d in data]
        edges = [lattice_bins(float(d.min()) if d.size else mean,
                              float(d.max()) if d.size else mean,
                              None if lattice is None else lattice[i])
                 for i, d in enumerate(finite)]
        ends = np.concatenate([[mean], *(e[[0, -1]] for e in edges)])
        lo, hi = float(ends.min()), float(ends.max())
        x = np.linspace(lo, hi, 400)
        color = style.RUN_COLORS[0]
        for i, plot in enumerate(self.plots):
            plot.setVisible(i < len(batch_sizes))
            if i >= len(batch_sizes):
                continue
            d = finite[i]
            counts, bins = np.histogram(d, bins=edges[i])
            density = counts / max(d.size * (bins[1] - bins[0]), 1e-300)
            self.hists[i].setPen(style.pen(color, 1.2))
            self.hists[i].setBrush(style.brush(color, 80))
            self.hists[i].setData(bins, density)
            self.means[i].setPos(mean)
            se = float(std_errors[i])
            if math.isfinite(se) and se > 0:
                self.normals[i].setData(
                    x, np.exp(-0.5 * ((x - mean) / se) ** 2) / (se * math.sqrt(2 * math.pi)))
            else:
                self.normals[i].setData([], [])
            plot.setTitle(f"N = {batch_sizes[i]}", color=_INK, size=f"{style.LABEL_PT}pt")
            style.set_axis_label(plot, "bottom", x_label)
        pad = 0.02 * (hi - lo or 1.0)
        self.plots[0].setXRange(lo - pad, hi + pad, padding=0)
        for plot in self.plots:
            plot.enableAutoRange(axis="y")
        self._title.set_html(title)
        legend = style.join_entries([
            style.legend_entry("■", color, f"averages of N samples ({finite[0].size} each)"),
            style.legend_entry("╌", _INK, "normal density with the standard error shown"),
            style.legend_entry("│", _INK, "mean"),
        ])
        self._caption.set_html(legend + ("<br>" + _muted(caption) if caption else ""))

    def title_text(self) -> str:
        """The title row as plain text."""
        return self._title.plain_text()


class NoiseCurveView(QtWidgets.QWidget):
    """Standard error against N (log-log) and time per minibatch gradient against N."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.view = style.make_view()
        layout.addWidget(self.view)
        self._title = _caption(self.view, 0, 2)
        self.error_plot = _plot(self.view, 1, 0, log=True)
        self.time_plot = _plot(self.view, 1, 1, log=True)
        self.view.ci.layout.setColumnStretchFactor(0, 3)
        self.view.ci.layout.setColumnStretchFactor(1, 2)
        style.set_axis_label(self.error_plot, "bottom", "batch size N")
        style.set_axis_label(self.error_plot, "left", "standard error of the minibatch gradient")
        style.set_axis_label(self.time_plot, "bottom", "batch size N")
        style.set_axis_label(self.time_plot, "left", "µs per minibatch gradient")
        self.measured: list[pg.PlotDataItem] = []
        self.exact: list[pg.PlotDataItem] = []
        self.fits: list[pg.PlotDataItem] = []
        for color in _COORD_COLORS:
            exact = pg.PlotDataItem(pen=style.pen(color, 1.8))
            fit = pg.PlotDataItem(pen=style.pen(style.darker(color), 1.5,
                                                QtCore.Qt.PenStyle.DashLine))
            measured = pg.PlotDataItem(pen=None, symbol="o", symbolSize=8,
                                       symbolBrush=style.brush(color),
                                       symbolPen=pg.mkPen(style.BACKGROUND))
            measured.setZValue(5)
            for item in (exact, fit, measured):
                self.error_plot.addItem(item)
            self.exact.append(exact)
            self.fits.append(fit)
            self.measured.append(measured)
        self.timing = pg.PlotDataItem(pen=style.pen(style.RUN_COLORS[2], 1.8), symbol="o",
                                      symbolSize=7, symbolBrush=style.brush(style.RUN_COLORS[2]),
                                      symbolPen=pg.mkPen(style.BACKGROUND))
        self.linear = pg.PlotDataItem(pen=style.pen(style.MUTED, 1.5,
                                                    QtCore.Qt.PenStyle.DashLine))
        self.time_plot.addItem(self.linear)
        self.time_plot.addItem(self.timing)
        self._caption = _caption(self.view, 2, 2)
        _wait(self._title, self._caption, (self.error_plot, self.time_plot))

    def show_curve(
        self,
        batch_sizes: np.ndarray,
        measured: np.ndarray,
        exact_n: np.ndarray,
        exact: np.ndarray,
        slopes: Sequence[tuple[float, float]],
        fit_max: int,
        seconds: np.ndarray,
        *,
        title: str,
        caption: str = "",
    ) -> None:
        """Draw ``measured`` ``(n, 2)`` standard errors at ``batch_sizes`` ``(n,)`` as dots, the
        exact curve ``exact`` ``(m, 2)`` at ``exact_n`` ``(m,)`` as lines, the fitted lines
        ``slopes[j] = (slope, intercept)`` (log₁₀ units) over N ≤ ``fit_max``, and ``seconds``
        ``(n,)`` per minibatch gradient with a dashed line ∝ N through its last point.
        Values ≤ 0 (the error at N = M) cannot sit on a log axis and are left out.
        """
        self.error_plot.setVisible(True)
        self.time_plot.setVisible(True)
        n = np.asarray(batch_sizes, dtype=float)
        fit_x = n[n <= fit_max] if np.any(n <= fit_max) else n
        entries = []
        for j, color in enumerate(_COORD_COLORS):
            self.measured[j].setData(*_positive(n, measured[:, j]))
            self.exact[j].setData(*_positive(exact_n, exact[:, j]))
            slope, intercept = slopes[j]
            if math.isfinite(slope) and fit_x.size:
                xs = np.array([fit_x.min(), fit_x.max()])
                self.fits[j].setData(xs, 10 ** (intercept + slope * np.log10(xs)))
            else:
                self.fits[j].setData([], [])
            name = f"g{'₁₂'[j]}"
            entries.append(style.legend_entry("●", color, f"{name} measured"))
            entries.append(style.legend_entry("━", color, f"{name} exact σ/√N·√((M−N)/(M−1))"))
            entries.append(style.legend_entry("╌", style.darker(color),
                                              f"fit, slope {slope:.3f}" if math.isfinite(slope)
                                              else "fit: too few points"))
        tx, ty = _positive(n, seconds)
        ty = ty * 1e6  # microseconds
        self.timing.setData(tx, ty)
        self.linear.setData(tx, ty[-1] * tx / tx[-1] if tx.size else [])
        for plot, ratio in ((self.error_plot, 1.5), (self.time_plot, 3.5)):
            plot.getAxis("bottom").setTicks([[(math.log10(v), f"{v:g}")
                                              for v in _sparse(n, ratio)], []])
        if ty.size:
            self.time_plot.getAxis("left").setTicks([_log_ticks(ty.min() / 20, ty.max() * 2),
                                                     []])
        entries.append(style.legend_entry("●", style.RUN_COLORS[2], "time per gradient"))
        entries.append(style.legend_entry("╌", style.MUTED, "∝ N"))
        self._title.set_html(title)
        self._caption.set_html(style.join_entries(entries)
                               + ("<br>" + _muted(caption) if caption else ""))
        self.error_plot.enableAutoRange()
        self.time_plot.enableAutoRange(axis="x")
        if ty.size:  # the measured times, with the ∝ N guide running off below them
            self.time_plot.setYRange(math.log10(ty.min() / 20), math.log10(ty.max() * 2),
                                     padding=0)

    def title_text(self) -> str:
        """The title row as plain text."""
        return self._title.plain_text()


class IterationsView(QtWidgets.QWidget):
    """Loss against iterations and against sample-gradients, one curve per batch size."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.view = style.make_view()
        layout.addWidget(self.view)
        self._title = _caption(self.view, 0, 2)
        self.iter_plot = _plot(self.view, 1, 0)
        self.iter_plot.setLogMode(x=False, y=True)
        self.compute_plot = _plot(self.view, 1, 1, log=True)
        self.compute_plot.setYLink(self.iter_plot)
        style.set_axis_label(self.iter_plot, "bottom", "iterations")
        style.set_axis_label(self.compute_plot, "bottom", "sample-gradients computed")
        self.curves: list[tuple[style.RunCurve, style.RunCurve]] = []
        self._caption = _caption(self.view, 2, 2)
        _wait(self._title, self._caption, (self.iter_plot, self.compute_plot))

    def show_runs(
        self,
        labels: Sequence[str],
        steps: np.ndarray,
        loss: np.ndarray,
        sample_grads: np.ndarray,
        *,
        y_label: str,
        title: str,
        caption: str = "",
    ) -> None:
        """Draw column ``r`` of ``loss`` ``(T, R)`` against ``steps`` ``(T,)`` and against
        ``sample_grads[:, r]``; non-positive losses (log axis) are left out."""
        self.iter_plot.setVisible(True)
        self.compute_plot.setVisible(True)
        while len(self.curves) < len(labels):
            i = len(self.curves)
            color = style.run_color([], i)
            self.curves.append((style.RunCurve(self.iter_plot, color),
                                style.RunCurve(self.compute_plot, color)))
        entries = []
        for r, (by_iter, by_compute) in enumerate(self.curves):
            if r >= len(labels):
                by_iter.set_data(np.empty(0), np.empty(0))
                by_compute.set_data(np.empty(0), np.empty(0))
                continue
            y = np.asarray(loss[:, r], dtype=float)
            x1, y1 = _positive_y(np.asarray(steps, dtype=float), y)
            by_iter.set_data(*style.decimate(x1, y1, method="peak"))
            x2, y2 = _positive(sample_grads[:, r], y)
            by_compute.set_data(*style.decimate(x2, y2, method="peak"))
            entries.append(style.legend_entry("━", by_iter.color, labels[r]))
        style.set_axis_label(self.iter_plot, "left", y_label)
        self._title.set_html(title)
        self._caption.set_html(style.join_entries(entries)
                               + ("<br>" + _muted(caption) if caption else ""))
        for plot in (self.iter_plot, self.compute_plot):
            plot.enableAutoRange()

    def title_text(self) -> str:
        """The title row as plain text."""
        return self._title.plain_text()


def _sparse(n: np.ndarray, ratio: float) -> list[float]:
    """The batch sizes to label on a log axis: from the largest down, each at least ``ratio``
    times smaller than the last one labelled, so labels never crowd."""
    keep: list[float] = []
    for v in sorted({float(v) for v in n if v > 0}, reverse=True):
        if not keep or keep[-1] / v >= ratio:
            keep.append(v)
    return keep


def _log_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks at 1, 2, 5 × 10ᵏ between ``lo`` and ``hi`` (> 0), in log₁₀ units; only the
    powers of ten when those would be more than eight."""
    values = [m * 10.0**k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
              for m in (1, 2, 5) if lo <= m * 10.0**k <= hi]
    if len(values) > 8:
        values = [v for v in values if math.isclose(math.log10(v), round(math.log10(v)))]
    return [(math.log10(v), f"{v:g}") for v in values]


def _positive_y(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
    return x[keep], y[keep]


def bold(text: str) -> str:
    """``text`` escaped and in bold, for a view's title."""
    return f"<b>{html.escape(text)}</b>"
