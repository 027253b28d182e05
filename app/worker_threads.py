"""Worker threads lent and taken back: each engine or lab window runs its worker in a thread of a
pool kept for the process, not in a thread of its own made anew.

Why: glibc gives a new thread an arena of its own (the next one starts before the last has handed
its arena back) and ``malloc_trim`` never trims the top of a thread's arena, so each fresh thread
left a few MB resident. Measured 2026-12-03, a network session stepped 50 ms per cycle, RSS after
``malloc_trim(0)``: 200 cycles each in a new thread +20.8 MB (malloc's bytes in use +0.1 MB); in
one thread reused +2.5 MB, all of it in the first cycles (code pages of torch read on first use).

A :class:`Lease` is one worker's turn on a pooled thread, with the QThread calls the windows and
tests make of a thread of their own: ``start``, ``isRunning``, ``isFinished``, ``wait``,
``quit``, ``requestInterruption`` and ``isInterruptionRequested``. "Finished" means the worker has
left: :func:`end_worker_thread`, called in the worker's thread (its shutdown slot), or
:meth:`Lease.quit`, queued behind the job running, moves the lease's objects back to the GUI
thread, where they are freed as every Qt object is (:mod:`app.gui_collector`), and returns the
thread to the pool. The pool holds as many threads as were ever busy at once; they end at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import sys
import threading
import weakref
from dataclasses import dataclass, field
from typing import Protocol

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

#: how long the exit waits for each pooled thread's event loop to end
EXIT_WAIT_MS = 5000


class _Porter(QObject):
    """Lives in a pooled thread: hands a lease's objects back when asked (after the job running)."""

    released = Signal(object)  # the Lease, to be forgotten in the GUI thread

    @Slot(object)
    def hand_back(self, lease: Lease) -> None:
        _release(lease)


class _Desk(QObject):
    """Lives in the GUI thread: sends hand-backs to a pooled thread and forgets released leases
    there (so their last references, the workers', are dropped in the GUI thread)."""

    hand_back = Signal(object)

    @Slot(object)
    def forget(self, lease: Lease) -> None:
        with _lock:
            if _busy.get(lease.thread_id) is lease:
                del _busy[lease.thread_id]


@dataclass
class _Pooled:
    thread: QThread
    porter: _Porter
    desk: _Desk


@dataclass(eq=False)
class Lease:
    """One worker's turn on a pooled thread (taken at :meth:`start`)."""

    name: str
    pooled: _Pooled | None = None
    #: objects moved into the thread, and whether each is deleted (deleteLater) once handed back
    carried: list[tuple[QObject, bool]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    interrupted: threading.Event = field(default_factory=threading.Event)

    @property
    def thread_id(self) -> int:
        return id(self.pooled.thread) if self.pooled is not None else 0

    def start(self) -> None:
        """Take a thread of the pool (a new one when all are busy); idempotent."""
        if self.pooled is None and not self.released.is_set():
            self.pooled = _take(self)

    def move_in(self, obj: QObject, *, delete_when_back: bool = False) -> None:
        """Move ``obj`` (living in the GUI thread) into the leased thread, to come back with the
        lease's end (and be deleted then if ``delete_when_back``)."""
        self.start()
        obj.moveToThread(self.pooled.thread)
        self.carried.append((obj, delete_when_back))

    def carry(self, obj: QObject, *, delete_when_back: bool = False) -> None:
        """Count ``obj``, made in the leased thread, among what goes back with the lease."""
        self.carried.append((obj, delete_when_back))

    def isRunning(self) -> bool:
        return self.pooled is not None and not self.released.is_set()

    def isFinished(self) -> bool:
        return self.released.is_set()

    def requestInterruption(self) -> None:
        self.interrupted.set()

    def isInterruptionRequested(self) -> bool:
        return self.interrupted.is_set()

    def quit(self) -> None:
        """Hand the objects back once the job running (and those queued before) are done."""
        if self.isRunning():
            self.pooled.desk.hand_back.emit(self)

    def wait(self, timeout_ms: int | None = None) -> bool:
        """Whether the worker has left (within ``timeout_ms``; forever for None)."""
        if self.pooled is None:
            return True
        return self.released.wait(None if timeout_ms is None else timeout_ms / 1000)


_lock = threading.Lock()
_idle: list[_Pooled] = []
_every: list[_Pooled] = []
_busy: dict[int, Lease] = {}  #: id of a pooled QThread → its lease


def _take(lease: Lease) -> _Pooled:
    with _lock:
        pooled = _idle.pop() if _idle else None
    if pooled is None:
        thread = QThread()
        porter, desk = _Porter(), _Desk()
        porter.moveToThread(thread)
        desk.hand_back.connect(porter.hand_back)
        porter.released.connect(desk.forget)
        pooled = _Pooled(thread, porter, desk)
        _every.append(pooled)
        thread.start()
    pooled.thread.setObjectName(lease.name)
    with _lock:
        _busy[id(pooled.thread)] = lease
    return pooled


def _release(lease: Lease) -> None:
    """In the leased thread: the lease's objects back to the GUI thread, the thread to the pool."""
    if lease.released.is_set():
        return
    here, gui = QThread.currentThread(), QCoreApplication.instance().thread()
    for obj, delete in lease.carried:
        if shiboken6.isValid(obj) and obj.thread() is here:
            obj.moveToThread(gui)
            if delete:
                obj.deleteLater()
    with _lock:  # back in the pool before anyone waiting on the lease wakes (and takes one)
        _idle.append(lease.pooled)
    lease.released.set()
    lease.pooled.porter.released.emit(lease)


def current_lease() -> Lease | None:
    """The lease of the thread this runs in (None outside the pool)."""
    with _lock:
        return _busy.get(id(QThread.currentThread()))


def stop_requested() -> bool:
    """Whether the worker running here was asked to stop (its lease interrupted)."""
    lease = current_lease()
    if lease is None:
        return QThread.currentThread().isInterruptionRequested()
    return lease.interrupted.is_set()


def end_worker_thread(worker: QObject) -> None:
    """Called in ``worker``'s own thread: move it (and what else its lease carried) back to the
    GUI thread, to be freed there, and hand the thread back to the pool (or end it, for a thread
    not of the pool)."""
    lease = current_lease()
    worker.moveToThread(QCoreApplication.instance().thread())
    if lease is None:
        QThread.currentThread().quit()
    else:
        _release(lease)


def pool_size() -> int:
    """Threads the pool holds (busy or idle)."""
    return len(_every)


@atexit.register
def _end_pool() -> None:
    for pooled in _every:
        pooled.thread.quit()
        if not pooled.thread.wait(EXIT_WAIT_MS):
            # a job deaf to its cancel still runs (asked to stop when its window closed): wait
            # for it, as a window's close once did. Qt destroys what is left at exit, and
            # destroying a running QThread aborts the program with a core dump
            print(f"Optimizer Lab: waiting for a job in {pooled.thread.objectName()!r} to end",
                  file=sys.stderr, flush=True)
            pooled.thread.wait()


class _Stoppable(Protocol):
    def stop(self) -> object: ...


#: engines not yet garbage, held weakly: stopped at exit if a script forgot to
_ENGINES: weakref.WeakSet[_Stoppable] = weakref.WeakSet()


def stop_at_exit(engine: _Stoppable) -> None:
    """Stop ``engine`` at exit if it still runs then (before the pool's threads end)."""
    _ENGINES.add(engine)


@atexit.register  # registered after _end_pool, so it runs before it
def _stop_engines() -> None:
    for engine in list(_ENGINES):
        with contextlib.suppress(RuntimeError):  # its Qt object is already gone
            engine.stop()
