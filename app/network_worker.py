"""The network workbench's engine thread: a :class:`NetworkWorker` that owns the training session,
and the :class:`NetworkEngine` handle the window calls.

As :mod:`app.worker` does for the 2D lab: commands go to the worker as queued signals, results
come back only through signals, and the window's thread never computes. The worker steps the
:class:`~optim_core.networks.training.TrainingSession` in short chunks (each at most
:data:`CHUNK_SECONDS`, so a command waits at most that long), paced to the speed asked for, and
sends back

- :class:`Loaded` once per session: the training samples to preview, the model's description;
- :class:`TrainingProgress` — the immutable snapshot — at most :data:`PROGRESS_HZ` times a second;
- :class:`DecisionGrids` (2D data sets) at most :data:`GRID_HZ` times a second;
- a :class:`~optim_core.networks.landscape.LossSlice` when asked, computed here and cancellable;
- messages (refusals and failures) as text: a bad command never ends the thread.

Everything carries the generation of the load it came from, so the window drops results of a
session it has already replaced.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.gui_collector import collect_in_gui_thread, collect_when_gone
from app.pacer import Pacer
from app.worker_threads import Lease, end_worker_thread, stop_at_exit, stop_requested
from optim_core.errors import ConfigError
from optim_core.networks.experiment import NetworkExperiment
from optim_core.networks.landscape import Cancelled, loss_slice
from optim_core.networks.snapshot import NetworkSnapshot
from optim_core.networks.training import TrainingSession
from widgets.level_lines import level_segments

CHUNK_SECONDS = 0.03  #: stepping time between two looks at the command queue
PROGRESS_HZ = 60  #: most snapshots per second while playing
GRID_HZ = 4  #: most decision-region pictures per second while playing
GRID_RESOLUTION = 72
PREVIEW_SAMPLES = 2000  #: training samples sent for the data preview
MARGIN = 0.15  #: decision regions reach this share of the data's extent beyond it
#: records a session keeps (the panels draw a few hundred points per curve)
HISTORY_BUDGET = 64 * 2**20


@dataclass(frozen=True)
class Loaded:
    """Facts about a fresh session: what the data looks like and what the model is."""

    generation: int
    dataset: str
    train_x: np.ndarray
    train_y: np.ndarray
    n_classes: int
    n_train: int
    model: str
    layer_names: tuple[str, ...]
    extent: tuple[float, float, float, float] | None  #: the decision grids' (2D inputs only)


@dataclass(frozen=True)
class TrainingProgress:
    generation: int
    snapshot: NetworkSnapshot
    playing: bool
    target_steps: int
    steps_per_second: float


@dataclass(frozen=True)
class DecisionGrids:
    generation: int
    step: int
    grids: np.ndarray  #: (R, res, res)
    #: each run's boundary (probability 0.5) as segment end points (2K, 2); none for more classes
    boundaries: tuple[np.ndarray, ...] = ()


@dataclass(frozen=True)
class SliceResult:
    generation: int
    step: int
    result: Any  #: a LossSlice


@dataclass(frozen=True)
class LoadRequest:
    generation: int
    experiment: NetworkExperiment
    speed: float | None
    playing: bool


def data_extent(x: np.ndarray) -> tuple[float, float, float, float]:
    """A square-ish box around 2D points ``(N, 2)``, with a margin."""
    lo, hi = x.min(0), x.max(0)
    pad = MARGIN * (hi - lo).max()
    return (float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad))


class NetworkWorker(QObject):
    """Owns the session and lives in the engine thread; its slots are called by queued signals."""

    loaded = Signal(object)  # Loaded
    progress = Signal(object)  # TrainingProgress
    grids = Signal(object)  # DecisionGrids
    slice_ready = Signal(object)  # SliceResult
    slice_stopped = Signal(int, str)  # generation, why
    message = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.session: TrainingSession | None = None
        self.generation = 0
        #: the newest generation asked for (set by the engine in the GUI thread)
        self.latest_generation = 0
        #: set by the GUI thread to give up the slice being computed
        self.cancel_slice = threading.Event()
        self._extent: tuple[float, float, float, float] | None = None
        self._pacer = Pacer()  # the steps due at the speed asked for
        self._seconds_per_step = 1e-3  #: of the last chunk (probes included)
        self._playing = False
        self._rate = 0.0
        self._last_tick = 0.0
        self._last_progress = 0.0
        self._last_grid = 0.0
        self._snapshot_seconds = 0.0
        self._timer: QTimer | None = None

    def _ensure_timer(self) -> QTimer:
        if self._timer is None:  # made in the engine thread, where it ticks
            self._timer = QTimer(self)
            self._timer.timeout.connect(self._tick)
        return self._timer

    # ------------------------------------------------------------------ commands
    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        """A fresh session for the request's experiment (skipped if a newer load is coming)."""
        if request.generation < self.latest_generation or self._stopping():
            return
        self._set_playing(False)
        self.session = None
        self.generation = request.generation
        session = self._guard(TrainingSession, request.experiment,
                              history_budget=HISTORY_BUDGET)
        if not isinstance(session, TrainingSession):
            return
        self.session = session
        data = session.data
        x = data.train_x[:PREVIEW_SAMPLES].cpu().double().numpy()
        y = data.train_y[:PREVIEW_SAMPLES].cpu().double().numpy()
        two_d = session.model.input_shape == (2,)
        self._extent = data_extent(x) if two_d else None
        self.loaded.emit(Loaded(
            generation=request.generation, dataset=data.name, train_x=x, train_y=y,
            n_classes=data.n_classes, n_train=session.n_train,
            model=session.model.description, layer_names=tuple(session.layer_names),
            extent=self._extent))
        self._pacer.set_speed(request.speed)
        self._emit_progress()
        self._emit_grids()
        self._set_playing(request.playing)

    @Slot()
    def play(self) -> None:
        session = self.session
        if session is not None and session.step_count >= session.experiment.steps:
            self.message.emit(f"All {session.experiment.steps} steps are done: raise Steps "
                              "to go on, or Reset (R) to start again.")
            self._set_playing(False)
        else:
            self._set_playing(session is not None)
        self._emit_progress()

    @Slot()
    def pause(self) -> None:
        self._set_playing(False)
        self._after_command()  # the decision regions too: they lag by up to 1/GRID_HZ

    @Slot()
    def step_once(self) -> None:
        if self.session is None or self._playing:
            return
        if self.session.step_count >= self.session.experiment.steps:
            self.message.emit("All steps are done: raise Steps to step on.")
            return
        self._guard(self.session.step, 1)
        self._after_command()

    @Slot()
    def reset(self) -> None:
        if self.session is not None:
            self._guard(self.session.reset)
            self._pacer.restart()
        self._after_command()

    @Slot(object)
    def set_speed(self, speed: float | None) -> None:
        self._pacer.set_speed(speed)

    @Slot(int, str, object)
    def set_hyperparameter(self, run: int, name: str, value: Any) -> None:
        """Change one run's hyperparameter or clipping between steps, keeping its history."""
        if self.session is not None and run < self.session.n_runs:
            self._guard(self.session.set_hyperparameter, run, name, value)
        self._after_command()

    @Slot(int, str)
    def compute_slice(self, run: int, directions: str) -> None:
        """The loss on a plane through ``run``'s weights (stepping waits meanwhile)."""
        session, generation = self.session, self.generation
        if session is None:
            self.slice_stopped.emit(generation, "no session")
            return

        def should_stop() -> bool:  # both are set from the GUI thread
            return self.cancel_slice.is_set() or self._stopping()

        try:
            result = loss_slice(session, run, directions, should_stop=should_stop)
        except Cancelled:
            self.slice_stopped.emit(generation, "cancelled")
            return
        except (ConfigError, RuntimeError, ValueError) as exc:
            self.slice_stopped.emit(generation, str(exc))
            return
        self.slice_ready.emit(SliceResult(generation, session.step_count, result))

    @Slot()
    def shutdown(self) -> None:
        """Stop, move back to the GUI thread (to be freed there) and hand the engine thread back
        to the pool."""
        self._set_playing(False)
        self.session = None
        end_worker_thread(self)

    # ------------------------------------------------------------------ stepping
    def _stopping(self) -> bool:
        return stop_requested()

    def _set_playing(self, playing: bool) -> None:
        self._playing = playing
        timer = self._ensure_timer()
        if playing:
            self._pacer.restart()
            timer.start(5)
        else:
            timer.stop()
            self._rate, self._last_tick = 0.0, 0.0

    def _tick(self) -> None:
        session = self.session
        if session is None or not self._playing:
            self._set_playing(False)
            return
        started = time.perf_counter()
        # what the pace asks for, at most what a chunk's time holds (a stall is caught up, a
        # hopeless backlog dropped), taken until the chunk's time is up; the steps not reached
        # stay due
        fits = max(1, int(CHUNK_SECONDS / self._seconds_per_step))
        due = self._pacer.due(min(fits, session.experiment.steps - session.step_count))
        if due > 0:
            before = session.step_count
            deadline = started + CHUNK_SECONDS
            reached = self._guard(session.step, due, lambda: time.perf_counter() > deadline)
            if not isinstance(reached, int):
                self._set_playing(False)
                self._after_command()
                return
            taken = reached - before
            self._pacer.not_taken(due - taken)
            if taken:
                self._seconds_per_step = (time.perf_counter() - started) / taken
            self._measure_rate(taken)
        if session.step_count >= session.experiment.steps:
            self._set_playing(False)
            self._after_command()
            return
        now = time.perf_counter()
        if now - self._last_progress >= max(1 / PROGRESS_HZ, 5 * self._snapshot_seconds):
            self._emit_progress()
        if now - self._last_grid >= 1 / GRID_HZ:
            self._emit_grids()

    def _measure_rate(self, taken: int) -> None:
        """Steps per second of wall time, smoothed over about a second."""
        now = time.perf_counter()
        last, self._last_tick = self._last_tick, now
        if last and now > last:
            weight = min(1.0, now - last)
            self._rate += weight * (taken / (now - last) - self._rate)

    # ------------------------------------------------------------------ results
    def _after_command(self) -> None:
        self._emit_progress()
        self._emit_grids()

    def _emit_progress(self) -> None:
        session = self.session
        if session is None:
            return
        started = time.perf_counter()
        snapshot = self._guard(session.snapshot)
        if not isinstance(snapshot, NetworkSnapshot):
            return
        self._last_progress = time.perf_counter()
        self._snapshot_seconds = self._last_progress - started
        self.progress.emit(TrainingProgress(self.generation, snapshot, self._playing,
                                            session.experiment.steps,
                                            self._rate if self._playing else 0.0))

    def _emit_grids(self) -> None:
        session, extent = self.session, self._extent
        self._last_grid = time.perf_counter()
        if session is None or extent is None:
            return
        grids = self._guard(session.decision_grid, extent, GRID_RESOLUTION)
        if isinstance(grids, np.ndarray):
            boundaries: tuple[np.ndarray, ...] = ()
            if session.model.n_outputs == 2:  # the grids are probabilities of class 1
                x0, x1, y0, y1 = extent
                xs = np.linspace(x0, x1, GRID_RESOLUTION)
                ys = np.linspace(y0, y1, GRID_RESOLUTION)
                boundaries = tuple(level_segments(xs, ys, np.nan_to_num(grid, nan=0.5), 0.5)
                                   for grid in grids)
            self.grids.emit(DecisionGrids(self.generation, session.step_count, grids,
                                          boundaries))

    def _guard(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``call``; a refusal or an engine failure becomes a message (and None)."""
        try:
            return call(*args, **kwargs)
        except ConfigError as exc:
            self.message.emit(str(exc))
        except (RuntimeError, ValueError, TypeError, IndexError, MemoryError) as exc:
            self.message.emit(f"The engine stopped: {exc}")
        return None


class NetworkEngine(QObject):
    """The workbench's handle on its worker thread: methods in, signals out (all queued)."""

    loaded = Signal(object)
    progress = Signal(object)
    grids = Signal(object)
    slice_ready = Signal(object)
    slice_stopped = Signal(int, str)
    message = Signal(str)

    _load = Signal(object)
    _play = Signal()
    _pause = Signal()
    _step = Signal()
    _reset = Signal()
    _speed = Signal(object)
    _hyperparameter = Signal(int, str, object)
    _slice = Signal(int, str)
    _shutdown = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        collect_in_gui_thread()  # no garbage collection in the engine thread
        # deleted with its workbench, whose panels hang in reference cycles: they go at once
        collect_when_gone(self)
        #: the engine thread, lent by the pool (a new thread per workbench left memory behind)
        self._thread = Lease("optimizer-lab network engine")
        self._worker = NetworkWorker()
        self._thread.move_in(self._worker)
        for ours, theirs in (
            (self._load, self._worker.load), (self._play, self._worker.play),
            (self._pause, self._worker.pause), (self._step, self._worker.step_once),
            (self._reset, self._worker.reset), (self._speed, self._worker.set_speed),
            (self._hyperparameter, self._worker.set_hyperparameter),
            (self._slice, self._worker.compute_slice), (self._shutdown, self._worker.shutdown),
        ):
            ours.connect(theirs)
        for theirs, ours in (
            (self._worker.loaded, self.loaded), (self._worker.progress, self.progress),
            (self._worker.grids, self.grids), (self._worker.slice_ready, self.slice_ready),
            (self._worker.slice_stopped, self.slice_stopped),
            (self._worker.message, self.message),
        ):
            theirs.connect(ours)
        stop_at_exit(self)  # a script that forgets to stop the engine: stopped at exit

    def load(self, experiment: NetworkExperiment, *, speed: float | None,
             playing: bool) -> int:
        """A fresh session (a visible restart); returns its generation number."""
        self.generation += 1
        self._worker.latest_generation = self.generation
        self._worker.cancel_slice.set()
        self._load.emit(LoadRequest(self.generation, experiment, speed, playing))
        return self.generation

    def play(self) -> None:
        self._play.emit()

    def pause(self) -> None:
        self._pause.emit()

    def step_once(self) -> None:
        self._step.emit()

    def reset(self) -> None:
        self._reset.emit()

    def set_speed(self, speed: float | None) -> None:
        self._speed.emit(speed)

    def set_hyperparameter(self, run: int, name: str, value: Any) -> None:
        self._hyperparameter.emit(run, name, value)

    def compute_slice(self, run: int, directions: str) -> None:
        """Ask for a slice; a Cancel from now on counts for it."""
        self._worker.cancel_slice.clear()
        self._slice.emit(run, directions)

    def cancel_slice(self) -> None:
        self._worker.cancel_slice.set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def stop(self, timeout_ms: int = 2000) -> bool:
        """Stop the worker and end its thread; True when it ended within ``timeout_ms``."""
        if not self._thread.isRunning():
            return True
        self._thread.requestInterruption()
        self._worker.cancel_slice.set()
        self._shutdown.emit()
        return self._thread.wait(timeout_ms)

