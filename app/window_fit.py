"""A main window that fits its screen and keeps the landscape, the main view, wide.

The window opens at its preferred size only where the screen's available area (without panels
and task bars) holds it, and otherwise at that area's size; a stored geometry too large for the
screen it is restored on is shrunk the same way. When the window is narrow, the side docks give
way first: whenever the landscape would get less than :data:`LANDSCAPE_SHARE` of the width, the
two dock columns are narrowed (down to their minimum widths) to :data:`SIDE_SHARE` of it.
Widths a user sets by dragging are kept as long as the landscape keeps its share.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

__all__ = ["LANDSCAPE_SHARE", "LandscapePriority", "fit_to_screen", "fitted", "install"]

#: the landscape keeps at least this share of the window's width...
LANDSCAPE_SHARE = 0.45
#: ...by narrowing the two dock columns together to this share when it would not
SIDE_SHARE = 0.52
#: the platform whose "screen" is a fixed 800 × 800 canvas: scripted grabs keep their size there
OFFSCREEN = "offscreen"


def fitted(preferred: QSize, available: QRect, current: QRect | None = None) -> QRect:
    """The window rectangle for ``preferred`` size (or ``current`` geometry) on a screen whose
    available area is ``available``: no larger than that area, and inside it."""
    rect = QRect(current) if current is not None else QRect(available.topLeft(), preferred)
    width = min(rect.width(), available.width())
    height = min(rect.height(), available.height())
    x = min(max(rect.x(), available.left()), available.right() + 1 - width)
    y = min(max(rect.y(), available.top()), available.bottom() + 1 - height)
    return QRect(x, y, width, height)


def available_area(window: QWidget) -> QRect | None:
    """The available area of the window's screen; None where there is no real screen."""
    if QGuiApplication.platformName() == OFFSCREEN:
        return None
    screen = window.screen() or QGuiApplication.primaryScreen()
    return None if screen is None else screen.availableGeometry()


def fit_to_screen(window: QWidget, preferred: QSize | None = None) -> None:
    """Size ``window`` to ``preferred`` (default: its present size) within its screen."""
    area = available_area(window)
    size = preferred or window.size()
    if area is None:
        window.resize(size)
        return
    # the frame (title bar, borders) is not known before the first show: leave room for it
    frame = window.frameGeometry().size() - window.geometry().size()
    room = QRect(area.topLeft(), area.size() - frame)
    current = None if preferred is not None else window.geometry()
    rect = fitted(size, room, current)
    window.resize(rect.size())
    if preferred is None or not window.isVisible():
        window.move(rect.topLeft())


def install(window: QMainWindow, left: QDockWidget, right: QDockWidget,
            preferred: Sequence[int] = (330, 400)) -> None:
    """Keep ``window`` on its screen once shown (its frame known) and the landscape wide."""
    _OnScreen(window)
    LandscapePriority(window, left, right, preferred)


class _OnScreen(QObject):
    """Fits the window to its screen again at its first show, when the frame (title bar,
    borders) the window manager adds is known."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """At the first show, refit, then stop watching."""
        if watched is self._window and event.type() == QEvent.Type.Show:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, lambda: fit_to_screen(self._window))
        return False


class LandscapePriority(QObject):
    """Narrows the side docks of ``window`` whenever its central widget (the landscape) would
    get less than :data:`LANDSCAPE_SHARE` of the width. ``left`` and ``right`` are the docks
    heading each side column; ``preferred`` their widths when there is room."""

    def __init__(self, window: QMainWindow, left: QDockWidget, right: QDockWidget,
                 preferred: Sequence[int] = (330, 400)) -> None:
        super().__init__(window)
        self._window = window
        self._docks = [left, right]
        self._preferred = list(preferred)
        self._pending = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """After a resize or show, check the landscape's share (once the layout has settled)."""
        settles = event.type() in (QEvent.Type.Resize, QEvent.Type.Show)
        if watched is self._window and settles and not self._pending:
            self._pending = True
            QTimer.singleShot(0, self.apply)
        return False

    def apply(self) -> None:
        """Narrow the side columns now if the landscape is below its share."""
        self._pending = False
        window = self._window
        width = window.width()
        central = window.centralWidget()
        if central is None or width <= 0 or central.width() >= LANDSCAPE_SHARE * width:
            return
        docks = [d for d in self._docks if d.isVisible() and not d.isFloating()]
        if not docks:
            return
        preferred = [p for d, p in zip(self._docks, self._preferred, strict=True) if d in docks]
        budget = SIDE_SHARE * width
        widths = []
        for i, (dock, want) in enumerate(zip(docks, preferred, strict=True)):
            share = budget * want / sum(preferred[i:]) if i < len(docks) - 1 else budget
            narrow = max(dock.minimumSizeHint().width(), min(want, int(share)))
            widths.append(narrow)
            budget -= narrow
        window.resizeDocks(docks, widths, Qt.Orientation.Horizontal)
