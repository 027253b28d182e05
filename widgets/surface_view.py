"""The landscape as a surface in 3D, with the runs' paths lifted onto it — drag to turn it.

:class:`SurfaceView` draws what it is given (the loss sampled on a grid, the runs' colours and
paths) with ``pyqtgraph.opengl``: the surface coloured as the contour view colours it (log
colours for losses that span decades), each path at the height of the surface under it, the
current points as dots and the minima as white dots. The OpenGL widget is made the first time
the view is shown, so a window that never shows the 3D tab never touches OpenGL. Where no OpenGL
context can be had (Qt's offscreen platform, a machine without OpenGL, PyOpenGL missing) the view
shows a sentence saying so instead.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import style
from widgets.landscape import display_field

__all__ = ["SurfaceView", "opengl_unavailable"]

#: the surface's height, as a fraction of the wider side of the grid
HEIGHT = 0.45
#: paths float this far (a fraction of the height) above the surface, so it does not hide them
LIFT = 0.012
#: most grid points per side drawn (the rest is averaged away)
MAX_SIDE = 161
#: paths, points and minima are drawn over the surface even where a hill is in front of them
ON_TOP = {"glEnable": (0x0BE2,), "glDisable": (0x0B71,),  # GL_BLEND on, GL_DEPTH_TEST off
          "glBlendFunc": (0x0302, 0x0303)}  # GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA


def opengl_unavailable() -> str | None:
    """Why the 3D view cannot be drawn here, or None when it can."""
    platform = QtGui.QGuiApplication.platformName()
    if platform in ("offscreen", "minimal"):
        return (f"The 3D view needs OpenGL, which Qt's “{platform}” platform (no screen) does "
                "not provide. The contour view shows the same landscape and runs.")
    try:
        import pyqtgraph.opengl  # noqa: F401  (needs PyOpenGL)
    except ImportError as exc:
        return f"The 3D view needs PyOpenGL, which could not be loaded ({exc})."
    context = QtGui.QOpenGLContext()
    if not context.create():
        return "The 3D view needs OpenGL, and no OpenGL context could be created here."
    return None


class SurfaceView(QtWidgets.QWidget):
    """A rotatable surface of the landscape with the runs on it (see the module docstring)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QtWidgets.QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.message = QtWidgets.QLabel()
        self.message.setWordWrap(True)
        self.message.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.message.hide()
        self._layout.addWidget(self.message)
        self.gl = None  #: the GLViewWidget, once shown with OpenGL available
        self.reason: str | None = None
        self._grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._level = np.empty((0, 0))  # the surface's colour position, 0…1, per grid point
        self._minima = np.empty((0, 2))
        self._colors: list[str] = []
        self._paths: list[np.ndarray] = []
        self._stale = {"surface": False, "paths": False}
        self._lines: list = []
        self._surface = self._points = self._minima_item = None

    # ----------------------------------------------------------------- input
    def set_landscape(self, x: np.ndarray, y: np.ndarray, z: np.ndarray, *, log_scale: bool,
                      minima: Sequence[tuple[float, float]] = ()) -> None:
        """The loss ``z[j, i] = f(x[i], y[j])`` on an evenly spaced grid (as the contour view
        gets it); ``log_scale`` as there."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        field = display_field(np.asarray(z, dtype=float), log_scale)
        x, y, field = _coarsen(x, y, field)
        finite = field[np.isfinite(field)]
        lo, hi = (np.percentile(finite, [0.0, 99.0]) if finite.size else (0.0, 1.0))
        hi = hi if hi > lo else lo + 1.0
        scale = HEIGHT * max(x[-1] - x[0], y[-1] - y[0])
        level = np.clip(np.nan_to_num((field - lo) / (hi - lo), nan=1.0), 0.0, 1.0)
        self._grid = (x, y, level * scale)
        self._level = level
        self._minima = np.asarray(minima, dtype=float).reshape(-1, 2)
        self._stale.update(surface=True, paths=True)
        self._redraw()

    def set_runs(self, labels: Sequence[str], colors: Sequence[str]) -> None:
        """The runs' colours (labels are the contour view's business)."""
        self._colors = list(colors)
        self._stale["paths"] = True
        self._redraw()

    def set_trajectories(self, paths: Sequence[np.ndarray]) -> None:
        """Run i's path ``paths[i]`` ``(T_i, 2)``; its last finite row is its current point.
        Kept while the view is hidden and drawn when it is shown."""
        self._paths = [np.asarray(p, dtype=float).reshape(-1, 2) for p in paths]
        self._stale["paths"] = True
        self._redraw()

    def heights(self, points: np.ndarray) -> np.ndarray:
        """The surface's height under ``points`` ``(P, 2)`` (bilinear between grid points)."""
        if self._grid is None:
            return np.zeros(len(points))
        x, y, h = self._grid
        fx = np.clip((points[:, 0] - x[0]) / (x[1] - x[0]), 0, len(x) - 1)
        fy = np.clip((points[:, 1] - y[0]) / (y[1] - y[0]), 0, len(y) - 1)
        i = np.minimum(np.floor(fx).astype(int), len(x) - 2)
        j = np.minimum(np.floor(fy).astype(int), len(y) - 2)
        tx, ty = fx - i, fy - j
        return ((1 - ty) * ((1 - tx) * h[j, i] + tx * h[j, i + 1])
                + ty * ((1 - tx) * h[j + 1, i] + tx * h[j + 1, i + 1]))

    # ----------------------------------------------------------------- drawing
    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        if self.gl is None and self.reason is None:
            self._build()
        self._redraw()

    def _build(self) -> None:
        self.reason = opengl_unavailable()
        if self.reason is not None:
            self.message.setText(self.reason)
            self.message.show()
            return
        import pyqtgraph.opengl as gl

        self.gl = gl.GLViewWidget()
        self.gl.setBackgroundColor(style.BACKGROUND)
        self._layout.addWidget(self.gl, 1)
        self._stale.update(surface=True, paths=True)

    def _redraw(self) -> None:
        if self.gl is None or not self.isVisible():
            return
        if self._stale["surface"] and self._grid is not None:
            self._draw_surface()
        if self._stale["paths"] and self._grid is not None:
            self._draw_paths()

    def _draw_surface(self) -> None:
        import pyqtgraph.opengl as gl

        self._stale["surface"] = False
        x, y, h = self._grid
        colors = style.landscape_colormap().map(self._level.T.ravel(), mode="float")
        colors = np.asarray(colors, dtype=float).reshape(len(x) * len(y), 4)  # per vertex
        if self._surface is None:
            self._surface = gl.GLSurfacePlotItem(smooth=False, computeNormals=True,
                                                 shader="shaded")
            self.gl.addItem(self._surface)
        self._surface.setData(x=x, y=y, z=h.T, colors=colors)
        minima = self._minima
        pos = np.column_stack((minima, self.heights(minima) + LIFT * h.max())) if len(
            minima) else np.empty((0, 3))
        if self._minima_item is None:
            self._minima_item = gl.GLScatterPlotItem(size=11, color=(1, 1, 1, 1), pxMode=True)
            self._minima_item.setGLOptions(ON_TOP)
            self._minima_item.setDepthValue(9)
            self.gl.addItem(self._minima_item)
        self._minima_item.setData(pos=pos)
        span = max(x[-1] - x[0], y[-1] - y[0])
        self.gl.opts["center"] = QtGui.QVector3D((x[0] + x[-1]) / 2, (y[0] + y[-1]) / 2,
                                                 float(h.max()) / 3)
        self.gl.setCameraPosition(distance=1.4 * span, elevation=32, azimuth=-60)

    def _draw_paths(self) -> None:
        import pyqtgraph.opengl as gl

        self._stale["paths"] = False
        lift = LIFT * float(self._grid[2].max())
        while len(self._lines) < len(self._paths):
            line = gl.GLLinePlotItem(width=2.5, antialias=True, mode="line_strip")
            line.setGLOptions(ON_TOP)
            line.setDepthValue(10)
            self.gl.addItem(line)
            self._lines.append(line)
        points, colors = [], []
        for k, line in enumerate(self._lines):
            path = self._paths[k] if k < len(self._paths) else np.empty((0, 2))
            path = path[np.isfinite(path).all(axis=1)]
            color = QtGui.QColor(style.run_color(self._colors, k))
            rgba = (color.redF(), color.greenF(), color.blueF(), 1.0)
            if len(path) == 0:
                line.setData(pos=np.zeros((0, 3)))
                continue
            pos = np.column_stack((path, self.heights(path) + lift))
            line.setData(pos=pos, color=rgba)
            points.append(pos[-1])
            colors.append(rgba)
        if self._points is None:
            self._points = gl.GLScatterPlotItem(size=13, pxMode=True)
            self._points.setGLOptions(ON_TOP)
            self._points.setDepthValue(11)
            self.gl.addItem(self._points)
        if points:
            self._points.setData(pos=np.array(points), color=np.array(colors))
        else:
            self._points.setData(pos=np.zeros((0, 3)))


def _coarsen(x: np.ndarray, y: np.ndarray, field: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every k-th grid point, so that neither side has more than MAX_SIDE."""
    k = max(1, int(np.ceil(max(len(x), len(y)) / MAX_SIDE)))
    return x[::k], y[::k], field[::k, ::k]
