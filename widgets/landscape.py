"""The loss-landscape panel: where the runs are on the surface they are descending.

A filled contour of the loss (an ``ImageItem`` with the house colour map, optionally on a log
scale) with isolines (polylines the caller may compute off the GUI thread with
:func:`isoline_polylines`, drawn as one curve) and a colour bar; the known minima as stars;
each run's trajectory in its colour, with a hollow dot at its start and a filled dot at its
current point (a cross once it diverged); and optional arrows at each run's current point
(−gradient, velocity, clipped gradient) or ending there (look-ahead).

It is a view: it draws the arrays it is given and never evaluates the loss or steps an optimizer.
A plain left click on the plot asks for a run to start there (:attr:`start_requested`).
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from pyqtgraph.GraphicsScene.mouseEvents import MouseClickEvent
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import style
from widgets.colour_scale import LOG_EPS_REL as LOG_EPS_REL  # log10(f − f_min + eps), its eps
from widgets.colour_scale import colour_levels, display_field

__all__ = ["ARROW_KINDS", "LandscapePanel", "display_field", "isoline_levels", "isoline_polylines"]

#: Number of isolines drawn over the filled contour.
N_ISOLINES = 12
#: Longest arrow of a rescaled kind, as a fraction of the visible diagonal.
ARROW_TARGET = 0.15
#: A rescaled kind keeps its scale while its longest arrow stays within this band (no flicker).
ARROW_BAND = (0.04, 0.30)
#: The most an arrow is magnified: converged runs have velocities near 0, and blowing those up
#: by 10²² would draw rounding noise as if it meant something.
MAX_ARROW_SCALE = 1e4
MAX_PATH_POINTS = style.MAX_POINTS
#: A path longer on screen than this many plot widths is a scribble (see ``_RunTrack``)...
SCRIBBLE_LENGTH = 8.0
#: ...of which only the most recent points are drawn bold.
BOLD_POINTS = 300
#: Consecutive path points within one cell of this many pixels are drawn as one.
CELL_PX = 1.5
#: Paths are drawn inside the view window grown this many times its span (see :func:`far_box`).
FAR = 100.0
HINT = "Click: start a run there · drag: pan · wheel: zoom"


@dataclass(frozen=True)
class _ArrowStyle:
    line: QtCore.Qt.PenStyle
    filled: bool  # filled or hollow head
    rescale: bool  # False: drawn at true length (a displacement in data units)
    glyph: str  # legend sample
    label: str  # what the legend calls it
    meaning: str  # what the tooltip says it shows, and where it sits


#: The arrow kinds :meth:`LandscapePanel.set_arrows` understands and how each is drawn.
ARROW_KINDS: dict[str, _ArrowStyle] = {
    "gradient": _ArrowStyle(
        QtCore.Qt.PenStyle.SolidLine, True, True, "━▶", "−gradient",
        "−∇f, the descent direction, from each run's current point"),
    "velocity": _ArrowStyle(
        QtCore.Qt.PenStyle.DashLine, True, True, "╍▶", "velocity",
        "the momentum buffer's share of the next step, from each run's current point"),
    "look-ahead": _ArrowStyle(
        QtCore.Qt.PenStyle.DotLine, False, False, "┅▷", "look-ahead",
        "from Nesterov's classical iterate to the look-ahead point, which is the current point "
        "(the arrow ends there)"),
    "clipped gradient": _ArrowStyle(
        QtCore.Qt.PenStyle.SolidLine, False, True, "━▷", "−clipped gradient",
        "−clip(∇f), where clipping changes the gradient now, from each run's current point"),
}


def _colour_range(field: np.ndarray, log_scale: bool) -> tuple[float, float]:
    """Colour levels from robust statistics of the displayed field (see :mod:`colour_scale`)."""
    return colour_levels(field, log_scale)


def isoline_levels(field: np.ndarray, log_scale: bool) -> np.ndarray:
    """``N_ISOLINES`` evenly spaced levels of the displayed field.

    On a log scale they start above the lowest 1 % of the grid: a narrow valley sampled on a
    grid leaves single pixels decades below their neighbours, and isolines around each of them
    would draw a swarm of dashes along the valley floor.
    """
    lo, hi = _colour_range(field, log_scale)
    if log_scale:
        lo = min(float(np.percentile(field, 1.0)), hi)
    return np.linspace(lo, hi, N_ISOLINES + 2)[1:-1]


def isoline_polylines(
    x: np.ndarray, y: np.ndarray, field: np.ndarray, levels: Sequence[float]
) -> np.ndarray:
    """The isolines of ``field`` (ny, nx) sampled at ``x``, ``y`` at ``levels``, in data units.

    One (N, 2) array of polylines separated by NaN rows (draw it with ``connect="finite"``).
    Marching squares in numpy (pyqtgraph's ``isocurve``), no Qt: a worker thread may compute it,
    so a new problem does not stall the window for the tenths of a second it takes.
    """
    field = np.asarray(field, dtype=float)
    if min(field.shape) < 2:  # no isolines on a single row
        return np.empty((0, 2))
    dx = (x[-1] - x[0]) / (x.size - 1)
    dy = (y[-1] - y[0]) / (y.size - 1)
    parts = []
    gap = np.full((1, 2), np.nan)
    for level in levels:
        # isocurve puts sample i at i + 0.5 (pixel centres, as the image draws them)
        for line in pg.functions.isocurve(field.T, float(level), connected=True):
            c = np.asarray(line, dtype=float)
            parts += [np.column_stack([x[0] + (c[:, 0] - 0.5) * dx,
                                       y[0] + (c[:, 1] - 0.5) * dy]), gap]
    return np.concatenate(parts) if parts else np.empty((0, 2))


def _pixel_rect(x: np.ndarray, y: np.ndarray) -> QtCore.QRectF:
    """The data rectangle covered by a grid whose samples are pixel centres."""
    dx = (x[-1] - x[0]) / (x.size - 1) if x.size > 1 else 1.0
    dy = (y[-1] - y[0]) / (y.size - 1) if y.size > 1 else 1.0
    return QtCore.QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * x.size, dy * y.size)


def _last_finite_row(p: np.ndarray) -> int:
    """Index of the last row of ``p`` with both coordinates finite (-1 if none)."""
    if p.shape[0] and np.isfinite(p[-1]).all():  # the usual case, without scanning the path
        return p.shape[0] - 1
    finite = np.flatnonzero(np.isfinite(p).all(axis=1))
    return int(finite[-1]) if finite.size else -1


def _clean_path(path: np.ndarray) -> tuple[np.ndarray, bool]:
    """``path`` decimated and cut after its last finite row (inf → NaN gaps); diverged or not.

    Decimation comes first, so the per-frame work is on at most ``MAX_PATH_POINTS`` rows; it
    keeps the first and the last row, so the start and the current point stay exact.
    """
    p = np.asarray(path, dtype=float).reshape(-1, 2)
    last = _last_finite_row(p)
    if last < 0:
        return np.empty((0, 2)), False
    x, y = style.decimate(p[: last + 1, 0], p[: last + 1, 1], MAX_PATH_POINTS)
    q = np.column_stack([x, y])
    q[~np.isfinite(q).all(axis=1)] = np.nan
    return q, last < p.shape[0] - 1


def far_box(view: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The box a drawn path must stay in: the view window grown ``FAR`` times its span each way.

    Qt stops drawing a whole path once one coordinate is around 1e17 pixels away, so a
    diverging run would vanish; paths are cut where they leave this box instead.
    """
    x0, x1, y0, y1 = view
    dx, dy = FAR * max(x1 - x0, 1e-12), FAR * max(y1 - y0, 1e-12)
    return x0 - dx, x1 + dx, y0 - dy, y1 + dy


def _inside(p: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, x1, y0, y1 = box
    with np.errstate(invalid="ignore"):
        return (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)


def clip_far(p: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, bool]:
    """Cut path ``p`` where it first leaves ``box``, ending on the box edge; say if it was cut."""
    outside = ~_inside(p, box) & np.isfinite(p).all(axis=1)
    if not outside.any():
        return p, False
    k = int(np.argmax(outside))
    if k == 0 or not np.isfinite(p[k - 1]).all():
        return p[:k], True
    a, b = p[k - 1], p[k]
    lows, highs = np.array(box[0::2]), np.array(box[1::2])
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(b > highs, highs, np.where(b < lows, lows, np.nan))
        t_axis = np.where(np.isnan(bound), 1.0, (bound - a) / (b - a))
    exit_point = a + float(np.clip(t_axis.min(), 0.0, 1.0)) * (b - a)
    return np.vstack([p[:k], exit_point]), True


@dataclass(frozen=True)
class _Screen:
    """How data units map to pixels right now (for screen-space simplification)."""

    px: float  # data units per pixel, x
    py: float  # data units per pixel, y
    width: float  # pixels across the data area

    @classmethod
    def of(cls, vb: pg.ViewBox) -> _Screen:
        px, py = vb.viewPixelSize()
        return cls(float(px), float(py), float(vb.size().width()))

    def usable(self) -> bool:
        return self.px > 0 and self.py > 0 and self.width > 0


#: paths closer than this everywhere (pixels) are drawn as one line: the later one is dashed
COINCIDE_PX = 1.5


def coinciding(paths: Sequence[np.ndarray], screen: _Screen) -> list[bool]:
    """For each path, whether it lies within :data:`COINCIDE_PX` of an earlier one at every
    recorded step so far (Adam and Adam with β = (0.9, 0.9) over their first steps): drawn
    solid, it would hide that one completely."""
    out = [False] * len(paths)
    if not screen.usable():
        return out
    scale = np.array([1.0 / screen.px, 1.0 / screen.py])
    for j, q in enumerate(paths):
        for p in paths[:j]:
            if q.shape[0] < 2 or q.shape != p.shape:
                continue
            with np.errstate(invalid="ignore"):
                if np.abs((q[-1] - p[-1]) * scale).max() > COINCIDE_PX:
                    continue  # apart now (most pairs): no need to look at every step
                gap = np.abs((q - p) * scale).max(axis=1)
            both = np.isfinite(gap)
            if both.any() and bool((gap[both] <= COINCIDE_PX).all()):
                out[j] = True
                break
    return out


def simplify(p: np.ndarray, screen: _Screen) -> np.ndarray:
    """Drop each row that lies in the same ``CELL_PX``-pixel cell as the row before it.

    An optimizer creeping to a minimum takes thousands of sub-pixel steps; this keeps the drawn
    shape (to within the line width) at a fraction of the segments. First and last rows stay.
    """
    if p.shape[0] < 3 or not screen.usable():
        return p
    with np.errstate(invalid="ignore"):
        cells = np.floor(p / (CELL_PX * np.array([screen.px, screen.py])))
        keep = np.ones(p.shape[0], dtype=bool)
        keep[1:] = (np.diff(cells, axis=0) != 0).any(axis=1)  # NaN rows differ: gaps stay
    keep[-1] = True
    return p[keep]


def scribble_length(p: np.ndarray, screen: _Screen) -> float:
    """On-screen length of path ``p`` in widths of the data area (0 if unknown)."""
    if p.shape[0] < 2 or not screen.usable():
        return 0.0
    d = np.diff(p, axis=0) / np.array([screen.px, screen.py])
    return float(np.nansum(np.hypot(d[:, 0], d[:, 1])) / screen.width)


class _RunTrack:
    """One run's trajectory, and where its start and current-point markers go.

    The markers themselves are drawn by the panel, all runs' in one scatter item each (see
    :class:`_Markers`): one item paints and bounds far faster than one per run.

    Paths are drawn bold, without a casing: the landscape's colour map is light enough for the
    run colours, and a white casing under every path cost a third of the panel's paint. A path
    that scribbles (a noisy minibatch run whose drawn length exceeds ``SCRIBBLE_LENGTH`` plot
    widths) keeps only its latest ``BOLD_POINTS`` points bold and draws its history thin: Qt
    rasterizes wide antialiased lines about ten times slower than thin ones, and a long noisy
    path drawn bold would stall the panel.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.history = pg.PlotCurveItem(connect="finite", antialias=True)
        # separate segments: far cheaper than one wide path with joins for a jagged polyline
        self.path = pg.PlotCurveItem(connect="finite", antialias=True, segmentedLineMode="on")
        for z, item in ((19, self.history), (20, self.path)):
            item.setZValue(z)
            plot.addItem(item)
        self.color = ""
        self.dashed = False  # a run drawn exactly on top of an earlier one: its path dashed
        self.diverged = False
        self.start: tuple[float, float] | None = None  # where its start marker goes
        self.head: tuple[float, float] | None = None  # where its current-point marker goes

    def set_color(self, color: str, dashed: bool = False) -> None:
        self.color, self.dashed = color, dashed
        line = QtCore.Qt.PenStyle.DashLine if dashed else None
        self.history.setPen(style.pen(color, 1.0, line))
        self.path.setPen(style.pen(color, 2.5, line))
        # segments each restart the dash pattern: a dashed path is drawn as one
        self.path.setSegmentedLineMode("off" if dashed else "on")

    def set_path(
        self, path: np.ndarray, box: tuple[float, float, float, float], screen: _Screen
    ) -> None:
        """Draw ``path``; a run that diverged or left ``box`` gets a cross as its head."""
        p, diverged = _clean_path(path)
        p, cut = clip_far(p, box)
        p = simplify(p, screen)
        self.diverged = diverged or cut
        split = 0
        if scribble_length(p, screen) > SCRIBBLE_LENGTH:
            split = max(p.shape[0] - BOLD_POINTS, 0)
        old = p[: split + 1] if split else p[:0]
        # rows are finite or NaN gaps (cleaned above): no need for pyqtgraph's finite check
        self.history.setData(x=old[:, 0], y=old[:, 1], skipFiniteCheck=True)
        self.path.setData(x=p[split:, 0], y=p[split:, 1], skipFiniteCheck=True)
        if not p.shape[0] or not np.isfinite(p[-1]).all():
            self.start = self.head = None
            return
        first = p[0] if np.isfinite(p[0]).all() else p[np.isfinite(p).all(axis=1)][0]
        self.start = (float(first[0]), float(first[1]))
        self.head = (float(p[-1, 0]), float(p[-1, 1]))

    def drawn(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole drawn path (thin history, then the bold part), as ``(x, y)``."""
        hx, hy = self.history.getData()
        bx, by = self.path.getData()
        if hx is None or not len(hx):
            return (np.empty(0), np.empty(0)) if bx is None else (np.asarray(bx), np.asarray(by))
        return np.concatenate([hx[:-1], bx]), np.concatenate([hy[:-1], by])

    def remove(self, plot: pg.PlotItem) -> None:
        for item in (self.history, self.path):
            plot.removeItem(item)


class _Markers:
    """The runs' start markers (hollow dots) and current-point markers (filled dots, a cross
    once diverged), all runs in one ``ScatterPlotItem`` each; each point's ``data`` is its run."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.starts = pg.ScatterPlotItem(symbol="o", size=style.px(8), pxMode=True)
        self.heads = pg.ScatterPlotItem(pxMode=True)
        self.starts.setZValue(21)
        self.heads.setZValue(30)
        plot.addItem(self.starts)
        plot.addItem(self.heads)
        self._drawn: tuple | None = None  # what they show now: skip identical redraws
        self._styles: dict[tuple[str, bool], tuple] = {}  # (colour, diverged) → point style

    def _style(self, color: str, diverged: bool) -> tuple:
        key = (color, diverged)
        if key not in self._styles:
            self._styles[key] = (
                ("x", style.px(16), style.pen(color, 2.5), style.brush(color)) if diverged
                else ("o", style.px(13), style.pen("#ffffff", 2.0), style.brush(color)),
                (style.pen(color, 2.0), style.brush(style.BACKGROUND)),
            )
        return self._styles[key]

    def draw(self, tracks: Sequence[_RunTrack]) -> None:
        state = tuple((t.start, t.head, t.color, t.diverged) for t in tracks)
        if state == self._drawn:
            return
        self._drawn = state
        runs = [i for i, t in enumerate(tracks) if t.head is not None]
        looks = [self._style(tracks[i].color, tracks[i].diverged) for i in runs]
        starts = np.array([tracks[i].start for i in runs], dtype=float).reshape(-1, 2)
        heads = np.array([tracks[i].head for i in runs], dtype=float).reshape(-1, 2)
        self.starts.setData(
            x=starts[:, 0], y=starts[:, 1], data=runs,
            pen=[s[1][0] for s in looks], brush=[s[1][1] for s in looks],
        )
        self.heads.setData(
            x=heads[:, 0], y=heads[:, 1], data=runs,
            symbol=[s[0][0] for s in looks], size=[s[0][1] for s in looks],
            pen=[s[0][2] for s in looks], brush=[s[0][3] for s in looks],
        )


#: Arrow heads, in pixels: length along the arrow and half-width (pyqtgraph's ``ArrowItem``
#: with ``headLen=13, tipAngle=36``).
HEAD_LEN = 13.0
HEAD_HALF_WIDTH = HEAD_LEN * math.tan(math.radians(36 / 2))


class _ArrowLayer(pg.GraphicsObject):
    """Every arrow of one kind in one item: a shaft in its run's colour and line style, and a
    head of a fixed size in pixels at its tip.

    One item instead of a line and an ``ArrowItem`` per run: pyqtgraph bounds and paints
    items one by one, and 2 × 8 per kind cost more than the arrows' strokes.
    """

    def __init__(self, line: QtCore.Qt.PenStyle, filled: bool) -> None:
        super().__init__()
        self._line, self._filled = line, filled
        self.runs = np.empty(0, dtype=int)  # run of each drawn arrow
        self.origins = np.empty((0, 2))
        self.tips = np.empty((0, 2))
        self._looks: list[tuple[QtGui.QPen, QtGui.QPen, QtGui.QBrush]] = []
        self._rect = QtCore.QRectF()
        self._styles: dict[str, tuple[QtGui.QPen, QtGui.QPen, QtGui.QBrush]] = {}

    def set_arrows(self, runs: np.ndarray, origins: np.ndarray, tips: np.ndarray,
                   colors: Sequence[str], pixel: tuple[float, float]) -> None:
        """Draw arrow ``origins[k] → tips[k]`` of run ``runs[k]`` in ``colors[k]``; ``pixel`` is
        the data size of a pixel (x, y), for the heads' room in the bounding rectangle."""
        self.prepareGeometryChange()
        self.runs, self.origins, self.tips = runs, origins, tips
        self._looks = [self._look(c) for c in colors]
        if len(runs):
            ends = np.vstack([origins, tips])
            (x0, y0), (x1, y1) = ends.min(axis=0), ends.max(axis=0)
            room = style.px(HEAD_LEN + 4)
            mx, my = room * abs(pixel[0]), room * abs(pixel[1])
            self._rect = QtCore.QRectF(x0 - mx, y0 - my, x1 - x0 + 2 * mx, y1 - y0 + 2 * my)
        else:
            self._rect = QtCore.QRectF()
        self.update()

    def _look(self, color: str) -> tuple[QtGui.QPen, QtGui.QPen, QtGui.QBrush]:
        if color not in self._styles:
            fill = color if self._filled else style.BACKGROUND
            self._styles[color] = (style.pen(color, 2.5, self._line), style.pen(color, 1.5),
                                   style.brush(fill))
        return self._styles[color]

    def shaft(self, run: int) -> np.ndarray:
        """Run ``run``'s shaft as rows (origin, tip) in data units; empty if it has no arrow."""
        k = np.flatnonzero(self.runs == run)
        return np.vstack([self.origins[k], self.tips[k]]) if k.size else np.empty((0, 2))

    def head(self, run: int) -> np.ndarray:
        """Run ``run``'s head on screen: (tip, two barbs) in device pixels; empty if none."""
        k = np.flatnonzero(self.runs == run)
        if not k.size:
            return np.empty((0, 2))
        o, t = self._to_device(self.deviceTransform_(), self.origins[k], self.tips[k])
        return _head_polygon(o[0], t[0])

    @staticmethod
    def _to_device(tr: QtGui.QTransform, *points: np.ndarray) -> list[np.ndarray]:
        m = np.array([[tr.m11(), tr.m12()], [tr.m21(), tr.m22()]])
        shift = np.array([tr.dx(), tr.dy()])
        return [p @ m + shift for p in points]

    def boundingRect(self) -> QtCore.QRectF:
        return self._rect

    def paint(self, painter: QtGui.QPainter, *_: object) -> None:
        if not len(self.runs):
            return
        # shafts and heads in device pixels: the heads keep their size at any zoom
        origins, tips = self._to_device(painter.transform(), self.origins, self.tips)
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        for o, t, (shaft_pen, head_pen, fill) in zip(origins, tips, self._looks, strict=True):
            painter.setPen(shaft_pen)
            painter.drawLine(QtCore.QPointF(*o), QtCore.QPointF(*t))
            head = _head_polygon(o, t)
            if head.size:
                painter.setPen(head_pen)
                painter.setBrush(fill)
                painter.drawPolygon(QtGui.QPolygonF([QtCore.QPointF(*q) for q in head]))
        painter.restore()


def _head_polygon(origin: np.ndarray, tip: np.ndarray) -> np.ndarray:
    """An arrow head (tip, barb, barb) in pixels for the on-screen arrow origin → tip."""
    d = tip - origin
    length = math.hypot(d[0], d[1])
    if not length > 0:
        return np.empty((0, 2))
    u = d / length
    n = np.array([-u[1], u[0]])
    base = tip - style.px(HEAD_LEN) * u
    half = style.px(HEAD_HALF_WIDTH)
    return np.array([tip, base + half * n, base - half * n])


class _ArrowSet:
    """All arrows of one kind (one :class:`_ArrowLayer`), with their data and display scale."""

    def __init__(self, kind: str, plot: pg.PlotItem) -> None:
        self.kind = kind
        self.style = ARROW_KINDS[kind]
        self.visible = True
        self.origins = np.empty((0, 2))
        self.vectors = np.empty((0, 2))
        self.scale = 1.0
        self.box = far_box((-1.0, 1.0, -1.0, 1.0))
        self.layer = _ArrowLayer(self.style.line, self.style.filled)
        self.layer.setZValue(31)  # above the current-point markers they start from
        plot.addItem(self.layer)
        self.drawn = False  # whether any of its arrows is on screen

    def set_data(self, origins: np.ndarray | None, vectors: np.ndarray | None) -> None:
        if origins is None or vectors is None:
            self.origins = self.vectors = np.empty((0, 2))
            return
        o = np.asarray(origins, dtype=float).reshape(-1, 2)
        v = np.asarray(vectors, dtype=float).reshape(-1, 2)
        n = min(len(o), len(v))
        self.origins, self.vectors = o[:n], v[:n]

    def shown(self) -> bool:
        """Whether this kind has anything visible to draw."""
        return self.visible and bool(self._valid().any())

    def _valid(self) -> np.ndarray:
        """Rows with a finite, non-zero vector whose origin lies within the drawing box."""
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(self.vectors).all(axis=1) & _inside(self.origins, self.box)
            return ok & (np.hypot(self.vectors[:, 0], self.vectors[:, 1]) > 0)

    def update_scale(self, diagonal: float) -> None:
        """Pick the display scale: keep the current one while arrows stay readable."""
        ok = self._valid()
        if not self.style.rescale or not ok.any() or diagonal <= 0:
            self.scale = 1.0
            return
        longest = float(np.hypot(*self.vectors[ok].T).max())
        lo, hi = ARROW_BAND
        if not lo * diagonal <= longest * self.scale <= hi * diagonal:
            self.scale = min(style.nice_number(ARROW_TARGET * diagonal / longest),
                             MAX_ARROW_SCALE)

    def redraw(self, plot: pg.PlotItem, colors: Sequence[str]) -> None:
        """Draw the stored arrows in ``plot``; arrow i takes run colour i."""
        tips = self.origins + self.scale * self.vectors
        ok = self._valid() & _inside(tips, self.box) if self.visible else np.zeros(0, bool)
        runs = np.flatnonzero(ok)
        self.drawn = bool(runs.size)
        if not self.drawn and not len(self.layer.runs):
            return  # nothing drawn, nothing to draw
        arrow_colors = [style.darker(style.run_color(colors, int(i)), 120) for i in runs]
        pixel = plot.getViewBox().viewPixelSize()
        self.layer.set_arrows(runs, self.origins[runs], tips[runs], arrow_colors, pixel)

    def legend(self) -> str:
        """The legend entry of this kind, saying how its lengths are drawn."""
        label = self.style.label
        text = label if self.scale == 1.0 else f"{label} ×{self.scale:g}"
        return style.legend_entry(self.style.glyph, style.FOREGROUND, text)

    def tooltip(self) -> str:
        """One line saying how this kind's lengths relate to data units."""
        head = f"{self.style.label}: {self.style.meaning}"
        if self.scale == 1.0:
            return f"{head}; true length in data units"
        return f"{head}; drawn at {self.scale:g}× its length in data units, to stay visible"


class LandscapePanel(QtWidgets.QWidget):
    """The loss landscape with the runs' trajectories; drag to pan, wheel to zoom.

    Signals:
        start_requested(float, float): a plain left click on the plot, in data coordinates
            (w₁, w₂) — "start a run here". Drags, other buttons and modified clicks don't emit.
    """

    start_requested = QtCore.Signal(float, float)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = style.make_panel_layout(self)
        self._header = style.PanelHeader(self)
        self._header.set_stretch(self._header.add(style.ElidedLabel(HINT)))
        self._reset_button = self._header.add(QtWidgets.QPushButton("Reset view"))
        self._reset_button.clicked.connect(self.reset_view)
        layout.addWidget(self._header)
        self._view = style.make_view()
        layout.addWidget(self._view, 1)

        self._legend = style.RichTextItem()
        self._view.addItem(self._legend, row=0, col=0)
        self._plot = self._view.addPlot(row=1, col=0, axisItems=style.plot_axes())
        self._build_plot()

        self._title = ""
        self._view_window = (-1.0, 1.0, -1.0, 1.0)
        self._far = far_box(self._view_window)
        self._labels: list[str] = []
        self._colors: list[str] = []
        self._tracks: list[_RunTrack] = []
        self._dashed: list[bool] = []  # runs identical to an earlier one (see set_runs)
        self._markers = _Markers(self._plot)
        self._paths: list[np.ndarray] = []
        self._arrows = {kind: _ArrowSet(kind, self._plot) for kind in ARROW_KINDS}
        self._arrow_legend: list[tuple[bool, float]] = []  # (shown, scale) the legend says
        self._view.scene().sigMouseClicked.connect(self._on_click)
        vb = self._plot.getViewBox()
        # paths are simplified and arrows scaled for the current zoom: redo both when it changes
        for signal in (vb.sigRangeChanged, vb.sigResized):
            signal.connect(self._redraw_arrows)
            signal.connect(self._draw_paths)
        self.reset_view()

    def _build_plot(self) -> None:
        style.style_plot(self._plot, grid=False)
        style.set_axis_label(self._plot, "bottom", "w₁")
        style.set_axis_label(self._plot, "left", "w₂")
        self._plot.disableAutoRange()
        self._image = pg.ImageItem(axisOrder="row-major")
        self._image.setZValue(-100)
        self._plot.addItem(self._image)
        # all isolines in one curve, computed once per landscape (by the caller's worker when
        # it passes them), never per frame
        self._isolines = pg.PlotCurveItem(
            pen=pg.mkPen("#33415566", width=1), connect="finite", antialias=True
        )
        self._isolines.setZValue(-90)
        self._plot.addItem(self._isolines)
        self.isoline_levels = np.empty(0)
        self._colorbar = pg.ColorBarItem(
            colorMap=style.landscape_colormap(), interactive=False, width=12,
            colorMapMenu=False, pen=style.FOREGROUND,
        )
        self._colorbar.setImageItem(self._image, insert_in=self._plot)
        self._style_colorbar()
        self._minima = pg.ScatterPlotItem(
            symbol="star", size=style.px(20), pxMode=True,
            pen=pg.mkPen(style.FOREGROUND, width=style.px(1.2)), brush=style.brush("#ffffff"),
        )
        self._minima.setZValue(22)  # above trajectories, below current points
        self._plot.addItem(self._minima)
        self._maxima = pg.ScatterPlotItem(  # where Newton's method is drawn to, too
            symbol="t1", size=style.px(16), pxMode=True,
            pen=pg.mkPen(style.FOREGROUND, width=style.px(1.2)), brush=style.brush("#ffffff"),
        )
        self._maxima.setZValue(22)
        self._plot.addItem(self._maxima)

    def _style_colorbar(self) -> None:
        bar = self._colorbar
        for side in ("left", "right", "top", "bottom"):
            bar.getAxis(side).setPen(pg.mkPen(style.FOREGROUND, width=1))
        axis = bar.getAxis("right")
        axis.setTextPen(pg.mkPen(style.FOREGROUND))
        axis.setTickFont(style.font(style.TICK_PT))
        axis.enableAutoSIPrefix(False)
        axis.setWidth(round(style.px(58)))  # room for "10⁻³" beside the rotated label

    # --- public API ---------------------------------------------------------------------------

    def set_landscape(
        self,
        x: np.ndarray,
        y: np.ndarray,
        z: np.ndarray,
        *,
        log_scale: bool,
        minima: Sequence[tuple[float, float]],
        view: tuple[float, float, float, float],
        title: str = "",
        isolines: tuple[np.ndarray, np.ndarray] | None = None,
        maxima: Sequence[tuple[float, float]] = (),
    ) -> None:
        """Show the loss ``z[j, i] = f(x[i], y[j])`` sampled on a uniform grid.

        ``x`` (nx,) and ``y`` (ny,) are increasing and evenly spaced; ``z`` is (ny, nx). With
        ``log_scale`` the colours and isolines follow log10(f − f_min + eps) (see
        :func:`display_field`) and the colour bar is labelled in powers of ten of f − f_min;
        otherwise they follow f. ``minima`` are marked with stars; ``view`` (xmin, xmax, ymin,
        ymax) becomes the window :meth:`reset_view` returns to, and is shown. ``title`` heads
        the legend row (e.g. the problem's name). ``isolines`` is ``(levels, polylines)`` as
        :func:`isoline_levels` and :func:`isoline_polylines` give them for this grid, computed
        off the GUI thread; without it the panel computes them itself.
        """
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
        z = np.asarray(z, dtype=float)
        if z.shape != (y.size, x.size) or x.size == 0 or y.size == 0:
            raise ValueError(f"z must have shape (len(y), len(x)) = {(y.size, x.size)}: {z.shape}")
        field = display_field(z, log_scale)
        lo, hi = _colour_range(field, log_scale)
        self._image.setImage(field, autoLevels=False, levels=(lo, hi))
        self._image.setRect(_pixel_rect(x, y))
        self._colorbar.setLevels((lo, hi))
        if isolines is None:
            levels = isoline_levels(field, log_scale)
            isolines = (levels, isoline_polylines(x, y, field, levels))
        self.isoline_levels = np.asarray(isolines[0], dtype=float)
        lines = np.asarray(isolines[1], dtype=float).reshape(-1, 2)
        self._isolines.setData(x=lines[:, 0], y=lines[:, 1])
        self._set_colorbar_ticks(lo, hi, log_scale)
        m = np.asarray(minima, dtype=float).reshape(-1, 2)
        self._minima.setData(m[:, 0], m[:, 1])
        m = np.asarray(maxima, dtype=float).reshape(-1, 2)  # known local maxima, as triangles
        self._maxima.setData(m[:, 0], m[:, 1])
        self._title = title
        self._view_window = tuple(float(v) for v in view)
        self._far = far_box(self._view_window)
        for arrows in self._arrows.values():
            arrows.box = self._far
        self._refresh_legend()
        self.reset_view()

    def set_runs(self, labels: Sequence[str], colors: Sequence[str],
                 dashed: Sequence[bool] = ()) -> None:
        """Declare the runs (one trajectory each, in ``colors[i]``); reuses existing items.

        Run i's path is dashed where ``dashed[i]`` (a run drawn exactly on top of another: the
        dashes let the one below show through), and while it coincides on screen with an earlier
        run's path (:func:`coinciding`). Paths drawn so far are kept when the labels are
        unchanged and dropped otherwise.
        """
        if list(labels) != self._labels:
            self._paths = []
        self._labels = list(labels)
        self._colors = [style.run_color(colors, i) for i in range(len(self._labels))]
        while len(self._tracks) < len(self._labels):
            self._tracks.append(_RunTrack(self._plot))
        while len(self._tracks) > len(self._labels):
            self._tracks.pop().remove(self._plot)
        self._dashed = [bool(d) for d in dashed]
        for i, (track, color) in enumerate(zip(self._tracks, self._colors, strict=True)):
            dash = i < len(dashed) and bool(dashed[i])
            if (track.color, track.dashed) != (color, dash):
                track.set_color(color, dash)
        self._draw_paths()
        self._refresh_legend()
        self._redraw_arrows()

    def set_trajectories(self, paths: Sequence[np.ndarray]) -> None:
        """Draw run i's path ``paths[i]`` ((T_i, 2) rows of (w₁, w₂)).

        The current point is the last finite row; rows after it (a diverged run) are dropped
        and the current point is drawn as a cross. Non-finite rows inside a path leave a gap.
        A path that runs off ``FAR`` view windows away is cut there and counts as diverged.
        Runs without a path (``paths`` shorter than the runs) are drawn empty.
        """
        self._paths = list(paths)
        self._draw_paths()

    def set_arrows(self, kind: str, origins: np.ndarray | None, vectors: np.ndarray | None) -> None:
        """Draw arrows of ``kind`` (see :data:`ARROW_KINDS`) from ``origins`` along ``vectors``.

        Both are (R, 2) in data units, row i belonging to run i (drawn in its colour); ``None``
        removes the arrows. Rows with non-finite or zero vectors are skipped. "look-ahead" is
        drawn at its true length; the other kinds are rescaled by a round factor when their
        longest arrow would be too short or too long to read, and the legend shows the factor
        (e.g. "gradient ×0.02"), as does the plot's tooltip.
        """
        self._arrow_set(kind).set_data(origins, vectors)
        self._redraw_arrows(kinds=(kind,))

    def set_arrow_visible(self, kind: str, visible: bool) -> None:
        """Show or hide the arrows of ``kind`` (and their legend entry)."""
        self._arrow_set(kind).visible = bool(visible)
        self._redraw_arrows(kinds=(kind,))

    def reset_view(self) -> None:
        """Show the problem's view window (as given to :meth:`set_landscape`)."""
        x0, x1, y0, y1 = self._view_window
        self._plot.getViewBox().setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def clear(self) -> None:
        """Remove everything drawn: landscape, minima, runs and arrows."""
        self._image.clear()
        self._isolines.setData([], [])
        self.isoline_levels = np.empty(0)
        self._minima.setData([], [])
        for arrows in self._arrows.values():
            arrows.set_data(None, None)
        self._title = ""
        self.set_runs([], [])

    def export_image(self, path: str) -> None:
        """Write the plot (legend, landscape, colour bar) to ``path``: '.png' or '.svg'."""
        style.export_widget(self._view, path, scene_view=self._view)

    # --- internals ----------------------------------------------------------------------------

    def _arrow_set(self, kind: str) -> _ArrowSet:
        try:
            return self._arrows[kind]
        except KeyError:
            raise ValueError(f"Invalid arrow kind: {kind!r} (one of {list(ARROW_KINDS)})") from None

    def _draw_paths(self, *_: object) -> None:
        before = [t.diverged for t in self._tracks]
        screen = _Screen.of(self._plot.getViewBox())
        paths = [self._paths[i] if i < len(self._paths) else np.empty((0, 2))
                 for i in range(len(self._tracks))]
        hidden = coinciding(paths, screen)
        for i, (track, path) in enumerate(zip(self._tracks, paths, strict=True)):
            dash = hidden[i] or (i < len(self._dashed) and self._dashed[i])
            if dash != track.dashed:
                track.set_color(track.color, dash)
            track.set_path(path, self._far, screen)
        self._markers.draw(self._tracks)
        if before != [t.diverged for t in self._tracks]:
            self._refresh_legend()

    def _redraw_arrows(self, *_: object, kinds: Sequence[str] | None = None) -> None:
        """Redraw the arrows of ``kinds`` (all after a zoom or new runs)."""
        (x0, x1), (y0, y1) = self._plot.getViewBox().viewRange()
        diagonal = math.hypot(x1 - x0, y1 - y0)
        for kind in self._arrows if kinds is None else kinds:
            arrows = self._arrows[kind]
            if not arrows.visible and not arrows.drawn:
                continue  # hidden and nothing on screen: nothing to do
            arrows.update_scale(diagonal)
            arrows.redraw(self._plot, self._colors)
        state = [(a.shown(), a.scale) for a in self._arrows.values()]
        if kinds is None or state != self._arrow_legend:  # the legend and tooltip changed
            self._arrow_legend = state
            self._refresh_legend()
            shown = [a for a in self._arrows.values() if a.shown()]
            self._view.setToolTip("\n".join(a.tooltip() for a in shown) if shown else "")


    def _refresh_legend(self) -> None:
        entries = [
            style.legend_entry("✕", c, f"{label} (diverged)")
            if t.diverged
            else style.legend_entry("●", c, label)
            for label, c, t in zip(self._labels, self._colors, self._tracks, strict=True)
        ]
        entries += [a.legend() for a in self._arrows.values() if a.shown()]
        if len(self._minima.data):
            entries.append(style.legend_entry("☆", style.FOREGROUND, "minimum"))
        if len(self._maxima.data):
            entries.append(style.legend_entry("△", style.FOREGROUND, "local maximum"))
        title = f"<b>{html.escape(self._title)}</b>" if self._title else ""
        body = style.join_entries(entries)
        self._legend.set_html(style.join_entries([t for t in (title, body) if t]))

    def _set_colorbar_ticks(self, lo: float, hi: float, log_scale: bool) -> None:
        axis = self._colorbar.getAxis("right")
        exponents = np.arange(math.ceil(lo), math.floor(hi) + 1)
        if not log_scale or exponents.size < 2:
            axis.setTicks(None)
            style.set_axis_label(
                self._colorbar, "right", "log₁₀(f − f<sub>min</sub>)" if log_scale else "f(w)"
            )
            return
        stride = max(1, math.ceil(exponents.size / 6))
        major = [(float(k), style.pow10_label(int(k))) for k in exponents[::stride]]
        axis.setTicks([major, []])
        style.set_axis_label(self._colorbar, "right", "f − f<sub>min</sub>")

    def _on_click(self, ev: MouseClickEvent) -> None:
        if (
            ev.button() != QtCore.Qt.MouseButton.LeftButton
            or ev.double()
            or ev.modifiers() != QtCore.Qt.KeyboardModifier.NoModifier
        ):
            return
        vb = self._plot.getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = vb.mapSceneToView(ev.scenePos())
        ev.accept()
        self.start_requested.emit(float(p.x()), float(p.y()))
