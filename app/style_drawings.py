"""The style's cached drawings of closed windows, let go.

Qt 6's styles draw combo boxes, spin boxes and other controls once into Qt's pixmap cache, under
a name that includes the widget's palette (``QStyleHelper::uniqueName``: its ``cacheKey``), and
keep every such name in a set of their own (``QCachedPainter::s_pixmapCacheKeys``) that only the
polishing of a palette empties (``QCommonStyle::polish(QPalette&)``). Our panels set a palette of
their own (their background), so each window opened gave its controls new palettes and added names
that lived for good: 1,000 network workbench cycles grew malloc's bytes in use 1.7 MB and RSS after
``malloc_trim`` 14–16 MB; a plain Qt window with a palette of its own and 15 spin and combo boxes,
12.7 kB per opening (``bench/soak_windows.py``, ``tests/app/test_style_drawings.py``).
Polishing a palette empties that set and removes those names' drawings from Qt's pixmap cache.
Emptying the whole pixmap cache as well (``QPixmapCache.clear()``) was tried and left out: run
when a main window closed, it crashed the teardown of later windows' scenes.
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication


def forget_style_drawings() -> None:
    """Empty the style's set of cached drawing names and their drawings: the open windows'
    controls are drawn again when next painted, the closed ones' are gone."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        app.style().polish(QPalette())
