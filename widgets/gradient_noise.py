"""The gradient-noise panel: how minibatch gradients scatter around the full-batch gradient.

For finite-sum problems, at the selected run's current point: one histogram per coordinate
(g₁ = ∂f/∂w₁, g₂ = ∂f/∂w₂) of many minibatch-gradient draws, the full-batch gradient as a
vertical line, and the normal density with the standard error σ/√N that the caller computed,
scaled to the histogram. The caption states N, σ/√N and that the variance is σ²/N (the slide's
σ²/√N is a slip). Deterministic problems get a readable message instead of empty plots.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style

__all__ = ["GradientNoisePanel"]

_COORDS = ("g₁ = ∂f/∂w₁", "g₂ = ∂f/∂w₂")
_NORMAL_COLOR = "#262626"
_FULL_COLOR = "#262626"


def histogram_bins(n_draws: int) -> int:
    """Number of histogram bins for ``n_draws`` draws: about 1.2·√n, between 8 and 60."""
    return int(np.clip(round(1.2 * math.sqrt(max(n_draws, 1))), 8, 60))


def _hist_range(d: np.ndarray, g: float, se: float) -> tuple[float, float]:
    """A range covering the draws and ±4 standard errors around the full-batch gradient."""
    parts = [d]
    if math.isfinite(g):
        parts.append(np.array([g - 4 * se, g + 4 * se]) if math.isfinite(se) else np.array([g]))
    values = np.concatenate(parts)
    values = values[np.isfinite(values)]
    if not values.size:
        return -1.0, 1.0
    lo, hi = float(values.min()), float(values.max())
    if hi - lo <= 1e-9 * max(abs(lo), abs(hi)):  # one value, up to rounding: no bins fit
        pad = 0.1 * abs(lo) or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


class _CoordinatePlot:
    """Histogram, full-batch line and normal curve of one gradient coordinate."""

    def __init__(self, plot: pg.PlotItem, label: str) -> None:
        self.plot = plot
        style.style_plot(plot)
        plot.showGrid(x=False, y=True, alpha=style.GRID_ALPHA)
        style.set_axis_label(plot, "bottom", label)
        self.hist = pg.PlotDataItem(stepMode="center", fillLevel=0, antialias=True)
        self.normal = pg.PlotDataItem(
            pen=style.pen(_NORMAL_COLOR, 2.0, QtCore.Qt.PenStyle.DashLine), antialias=True
        )
        self.full = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(_FULL_COLOR, 2.5))
        self.normal.setZValue(5)
        self.full.setZValue(6)
        for item in (self.hist, self.normal, self.full):
            plot.addItem(item)
        plot.enableAutoRange()
        self._color = ""

    def show(self, draws: np.ndarray, g: float, se: float, color: str) -> None:
        d = draws[np.isfinite(draws)]
        lo, hi = _hist_range(d, g, se)
        counts, edges = np.histogram(d, bins=histogram_bins(d.size), range=(lo, hi))
        if color != self._color:
            self._color = color
            self.hist.setPen(style.pen(color, 1.5))
            self.hist.setBrush(style.brush(color, 90))
        self.hist.setData(edges, counts.astype(float))
        self.full.setVisible(math.isfinite(g))
        if math.isfinite(g):
            self.full.setPos(g)
        if d.size and math.isfinite(g) and math.isfinite(se) and se > 0:
            x = np.linspace(lo, hi, 240)
            density = np.exp(-0.5 * ((x - g) / se) ** 2) / (se * math.sqrt(2 * math.pi))
            self.normal.setData(x, d.size * (edges[1] - edges[0]) * density)
        else:
            self.normal.setData([], [])

    def clear(self) -> None:
        self.hist.setData([], [])
        self.normal.setData([], [])
        self.full.setVisible(False)


class GradientNoisePanel(QtWidgets.QWidget):
    """Minibatch-gradient noise at the selected run's current point.

    Signals:
        run_selected(int): the user picked another run in the header's run selector (see
            :meth:`set_run_choices`); the caller then sends that run's draws.
    """

    run_selected = QtCore.Signal(int)

    TITLE = "Gradient noise"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self._header = header = style.PanelHeader(self)
        header.add(QtWidgets.QLabel("run:"))
        self._run_combo = header.add(QtWidgets.QComboBox())
        self._run_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents
        )
        self._run_combo.currentIndexChanged.connect(self._on_run)
        self._run_combo.setEnabled(False)  # until the caller offers runs
        header.add_stretch()
        layout.addWidget(header)
        self._suppress_run_signal = False

        self._stack = QtWidgets.QStackedWidget(self)
        layout.addWidget(self._stack, 1)
        self._view = style.make_view()
        self._stack.addWidget(self._view)
        self._message = self._make_message_label()
        self._stack.addWidget(self._message)

        self._legend = style.RichTextItem()
        self._view.addItem(self._legend, row=0, col=0, colspan=2)
        self._coords = [
            _CoordinatePlot(self._view.addPlot(row=1, col=j, axisItems=style.plot_axes()), label)
            for j, label in enumerate(_COORDS)
        ]
        style.set_axis_label(self._coords[0].plot, "left", "draws")
        self._caption = style.RichTextItem(point_size=style.TEXT_PT - 0.5)
        self._view.addItem(self._caption, row=2, col=0, colspan=2)
        self.clear()

    def _make_message_label(self) -> QtWidgets.QLabel:
        label = QtWidgets.QLabel()
        label.setWordWrap(True)
        label.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        label.setContentsMargins(32, 24, 32, 24)
        label.setFont(style.font(style.LABEL_PT + 1))
        label.setStyleSheet(f"color: {style.MUTED}; background: {style.BACKGROUND}")
        return label

    # --- public API ---------------------------------------------------------------------------

    def show_noise(
        self,
        draws: np.ndarray,
        full_grad: np.ndarray,
        std_error: np.ndarray,
        batch_size: int,
        n_samples: int,
        run_label: str,
        color: str,
    ) -> None:
        """Show ``draws`` (K, 2) minibatch gradients taken at one point of run ``run_label``.

        ``full_grad`` (2,) is the full-batch gradient there, ``std_error`` (2,) the standard
        error σ/√N of a minibatch mean per coordinate (the caller may include the
        finite-population correction), ``batch_size`` is N and ``n_samples`` is M. Non-finite
        draws are skipped; a zero or non-finite standard error draws no normal curve.
        """
        d = np.asarray(draws, dtype=float).reshape(-1, 2)
        g = np.asarray(full_grad, dtype=float).ravel()
        se = np.asarray(std_error, dtype=float).ravel()
        for j, coord in enumerate(self._coords):
            coord.show(d[:, j], float(g[j]), float(se[j]), color)
        skipped = int((~np.isfinite(d).all(axis=1)).sum())
        self._legend.set_html(self._legend_html(run_label, color, len(d), skipped))
        self._caption.set_html(self._caption_html(batch_size, n_samples, se))
        self._show_page(self._view)

    def show_message(self, text: str) -> None:
        """Replace the plots with ``text`` (e.g. "This problem is deterministic: …")."""
        self._message.setText(text)
        self._show_page(self._message)

    def message(self) -> str | None:
        """The message shown instead of the plots, or None while the plots are shown."""
        return self._message.text() if self._stack.currentWidget() is self._message else None

    def set_run_choices(self, labels: Sequence[str], current: int = 0) -> None:
        """Offer ``labels`` in the run selector and select ``current``; emits nothing."""
        self._suppress_run_signal = True
        try:
            self._run_combo.clear()
            self._run_combo.addItems(list(labels))
            self._run_combo.setEnabled(bool(labels))
            if 0 <= current < len(labels):
                self._run_combo.setCurrentIndex(current)
        finally:
            self._suppress_run_signal = False

    def set_current_run(self, index: int) -> None:
        """Select run ``index`` in the run selector without emitting :attr:`run_selected`."""
        self._suppress_run_signal = True
        try:
            self._run_combo.setCurrentIndex(index)
        finally:
            self._suppress_run_signal = False

    def current_run(self) -> int:
        """Index of the run selected in the header (-1 when none)."""
        return self._run_combo.currentIndex()

    def clear(self) -> None:
        """Empty the plots and captions and show them (not the message)."""
        for coord in self._coords:
            coord.clear()
        self._legend.set_html(f"<b>{self.TITLE}</b>")
        self._caption.set_html("")
        self._message.setText("")
        self._show_page(self._view)

    def export_image(self, path: str) -> None:
        """Write what is shown (plots, or the message) to ``path``: '.png' or '.svg'."""
        if self._stack.currentWidget() is self._message:
            style.export_widget(self._message, path, scene_view=None)
        else:
            style.export_widget(self._view, path, scene_view=self._view)

    # --- internals ----------------------------------------------------------------------------

    def _show_page(self, page: QtWidgets.QWidget) -> None:
        # a run selector means nothing while the problem has no noise to show
        self._header.setVisible(page is self._view)
        self._stack.setCurrentWidget(page)

    def _on_run(self, index: int) -> None:
        if not self._suppress_run_signal and index >= 0:
            self.run_selected.emit(index)

    def _legend_html(self, run_label: str, color: str, k: int, skipped: int) -> str:
        note = f" ({skipped} not finite)" if skipped else ""
        entries = [
            style.legend_entry("▇", color, f"{k} minibatch gradients{note}"),
            style.legend_entry("┃", _FULL_COLOR, "full batch"),
            style.legend_entry("╌╌", _NORMAL_COLOR, "normal, s.d. σ/√N"),
        ]
        run = f"<span style='color:{color}'><b>{html.escape(run_label)}</b></span>"
        return f"<b>{self.TITLE}</b> at {run}&nbsp;&nbsp;&nbsp; " + style.join_entries(entries)

    @staticmethod
    def _caption_html(batch_size: int, n_samples: int, se: np.ndarray) -> str:
        errors = ", ".join(f"{s:.3g}" for s in se)
        return (
            f"N = {batch_size} of M = {n_samples} samples · standard error σ/√N = ({errors}) · "
            f"variance σ²/N <span style='color:{style.MUTED}'>(the slide's σ²/√N is a slip)</span>"
        )
