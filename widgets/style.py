"""Shared look of the plot panels, and the small view helpers they all use.

Everything a panel draws takes its colours, pens and fonts from here, so the four panels read as
one application: a light theme for projection, the Okabe–Ito colour-blind-safe run palette, one
light sequential colour map for loss landscapes, and one set of font sizes.

Besides the theme this module holds what every panel needs and nothing panel-specific:
:func:`decimate` (thin long histories before drawing), :func:`style_plot` and :class:`TickAxis`
(axes, fonts, grid, tick labels such as 10⁻³), :class:`RichTextItem` (the wrapped
title/legend/caption rows that sit *outside* the data area, so they never cover data and are part
of SVG exports), :class:`PanelHeader` (the row of Qt controls above a plot), :class:`RunCurve`
(one run's curve plus its end-point marker) and :func:`export_widget` (PNG/SVG export).

Global pyqtgraph state is left alone except by :func:`configure_pyqtgraph`: images set their
axis order per item, and every panel sets its own colours.
"""

from __future__ import annotations

import contextlib
import html
import importlib
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import SVGExporter
from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

__all__ = [
    "BACKGROUND",
    "FOREGROUND",
    "GRID_ALPHA",
    "LABEL_PT",
    "MAX_POINTS",
    "MUTED",
    "RUN_COLORS",
    "SCALES",
    "TEXT_PT",
    "TICK_PT",
    "ElidedLabel",
    "PanelHeader",
    "RichTextItem",
    "RunCurve",
    "TickAxis",
    "brush",
    "configure_pyqtgraph",
    "darker",
    "decimate",
    "export_widget",
    "finite_xy",
    "font",
    "halo_pen",
    "landscape_colormap",
    "legend_entry",
    "legend_for_runs",
    "make_panel_layout",
    "make_view",
    "nice_number",
    "pen",
    "plot_axes",
    "point_budget",
    "pow10_label",
    "presentation_scale",
    "px",
    "run_color",
    "set_axis_label",
    "set_presentation_scale",
    "style_plot",
    "sync_run_curves",
]

# --- palette ---------------------------------------------------------------------------------

#: Run colours: Okabe & Ito (2008), safe for the common colour-vision deficiencies. Yellow
#: (#F0E442) is left out because it vanishes on a white background; black comes last because
#: minima and arrows use near-black.
RUN_COLORS: list[str] = [
    "#0072b2",  # blue
    "#d55e00",  # vermillion
    "#009e73",  # bluish green
    "#cc79a7",  # reddish purple
    "#e69f00",  # orange
    "#56b4e9",  # sky blue
    "#000000",  # black
    # three more from Paul Tol's muted scheme, so that ten runs keep ten colours
    "#882255",  # wine
    "#44aa99",  # teal
    "#999933",  # olive
]

BACKGROUND = "#ffffff"  #: plot and panel background
FOREGROUND = "#262626"  #: axes, tick labels, text
MUTED = "#6b6b6b"  #: secondary text (captions, notes)
GRID_ALPHA = 0.16  #: opacity of grid lines on the curve plots

#: Stops of the landscape colour map, low loss → high loss: near-white through cool greys to a
#: slate blue. Light and unsaturated on purpose, so every run colour stays readable on top.
LANDSCAPE_STOPS: tuple[tuple[float, str], ...] = (
    (0.00, "#fbfcfd"),
    (0.30, "#e4ebf2"),
    (0.60, "#bccbdb"),
    (0.85, "#8fa5bd"),
    (1.00, "#6f88a3"),
)

TICK_PT = 10  #: tick labels
LABEL_PT = 11  #: axis labels
TEXT_PT = 10  #: legends, captions, header controls

#: presentation mode: every font, pen, marker and arrow head drawn this many times larger (for a
#: projector at the back of a room); read when an item is made, so set it before the panels are
_scale = [1.0]
SCALES = (1.0, 1.5, 2.0)  #: the presentation scales offered


def presentation_scale() -> float:
    """The scale of fonts, pens, markers and arrow heads (1: normal; see :data:`SCALES`)."""
    return _scale[0]


def set_presentation_scale(scale: float) -> None:
    """Draw panels made from now on ``scale`` times larger (1 ≤ scale ≤ 3)."""
    if not 1.0 <= scale <= 3.0:
        raise ValueError(f"presentation scale {scale!r}: allowed 1 to 3")
    _scale[0] = float(scale)


def px(size: float) -> float:
    """A size in pixels (a marker, an arrow head) at the presentation scale."""
    return size * _scale[0]

#: Upper bound on the points one curve hands to Qt; at 60 Hz pyqtgraph stays smooth well below it.
MAX_POINTS = 4000


def point_budget(plot: pg.PlotItem) -> int:
    """Points worth drawing across ``plot``: two per pixel column (what a min/max decimation
    needs to look exact), at least 1000 and at most :data:`MAX_POINTS`."""
    width = plot.getViewBox().size().width()
    return int(min(max(2 * width, 1000), MAX_POINTS))


def run_color(colors: Sequence[str], index: int) -> str:
    """Return ``colors[index]``, or a palette colour when the caller gave too few."""
    if index < len(colors):
        return colors[index]
    return RUN_COLORS[index % len(RUN_COLORS)]


