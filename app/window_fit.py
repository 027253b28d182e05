"""A main window that fits its screen and keeps the landscape, the main view, wide.

The window opens at its preferred size only where the screen's available area (without panels
and task bars) holds it, and otherwise at that area's size; a stored geometry too large for the
screen it is restored on is shrunk the same way. When the window is narrow, the side docks give
way first: whenever the landscape would get less than :data:`LANDSCAPE_SHARE` of the width, the
two dock columns are narrowed (down to their minimum widths) to :data:`SIDE_SHARE` of it.
Widths a user sets by dragging are kept as long as the landscape keeps its share.

Where even their minimum widths leave the landscape less (a small screen, or presentation mode,
where 2× on 1280 × 800 is a 640 × 400 window), the docks fold into tabs: first each column's
panels stacked above one another become tabs of one group (when the window is short for the
scale), then the two columns become one. Given room again, the user's own arrangement returns;
it, not the fold, is what the settings keep (:func:`layout_to_save`).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabBar, QWidget

from app.owned_timers import soon
from widgets.style import presentation_scale

__all__ = ["LANDSCAPE_SHARE", "LandscapePriority", "fit_to_screen", "fitted", "install",
           "keep_on_screen", "layout_to_save", "whole_tab_names"]

#: the landscape keeps at least this share of the window's width...
LANDSCAPE_SHARE = 0.45
#: ...by narrowing the two dock columns together to this share when it would not
SIDE_SHARE = 0.52
#: below this height (× the presentation scale) panels stacked in a column become tabs
STACK_HEIGHT = 650
#: room between two dock columns and beside the landscape (splitters, margins)
SEPARATORS = 12
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
    """Size ``window`` to ``preferred`` (default: its present size) within its screen; on a
    real screen, presentation mode asks for ``preferred`` that many times larger (at 2× a
    1280 × 800 window would be a 640 × 400 one: on a projector it takes the screen)."""
    area = available_area(window)
    size = preferred or window.size()
    if area is None:  # offscreen: scripted grabs keep their size
        window.resize(size)
        return
    if preferred is not None:
        size = QSize(round(size.width() * presentation_scale()),
                     round(size.height() * presentation_scale()))
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
    # the docks' preferred widths grow with presentation mode, as their contents do
    preferred = [round(width * presentation_scale()) for width in preferred]
    window.resizeDocks([left, right], preferred, Qt.Orientation.Horizontal)
    LandscapePriority(window, left, right, preferred)


def keep_on_screen(window: QWidget, preferred: QSize) -> None:
    """Open ``window`` at ``preferred`` size where its screen holds it, else at the screen's
    available size, and fit it again once shown (a window without dock columns)."""
    fit_to_screen(window, preferred)
    _OnScreen(window)


def layout_to_save(window: QMainWindow) -> QByteArray:
    """``window.saveState()``, or, while its docks are folded for want of room, the user's own
    arrangement from before the fold (what a larger screen should restore)."""
    priority = window.findChild(LandscapePriority)
    return window.saveState() if priority is None else priority.layout_to_save()


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
            soon(self, lambda: fit_to_screen(self._window))
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
        #: while folded: how far (1: stacks tabbed, 2: one column), the user's arrangement, and
        #: the docks of each column in it
        self._fold = 0
        self._unfolded: QByteArray | None = None
        self._columns: list[list[QDockWidget]] = []
        self._closed_at_fold: set[QDockWidget] = set()  #: docks closed when the fold began
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """After a resize or show, check the landscape's share (once the layout has settled)."""
        settles = event.type() in (QEvent.Type.Resize, QEvent.Type.Show)
        if watched is self._window and settles and not self._pending:
            self._pending = True
            soon(self, self.apply)
        return False

    def layout_to_save(self) -> QByteArray:
        """The window's dock arrangement, as the user made it (not folded)."""
        if self._unfolded is None:
            return self._window.saveState()
        if self._closed() == self._closed_at_fold:
            return QByteArray(self._unfolded)
        # docks closed or opened while folded: the arrangement from before, with that change
        fold = self._fold
        self._refold(0)
        state = self._window.saveState()
        self._refold(fold)
        return state

    def _closed(self) -> set[QDockWidget]:
        """The window's docks the user has closed now (a tab behind another is not closed)."""
        window = self._window
        return {d for d in window.findChildren(QDockWidget)
                if d.parent() is window and d.isHidden()}

    def _restore_unfolded(self) -> None:
        """The arrangement from before the fold, with the docks closed or opened since."""
        closed = self._closed()
        self._window.restoreState(self._unfolded)
        for dock in self._window.findChildren(QDockWidget):
            if dock.parent() is self._window and dock.isHidden() != (dock in closed):
                dock.setVisible(dock not in closed)

    def apply(self) -> None:
        """Fold or unfold the docks for the window's size, then narrow the side columns if the
        landscape is below its share."""
        self._pending = False
        window = self._window
        width = window.width()
        central = window.centralWidget()
        if central is None or width <= 0:
            return
        self._refold(self._fold_needed())
        whole_tab_names(window)
        docks = [d for d in self._docks if d.isVisible() and not d.isFloating()]
        if self._fold == 2:  # one column, for want of room: as wide as shows its controls whole
            least = _column_minimum(window, docks[0]) if docks else 0
            if docks and docks[0].width() > least:
                window.resizeDocks(docks[:1], [least], Qt.Orientation.Horizontal)
            return
        if central.width() >= LANDSCAPE_SHARE * width:
            return
        if not docks:
            return
        preferred = [p for d, p in zip(self._docks, self._preferred, strict=True) if d in docks]
        least = [_column_minimum(window, d) for d in docks]
        budget = SIDE_SHARE * width
        # each column between its minimum and its preferred width, in proportion
        spare = sum(p - m for p, m in zip(preferred, least, strict=True))
        give = 0.0 if spare <= 0 else min(max((budget - sum(least)) / spare, 0.0), 1.0)
        widths = [int(m + give * max(p - m, 0)) for p, m in zip(preferred, least, strict=True)]
        window.resizeDocks(docks, widths, Qt.Orientation.Horizontal)

    # ------------------------------------------------------------------ folding
    def _columns_now(self) -> list[list[QDockWidget]]:
        """The docks shown in the left and in the right column (the user's arrangement)."""
        if self._unfolded is not None:
            return self._columns
        window = self._window
        docks = [d for d in window.findChildren(QDockWidget)
                 if d.parent() is window and not d.isHidden() and not d.isFloating()]
        return [[d for d in docks if window.dockWidgetArea(d) == area]
                for area in (Qt.DockWidgetArea.LeftDockWidgetArea,
                             Qt.DockWidgetArea.RightDockWidgetArea)]

    def _fold_needed(self) -> int:
        """0: the user's arrangement fits; 1: stacked panels must become tabs (a short window
        for the scale); 2: and the two columns one (a narrow window)."""
        window = self._window
        columns = [c for c in self._columns_now() if c]
        least = sum(max(least_width(d) for d in c) for c in columns)
        if len(columns) > 1 and least + SEPARATORS * len(columns) > \
                (1 - LANDSCAPE_SHARE) * window.width():
            return 2
        return 1 if window.height() < STACK_HEIGHT * presentation_scale() else 0

    def _refold(self, fold: int) -> None:
        """Bring the docks to fold level ``fold`` (from the user's arrangement)."""
        if fold == self._fold:
            return
        window = self._window
        if self._unfolded is None:
            self._columns = self._columns_now()
            self._unfolded = window.saveState()
            self._closed_at_fold = self._closed()
        else:
            self._restore_unfolded()
        self._fold = fold
        if fold == 0:
            self._unfolded, self._columns = None, []
            return
        self._columns = [[d for d in column if not d.isHidden()] for column in self._columns]
        shown = [d for c in self._columns for d in c if not d.visibleRegion().isEmpty()]
        keep = self._docks[0]  # the controls (Play) stay above the tabs
        groups = [[d for d in column if d is not keep] for column in self._columns]
        if fold == 2:  # one column: the right one's tabs join the left one's
            if not groups[0] and groups[1]:
                window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, groups[1][0])
            groups = [groups[0] + groups[1]]
        for tabs in groups:
            for dock in tabs[1:]:
                if dock not in window.tabifiedDockWidgets(tabs[0]):  # (keeps the tabs' order)
                    window.tabifyDockWidget(tabs[0], dock)
        # what showed before shows still where a tab can; where two now share one group, the
        # left column's (the lesson, the runs) or the upper panel (the training loss) wins
        soon(self, lambda: [dock.raise_() for dock in reversed(shown)])
        soon(self, lambda: whole_tab_names(window))  # the fold's new tab bars


