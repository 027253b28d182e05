"""Pacing the engine thread to the speed asked for: how many steps are due, against a clock.

The steps due are counted from when playing (or the speed) began: ``speed × elapsed`` minus the
steps already taken, so a tick that comes late, or a step that takes longer, is made up by the
next ticks instead of lost. A short stall — the GUI thread holding the interpreter lock while it
paints, the operating system running another program — is caught up, at most one chunk a tick;
only a backlog larger than :data:`CATCH_UP_SECONDS` of steps is dropped (the clock starts
again): an engine that cannot keep up with the speed at all runs as fast as it can.

Whether the engine keeps up is judged by the steps it has taken, not by what a step costs: a
step's time includes the stalls (on a loaded machine a 2 ms step often takes 10–20 ms while the
GUI thread paints), so a cost-based guess dropped steps the engine could have caught up.

The clock is a parameter, so the schedule can be checked without waiting (``tests/app``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: the longest stall caught up (a few steps a tick faster than asked, until level again)
CATCH_UP_SECONDS = 0.5


class Pacer:
    """Steps due at ``speed`` steps per second (None: as many as asked, no pace)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self.speed: float | None = None
        self._start = clock()
        self._done = 0
        self.dropped = 0  #: steps given up so far (a backlog too long to catch up)

    def restart(self) -> None:
        """Count from now (playing began, or a backlog was dropped)."""
        self._start, self._done = self._clock(), 0

    def set_speed(self, speed: float | None) -> None:
        """A new pace, counted from now."""
        self.speed = speed
        self.restart()

    def due(self, chunk: int) -> int:
        """Steps to take now, at most ``chunk`` (what one tick may take)."""
        if self.speed is None:
            return chunk
        due = int((self._clock() - self._start) * self.speed) - self._done
        n = max(0, min(due, chunk))
        if due - n > CATCH_UP_SECONDS * self.speed:
            self.dropped += due - n
            self.restart()  # too far behind: go on from here
        else:
            self._done += n
        return n

    def not_taken(self, n: int) -> None:
        """``n`` of the steps :meth:`due` gave were not taken (a chunk stopped at its time
        limit): they are due again."""
        self._done -= max(0, n)