def darker(color: str, factor: int = 135) -> str:
    """Return ``color`` darkened (Qt's ``QColor.darker``), as '#rrggbb'."""
    return QtGui.QColor(color).darker(factor).name()


def pen(color: str, width: float = 2.0, style: QtCore.Qt.PenStyle | None = None) -> QtGui.QPen:
    """A cosmetic, round-capped pen: the same on-screen width at any zoom."""
    p = pg.mkPen(color=color, width=width * _scale[0])
    p.setCapStyle(QtCore.Qt.PenCapStyle.RoundCap)
    p.setJoinStyle(QtCore.Qt.PenJoinStyle.RoundJoin)
    if style is not None:
        p.setStyle(style)
    return p


def halo_pen(width: float = 5.0) -> QtGui.QPen:
    """A white pen drawn under a line (a casing) so it stands out on any background."""
    return pen("#ffffff", width)


def brush(color: str, alpha: int = 255) -> QtGui.QBrush:
    """A solid brush of ``color`` with opacity ``alpha`` (0–255)."""
    c = QtGui.QColor(color)
    c.setAlpha(alpha)
    return pg.mkBrush(c)


def font(point_size: float, *, bold: bool = False) -> QtGui.QFont:
    """The application font at ``point_size`` points, named by its real family.

    Qt's default family is often an alias ("Sans Serif"); SVG exports carry the name, and a
    viewer that does not know the alias substitutes a font with other widths.
    """
    f = QtGui.QFont(QtWidgets.QApplication.font())
    f.setFamily(QtGui.QFontInfo(f).family())
    f.setPointSizeF(point_size * _scale[0])
    f.setBold(bold)
    return f


def landscape_colormap() -> pg.ColorMap:
    """The colour map of loss landscapes (see :data:`LANDSCAPE_STOPS`)."""
    pos = [p for p, _ in LANDSCAPE_STOPS]
    cols = [QtGui.QColor(c) for _, c in LANDSCAPE_STOPS]
    return pg.ColorMap(pos, cols, name="optimizer-lab-landscape")


def configure_pyqtgraph() -> None:
    """Set pyqtgraph's global options to the house theme; call once before creating panels.

    The panels also set their colours explicitly, so they look right without this call; it
    makes any other pyqtgraph item in the application match them.
    """
    pg.setConfigOptions(antialias=True, background=BACKGROUND, foreground=FOREGROUND)
    # Qt's raster engine hands every fill of ~100 spans or more (a grid line, a wide curve) to
    # a thread pool and waits for it: on two cores shared with the engine thread the hand-off
    # cost more than the fill (the workbench's layer panel painted in 37 ms of the GUI
    # thread's CPU, 16 ms without). Read when Qt first fills, so set before the first paint.
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")


def settle(plots: Iterable[pg.PlotItem]) -> None:
    """Apply the plots' pending auto-range now, after new data: left to the paint, the range
    change asks for a second repaint of the whole view (two paints per frame)."""
    for plot in plots:
        plot.getViewBox().prepareForPaint()


# --- numbers and text -----------------------------------------------------------------------

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def pow10_label(exponent: int) -> str:
    """'10⁻²' for ``exponent=-2``."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)


def nice_number(value: float) -> float:
    """The largest 1, 2 or 5 × 10ᵏ that is ≤ ``value`` (``value`` > 0)."""
    k = math.floor(math.log10(value))
    for m in (5.0, 2.0, 1.0):
        if m * 10.0**k <= value:
            return m * 10.0**k
    return 10.0**k


def legend_entry(glyph: str, color: str, text: str) -> str:
    """HTML for one legend entry: a coloured glyph and escaped ``text`` that never wrap apart."""
    label = html.escape(text).replace(" ", "&nbsp;")
    # a glyph such as "- -" would otherwise break at its space or after a hyphen: nowrap keeps
    # the spaces, a non-breaking hyphen (U+2011) the hyphens
    glyph = glyph.replace("-", "\u2011")
    return (f"<span style='white-space:nowrap'><span style='color:{color}; font-weight:bold'>"
            f"{glyph}</span>&nbsp;{label}</span>")


def join_entries(entries: Sequence[str]) -> str:
    """Join legend entries with wide gaps; word wrap may only break between entries."""
    return "&nbsp;&nbsp;&nbsp; ".join(entries)


# --- decimation -----------------------------------------------------------------------------


def decimate(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS, *, method: str = "stride"
) -> tuple[np.ndarray, np.ndarray]:
    """Thin a curve to at most ``max_points`` points, always keeping its last point.

    ``method="stride"`` keeps every k-th point plus the first and the last (use it for 2-D
    paths). ``method="peak"`` splits the curve into buckets and keeps each bucket's minimum and
    maximum, in the order the curve visits them, plus the last point, so the envelope of a noisy
    curve (SGD losses) survives. NaN is ignored by the peak reduction (a bucket of only NaN stays
    NaN, i.e. a gap). Arrays at or under the limit come back unchanged.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y differ in length: {x.shape[0]} != {y.shape[0]}")
    n = x.shape[0]
    if max_points < 4:
        raise ValueError(f"Invalid max_points: {max_points} (need at least 4)")
    if n <= max_points:
        return x, y
    if method == "stride":
        step = math.ceil((n - 1) / (max_points - 1))
        idx = np.append(np.arange(0, n - 1, step), n - 1)
        return x[idx], y[idx]
    if method == "peak":
        return _decimate_peak(x, y, max_points)
    raise ValueError(f"Invalid decimation method: {method!r}")


