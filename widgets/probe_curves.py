"""A measured quantity per run against steps, next to the reference it is judged by (dashed).

Two panels are this one view: the gradient noise scale B_simple against the batch size in use
(McCandlish et al. 2018: batches much larger than B_simple stop paying), and the sharpness λ_max
of the training loss against 2/lr, the edge of stability (Cohen et al. 2021: plain gradient
descent drives λ_max up to 2/lr and hovers there). Log y axis. A view: it draws what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style

REFERENCE_REACH = 30.0  #: references are kept in view up to this many times the largest value


def _pen(color: str, width: float, dashed: bool) -> pg.QtGui.QPen:
    result = pg.mkPen(color, width=width)
    if dashed:
        result.setStyle(QtCore.Qt.PenStyle.DashLine)
    result.setCosmetic(True)
    return result


class ProbeCurvesPanel(QtWidgets.QWidget):
    """Per-run curves of one quantity (solid, dots at the records) and reference lines (dashed)."""

    def __init__(self, title: str, y_label: str, caption: str,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.TITLE = title
        layout = style.make_panel_layout(self)
        self.caption = QtWidgets.QLabel(caption)
        self.caption.setWordWrap(True)
        self.caption.setFont(style.font(style.TEXT_PT))
        self.caption.setContentsMargins(8, 4, 8, 0)
        layout.addWidget(self.caption)
        self.view = style.make_view()
        layout.addWidget(self.view, 1)
        self.plot = self.view.addPlot(axisItems=style.plot_axes())
        style.style_plot(self.plot)
        style.set_axis_label(self.plot, "left", y_label)
        style.set_axis_label(self.plot, "bottom", "steps")
        self.plot.setLogMode(y=True)
        self.note = QtWidgets.QLabel()
        self.note.setFont(style.font(style.TEXT_PT))
        self.note.setContentsMargins(8, 0, 8, 4)
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {style.MUTED}")
        layout.addWidget(self.note)
        self.curves: list[pg.PlotDataItem] = []
        self.references: list[pg.PlotDataItem] = []
        self.received = 0  #: data sets drawn so far (for tests)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(520, 280)

    def set_runs(self, colors: Sequence[str]) -> None:
        """One curve per run (created here once, then only ``setData``)."""
        for item in self.curves:
            self.plot.removeItem(item)
        self.curves = []
        for i in range(len(colors)):
            color = style.run_color(colors, i)
            item = pg.PlotDataItem(pen=_pen(color, 2.0, False), symbol="o", symbolSize=5,
                                   symbolPen=None, symbolBrush=style.brush(color))
            self.plot.addItem(item)
            self.curves.append(item)

    def set_data(self, steps: np.ndarray, values: np.ndarray,
                 references: Sequence[tuple[np.ndarray, np.ndarray, str]] = (),
                 note: str = "") -> None:
        """``values`` ``(N, R)`` over ``steps``; each reference is ``(x, y, colour)``, dashed."""
        for r, item in enumerate(self.curves):
            if values.ndim != 2 or r >= values.shape[1]:
                item.setData([], [])
                continue
            y = values[:, r]
            ok = np.isfinite(y) & (y > 0)
            item.setData(steps[ok], y[ok])
        while len(self.references) < len(references):
            item = pg.PlotDataItem()
            self.plot.addItem(item)
            self.references.append(item)
        for k, item in enumerate(self.references):
            if k >= len(references):
                item.setData([], [])
                continue
            x, y, color = references[k]
            ok = np.isfinite(y) & (y > 0)
            if getattr(item, "_color", None) != color:  # a pen set anew would be drawn wide
                item._color = color  # while training (widgets.live_drawing)
                item.setPen(_pen(color, 1.5, True))
            item.setData(x[ok], y[ok])
        self._fit_range(values, [y for _, y, _ in references])
        self.note.setText(note)
        self.received += 1

    def _fit_range(self, values: np.ndarray, references: Sequence[np.ndarray]) -> None:
        """The measured values in view, with the references up to :data:`REFERENCE_REACH`
        times the largest value (2/lr of an annealed lr runs off to infinity)."""
        measured = values[np.isfinite(values) & (values > 0)] if values.size else values
        if not measured.size:
            self.plot.enableAutoRange(y=True)
            return
        lo, hi = float(measured.min()), float(measured.max())
        for y in references:
            y = y[np.isfinite(y) & (y > 0)]
            if y.size:
                lo = min(lo, float(y.min()))
                hi = max(hi, min(float(y.max()), REFERENCE_REACH * float(measured.max())))
        self.plot.setYRange(np.log10(lo / 1.5), np.log10(hi * 1.5), padding=0)
