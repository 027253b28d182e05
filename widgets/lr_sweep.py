"""The learning-rate sweep's plot: final loss against learning rate, one curve per optimizer.

:class:`SweepView` draws the numbers it is given (it computes nothing but what a log axis can
show): on log-log axes, each optimizer's final loss above the problem's minimum against lr as a
line with markers, a ✕ along the top edge for each run that diverged, a star on each optimizer's
best lr, a bar at 10× its best loss over the learning rates that stay below it, and a caption
saying how many decades of lr that is. The bar is a dashed bracket, not a line with markers, so
it cannot be read as data, and a dotted line marks the start's loss: an optimizer whose best barely
improved on it gets no bar. It is the picture that checks the lecture's claim that AdamW "is
insensitive to hyperparameters" (curriculum §6).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style

__all__ = ["SweepView"]

#: marker per optimizer (pyqtgraph symbol, legend glyph): coinciding curves stay distinguishable
_SYMBOLS = (("o", "●"), ("s", "■"), ("t", "▼"), ("d", "◆"), ("h", "⬢"))
#: the rows of ✕ (diverged) sit this factor apart above the highest loss shown
_DIVERGED_STEP = 2.2
#: the tolerant range's bracket ends reach down to this fraction of its level
_BRACKET_DROP = 0.6


class SweepView(QtWidgets.QWidget):
    """Final loss (minus the known minimum) against lr on log-log axes, per optimizer."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self.view = style.make_view()
        layout.addWidget(self.view)
        self._title = style.RichTextItem(point_size=style.TEXT_PT)
        self.view.addItem(self._title, row=0, col=0)
        self.plot = self.view.addPlot(row=1, col=0, axisItems=style.plot_axes())
        style.style_plot(self.plot)
        self.plot.setLogMode(x=True, y=True)
        style.set_axis_label(self.plot, "bottom", "learning rate")
        style.set_axis_label(self.plot, "left", "final loss")
        self._caption = style.RichTextItem(point_size=style.TEXT_PT)
        self.view.addItem(self._caption, row=2, col=0)
        self.curves: list[pg.PlotDataItem] = []
        self.best: list[pg.PlotDataItem] = []
        self.diverged: list[pg.PlotDataItem] = []
        self.bands: list[pg.PlotDataItem] = []
        self.optimizers: tuple[str, ...] = ()
        self.start_line = pg.InfiniteLine(angle=0, pen=style.pen(style.MUTED, 1.2,
                                                                 QtCore.Qt.PenStyle.DotLine))
        self.start_line.setVisible(False)
        self.plot.addItem(self.start_line, ignoreBounds=True)
        self._empty = pg.TextItem("Press Run to sweep the learning rate.", color=style.MUTED,
                                  anchor=(0.5, 0.5))
        self._empty.setFont(style.font(style.LABEL_PT))
        self.plot.addItem(self._empty, ignoreBounds=True)
        self.plot.setXRange(-5, 0, padding=0.04)  # log₁₀ units: lr 10⁻⁵ … 1, loss 10⁻² … 10²
        self.plot.setYRange(-2, 2, padding=0.06)
        self._empty.setPos(-2.5, 0)

    def _ensure(self, count: int) -> None:
        while len(self.curves) < count:
            color = style.run_color([], len(self.curves))
            symbol = _SYMBOLS[len(self.curves) % len(_SYMBOLS)][0]
            # a dashed bracket ⌈‾‾⌉ over the lrs, without markers: an annotation, not data
            band = pg.PlotDataItem(pen=style.pen(color, 1.6, QtCore.Qt.PenStyle.DashLine))
            curve = pg.PlotDataItem(pen=style.pen(color, 2.0), symbol=symbol, symbolSize=8,
                                    symbolBrush=style.brush(color),
                                    symbolPen=pg.mkPen(style.BACKGROUND), connect="finite")
            best = pg.PlotDataItem(pen=None, symbol="star", symbolSize=20,
                                   symbolBrush=style.brush(color),
                                   symbolPen=pg.mkPen(style.FOREGROUND, width=1))
            diverged = pg.PlotDataItem(pen=None, symbol="x", symbolSize=11,
                                       symbolBrush=style.brush(color),
                                       symbolPen=pg.mkPen(color, width=1))
            for z, item in enumerate((band, curve, diverged, best)):
                item.setZValue(z)
                self.plot.addItem(item)
            self.bands.append(band)
            self.curves.append(curve)
            self.diverged.append(diverged)
            self.best.append(best)

    def show_sweep(
        self,
        optimizers: Sequence[str],
        lrs: np.ndarray,
        final_loss: np.ndarray,
        diverged: np.ndarray,
        *,
        f_min: float | None = None,
        tolerant: Sequence[tuple[float, float, float] | None] = (),
        factor: float = 10.0,
        title: str = "",
        start_loss: float | None = None,
        improvement: Sequence[float] = (),
        range_at_edge: Sequence[bool] = (),
        y_label: str | None = None,
        start_name: str = "the start",
        start_legend: str = "start loss",
    ) -> None:
        """Draw row ``o`` of ``final_loss`` ``(O, L)`` against ``lrs`` ``(L,)`` for
        ``optimizers[o]``, minus ``f_min`` when given; values ≤ 0 or NaN are left out and runs
        marked in ``diverged`` ``(O, L)`` are drawn as ✕ above the highest loss.
        ``tolerant[o]`` = ``(lo, hi, level)``: the lrs from ``lo`` to ``hi`` reach a loss (minus
        ``f_min``) of at most ``level``, ``factor`` × the best one; drawn as a bar at that level
        and reported in decades in the caption (None: "n/a"), as a lower bound ("≥") where
        ``range_at_edge[o]``. ``start_loss`` is drawn as a dotted line (minus ``f_min``);
        ``improvement[o]`` (start's excess / best excess) is said where it is below ``factor``.
        A best lr at the grid's first or last point is said to be at its edge. ``y_label``
        replaces the loss axis' label; ``start_name`` and ``start_legend`` are what the start
        is called in the caption and in the legend (a network's: its untrained loss)."""
        lrs = np.asarray(lrs, dtype=float)
        gap = np.asarray(final_loss, dtype=float) - (f_min or 0.0)
        gap = np.where(np.isfinite(gap) & (gap > 0), gap, np.nan)
        diverged = np.asarray(diverged, dtype=bool)
        self.optimizers = tuple(optimizers)
        self._ensure(len(optimizers))
        self._empty.setVisible(False)
        levels = np.array([t[2] for t in tolerant if t is not None], dtype=float)
        start_gap = math.nan if start_loss is None else start_loss - (f_min or 0.0)
        starts = np.array([start_gap] if start_gap > 0 else [], dtype=float)
        shown = np.concatenate([gap[np.isfinite(gap)], levels[np.isfinite(levels) & (levels > 0)],
                                starts])
        top = float(shown.max()) if shown.size else 1.0
        low = float(shown.min()) if shown.size else 1.0
        entries, summary = [], []
        for o, curve in enumerate(self.curves):
            items = (curve, self.best[o], self.diverged[o], self.bands[o])
            if o >= len(optimizers):
                for item in items:
                    item.setData([], [])
                continue
            row = gap[o]
            curve.setData(lrs, row)
            b = int(np.nanargmin(row)) if np.any(np.isfinite(row)) else None
            self.best[o].setData([] if b is None else [lrs[b]], [] if b is None else [row[b]])
            xs = lrs[diverged[o]]
            self.diverged[o].setData(xs, np.full(xs.shape, top * _DIVERGED_STEP ** (o + 1)))
            span = tolerant[o] if o < len(tolerant) else None
            better = improvement[o] if o < len(improvement) else math.nan
            if span is not None and b is not None:
                level = span[2]
                self.bands[o].setData([span[0], span[0], span[1], span[1]],
                                      [level * _BRACKET_DROP, level, level,
                                       level * _BRACKET_DROP])
                at_edge = o < len(range_at_edge) and range_at_edge[o]
                text = (("≥ " if at_edge else "") + f"{math.log10(span[1] / span[0]):.1f}"
                        + (" decades" if o == 0 else ""))
            else:
                self.bands[o].setData([], [])
                text = "n/a"
            if b is not None:
                edge = ", the grid's edge: widen it" if b in (0, len(lrs) - 1) else ""
                weak = (f", only {better:.2g}× below {start_name}" if better < factor else "")
                text += f" (best {row[b]:.3g} at lr {lrs[b]:.2g}{edge}{weak})"
            else:
                text += " (diverged at every lr)"
            summary.append(f"{optimizers[o]} {text}")
            color = curve.opts["pen"].color().name()
            glyph = _SYMBOLS[o % len(_SYMBOLS)][1]
            entries.append(style.legend_entry(f"━{glyph}", color, optimizers[o]))
        if diverged.any():
            entries.append(style.legend_entry("✕", style.FOREGROUND,
                                              "diverged (drawn above the plot's losses)"))
        entries.append(style.legend_entry("★", style.FOREGROUND, "best lr"))
        entries.append(style.legend_entry("⌈╌⌉", style.MUTED,
                                          f"lrs within {factor:g}× of the best "
                                          f"and {factor:g}× below {start_name}"))
        self.start_line.setVisible(bool(starts.size))
        if starts.size:
            self.start_line.setValue(math.log10(start_gap))
            entries.append(style.legend_entry("┈┈", style.MUTED, start_legend))
        style.set_axis_label(self.plot, "left", y_label if y_label else "final loss" if not f_min
                             else f"final loss − minimum ({f_min:g})")
        self._title.set_html(title)
        self._caption.set_html(
            style.join_entries(entries)
            + f"<br><b>Learning rates within {factor:g}× of the best loss:</b> "
            f"{html.escape(', '.join(summary))}.")
        rows = len(optimizers) if diverged.any() else 0
        self.plot.setXRange(math.log10(lrs.min()), math.log10(lrs.max()), padding=0.04)
        self.plot.setYRange(math.log10(low), math.log10(top * _DIVERGED_STEP ** rows),
                            padding=0.06)

    def caption_text(self) -> str:
        """The caption as plain text."""
        return self._caption.plain_text()

    def title_text(self) -> str:
        """The title as plain text."""
        return self._title.plain_text()


def curve_data(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The data ``item`` was given (before log scaling), for tests and exports."""
    x, y = item.getOriginalDataset()
    return (np.empty(0), np.empty(0)) if x is None else (np.asarray(x), np.asarray(y))

