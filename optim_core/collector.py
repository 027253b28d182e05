"""Python's cyclic garbage collector held off while a large session is built, run and read.

Ten thousand starts are tens of thousands of small Python objects (the experiment file's points,
a run description per start, each run's settings in the stepper) that live as long as the
session. Allocating them makes the collector promote them and then scan every object of the
process (≈ 60 ms here, a fifth of torch.optim's whole P1 run) in most calls, although none of
them is garbage and none is in a reference cycle. Stepping makes no cyclic garbage (a few objects
per session at most, none per step: ``tests/optim_core/test_results.py`` checks the built-in
rules and torch.optim's own classes), so the collector can wait until the call ends: what the
call made and dropped has been freed by reference counting by then.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_held_off() -> Iterator[None]:
    """Hold the cyclic collector off for the ``with`` block, then leave it as it was found (a
    collector that was off stays off)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
