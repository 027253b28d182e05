"""Loss and accuracy while a network trains: per run, on the training and the validation set.

Two plots side by side. Loss (log axis): each step's minibatch loss as a faint line, the loss on
the training set as a solid line and on the validation set as a dashed one, in the run's colour.
Accuracy: training solid, validation dashed (absent for a regression). The x axis — steps,
samples seen or wall time — is picked in the header; the app sends matching x values.
A view: it draws the arrays it is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from widgets import style
from widgets.finite_curve import FiniteCurve

X_AXES = ("steps", "samples seen", "wall time (s)")
#: what the app passes per run, and how each is drawn (plot, line style, width, alpha)
SERIES = {
    "minibatch_loss": ("loss", QtCore.Qt.PenStyle.SolidLine, 1.0, 45),
    "train_loss": ("loss", QtCore.Qt.PenStyle.SolidLine, 2.0, 255),
    "val_loss": ("loss", QtCore.Qt.PenStyle.DashLine, 2.0, 255),
    "train_accuracy": ("accuracy", QtCore.Qt.PenStyle.SolidLine, 2.0, 255),
    "val_accuracy": ("accuracy", QtCore.Qt.PenStyle.DashLine, 2.0, 255),
}


PLOTS = ("loss", "accuracy")
POINTS = 2000  #: most points per curve in a still picture (a zoom in shows them)
MIN_POINTS = 200  #: fewest points per curve of a live drawing (see screen_points)


def _set(item: pg.PlotCurveItem, x: np.ndarray, y: np.ndarray) -> None:
    """``item.setData(x, y)`` unless it shows these points already (an evaluation every k steps
    leaves its curves as they were for several drawings)."""
    key = (len(x), float(x[-1]) if len(x) else 0.0, float(y[-1]) if len(y) else 0.0)
    if getattr(item, "_shown", None) != key:
        item._shown = key
        item.setData(x, y)


def squeezable(label: QtWidgets.QLabel) -> QtWidgets.QLabel:
    """Let ``label`` be narrower than its text (cut at the right) rather than widen a window;
    the whole text stays in its tooltip."""
    label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored,
                        QtWidgets.QSizePolicy.Policy.Preferred)
    label.setMinimumWidth(20)
    return label


def key_label(text: str) -> QtWidgets.QLabel:
    """A panel's key (HTML legend entries, :func:`widgets.style.join_entries`) on a row of its
    own under the header, wrapped between entries when the panel is narrow (presentation mode),
    never cut."""
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setFont(style.font(style.TEXT_PT))
    label.setContentsMargins(8, 0, 8, 0)
    label.setStyleSheet(f"color: {style.MUTED}")
    return label


def style_combo(combo: QtWidgets.QComboBox, characters: int = 12) -> None:
    """A combo box of run labels that is at most about ``characters`` wide when closed."""
    combo.setSizeAdjustPolicy(
        QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)


def _pen(color: str, line: QtCore.Qt.PenStyle, width: float, alpha: int) -> pg.QtGui.QPen:
    qcolor = pg.mkColor(color)
    qcolor.setAlpha(alpha)
    result = pg.mkPen(qcolor, width=width)
    result.setStyle(line)
    result.setCosmetic(True)
    return result


class TrainingCurvesPanel(QtWidgets.QWidget):
    """Loss and accuracy of every run. Signal ``x_axis_changed(str)``: one of :data:`X_AXES`."""

    x_axis_changed = QtCore.Signal(str)
    TITLE = "Loss and accuracy"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        header = style.PanelHeader(self)
        header.add(QtWidgets.QLabel("x axis:"))
        self.x_combo = header.add(QtWidgets.QComboBox())
        self.x_combo.addItems(X_AXES)
        self.x_combo.currentTextChanged.connect(self._x_changed)
        header.add_stretch()
        layout.addWidget(header)
        self.key = key_label(style.join_entries([
            style.legend_entry("—", style.MUTED, "training set"),
            style.legend_entry("- -", style.MUTED, "validation"),
            style.legend_entry("faint:", style.MUTED, "minibatches")]))
        layout.addWidget(self.key)
        self.view = style.make_view()
        layout.addWidget(self.view, 1)
        self.plots: dict[str, pg.PlotItem] = {}
        for col, (name, title) in enumerate((("loss", "loss"), ("accuracy", "accuracy"))):
            plot = self.view.addPlot(row=0, col=col, axisItems=style.plot_axes())
            style.style_plot(plot)
            style.set_axis_label(plot, "left", title)
            style.set_axis_label(plot, "bottom", X_AXES[0])
            self.plots[name] = plot
        self.plots["loss"].setLogMode(y=True)
        # ranges that move only when the data leave them: the axes are not laid out anew
        # (their ticks, labels and grid) at every drawing
        self._ranges = {"loss": style.FollowedRange(self.plots["loss"]),
                        "accuracy": style.FollowedRange(self.plots["accuracy"],
                                                        fixed_y=(-0.02, 1.02))}
        #: per run, a curve per series: PlotCurveItems, whose setData costs a seventh of a
        #: PlotDataItem's; a log axis's values are handed over as log10
        self.curves: list[dict[str, pg.PlotCurveItem]] = []
        self.received = 0  #: data sets drawn so far (for tests)

    def sizeHint(self) -> QtCore.QSize:
        return QtCore.QSize(560, 300)

    def screen_points(self) -> int:
        """Points per curve that look exact at the plots' width (two per pixel column, what a
        min/max decimation needs): a live drawing need not hand Qt more."""
        width = max(plot.getViewBox().size().width() for plot in self.plots.values())
        return max(MIN_POINTS, int(2 * width))

    def x_axis(self) -> str:
        return self.x_combo.currentText()

    def set_runs(self, colors: Sequence[str]) -> None:
        """One set of curves per run (created here once, then only ``setData``)."""
        for curves in self.curves:
            for name, item in curves.items():
                self.plots[SERIES[name][0]].removeItem(item)
        self.curves = []
        for i in range(len(colors)):
            color = style.run_color(colors, i)
            curves = {}
            for name, (plot, line, width, alpha) in SERIES.items():
                item = FiniteCurve(pen=_pen(color, line, width, alpha))  # filtered here
                self.plots[plot].addItem(item)
                curves[name] = item
            self.curves.append(curves)

    def set_data(self, step_x: np.ndarray, eval_x: np.ndarray,
                 series: Mapping[str, np.ndarray], regression: bool = False,
                 plots: Sequence[str] = PLOTS, points: int = POINTS) -> None:
        """``series[name]`` is ``(T, R)`` over ``step_x`` (``minibatch_loss``) or ``(E, R)`` over
        ``eval_x`` (the others); non-finite values are left out, long ones thinned to ``points``
        (keeping spikes). Only the ``plots`` named are drawn (one at a time keeps each repaint
        short while training)."""
        bounds: dict[str, list[tuple[float, float, float, float]]] = {p: [] for p in plots}
        for name, curves_of in SERIES.items():
            plot = curves_of[0]
            if plot not in plots:
                continue
            values = series.get(name)
            x = step_x if name == "minibatch_loss" else eval_x
            for r, curves in enumerate(self.curves):
                item = curves[name]
                if values is None or r >= values.shape[1] or (regression and "accuracy" in name):
                    _set(item, np.zeros(0), np.zeros(0))
                    continue
                y = values[:, r]
                ok = np.isfinite(y) & np.isfinite(x[:len(y)])
                if plot == "loss":
                    ok &= y > 0
                xs, ys = style.decimate(x[:len(y)][ok], y[ok], points, method="peak")
                view_y = np.log10(ys) if plot == "loss" else ys  # the log axis's coordinates
                _set(item, xs, view_y)
                if len(xs):
                    bounds[plot].append((float(xs[0]), float(xs[-1]), float(view_y.min()),
                                         float(view_y.max())))
        for plot, spans in bounds.items():
            if spans:
                lows, highs = np.min(spans, axis=0), np.max(spans, axis=0)
                self._ranges[plot].fit((lows[0], highs[1], lows[2], highs[3]))
        if "accuracy" in plots:
            self.plots["accuracy"].setVisible(not regression)
        self.received += 1

    def _x_changed(self, text: str) -> None:
        for plot in self.plots.values():
            style.set_axis_label(plot, "bottom", text)
        self.x_axis_changed.emit(text)