def _decimate_peak(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    m = x.shape[0] - 1  # the last point is appended separately
    size = math.ceil(m / ((max_points - 1) // 2))
    starts = np.arange(0, m, size)
    ends = np.minimum(starts + size - 1, m - 1)
    yf = y[:m].astype(float)
    lo = np.fmin.reduceat(yf, starts)
    hi = np.fmax.reduceat(yf, starts)
    falling = yf[starts] > yf[ends]  # falling bucket: draw its maximum first
    first = np.where(falling, hi, lo)
    second = np.where(falling, lo, hi)
    xs = np.empty(2 * starts.size + 1, dtype=x.dtype)
    ys = np.empty(2 * starts.size + 1, dtype=float)
    xs[0:-1:2], xs[1:-1:2], xs[-1] = x[starts], x[ends], x[-1]
    ys[0:-1:2], ys[1:-1:2], ys[-1] = first, second, y[-1]
    return xs, ys


# --- plot styling ---------------------------------------------------------------------------


def style_plot(plot: pg.PlotItem, *, grid: bool = True) -> None:
    """Give ``plot`` the house look: dark-grey axes, readable fonts, no SI rescaling, no clutter.

    The auto-scale button and the right-click menu are hidden: each panel offers what a user
    needs (reset view, log scale) in its own header.
    """
    plot.hideButtons()
    plot.setMenuEnabled(False)
    plot.getViewBox().setBackgroundColor(None)
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.setPen(pg.mkPen(FOREGROUND, width=px(1)))
        axis.setTextPen(pg.mkPen(FOREGROUND))
        axis.setTickFont(font(TICK_PT))
        axis.enableAutoSIPrefix(False)
        axis.setStyle(tickTextOffset=round(px(4)), tickLength=-round(px(6)))
    if grid:
        plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)


class TickAxis(pg.AxisItem):
    """An axis whose tick labels read like a textbook: 2.5×10¹², 10⁻⁵, −0.5, and on a log
    scale 1, 10, 10², 10⁻³ throughout (pyqtgraph mixes "0.001" and "10⁻⁵" on one axis).

    Where a log axis spans at most :data:`_FEW_DECADES`, its minor ticks (2…9 × 10ᵏ) are
    labelled too and every label is a plain decimal — 0.05, 0.1, 0.2 rather than 0.05, 10⁻¹,
    0.2. Which minor ticks get a label depends on the room: all of them where even 8 and 9 lie
    :data:`_LABEL_GAP_PX` apart, else only 2× and 5×, else none — so that 0.9 never overprints 1,
    on a tall panel or a short one. Wider axes label only the powers of ten.
    """

    _FEW_DECADES = 2.0
    _PLAIN_DECADES = range(-3, 4)  #: 0.001 … 1000 read better than their powers of ten
    #: the room a tick label needs along the axis: its height, or the width of "0.05"
    _LABEL_GAP_PX: ClassVar[dict[str, int]] = {"left": 16, "right": 16, "top": 40, "bottom": 40}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._few_decades = False
        self._minor_labels: tuple[int, ...] = ()
        #: the height of the empty corner below a vertical axis (its plot's x axis tells it)
        self._corner = 0.0

    def setLabel(self, *args: object, **kwargs: object) -> None:
        """pyqtgraph's label, fitted to the axis's length (see :meth:`resizeEvent`)."""
        super().setLabel(*args, **kwargs)
        self._fit_label()

    def resizeEvent(self, ev: object = None) -> None:
        """Fit the label to the axis's length, then place it beside the axis.

        pyqtgraph centres the label whatever its length, so on a short plot (a small panel,
        presentation mode) "loss − f_min (log scale)" ran over the legend above the plot. A
        label longer than the axis starts at the axis's top and reaches down into the empty
        corner beside the x axis (an x label: ends at the axis's right end and reaches left
        into the corner below the y axis); longer still, it is drawn smaller.
        """
        self._tell_the_corner()
        self._fit_label()
        super().resizeEvent(ev)
        label = self.label
        if label is None:
            return
        along = label.boundingRect().width() * label.scale()
        across = label.boundingRect().height() * label.scale()
        pos = label.pos()
        if self.orientation in ("left", "right"):
            pos.setY(int(max(self.size().height() / 2 + along / 2, along)))  # its top at ≥ 0
            if self.orientation == "right":
                pos.setX(int(self.size().width() - across + _LABEL_NUDGE_PX))
        else:
            width = self.size().width()
            pos.setX(int(min(width / 2 - along / 2, width - along)))  # its right end at ≤ width
            if self.orientation == "bottom":
                pos.setY(int(self.size().height() - across + _LABEL_NUDGE_PX))
        label.setPos(pos)

    def _tell_the_corner(self) -> None:
        """Share the empty corner between the x axis and the y axes: below a y axis, left of
        the x axis. A label that reaches into it keeps its strip (the x label the bottom row,
        the y label the outer column). Every axis notes its own extent and strip; the x axis
        hands out the rooms. All of it in Python attributes: no axis calls into a sibling,
        which may be being deleted."""
        label = self.label
        vertical = self.orientation in ("left", "right")
        length = self.size().height() if vertical else self.size().width()
        shown = label is not None and label.isVisible() and bool(label.toPlainText())
        needs = shown and label.boundingRect().width() > length - 2.0
        self._strip = label.boundingRect().height() if needs else 0.0
        across = self.size().width() if vertical else self.size().height()
        self._extent = across if self.isVisible() else 0.0
        if self.orientation != "bottom":
            return
        plot = self.parentItem()
        axes = getattr(plot, "axes", None) if isinstance(plot, pg.PlotItem) else None
        for side in ("left", "right"):
            axis = (axes or {}).get(side, {}).get("item")
            if not isinstance(axis, TickAxis):
                continue
            axis._corner = max(self._extent - self._strip, 0.0)
            if side == "left":
                self._corner = max(getattr(axis, "_extent", 0.0) - getattr(axis, "_strip", 0.0),
                                   0.0)

    def _fit_label(self) -> None:
        """Draw the label smaller where it is longer than the axis and the empty corner next to
        it: a plot squeezed to nothing draws no label over its neighbours."""
        label = self.label
        if label is None:
            return
        vertical = self.orientation in ("left", "right")
        length = (self.size().height() if vertical else self.size().width()) - 2.0
        length += getattr(self, "_corner", 0.0)
        natural = label.boundingRect().width()
        label.setScale(1.0 if natural <= length or natural <= 0 else max(length, 1.0) / natural)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list:
        """pyqtgraph's spacing, widened on a horizontal axis until the widest major label fits
        between two ticks with :data:`_TICK_GAP_PX` to spare (a narrow plot printed
        "−0.004−0.002" as one word; at 2× a log axis over 11 decades "10⁻⁶10⁻⁴10⁻²")."""
        levels = super().tickSpacing(minVal, maxVal, size)
        if (self.orientation not in ("top", "bottom") or not levels
                or not maxVal > minVal or size <= 0 or self._tickSpacing is not None):
            return levels
        if self.logMode:
            return self._log_spacing(levels, minVal, maxVal, size)
        px_per_unit = size / (maxVal - minVal)
        metrics = QtGui.QFontMetricsF(self.style["tickFont"] or self.font())
        major = levels[0][0]
        for _ in range(12):
            first = math.ceil(minVal / major) * major
            values = [first + k * major for k in range(int((maxVal - first) / major) + 1)]
            labels = self.tickStrings(values, 1.0, major) if values else []
            widest = max((metrics.horizontalAdvance(t) for t in labels), default=0.0)
            if major * px_per_unit >= widest + _TICK_GAP_PX:
                break
            major = _next_nice(major)
        if major == levels[0][0]:
            return levels
        return [(major, 0), (major / (2.5 if _mantissa(major) == 5 else 2), 0)]

    def _log_spacing(self, levels: list, minVal: float, maxVal: float, size: float) -> list:
        """A log axis's levels with the major one (whole decades) widened until its labels fit;
        the finer levels (decades, 2…9 × 10ᵏ) stay."""
        major = levels[0][0]
        if major < 1:
            return levels
        px_per_decade = size / (maxVal - minVal)
        metrics = QtGui.QFontMetricsF(self.style["tickFont"] or self.font())
        widest = max(metrics.horizontalAdvance(t) for t in self.logTickStrings(
            [math.floor(minVal), math.ceil(maxVal)], 1.0, major) if t) if maxVal > minVal else 0
        wider = major
        while wider * px_per_decade < widest + _TICK_GAP_PX and wider < 1000:
            wider = _next_nice(wider)
        if wider == major:
            return levels
        return [(wider, 0), *[level for level in levels if level[0] < wider]]

    def logTickValues(self, minVal: float, maxVal: float, size: float,
                      stdTicks: list) -> list:
        decades = max(maxVal - minVal, 1e-12)
        self._few_decades = decades <= self._FEW_DECADES
        px_per_decade, gap = size / decades, self._LABEL_GAP_PX[self.orientation]
        if px_per_decade * math.log10(9 / 8) >= gap:
            self._minor_labels = (2, 3, 4, 5, 6, 7, 8, 9)
        elif px_per_decade * math.log10(2) >= gap:
            self._minor_labels = (2, 5)
        else:
            self._minor_labels = ()
        return super().logTickValues(minVal, maxVal, size, stdTicks)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Linear ticks: pyqtgraph's numbers, with powers of ten and a true minus sign."""
        if self.logMode:
            return self.logTickStrings(values, scale, spacing)
        return [_pretty_number(s) for s in super().tickStrings(values, scale, spacing)]

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        """Log ticks: integer exponents as powers of ten, minor ticks as plain decimals."""
        out = []
        for v in values:
            k = round(v)
            if abs(v - k) > 1e-9:
                mantissa = round(10.0 ** (v - math.floor(v)))
                labelled = self._few_decades and mantissa in self._minor_labels
                out.append(_pretty_number(f"{10.0**v * scale:.2g}") if labelled else "")
            elif self._few_decades and k in self._PLAIN_DECADES:
                out.append(f"{10.0**k:.{max(0, -k)}f}")
            else:
                out.append({0: "1", 1: "10"}.get(k, pow10_label(k)))
        return out


#: the least room between two tick labels on a horizontal axis, in pixels
_TICK_GAP_PX = 8
#: how far pyqtgraph moves an axis label outwards from its place (AxisItem.resizeEvent)
_LABEL_NUDGE_PX = 5


def _mantissa(step: float) -> int:
    """1, 2 or 5: the leading digit of a nice tick step."""
    return round(step / 10.0 ** math.floor(math.log10(step) + 1e-9))


def _next_nice(step: float) -> float:
    """The next nice tick step above ``step``: 1 → 2 → 5 → 10 (× powers of ten)."""
    return step * (2.5 if _mantissa(step) == 2 else 2.0)


def _pretty_number(text: str) -> str:
    """'2.5e+12' → '2.5×10¹²', '1e-05' → '10⁻⁵', '-0.5' → '−0.5'."""
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = pow10_label(int(exponent))
        text = power if mantissa in ("1", "-1") else f"{mantissa}×{power}"
        if mantissa == "-1":
            text = "-" + text
    return text.replace("-", "−", 1) if text.startswith("-") else text


def plot_axes() -> dict[str, pg.AxisItem]:
    """``axisItems`` for a panel's plot (pass to ``addPlot``): :class:`TickAxis` left and below."""
    return {"left": TickAxis("left"), "bottom": TickAxis("bottom")}


def set_axis_label(plot: pg.PlotItem, side: str, text: str) -> None:
    """Set the label of axis ``side`` of ``plot`` in the house font (empty text hides it)."""
    css = {
        "color": FOREGROUND,
        "font-size": f"{LABEL_PT * _scale[0]:g}pt",
        "font-family": font(LABEL_PT).family(),
    }
    plot.getAxis(side).setLabel(text or None, **css)


def make_view() -> pg.GraphicsLayoutWidget:
    """A graphics view with the house background and comfortable margins."""
    view = pg.GraphicsLayoutWidget()
    view.setBackground(BACKGROUND)
    view.ci.setContentsMargins(6, 4, 10, 6)
    view.ci.setSpacing(2)
    return view


class RichTextItem(pg.GraphicsWidget):
    """A row of word-wrapped rich text inside a graphics layout (titles, legends, captions).

    Unlike ``LabelItem`` it wraps to the width the layout gives it and asks for exactly the
    height the wrapped text needs, so a long legend never widens or clips the plot. It sits in
    its own layout row, outside every view box, and is exported with the scene. ``indent``
    leaves room on the left (e.g. a plot's axis width, to centre a label on the data area).
    """

    def __init__(
        self, *, align: str = "left", point_size: float = TEXT_PT, indent: float = 0.0
    ) -> None:
        super().__init__()
        self._indent = indent
        self._item = QtWidgets.QGraphicsTextItem(self)
        self._item.setPos(indent, 0.0)
        self._item.setFont(font(point_size))
        self._item.setDefaultTextColor(QtGui.QColor(FOREGROUND))
        doc = self._item.document()
        doc.setDocumentMargin(2)
        option = QtGui.QTextOption()
        option.setWrapMode(QtGui.QTextOption.WrapMode.WordWrap)
        option.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignHCenter
            if align == "center"
            else QtCore.Qt.AlignmentFlag.AlignLeft
        )
        doc.setDefaultTextOption(option)
        self._html = ""
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Expanding, QtWidgets.QSizePolicy.Policy.Fixed
        )
        self.setMinimumWidth(20)
        self._fit_height()

    def set_html(self, text: str) -> None:
        """Show ``text`` (Qt rich text); does nothing if it is unchanged."""
        if text == self._html:
            return
        self._html = text
        self._item.setHtml(text)
        self._fit_height()

    def html(self) -> str:
        """The rich text shown."""
        return self._html

    def plain_text(self) -> str:
        """The text shown, without markup."""
        return self._item.toPlainText() if self._html else ""

    def resizeEvent(self, ev: QtWidgets.QGraphicsSceneResizeEvent) -> None:
        """Re-wrap the text to the new width."""
        super().resizeEvent(ev)
        self._item.setTextWidth(max(self.size().width() - self._indent, 20.0))
        self._fit_height()

    def _fit_height(self) -> None:
        h = math.ceil(self._item.document().size().height()) if self._html else 0
        if h != self.minimumHeight() or h != self.maximumHeight():
            self.setMinimumHeight(h)
            self.setMaximumHeight(h)
            self.setPreferredHeight(h)