def _column_minimum(window: QMainWindow, dock: QDockWidget) -> int:
    """The least width of the dock column ``dock`` heads: its widest dock's minimum."""
    area = window.dockWidgetArea(dock)
    docks = [d for d in window.findChildren(QDockWidget)
             if d.parent() is window and window.dockWidgetArea(d) == area and not d.isHidden()
             and not d.isFloating()]
    return max((least_width(d) for d in docks), default=0)


def least_width(dock: QDockWidget) -> int:
    """The least width at which ``dock`` shows its controls whole: a scrolling page of editors
    says it can be 280 px wide, but at 2× its spin boxes were then cut off at the right."""
    least = dock.minimumSizeHint().width()
    page = dock.widget()
    inner = page.widget() if isinstance(page, QScrollArea) else None
    if inner is None:
        return least
    room = page.verticalScrollBar().sizeHint().width() + 2 * page.frameWidth()
    return max(least, inner.minimumSizeHint().width() + room)


def whole_tab_names(window: QMainWindow) -> None:
    """Tabs of docks show their whole names, and their bar scrolls to the rest (folded at 2×,
    seven tabs elided to "L…", "T…", "G…")."""
    for bar in window.findChildren(QTabBar):
        if bar.parent() is window:  # the dock areas' tab bars (the layout makes them)
            bar.setElideMode(Qt.TextElideMode.ElideNone)
            bar.setUsesScrollButtons(True)
