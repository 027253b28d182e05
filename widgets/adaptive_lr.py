"""The adaptive-learning-rate panel: the step size each run actually applies per parameter.

The effective learning rate of coordinate i is Δwᵢ / gᵢ, the step taken divided by the gradient.
It is constant for SGD, shrinks forever for AdaGrad and differs per coordinate for the adaptive
methods. It can be negative (momentum carrying the iterate against the gradient) or undefined
(gᵢ = 0), so the panel plots |Δwᵢ / gᵢ| on a log scale and leaves out zeros and non-finite values.
Two stacked plots, w₁ above w₂, share their step axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from PySide6 import QtWidgets

from widgets import style

__all__ = ["AdaptiveLrPanel"]

_Y_LABELS = ("|Δw₁ / g₁|", "|Δw₂ / g₂|")
_AXIS_WIDTH = 62  # same left-axis width in both plots, so their data areas line up


class AdaptiveLrPanel(QtWidgets.QWidget):
    """Per-parameter effective learning rate of every run over the steps (log scale)."""

    TITLE = "Effective learning rate per parameter"
    NOTE = "absolute values; steps with g = 0 or within rounding left out"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self._labels: list[str] = []
        self._curves: list[list[style.RunCurve]] = [[], []]
        self._view = style.make_view()
        layout.addWidget(self._view, 1)
        self._legend = style.RichTextItem()
        self._view.addItem(self._legend, row=0, col=0)
        self._plots = [
            self._view.addPlot(row=1 + j, col=0, axisItems=style.plot_axes()) for j in range(2)
        ]
        for j, plot in enumerate(self._plots):
            style.style_plot(plot)
            plot.setLogMode(y=True)
            plot.getAxis("left").setWidth(round(style.px(_AXIS_WIDTH)))
            style.set_axis_label(plot, "left", _Y_LABELS[j])
            self._view.ci.layout.setRowStretchFactor(j + 1, 1)
            plot.getViewBox().sigRangeChanged.connect(partial(self._refresh_density, j))
        self._plots[1].setXLink(self._plots[0])
        # follow the data with slack instead of autoranging (and re-laying out) every frame
        self._ranges = [style.FollowedRange(plot) for plot in self._plots]
        # Both plots keep their step tick values and the label gets its own row, so the two
        # plots are built alike and the layout gives them the same height.
        self._x_label = style.RichTextItem(
            align="center", point_size=style.LABEL_PT, indent=round(style.px(_AXIS_WIDTH))
        )
        self._x_label.set_html("step")
        self._view.addItem(self._x_label, row=3, col=0)
        self._refresh_legend()

    # --- public API ---------------------------------------------------------------------------

    def set_runs(self, labels: Sequence[str], colors: Sequence[str]) -> None:
        """Declare the runs (one curve per plot each, in ``colors[i]``); reuses existing items.

        Curves drawn so far are kept when the labels are unchanged and emptied otherwise.
        """
        same = list(labels) == self._labels
        if not same:
            for keeper in self._ranges:
                keeper.reset()
        self._labels = list(labels)
        run_colors = [style.run_color(colors, i) for i in range(len(self._labels))]
        for plot, curves in zip(self._plots, self._curves, strict=True):
            style.sync_run_curves(plot, curves, run_colors, keep_data=same)
        self._refresh_legend()

    def set_curves(self, steps: Sequence[np.ndarray], effective_lr: Sequence[np.ndarray]) -> None:
        """Draw run i's ``effective_lr[i]`` (T, 2) against ``steps[i]`` (T,).

        Column j goes to the plot of w_{j+1}. The panel draws |value| and leaves out zeros and
        non-finite values; long histories are decimated keeping each stretch's extremes.
        """
        budget = style.point_budget(self._plots[0])
        for j, curves in enumerate(self._curves):
            for i, curve in enumerate(curves):
                if i >= len(steps) or i >= len(effective_lr):
                    curve.set_data(np.empty(0), np.empty(0))
                    continue
                lr = np.asarray(effective_lr[i], dtype=float).reshape(-1, 2)
                x, y = self._drawable(np.asarray(steps[i], dtype=float).ravel(), lr[:, j])
                curve.set_data(*style.decimate(x, y, budget, method="peak"))
        bounds = [style.curves_bounds(curves, log_y=True) for curves in self._curves]
        # the step axis is shared (x-linked): both plots follow the union of their steps
        xs = [b[:2] for b in bounds if b is not None]
        for keeper, b in zip(self._ranges, bounds, strict=True):
            if b is not None:
                keeper.fit((min(x[0] for x in xs), max(x[1] for x in xs), b[2], b[3]))

    def clear(self) -> None:
        """Remove all runs and curves."""
        self.set_runs([], [])

    def export_image(self, path: str) -> None:
        """Write both plots and the legend to ``path``: '.png' or '.svg'."""
        style.export_widget(self._view, path, scene_view=self._view)

    # --- internals ----------------------------------------------------------------------------

    def _refresh_density(self, j: int, *_: object) -> None:
        for curve in self._curves[j]:
            curve.refresh_density()

    @staticmethod
    def _drawable(x: np.ndarray, lr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = min(x.size, lr.size)
        x, y = x[:n], np.abs(lr[:n])
        keep = np.isfinite(x) & np.isfinite(y) & (y > 0)
        return x[keep], y[keep]

    def _refresh_legend(self) -> None:
        entries = [style.legend_entry("━", c.color, label)
                   for label, c in zip(self._labels, self._curves[0], strict=True)]
        self._legend.set_html(
            f"<b>{self.TITLE}</b> <span style='color:{style.MUTED}'>({self.NOTE})</span>"
            "&nbsp;&nbsp;&nbsp; " + style.join_entries(entries)
        )
