"""What the app tests share: an experiment to race on, and ways to look at a window."""

from __future__ import annotations

from collections.abc import Iterator

import pyqtgraph as pg

from app import MainWindow
from app.worker import Progress

# the offscreen platform says this whenever a top-level window is shown; harmless
SIZE_HINTS = "does not support propagateSizeHints"
#: a finite-sum problem (gradient noise to see) with three runs that settle quickly
FINITE_SUM = {
    "problem": {"name": "mean_quadratic"},
    "steps": 40,
    "batch_size": 8,
    "runs": [{"optimizer": "SGD", "lr": 0.1}, {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9},
             {"optimizer": "Adam", "lr": 0.1}],
}


def current(window: MainWindow) -> Progress | None:
    """The latest progress of the window's current session, or None."""
    progress = window.feed.progress
    if progress is None or progress.generation != window.engine.generation:
        return None
    return progress


def plotted_points(panel, *, images: bool = False) -> int:
    """How many data points the panel's curves hold (with ``images``, plus image pixels)."""
    total = 0
    for view in panel.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.PlotDataItem) or (
                    isinstance(item, pg.PlotCurveItem)
                    and not isinstance(item.parentItem(), pg.PlotDataItem)):
                x, _ = item.getData()
                total += 0 if x is None else len(x)
            elif images and isinstance(item, pg.ImageItem) and item.image is not None:
                total += item.image.size
    return total


def shown_lab(qtbot, cls: type) -> Iterator:
    """A lab window of ``cls``, shown; closed (its worker thread stopped) after the test, unless
    the test closed it already. For fixtures: ``yield from shown_lab(qtbot, BasinsWindow)``."""
    window = cls()
    window.show()
    qtbot.waitExposed(window)
    yield window
    if hasattr(window, "worker"):
        window.close()