class ElidedLabel(QtWidgets.QLabel):
    """A one-line label that ends in "…" when its panel is too narrow, instead of being cut."""

    def __init__(self, text: str, *, color: str = MUTED) -> None:
        super().__init__(text)
        self.setSizePolicy(
            QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred
        )
        palette = self.palette()
        palette.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor(color))
        self.setPalette(palette)

    def paintEvent(self, ev: QtGui.QPaintEvent) -> None:
        """Draw the text, elided to the label's width."""
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(
            self.text(), QtCore.Qt.TextElideMode.ElideRight, rect.width()
        )
        painter = QtGui.QPainter(self)
        try:
            painter.setPen(self.palette().color(QtGui.QPalette.ColorRole.WindowText))
            align = QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignVCenter
            painter.drawText(rect, align, text)
        finally:
            painter.end()


class PanelHeader(QtWidgets.QWidget):
    """The row of Qt controls above a panel's plots (check boxes, combo boxes, buttons)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QtWidgets.QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        self._layout.setSpacing(6)
        self.setFont(font(TEXT_PT))

    def add(self, widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
        """Append ``widget`` to the row and return it."""
        widget.setFont(font(TEXT_PT))
        self._layout.addWidget(widget)
        return widget

    def set_stretch(self, widget: QtWidgets.QWidget) -> None:
        """Let ``widget`` take the row's spare width."""
        self._layout.setStretchFactor(widget, 1)

    def add_stretch(self) -> None:
        """Push the following controls to the right."""
        self._layout.addStretch(1)


