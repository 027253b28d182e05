"""A live drawing comes a piece per turn of the event loop, at most DRAW_HZ drawings a second; a
still picture is drawn whole at once; stopping drops what waits."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QTimer

from app.staggered_drawing import StaggeredDrawing

PIECES = ("loss", "accuracy", "layers ratios", "layers histograms")


class Turns:
    """Counts turns of the event loop (a 0 ms timer) and notes the turn each piece is drawn in."""

    def __init__(self) -> None:
        self.count = 0
        self.drawn: list[tuple[str, int, float]] = []
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(0)

    def _tick(self) -> None:
        self.count += 1

    def pieces(self) -> list[tuple[str, object]]:
        return [(name, lambda name=name: self.drawn.append(
            (name, self.count, time.perf_counter()))) for name in PIECES]

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture
def turns(qtbot):
    counter = Turns()
    yield counter
    counter.stop()


def test_a_requested_drawing_comes_a_piece_per_turn(qtbot, turns):
    drawing = StaggeredDrawing(turns.pieces, hz=5, gap_ms=10)
    drawing.request()
    qtbot.waitUntil(lambda: len(turns.drawn) == len(PIECES), timeout=2000)
    assert [name for name, _, _ in turns.drawn] == list(PIECES)
    for (_, turn, at), (_, next_turn, next_at) in zip(turns.drawn, turns.drawn[1:],
                                                      strict=False):
        assert next_turn > turn  # the event loop (a paint, a click) ran in between
        assert next_at - at >= 0.009
    assert drawing.drawings == 1 and not drawing.busy()
    assert drawing.drawn == dict.fromkeys(PIECES, 1)


def test_requests_faster_than_hz_are_drawn_at_most_hz_times_a_second(qtbot, turns):
    drawing = StaggeredDrawing(turns.pieces, hz=5, gap_ms=5)
    request = QTimer()
    request.timeout.connect(drawing.request)  # new data every 10 ms
    request.start(10)
    qtbot.wait(1000)
    request.stop()
    drawing.stop()
    assert 1 <= drawing.drawings <= 6  # at most hz a second (and about that many, when idle)


def test_a_still_picture_is_drawn_whole_and_drops_a_drawing_under_way(qtbot, turns):
    drawing = StaggeredDrawing(turns.pieces, hz=5, gap_ms=500)
    drawing.request()
    qtbot.waitUntil(lambda: len(turns.drawn) == 1, timeout=2000)
    drawing.draw_now()
    assert [name for name, _, _ in turns.drawn] == ["loss", *PIECES]
    assert len({turn for _, turn, _ in turns.drawn[1:]}) == 1  # in one turn
    qtbot.wait(700)
    assert len(turns.drawn) == 1 + len(PIECES)  # the rest of the first drawing is dropped
    assert not drawing.busy()


def test_stop_draws_nothing_more(qtbot, turns):
    drawing = StaggeredDrawing(turns.pieces, hz=5, gap_ms=500)
    drawing.request()
    qtbot.waitUntil(lambda: len(turns.drawn) == 1, timeout=2000)
    drawing.stop()
    drawing_count = len(turns.drawn)
    qtbot.wait(700)
    assert len(turns.drawn) == drawing_count and not drawing.busy()
