"""The loss-curves panel: each run's training loss against steps, samples or time.

One curve per run in its colour, a dot at its latest value (a cross once the loss stopped being
finite), a log-scale toggle and an x-axis selector in the header. On a log scale, values that are
not positive cannot be drawn: the panel plots f − f_min when the caller knows f_min, drops what
is still ≤ 0, and says how many points it dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtWidgets

from widgets import style

__all__ = ["LossCurvesPanel"]

#: On a linear axis, losses beyond this magnitude are not drawn (Qt stops drawing a whole curve
#: somewhere past 1e17 pixels, and nothing that large is readable next to a converging run).
LINEAR_LIMIT = 1e15


def _drawable_linear(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Drop points beyond ``LINEAR_LIMIT``; say whether the curve ends beyond it (diverged)."""
    big = np.abs(y) > LINEAR_LIMIT
    if not big.any():
        return x, y, False
    return x[~big], y[~big], bool(big[-1])


class LossCurvesPanel(QtWidgets.QWidget):
    """Training loss of every run.

    Signals:
        x_axis_changed(str): the user picked another x-axis choice (see
            :meth:`set_x_axis_choices`); the caller then sends matching ``xs`` and a label.
        log_y_changed(bool): the log-scale toggle changed (by the user or :meth:`set_log_y`).
    """

    x_axis_changed = QtCore.Signal(str)
    log_y_changed = QtCore.Signal(bool)

    TITLE = "Training loss"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        header = style.PanelHeader(self)
        header.add(QtWidgets.QLabel("x axis:"))
        self._x_combo = header.add(QtWidgets.QComboBox())
        self._x_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents
        )
        self._x_combo.currentTextChanged.connect(self._on_x_axis)
        self._x_combo.setEnabled(False)  # until the caller offers choices
        header.add_stretch()
        self._log_check = header.add(QtWidgets.QCheckBox("log scale"))
        self._log_check.toggled.connect(self._on_log_toggled)
        layout.addWidget(header)

        self._view = style.make_view()
        layout.addWidget(self._view, 1)
        self._legend = style.RichTextItem()
        self._view.addItem(self._legend, row=0, col=0)
        self._plot = self._view.addPlot(row=1, col=0, axisItems=style.plot_axes())
        style.style_plot(self._plot)
        # follow the data with slack instead of autoranging (and re-laying out) every frame
        self._range = style.FollowedRange(self._plot)
        style.set_axis_label(self._plot, "bottom", "step")
        self._plot.getViewBox().sigRangeChanged.connect(self._refresh_density)

        self._labels: list[str] = []
        self._curves: list[style.RunCurve] = []
        self._data: tuple[Sequence[np.ndarray], Sequence[np.ndarray], float | None] = ([], [], None)
        self._dropped = 0
        self._suppress_x_signal = False
        self._update_y_label()
        self._refresh_legend()

    # --- public API ---------------------------------------------------------------------------

    def set_runs(self, labels: Sequence[str], colors: Sequence[str]) -> None:
        """Declare the runs (one curve each, in ``colors[i]``); reuses existing items.

        Curves drawn so far are kept when the labels are unchanged and emptied otherwise.
        """
        same = list(labels) == self._labels
        if not same:
            self._data = ([], [], None)
            self._range.reset()
        self._labels = list(labels)
        run_colors = [style.run_color(colors, i) for i in range(len(self._labels))]
        style.sync_run_curves(self._plot, self._curves, run_colors, keep_data=same)
        self._refresh_legend()

    def set_curves(
        self,
        xs: Sequence[np.ndarray],
        losses: Sequence[np.ndarray],
        *,
        f_min: float | None = None,
    ) -> None:
        """Draw run i's ``losses[i]`` against ``xs[i]`` (1-D arrays of equal length).

        Points where either value is not finite are skipped; a run whose last loss is not
        finite (or, on a linear axis, beyond ``LINEAR_LIMIT``) gets a cross at its last drawn
        point and "(diverged)" in the legend. Long curves are decimated keeping each
        stretch's minimum and maximum (two points per pixel column). On a log scale the panel
        draws ``loss − f_min`` when ``f_min`` is given (``loss`` otherwise) and drops the points
        that are ≤ 0, saying how many in the legend row.
        """
        self._data = (xs, losses, f_min)
        log = self.log_y()
        budget = style.point_budget(self._plot)
        self._dropped = 0
        for i, curve in enumerate(self._curves):
            if i >= len(xs) or i >= len(losses):
                curve.set_data(np.empty(0), np.empty(0))
                continue
            x, y, diverged = style.finite_xy(xs[i], losses[i])
            if log:
                x, y = self._positive(x, y, f_min)
            else:
                x, y, too_big = _drawable_linear(x, y)
                diverged = diverged or too_big
            x, y = style.decimate(x, y, budget, method="peak")
            curve.set_data(x, y, diverged=diverged)
        self._range.fit(style.curves_bounds(self._curves, log_y=log))
        self._update_y_label()
        self._refresh_legend()

    def set_x_axis_choices(self, choices: Sequence[str], current: str | None = None) -> None:
        """Offer ``choices`` in the x-axis selector and select ``current`` (default: the first).

        Does not emit :attr:`x_axis_changed`; only a user's pick does.
        """
        self._suppress_x_signal = True
        try:
            self._x_combo.clear()
            self._x_combo.addItems(list(choices))
            self._x_combo.setEnabled(bool(choices))
            if current is not None:
                self._x_combo.setCurrentText(current)
        finally:
            self._suppress_x_signal = False

    def set_x_axis(self, choice: str) -> None:
        """Select ``choice`` if it is offered (as a user's pick would: emits x_axis_changed)."""
        if self._x_combo.findText(choice) >= 0:
            self._x_combo.setCurrentText(choice)

    def x_axis(self) -> str:
        """The selected x-axis choice ('' when none are offered)."""
        return self._x_combo.currentText()

    def set_x_label(self, text: str) -> None:
        """Label the x axis, e.g. "step", "sample-gradients computed" or "wall time (s)"."""
        style.set_axis_label(self._plot, "bottom", text)

    def set_log_y(self, on: bool) -> None:
        """Switch the log scale of the loss axis (same as the header check box)."""
        self._log_check.setChecked(bool(on))

    def log_y(self) -> bool:
        """Whether the loss axis is on a log scale."""
        return self._log_check.isChecked()

    def clear(self) -> None:
        """Remove all runs and curves."""
        self.set_runs([], [])
        self.set_curves([], [])

    def export_image(self, path: str) -> None:
        """Write the plot (legend and curves) to ``path``: '.png' or '.svg'."""
        style.export_widget(self._view, path, scene_view=self._view)

    # --- internals ----------------------------------------------------------------------------

    def _positive(
        self, x: np.ndarray, y: np.ndarray, f_min: float | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if f_min is not None:
            y = y - f_min
        keep = y > 0
        self._dropped += int(keep.size - np.count_nonzero(keep))
        return x[keep], y[keep]

    def _refresh_density(self, *_: object) -> None:
        for curve in self._curves:
            curve.refresh_density()

    def _on_log_toggled(self, on: bool) -> None:
        self._plot.setLogMode(y=on)
        self._range.reset()
        self.set_curves(*self._data[:2], f_min=self._data[2])
        self.log_y_changed.emit(on)

    def _on_x_axis(self, text: str) -> None:
        if not self._suppress_x_signal and text:
            self.x_axis_changed.emit(text)

    def _update_y_label(self) -> None:
        shifted = self.log_y() and self._data[2] is not None
        text = "loss − f<sub>min</sub>" if shifted else "loss f(w)"
        style.set_axis_label(self._plot, "left", text + (" (log scale)" if self.log_y() else ""))

    def _refresh_legend(self) -> None:
        entries = style.legend_for_runs(self._labels, self._curves)
        text = f"<b>{self.TITLE}</b>&nbsp;&nbsp;&nbsp; " + style.join_entries(entries)
        if self._dropped:
            text += (
                f"<br><span style='color:{style.MUTED}'>log scale: {self._dropped} "
                "point(s) ≤ 0 not shown</span>"
            )
        self._legend.set_html(text)