def make_panel_layout(panel: QtWidgets.QWidget) -> QtWidgets.QVBoxLayout:
    """Give ``panel`` the house background and a zero-margin vertical layout."""
    panel.setAutoFillBackground(True)
    palette = panel.palette()
    palette.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor(BACKGROUND))
    panel.setPalette(palette)
    layout = QtWidgets.QVBoxLayout(panel)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    return layout


# --- per-run curves -------------------------------------------------------------------------


class RunCurve:
    """One run's curve in a plot, plus a marker on its last finite point.

    The marker is a filled dot while the run is alive and a cross once its values turned
    non-finite (diverged). Both are ``PlotDataItem``\\ s, so they follow the plot's log mode.
    Items are created once; :meth:`set_data` only calls ``setData``.

    A noisy curve (minibatch losses) drawn as a dense zigzag is a band of colour whatever the
    pen; once its drawn length exceeds :data:`DENSE_LENGTH` plot widths it is drawn with a thin
    pen, which Qt rasterizes about ten times faster than a wide one and which lets overlapping
    bands show through each other.
    """

    def __init__(self, plot: pg.PlotItem, color: str, *, width: float = 2.0) -> None:
        self._plot = plot
        self.curve = pg.PlotDataItem(connect="finite", antialias=True)
        # separate segments: far cheaper than one wide path with joins for a jagged curve
        self.curve.curve.setSegmentedLineMode("on")
        self.marker = pg.PlotDataItem(pen=None, symbol="o", antialias=True)
        self.marker.setZValue(5)
        self.diverged = False
        self.dense = False
        self._marker_style: bool | None = None
        self._width = width
        plot.addItem(self.curve)
        plot.addItem(self.marker)
        self.set_color(color)

    def set_color(self, color: str) -> None:
        """Draw the curve and marker in ``color``."""
        self.color = color
        self.curve.setPen(pen(color, 1.0 if self.dense else self._width))
        self._marker_style = None  # restyle the marker on the next set_data
        self.set_data(np.empty(0), np.empty(0))

    def set_data(self, x: np.ndarray, y: np.ndarray, *, diverged: bool = False) -> None:
        """Show ``(x, y)`` (finite, already decimated); ``diverged`` turns the marker into ×."""
        self._update_density(x, y)
        self.curve.setData(x, y)
        self.diverged = diverged
        if diverged != self._marker_style:
            self._marker_style = diverged
            self.marker.setSymbol("x" if diverged else "o")
            self.marker.setSymbolSize(px(13 if diverged else 8))
            self.marker.setSymbolPen(pen(self.color, 1.5) if diverged else pg.mkPen(BACKGROUND))
            self.marker.setSymbolBrush(brush(self.color))
        self.marker.setData(x[-1:], y[-1:])

    def refresh_density(self) -> None:
        """Re-judge thin or wide for the current zoom (call when the view range changes)."""
        x, y = self.curve.getOriginalDataset()
        if x is not None:
            self._update_density(np.asarray(x), np.asarray(y))

    def _update_density(self, x: np.ndarray, y: np.ndarray) -> None:
        length = drawn_length(self._plot, x, y)
        # hysteresis: a curve near the threshold must not flicker between pens
        dense = length > DENSE_LENGTH if not self.dense else length > 0.7 * DENSE_LENGTH
        if dense != self.dense:
            self.dense = dense
            self.curve.setPen(pen(self.color, 1.0 if dense else self._width))

    def remove(self, plot: pg.PlotItem) -> None:
        """Take the items out of ``plot``."""
        plot.removeItem(self.curve)
        plot.removeItem(self.marker)


