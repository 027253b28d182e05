"""The curvature panel: the Hessian at the selected run's point, and its eigenvalues along the path.

Top: the Hessian, its eigenvalues and eigenvectors, the condition number, and for each run its lr
against its stability limit (given as text rows). Bottom: λ_min and λ_max of the selected run
over the steps, with the curvature above which its lr is unstable (2/lr for plain gradient
descent, 2(1 + β)/lr with heavy-ball momentum) as a dashed line: the zigzag starts where λ_max
crosses it, and Newton's trouble where λ_min drops below zero. Draws what it is given; no maths
beyond formatting.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from widgets import style

LAMBDA_MAX_COLOR = "#d81b60"  #: pink: no run colour is close
LAMBDA_MIN_COLOR = "#5e35b1"  #: deep purple


@dataclass(frozen=True)
class StabilityRow:
    """One run's lr against its limit: ``limit`` NaN where no fixed limit applies."""

    label: str
    color: str
    lr: float
    limit: float
    rule: str  # e.g. "2/λ_max", "2(1+β)/λ_max", "adaptive: no fixed limit"
    lambda_min: float = float("nan")  # at the run's own point


def _g(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.4g}"


class CurvaturePanel(QWidget):
    """Hessian facts at a point (text) and the eigenvalues along a path (plot)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._facts = QLabel()
        self._facts.setObjectName("curvature_facts")
        self._facts.setTextFormat(Qt.TextFormat.RichText)
        self._facts.setWordWrap(True)
        self._facts.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        small = self._facts.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self._facts.setFont(small)
        self._view = pg.GraphicsLayoutWidget()
        self._view.setBackground(style.BACKGROUND)
        self._view.setMinimumHeight(140)
        self._plot = self._view.addPlot(row=0, col=0)
        self._plot.setLabel("bottom", "step")
        self._plot.setLabel("left", "curvature λ")
        self._plot.showGrid(x=True, y=True, alpha=style.GRID_ALPHA)
        self._legend = self._plot.addLegend(offset=(-10, 10))
        self._max = self._plot.plot([], [], pen=pg.mkPen(LAMBDA_MAX_COLOR, width=2), name="λ_max",
                                    connect="finite")
        self._min = self._plot.plot([], [], pen=pg.mkPen(LAMBDA_MIN_COLOR, width=2), name="λ_min",
                                    connect="finite")
        self._limit = pg.InfiniteLine(angle=0, movable=False,
                                      pen=pg.mkPen(style.FOREGROUND, width=1.5,
                                                   style=Qt.PenStyle.DashLine))
        self._limit_label = pg.TextItem(color=style.FOREGROUND, anchor=(0, 1))
        self._zero = pg.InfiniteLine(pos=0.0, angle=0, movable=False,
                                     pen=pg.mkPen(style.MUTED, width=1))
        for item in (self._zero, self._limit, self._limit_label):
            self._plot.addItem(item)
        self._limit.setVisible(False)
        self._limit_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        scroll = QScrollArea()  # a short dock scrolls the facts rather than cutting them off
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self._facts)
        layout.addWidget(scroll, 1)
        layout.addWidget(self._view, 1)
        self.clear()

    # --- public API -----------------------------------------------------------------------
    def clear(self) -> None:
        """Nothing to show yet."""
        self._facts.setText("<i>The curvature appears once the session has a point.</i>")
        self._max.setData([], [])
        self._min.setData([], [])
        self._limit.setVisible(False)
        self._limit_label.setVisible(False)

    def set_point(self, title: str, color: str, point: Sequence[float], hessian: np.ndarray,
                  eigenvalues: Sequence[float], eigenvectors: np.ndarray, condition: float,
                  rows: Sequence[StabilityRow]) -> None:
        """The facts at ``point`` of the run ``title``, and every run's lr against its limit."""
        h = np.asarray(hessian, dtype=float)
        lo, hi = (float(v) for v in eigenvalues)
        v = np.asarray(eigenvectors, dtype=float)
        dot = f"<span style='color:{html.escape(color)}'>●</span>"
        lines = [
            f"{dot} <b>{html.escape(title)}</b> at ({_g(point[0])}, {_g(point[1])})",
            "<table cellspacing='0' cellpadding='1'>"
            f"<tr><td>Hessian H&nbsp;</td><td>[[{_g(h[0, 0])}, {_g(h[0, 1])}],"
            f" [{_g(h[1, 0])}, {_g(h[1, 1])}]]</td></tr>"
            f"<tr><td><span style='color:{LAMBDA_MIN_COLOR}'>λ_min</span></td>"
            f"<td>{_g(lo)} along ({_g(v[0, 0])}, {_g(v[0, 1])})</td></tr>"
            f"<tr><td><span style='color:{LAMBDA_MAX_COLOR}'>λ_max</span></td>"
            f"<td>{_g(hi)} along ({_g(v[1, 0])}, {_g(v[1, 1])})</td></tr>"
            f"<tr><td>condition&nbsp;</td><td>{_condition_text(condition, lo)}</td></tr>"
            "</table>",
        ]
        if rows:
            lines.append(_rows_table(rows))
        self._facts.setText("".join(lines))

    def set_path(self, steps: np.ndarray, lambda_min: np.ndarray, lambda_max: np.ndarray,
                 limit: float, limit_text: str) -> None:
        """λ_min and λ_max over ``steps``; ``limit`` the curvature above which lr is unstable."""
        steps = np.asarray(steps, dtype=float)
        self._min.setData(steps, np.asarray(lambda_min, dtype=float))
        self._max.setData(steps, np.asarray(lambda_max, dtype=float))
        shown = bool(np.isfinite(limit))
        self._limit.setVisible(shown)
        self._limit_label.setVisible(shown)
        values = np.concatenate([np.asarray(lambda_min, dtype=float),
                                 np.asarray(lambda_max, dtype=float), [0.0]])
        if shown:
            self._limit.setPos(float(limit))
            self._limit_label.setText(f"{limit_text} = {_g(limit)}")
            self._limit_label.setPos(float(steps[0]) if len(steps) else 0.0, float(limit))
            values = np.append(values, limit)
        values = values[np.isfinite(values)]
        low, high = float(values.min()), float(values.max())
        pad = 0.08 * (high - low) if high > low else 1.0
        self._plot.setYRange(low - pad, high + 2 * pad, padding=0)  # the limit and its label

    def facts_text(self) -> str:
        """The facts as shown, without markup (for tests)."""
        from PySide6.QtGui import QTextDocument

        document = QTextDocument()
        document.setHtml(self._facts.text())
        return document.toPlainText()

    def curves(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """The curves drawn (for tests)."""
        return {"λ_min": self._min.getData(), "λ_max": self._max.getData()}

    def limit_line(self) -> float | None:
        """The dashed limit line's height, or None when hidden (for tests)."""
        return float(self._limit.value()) if self._limit.isVisible() else None


def _condition_text(condition: float, lowest: float) -> str:
    if np.isfinite(condition):
        return f"κ = λ_max/λ_min = {_g(condition)}"
    if np.isfinite(lowest) and lowest < 0:
        return "undefined: λ_min &lt; 0 (a saddle or a maximum along that axis)"
    return "undefined: λ_min ≤ 0"


def _rows_table(rows: Sequence[StabilityRow]) -> str:
    cells = ["<table cellspacing='0' cellpadding='1'><tr><td><b>run</b>&nbsp;</td>"
             "<td><b>lr</b>&nbsp;</td><td><b>stable below</b>&nbsp;</td><td></td></tr>"]
    for row in rows:
        dot = f"<span style='color:{html.escape(row.color)}'>●</span>"
        if np.isfinite(row.limit):
            verdict = ("<span style='color:#2e7d32'>stable</span>" if row.lr < row.limit
                       else f"<span style='color:{LAMBDA_MAX_COLOR}'>unstable along λ_max</span>")
            limit = f"{_g(row.limit)} ({html.escape(row.rule)})"
        else:
            verdict, limit = html.escape(row.rule), "—"
        if np.isfinite(row.lambda_min) and row.lambda_min < 0:
            verdict += "; λ_min &lt; 0: moves away"
        cells.append(f"<tr><td>{dot} {html.escape(row.label)}&nbsp;</td><td>{_g(row.lr)}&nbsp;</td>"
                     f"<td>{limit}&nbsp;</td><td>{verdict}</td></tr>")
    cells.append("</table>")
    return "".join(cells)
