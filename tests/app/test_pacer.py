"""The engine thread's pace, on a fake clock: the speed asked is the speed given, stalls included.

The AdaGrad lesson asked 100 steps/s and got 72–74/s on a loaded machine with 1.8 ms steps:
every stall past 0.1 s (the GUI thread painting, another program running) dropped the steps
due, and a step's cost, stalls included, was taken for the engine being too slow. Here each
tick of the worker's timer is simulated: the clock moves on by the tick's lateness and by the
steps' cost, and the steps taken are counted.
"""

from __future__ import annotations

import pytest

from app.pacer import CATCH_UP_SECONDS, Pacer


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def play(speed: float | None, seconds: float, *, interval: float = 0.005, step_cost: float,
         chunk: int = 2, stall_every: float = 0.0, stall: float = 0.0) -> tuple[int, Pacer, int]:
    """(steps taken, the pacer, most steps taken ahead of the clock) after ``seconds`` of a
    repeating timer's ticks every ``interval`` (a tick that takes longer delays the next), each
    step costing ``step_cost``, and a ``stall`` every ``stall_every``."""
    clock = FakeClock()
    pacer = Pacer(clock)
    pacer.set_speed(speed)
    start, taken, ahead, next_stall = clock.now, 0, 0, clock.now + stall_every
    while clock.now - start < seconds:
        tick = clock.now
        n = pacer.due(chunk)
        taken += n
        clock.now += n * step_cost
        if speed is not None:
            ahead = max(ahead, taken - int((clock.now - start) * speed))
        clock.now = max(clock.now, tick + interval)
        if stall_every and clock.now >= next_stall:
            clock.now += stall
            next_stall = clock.now + stall_every
    return taken, pacer, ahead


# name: (speed, step cost, chunk, stall every, stall, steps expected in 10 s)
CASES = {
    "steady, quick steps": (100.0, 0.0018, 2, 0.0, 0.0, 1000),
    # the loaded machine: a 0.15 s stall twice a second, caught up afterwards
    "stalls of 0.15 s": (100.0, 0.0018, 2, 0.5, 0.15, 1000),
    # a step that costs 4 ms (a chunk of one step a tick) still catches up after stalls
    "slow steps and stalls": (100.0, 0.004, 1, 0.5, 0.15, 1000),
    "as fast as possible": (None, 0.001, 5, 0.0, 0.0, None),
}


@pytest.mark.parametrize("case", CASES)
def test_the_speed_asked_is_the_speed_given(case):
    speed, cost, chunk, every, stall, expected = CASES[case]
    taken, pacer, ahead = play(speed, 10.0, step_cost=cost, chunk=chunk, stall_every=every,
                               stall=stall)
    if expected is None:
        assert taken == 5 * round(taken / 5) and taken > 1000  # a full chunk every tick
        return
    assert abs(taken - expected) <= 2, f"{taken} steps in 10 s at {speed}/s"
    assert pacer.dropped == 0
    assert ahead <= 1, "the pace never runs ahead of the clock"


def test_an_engine_that_cannot_keep_up_runs_flat_out_without_bursts():
    # 20 ms a step at 100/s asked: 50 steps a second, and the backlog is given up
    taken, pacer, _ = play(100.0, 10.0, step_cost=0.02, chunk=1)
    assert taken == 500
    assert pacer.dropped > 0


def test_a_stall_longer_than_the_catch_up_is_given_up():
    taken, pacer, _ = play(100.0, 3.0, step_cost=0.001, stall_every=1.0,
                           stall=2 * CATCH_UP_SECONDS)
    assert pacer.dropped > 0
    assert taken < 300


def test_a_new_speed_counts_from_now():
    clock = FakeClock()
    pacer = Pacer(clock)
    pacer.set_speed(100.0)
    clock.now += 0.3  # paused or slow before: no burst at the new speed
    pacer.set_speed(10.0)
    assert pacer.due(1000) == 0
    clock.now += 1.0
    assert pacer.due(1000) == 10


def test_steps_a_chunk_did_not_reach_stay_due() -> None:
    """The network workbench's chunks stop at a time limit: what they did not take is due again
    (it used to count as taken, so the run fell behind the speed asked)."""
    clock = FakeClock()
    pacer = Pacer(clock)
    pacer.set_speed(100.0)
    clock.now += 0.1001  # 10 steps due (0.1 alone rounds to 9.99… here)
    assert pacer.due(50) == 10
    pacer.not_taken(6)  # only 4 were taken before the chunk ran out of time
    assert pacer.due(50) == 6
    assert pacer.due(50) == 0