#: A followed axis range gets this much room beyond the data, as a share of the data's span...
RANGE_SLACK = 0.15
#: ...and is refitted when the data leave it or fill less than this share of it.
RANGE_MIN_FILL = 0.35
#: A followed linear axis spans at least this share of its largest value, and a log axis at
#: least this many decades, so values constant to rounding (0.05 ± 1e-15) are drawn flat.
MIN_RELATIVE_SPAN = 1e-5
MIN_LOG_SPAN = 0.1


def _span_of(lo: float, hi: float) -> float:
    """The data's span; for a single value a tenth of it, and at 0 (the first step, before
    any other) a unit range: 1e-12 there showed axis ticks like 5×10⁻¹⁴ steps."""
    if hi > lo:
        return hi - lo
    return abs(lo) * 0.1 if abs(lo) > 1e-9 else 1.0 / RANGE_SLACK


def min_span(lo: float, hi: float, *, log: bool) -> float:
    """The smallest axis span worth showing for data in ``[lo, hi]`` (view coordinates, log10
    on a log axis): differences below it are rounding, not data."""
    return MIN_LOG_SPAN if log else MIN_RELATIVE_SPAN * max(abs(lo), abs(hi))


def follow_range(
    current: tuple[float, float] | None, lo: float, hi: float, *, pad_low: bool = True,
    least: float = 0.0,
) -> tuple[float, float] | None:
    """A new axis range for data spanning ``[lo, hi]`` (view coordinates), or None to keep
    ``current``.

    Autoranging every frame re-lays out the axes and paints each panel twice; a followed range
    changes only when the data leave it (it then grows by :data:`RANGE_SLACK` of the data's span
    beyond them) or shrink to less than :data:`RANGE_MIN_FILL` of it. ``pad_low=False`` starts
    the range exactly at ``lo`` (a step axis starting at 0). Data spanning less than ``least``
    are followed as if they spanned ``least`` around their middle.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    if lo < hi < lo + least:
        middle = 0.5 * (lo + hi)
        lo, hi = middle - 0.5 * least, middle + 0.5 * least
    if current is not None:
        c0, c1 = current
        inside = c0 <= lo and hi <= c1
        if inside and (hi - lo) >= RANGE_MIN_FILL * (c1 - c0):
            return None
    pad = RANGE_SLACK * _span_of(lo, hi)
    return (lo - pad if pad_low else lo), hi + pad


class FollowedRange:
    """Keeps a plot's view range around its data without pyqtgraph's per-frame autorange.

    The panel hands over its data bounds after each update (:meth:`fit`); the range moves only
    as :func:`follow_range` says. A user's pan or zoom stops the following until :meth:`reset`.
    """

    def __init__(self, plot: pg.PlotItem, *, pad_x_low: bool = False,
                 fixed_y: tuple[float, float] | None = None) -> None:
        self._plot = plot
        self._pad_x_low = pad_x_low
        self._fixed_y = fixed_y  # a y range that does not follow (accuracy: 0 to 1)
        self._ranges: list[tuple[float, float] | None] = [None, None]
        self.following = True
        self._data_end: float | None = None  # where the data ended on the x axis last time
        plot.disableAutoRange()
        if fixed_y is not None:
            plot.setYRange(*fixed_y, padding=0)
        plot.getViewBox().sigRangeChangedManually.connect(self._on_manual)

    def reset(self) -> None:
        """Follow the data again, refitting on the next :meth:`fit`."""
        self._ranges = [None, None]
        self.following = True
        if self._fixed_y is not None:
            self._plot.setYRange(*self._fixed_y, padding=0)

    def fit(self, bounds: tuple[float, float, float, float] | None) -> None:
        """Follow data spanning ``(x0, x1, y0, y1)`` in view coordinates (log10 on a log axis).

        Data ending further left than last time are a new session (a restart, another lesson,
        another x axis): the range then follows them afresh, even after a zoom or pan.
        """
        if bounds is None:
            return
        x0, x1, y0, y1 = bounds
        if self._data_end is not None and x1 < self._data_end:
            self.reset()
        self._data_end = x1
        if not self.following:
            return
        new_x = follow_range(self._ranges[0], x0, x1, pad_low=self._pad_x_low)
        log_y = bool(self._plot.getAxis("left").logMode)
        new_y = None if self._fixed_y is not None else follow_range(
            self._ranges[1], y0, y1, least=min_span(y0, y1, log=log_y))
        if new_x is None and new_y is None:
            return
        self._ranges = [new_x or self._ranges[0], new_y or self._ranges[1]]
        kw = {}
        if new_x is not None:
            kw["xRange"] = new_x
        if new_y is not None:
            kw["yRange"] = new_y
        self._plot.getViewBox().setRange(padding=0, **kw)

    def _on_manual(self, *_: object) -> None:
        self.following = False


def curves_bounds(
    curves: Sequence[RunCurve], *, log_y: bool
) -> tuple[float, float, float, float] | None:
    """Bounds ``(x0, x1, y0, y1)`` of the curves' data in view coordinates (None if empty).

    The y bounds leave out diverged curves while any other curve has data: one run blowing up to
    10⁴⁰ must not flatten the runs that are still worth watching (it leaves the plot at the top).
    """
    xs, ys, ys_healthy = [], [], []
    for c in curves:
        x, y = c.curve.getOriginalDataset()
        if x is None or not len(x):
            continue
        y = np.asarray(y, dtype=float)
        if log_y:
            y = np.log10(y[y > 0])
            if not y.size:
                continue
        xs += [float(np.min(x)), float(np.max(x))]
        span = [float(np.min(y)), float(np.max(y))]
        ys += span
        if not c.diverged:
            ys_healthy += span
    if not xs:
        return None
    ys = ys_healthy or ys
    return min(xs), max(xs), min(ys), max(ys)


#: A curve whose drawn length exceeds this many plot widths is drawn thin (see RunCurve).
DENSE_LENGTH = 6.0


def drawn_length(plot: pg.PlotItem, x: np.ndarray, y: np.ndarray) -> float:
    """Length of the polyline (x, y) on screen, in widths of ``plot``'s data area."""
    if len(x) < 2:
        return 0.0
    vb = plot.getViewBox()
    px, py = vb.viewPixelSize()
    width = vb.size().width()
    if not (px > 0 and py > 0 and width > 0):
        return 0.0
    if plot.getAxis("left").logMode:
        y = np.log10(np.maximum(y, np.finfo(float).tiny))
    return float(np.hypot(np.diff(x) / px, np.diff(y) / py).sum() / width)


