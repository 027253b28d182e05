"""Drawing a live picture in pieces: one plot per turn of the event loop while training.

One drawing of the network workbench sets the data of ~75 curves in five plots. Set and painted
in one turn of the event loop, it held the GUI thread for 30–100 ms while the engine trained (a
click waited that long). Here a drawing is a list of pieces, each one plot's ``setData``, whose
paint follows in the next turn; a drawing starts at most :data:`DRAW_HZ` times a second, when
there is something new, and its pieces come one per turn, :data:`PIECE_GAP_MS` apart (longer
after a costly piece), so no turn holds the window for long. A still picture (paused, a step,
another x axis) is drawn whole at once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer

DRAW_HZ = 5  #: most drawings a second while training: curves read well at this rate
PIECE_GAP_MS = 15  #: between two pieces of a drawing: room for the first one's paint
#: a piece's gap is at least this many times what its setData took (its paint costs about as
#: much): drawing takes at most about half of the GUI thread
COST_FACTOR = 3.0

Piece = tuple[str, Callable[[], None]]  #: a name (for counts) and what draws it


class StaggeredDrawing(QObject):
    """Draws what ``pieces()`` returns (the pieces of a drawing of the latest data): whole with
    :meth:`draw_now`, or one piece per turn after :meth:`request`."""

    def __init__(self, pieces: Callable[[], list[Piece]], parent: QObject | None = None, *,
                 hz: float = DRAW_HZ, gap_ms: int = PIECE_GAP_MS) -> None:
        super().__init__(parent)
        self._pieces = pieces
        self.hz, self.gap_ms = hz, gap_ms
        self._queue: list[Piece] = []
        self._pending = False  # data newer than the drawing under way
        self._started_at = -1.0e9  # when the last drawing began
        self.drawn: Counter[str] = Counter()  #: pieces drawn, by name (benchmarks and tests)
        self.drawings = 0  #: drawings begun (benchmarks and tests)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._next)

    def request(self) -> None:
        """There is new data: draw it piece by piece, the drawing starting within 1/hz s."""
        self._pending = True
        if not self._timer.isActive():
            self._timer.start(self._wait_ms())

    def draw_now(self) -> None:
        """Draw the latest data whole, now (any drawing under way is dropped)."""
        self._timer.stop()
        self._queue, self._pending = [], False
        pieces = self._pieces()
        if pieces:
            self.drawings += 1
            self._started_at = time.perf_counter()
        for name, draw in pieces:
            draw()
            self.drawn[name] += 1

    def stop(self) -> None:
        """Draw nothing more (the window closes, or a new session starts)."""
        self._timer.stop()
        self._queue, self._pending = [], False

    def busy(self) -> bool:
        """Whether pieces of a drawing, or a drawing, wait to be drawn."""
        return bool(self._queue) or self._pending

    def _wait_ms(self) -> int:
        return max(0, round((1 / self.hz - (time.perf_counter() - self._started_at)) * 1000))

    def _next(self) -> None:
        if not self._queue and self._pending:
            self._pending = False
            self._queue = list(self._pieces())
            if self._queue:
                self.drawings += 1
                self._started_at = time.perf_counter()
        if not self._queue:
            return
        name, draw = self._queue.pop(0)
        started = time.perf_counter()
        draw()
        self.drawn[name] += 1
        cost_ms = (time.perf_counter() - started) * 1000
        if self._queue:
            self._timer.start(max(self.gap_ms, round(COST_FACTOR * cost_ms)))
        elif self._pending:
            self._timer.start(max(self.gap_ms, self._wait_ms()))
