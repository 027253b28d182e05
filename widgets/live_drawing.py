"""Live drawing: a panel's curves drawn plain while they change many times a second.

Qt draws a curve with a cosmetic pen at most one pixel wide, not antialiased, on its fast path
(a line rasterizer); a wider or antialiased pen is stroked into a polygon and filled, about seven
times slower here (24 curves of 60 points: 1.5 ms against 11 ms; a dashed wide pen over 800
points: 340 ms). While training, the network workbench's ~75 curves are drawn plain — one pixel,
their dash patterns kept as long as before — and get their own pens back when training stops,
for the still picture. Applied to the items a panel has when called, so a panel that makes new
items calls it again (it is idempotent and cheap).
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

LIVE_WIDTH = 1.0  #: the widest pen Qt draws on its fast path
_STILL_PEN = "_still_pen"  #: where an item keeps its own pen while it is drawn plain


def plain_pen(pen: QtGui.QPen) -> QtGui.QPen:
    """``pen`` one pixel wide and cosmetic, its dashes as long on screen as before."""
    plain = QtGui.QPen(pen)
    width = pen.widthF()
    if pen.style() not in (QtCore.Qt.PenStyle.SolidLine, QtCore.Qt.PenStyle.NoPen) \
            and width > LIVE_WIDTH:
        # Qt's dash lengths are in pen widths: scale them, or a thin dash line reads as dotted
        plain.setDashPattern([length * width / LIVE_WIDTH for length in pen.dashPattern()])
    plain.setWidthF(LIVE_WIDTH)
    plain.setCosmetic(True)
    return plain


def is_plain(pen: QtGui.QPen) -> bool:
    """Whether ``pen`` is drawn on Qt's fast path (no wider than :data:`LIVE_WIDTH`)."""
    return pen.style() == QtCore.Qt.PenStyle.NoPen or (
        pen.isCosmetic() and pen.widthF() <= LIVE_WIDTH)


def _curves(root: QtWidgets.QWidget) -> list[pg.GraphicsObject]:
    """The curves in ``root``'s plots: a PlotDataItem stands for the curve it holds."""
    found: list[pg.GraphicsObject] = []
    for view in root.findChildren(pg.GraphicsView):
        for item in view.items():
            if isinstance(item, pg.PlotDataItem) or (
                    isinstance(item, pg.PlotCurveItem)
                    and not isinstance(item.parentItem(), pg.PlotDataItem)):
                found.append(item)
    return found


def set_live(root: QtWidgets.QWidget, live: bool) -> None:
    """Draw the curves in ``root`` plain (``live``: they change many times a second) or with
    their own pens, antialiased (a still picture)."""
    for item in _curves(root):
        # a PlotDataItem hands its own options to its curve on every setData: set them there
        curve = item.curve if isinstance(item, pg.PlotDataItem) else item
        for holder in (item,) if curve is item else (item, curve):
            holder.opts["antialias"] = not live
        pen = pg.mkPen(item.opts["pen"])
        if live and not is_plain(pen):
            setattr(item, _STILL_PEN, pen)
            item.setPen(plain_pen(pen))
        elif not live and getattr(item, _STILL_PEN, None) is not None:
            item.setPen(getattr(item, _STILL_PEN))
            setattr(item, _STILL_PEN, None)
        else:
            curve.update()  # the antialiasing changed
