"""The window's handle on the engine thread, which loads the engine (torch) behind the window.

:class:`Engine` starts the engine thread at once. On a cold start what runs there — the
:class:`~app.worker.Worker` and the engine it steps, torch included (seconds to import) — is
imported *in that thread*, so the window paints and takes input meanwhile; the commands sent
before the worker exists wait, in order, and go to it when it does, and ``ready`` says so. When
the engine is already loaded (tests, scripts, a window built anew) the worker is made at once.

Nothing here imports torch or :mod:`optim_core`'s engine: the window's import path stays light
(``tests/app/test_startup.py``).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot

from app.gui_collector import collect_in_gui_thread, collect_when_gone
from app.owned_timers import soon
from app.worker_threads import Lease, current_lease, stop_at_exit, stop_requested

if TYPE_CHECKING:
    from app.worker import Worker
    from optim_core.experiment import Experiment
    from optim_core.snapshot import Snapshot

#: the module the engine thread imports: the worker, and through it the engine and torch
ENGINE_MODULE = "app.worker"
#: how long closing waits for an engine still loading (an import cannot be interrupted)
LOADING_STOP_MS = 60_000
#: a cold engine starts loading this long after the event loop runs, unless
#: :meth:`Engine.start` comes first (the window calls it after its first paint: loading earlier
#: competes with building and painting the window for the interpreter — measured 1.1–1.8 s to
#: the first paint, against 0.7–1.0 s when loading starts after it)
LOADING_START_MS = 1000


@dataclass(frozen=True)
class Progress:
    """Where the session stands: its snapshot, the step it plays to and how fast it goes.

    ``play_command`` is the number of the last play/pause command the worker obeyed, so the window
    can tell a stale "paused" from one the worker decided (the last step was reached).
    """

    generation: int
    snapshot: Snapshot
    target_steps: int
    steps_per_second: float
    playing: bool
    play_command: int


@dataclass(frozen=True)
class LoadRequest:
    """Build a fresh session for ``experiment`` (a visible restart)."""

    generation: int
    experiment: Experiment
    target_steps: int
    speed: float | None
    playing: bool


def engine_loaded() -> bool:
    """Whether the engine's heavy part, torch, is imported already (then making the worker takes
    no time)."""
    return "torch" in sys.modules


class _Loader(QObject):
    """Lives in the engine thread: imports the engine there and makes the worker (which so lives
    in that thread too)."""

    loaded = Signal(object)  # the Worker

    @Slot()
    def load(self) -> None:
        module = importlib.import_module(ENGINE_MODULE)
        if not stop_requested():  # not closed meanwhile
            worker = module.Worker()
            lease = current_lease()
            if lease is not None:  # stopped before the window wires it in: it goes back too
                lease.carry(worker, delete_when_back=True)
            self.loaded.emit(worker)


class Engine(QObject):
    """The window's handle on the worker thread: methods in, signals out (all queued)."""

    ready = Signal()  # the worker exists: the engine has loaded
    progress = Signal(object)
    landscape = Signal(int, object)
    noise = Signal(int, object)
    curvature = Signal(int, object)
    message = Signal(str)

    _load = Signal(object)
    _play = Signal(int)
    _pause = Signal(int)
    _step = Signal()
    _reset = Signal()
    _target = Signal(int)
    _speed = Signal(object)
    _hyperparameter = Signal(object, str, object)
    _label = Signal(object, str)
    _batch_size = Signal(object)
    _noise_run = Signal(object)
    _curvature_on = Signal(bool)
    _shutdown = Signal()
    _start_loading = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        self.play_command = 0
        self._worker: Worker | None = None
        self._pending: list[tuple[SignalInstance, tuple[Any, ...]]] = []
        self._stopped = False
        collect_in_gui_thread()  # no garbage collection in the engine thread
        # deleted with its window, whose panels hang in reference cycles: they go at once
        collect_when_gone(self)
        #: the engine thread, lent by the pool (a new thread per window left memory behind)
        self._thread = Lease("optimizer-lab engine")
        if engine_loaded():  # the worker at once
            worker = importlib.import_module(ENGINE_MODULE).Worker()
            self._thread.move_in(worker)
            self._connect(worker)
        else:  # a cold start: the engine thread loads it, the window goes on meanwhile
            self._loader = _Loader()
            self._start_loading.connect(self._loader.load)
            self._loader.loaded.connect(self._connect)
            # the window starts the loading once painted (else this does, a little later)
            soon(self, self.start, LOADING_START_MS)
        # a script that forgets to stop the engine must not abort the interpreter at exit
        # ("QThread: Destroyed while thread is still running")
        stop_at_exit(self)

    @Slot(object)
    def _connect(self, worker: Worker) -> None:
        """Wire the worker in, send it the commands that waited for it, and say it is ready."""
        if self._thread.isInterruptionRequested():  # stopped while it loaded
            return
        self._worker = worker
        worker.latest_generation = self.generation
        for ours, theirs in (
            (self._load, worker.load), (self._play, worker.play),
            (self._pause, worker.pause), (self._step, worker.step_once),
            (self._reset, worker.reset), (self._target, worker.set_target_steps),
            (self._speed, worker.set_speed), (self._hyperparameter, worker.set_hyperparameter),
            (self._label, worker.set_label), (self._batch_size, worker.set_batch_size),
            (self._noise_run, worker.set_noise_run), (self._shutdown, worker.shutdown),
            (self._curvature_on, worker.set_curvature),
        ):
            ours.connect(theirs)
        worker.progress.connect(self.progress)
        worker.landscape.connect(self.landscape)
        worker.noise.connect(self.noise)
        worker.curvature.connect(self.curvature)
        worker.message.connect(self.message)
        pending, self._pending = self._pending, []
        for signal, args in pending:
            signal.emit(*args)
        self.ready.emit()

    def start(self) -> None:
        """Start loading the engine in its thread, if not started yet (idempotent)."""
        if not (self._stopped or self._thread.isRunning() or self._thread.isFinished()):
            self._thread.move_in(self._loader)
            self._start_loading.emit()

    def is_ready(self) -> bool:
        """Whether the engine has loaded (commands go straight to the worker)."""
        return self._worker is not None

    def _send(self, signal: SignalInstance, *args: Any) -> None:
        """Emit a command to the worker, or keep it until the worker exists."""
        if self._worker is None:
            self._pending.append((signal, args))
        else:
            signal.emit(*args)

    def load(self, experiment: Experiment, *, target_steps: int, speed: float | None,
             playing: bool) -> int:
        """Start a fresh session (a visible restart); returns its generation number."""
        self.generation += 1
        if self._worker is not None:
            self._worker.latest_generation = self.generation
        self._send(self._load, LoadRequest(self.generation, experiment, target_steps, speed,
                                           playing))
        return self.generation

    def play(self) -> None:
        self.play_command += 1
        self._send(self._play, self.play_command)

    def pause(self) -> None:
        self.play_command += 1
        self._send(self._pause, self.play_command)

    def step_once(self) -> None:
        self._send(self._step)

    def reset(self) -> None:
        self._send(self._reset)

    def set_target_steps(self, steps: int) -> None:
        self._send(self._target, steps)

    def set_speed(self, speed: float | None) -> None:
        self._send(self._speed, speed)

    def set_hyperparameter(self, runs: list[int], name: str, value: Any) -> None:
        self._send(self._hyperparameter, list(runs), name, value)

    def set_label(self, runs: list[int], label: str) -> None:
        self._send(self._label, list(runs), label)

    def set_batch_size(self, batch_size: int | None) -> None:
        self._send(self._batch_size, batch_size)

    def set_noise_run(self, run: int | None) -> None:
        self._send(self._noise_run, run)

    def set_curvature(self, on: bool) -> None:
        """Compute the curvature along the paths (emitted as ``curvature``) while ``on``."""
        self._send(self._curvature_on, bool(on))

    def is_running(self) -> bool:
        """Whether the engine thread is alive."""
        return self._thread.isRunning()

    def stop(self, timeout_ms: int = 1000) -> bool:
        """Stop the worker and end its thread; True when it ended within ``timeout_ms``."""
        self._stopped = True  # a thread not started yet never starts
        if not self._thread.isRunning():
            return True
        self._thread.requestInterruption()  # a landscape grid being computed gives up
        if self._worker is None:  # still loading the engine: the thread ends when that is done
            self._pending.clear()
            self._thread.quit()
            return self._thread.wait(max(timeout_ms, LOADING_STOP_MS))
        self._shutdown.emit()
        return self._thread.wait(timeout_ms)