def sync_run_curves(
    plot: pg.PlotItem, curves: list[RunCurve], colors: Sequence[str], *, keep_data: bool
) -> None:
    """Make ``curves`` (in ``plot``) one per colour of ``colors``: reuse, add, remove, recolour.

    Without ``keep_data`` every curve is emptied (the runs changed; old data would mislead).
    """
    while len(curves) < len(colors):
        curves.append(RunCurve(plot, colors[len(curves)]))
    while len(curves) > len(colors):
        curves.pop().remove(plot)
    for curve, color in zip(curves, colors, strict=True):
        if curve.color != color:
            curve.set_color(color)
        elif not keep_data:
            curve.set_data(np.empty(0), np.empty(0))


def legend_for_runs(labels: Sequence[str], curves: Sequence[RunCurve]) -> list[str]:
    """Legend entries for runs drawn as curves: a line sample, or a cross once diverged."""
    return [
        legend_entry("✕", c.color, f"{label} (diverged)")
        if c.diverged
        else legend_entry("━", c.color, label)
        for label, c in zip(labels, curves, strict=False)
    ]


def finite_xy(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Keep the points where both ``x`` and ``y`` are finite; also say whether ``y`` diverged.

    A curve has diverged when it has finite values and its last value is not finite. Lengths
    that differ are cut to the shorter one (a snapshot may catch one array a step ahead).
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    ok = np.isfinite(x) & np.isfinite(y)
    diverged = bool(n and ok.any() and not np.isfinite(y[-1]))
    return x[ok], y[ok], diverged


# --- export ---------------------------------------------------------------------------------


def export_widget(
    widget: QtWidgets.QWidget, path: str, *, scene_view: pg.GraphicsView | None
) -> None:
    """Write ``widget`` to ``path`` as PNG or SVG, chosen by the file extension.

    PNG is rendered at twice the screen resolution (sharp on slides). SVG comes from pyqtgraph's
    exporter when ``scene_view`` is given (vector curves and text, the landscape image embedded);
    otherwise (plain Qt widgets such as a message) from Qt's SVG generator. Qt's generator does
    not clip, so it is not used for plots.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        _export_png(widget, path)
    elif suffix == ".svg":
        if scene_view is not None:
            with _svg_closed_paths_fixed():
                SVGExporter(scene_view.scene()).export(fileName=path)
        else:
            _export_svg_widget(widget, path)
    else:
        raise ValueError(f"Unsupported image format {suffix!r}: use .png or .svg")


def _export_png(widget: QtWidgets.QWidget, path: str, scale: float = 2.0) -> None:
    size = widget.size()
    image = QtGui.QImage(
        int(size.width() * scale), int(size.height() * scale), QtGui.QImage.Format.Format_ARGB32
    )
    image.setDevicePixelRatio(scale)
    image.fill(QtGui.QColor(BACKGROUND))
    painter = QtGui.QPainter(image)
    try:
        if isinstance(widget, QtWidgets.QGraphicsView):
            # the scene, drawn afresh at the image's resolution; both rectangles in widget pixels
            # (left out, the target is the image in device pixels: only the top-left quarter)
            target = QtCore.QRectF(0, 0, size.width(), size.height())
            widget.render(painter, target, widget.viewport().rect())
        else:
            widget.render(painter, QtCore.QPoint())
    finally:
        painter.end()
    if not image.save(path, "PNG"):
        raise OSError(f"Could not write {path}")


def _export_svg_widget(widget: QtWidgets.QWidget, path: str) -> None:
    generator = QtSvg.QSvgGenerator()
    generator.setFileName(path)
    generator.setResolution(widget.logicalDpiX())  # one SVG unit per widget pixel
    generator.setSize(widget.size())
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), widget.size()))
    painter = QtGui.QPainter(generator)
    try:
        widget.render(painter, QtCore.QPoint())
    finally:
        painter.end()


@contextlib.contextmanager
def _svg_closed_paths_fixed() -> Iterator[None]:
    """Let pyqtgraph 0.14.0's SVG exporter cope with closed paths, for one export.

    Its coordinate fix-up expects every token of a path to be an "x,y" pair and fails on the
    "Z" (close path) that Qt 6 writes for rectangles, arrow heads and filled histograms
    (pyqtgraph#3495, fixed by pyqtgraph#3458 after 0.14.0). Each "Z" is replaced by an explicit
    line back to its subpath's start, which draws the same shape. Drop this once the fix ships.
    """
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    original = module.correctCoordinates

    def correct(node: object, defs: object, item: object, options: object) -> object:
        for element in node.getElementsByTagName("path"):
            element.setAttribute("d", explicit_close(element.getAttribute("d")))
        return original(node, defs, item, options)

    module.correctCoordinates = correct
    try:
        yield
    finally:
        module.correctCoordinates = original


def explicit_close(d: str) -> str:
    """SVG path data with each "Z" replaced by a line to the start of its subpath."""
    out: list[str] = []
    start = ""
    for token in d.split():
        if token in ("Z", "z"):
            if start:
                out.append("L" + start)
            continue
        if token[0] in "Mm":
            start = token[1:]
        out.append(token)
    return " ".join(out)
