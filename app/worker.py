"""The engine's thread: a :class:`Worker` that owns the session (the :class:`Engine` handle, in
:mod:`app.engine`, makes it; this module imports torch, so it is imported in the engine thread
on a cold start).

The window never touches a :class:`~optim_core.session.Session`. It calls :class:`Engine`'s
methods, which emit queued signals to the :class:`Worker` living in its own ``QThread`` (as in Qt
for Python's ``mandelbrot.py``). The worker steps the session in short chunks (about
:data:`CHUNK_SECONDS` each, so a command waits at most that long), paces them to the requested
speed, and sends back immutable results through signals only:

- :class:`~app.engine.Progress` — a snapshot (numpy copies) and the pace, at most
  :data:`PROGRESS_HZ` times a second while playing, and after every command;
- a :class:`~app.landscape_grid.LandscapeGrid` when the problem changes;
- :class:`~app.noise_draws.NoiseDraws` for the run the noise panel shows (finite-sum problems);
- messages (errors and notices) as plain text: a bad command never kills the thread.

Each load carries a *generation* number that comes back with everything computed from it, so the
window can drop results of a session it has already replaced. A load that a newer one has already
replaced by the time the worker gets to it is skipped, and its landscape grid (seconds for a large
sum) is given up half-way, as it is when the engine is stopped: picking problems in a row, or
closing the window right after picking one, never waits for grids nobody will see.
"""

from __future__ import annotations

import collections
import time
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.engine import Engine, LoadRequest, Progress
from app.landscape_grid import GridCancelled, LandscapeGrid, landscape_grid
from app.noise_draws import NoiseDraws, noise_draws
from app.pacer import Pacer
from app.worker_threads import end_worker_thread, stop_requested
from optim_core.curvature_path import CurvaturePath, CurvatureTrack
from optim_core.errors import ConfigError
from optim_core.session import Session
from optim_core.snapshot import Snapshot

CHUNK_SECONDS = 0.005  #: stepping time between two looks at the command queue
PROGRESS_HZ = 60  #: most snapshots per second while playing
SNAPSHOT_SHARE = 0.2  #: at most this share of the engine thread's time goes to snapshots
#: records a session keeps (about 10,000 steps of 8 runs): the panels draw a few hundred points
#: per curve, and a longer run keeps every 2nd, 4th… step, so a snapshot stays cheap to copy
HISTORY_BUDGET = 16 * 2**20
NOISE_HZ = 8  #: most gradient-noise pictures per second while playing
CURVATURE_HZ = 8  #: most curvature updates per second while playing
MAX_CHUNK_STEPS = 100_000
RATE_WINDOW_SECONDS = 1.0  #: steps/s is measured over this much recent time

__all__ = ["HISTORY_BUDGET", "Engine", "LoadRequest", "Progress", "Worker"]


class Worker(QObject):
    """Owns the session and lives in the engine thread; its slots are called by queued signals."""

    progress = Signal(object)  # Progress
    landscape = Signal(int, object)  # generation, LandscapeGrid
    noise = Signal(int, object)  # generation, NoiseDraws
    curvature = Signal(int, object)  # generation, CurvaturePath
    message = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._session: Session | None = None
        self._generation = 0
        #: the newest generation the window has asked for (written by the Engine in the GUI
        #: thread, read here: a newer load is on its way)
        self.latest_generation = 0
        self._problem_key: Any = None
        self._target = 0
        self._playing = False
        self._play_command = 0
        self._seconds_per_step = 1e-3
        self._pacer = Pacer()  # the steps due at the speed asked for
        self._recent: collections.deque[tuple[float, int]] = collections.deque()
        self._last_progress = 0.0
        self._snapshot_seconds = 0.0
        self._last_noise = 0.0
        self._noise_run: int | None = None
        self._noise_generator = torch.Generator()
        self._curvature_on = False
        self._curvature: CurvatureTrack | None = None  # of this session since its last reset
        self._last_curvature = 0.0
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._tick)

    # ------------------------------------------------------------------ commands
    @Slot(object)
    def load(self, request: LoadRequest) -> None:
        """Replace the session (restart) and, if the problem changed, recompute the landscape.

        Skipped when a newer load is already on its way or the engine is stopping."""
        if self._stale(request.generation):
            return
        experiment = request.experiment
        key = repr(experiment.problem.config())
        if key != self._problem_key:
            try:
                grid = self._guard(landscape_grid, experiment.problem,
                                   cancelled=lambda: self._stale(request.generation))
            except GridCancelled:
                return
            if isinstance(grid, LandscapeGrid):
                self._problem_key = key
                self.landscape.emit(request.generation, grid)
        self._generation = request.generation
        self._target = request.target_steps
        self._pacer.set_speed(request.speed)
        session = self._guard(Session.from_experiment, experiment,
                              history_budget=HISTORY_BUDGET)
        self._session = session if isinstance(session, Session) else None
        self._curvature = None
        self._set_playing(request.playing and self._session is not None)
        self._after_command()

    def _stale(self, generation: int) -> bool:
        """Whether a load of ``generation`` is no longer wanted: a newer one is on its way, or
        the engine is stopping."""
        return generation < self.latest_generation or stop_requested()

    @Slot(int)
    def play(self, command: int) -> None:
        self._play_command = command
        if self._session is not None and self._session.step_count >= self._target:
            self.message.emit(f"All {self._target} steps are done: raise Steps to go on, "
                              "or Reset (R) to start again.")
            self._set_playing(False)
        else:
            self._set_playing(self._session is not None)
        self._emit_progress()

    @Slot(int)
    def pause(self, command: int) -> None:
        self._play_command = command
        self._set_playing(False)
        self._emit_progress()

    @Slot()
    def step_once(self) -> None:
        """One step of every run (ignored while playing)."""
        if self._session is None or self._playing:
            return
        if self._session.step_count >= self._target:
            self.message.emit(f"All {self._target} steps are done: raise Steps to step on.")
            return
        self._advance(1)
        self._after_command()

    @Slot()
    def reset(self) -> None:
        """Back to the start points, keeping the settings (and playing if it was)."""
        if self._session is not None:
            self._guard(self._session.reset)
            self._pacer.restart()
        self._curvature = None  # the steps' points are new
        self._after_command()

    @Slot(int)
    def set_target_steps(self, steps: int) -> None:
        self._target = steps
        if self._session is not None and self._session.step_count >= steps:
            self._set_playing(False)
        self._after_command()

    @Slot(object)
    def set_speed(self, speed: float | None) -> None:
        """Steps per second, or None for as fast as possible."""
        self._pacer.set_speed(speed)
        if self._playing:
            self._timer.start(self._interval_ms())

    @Slot(object, str, object)
    def set_hyperparameter(self, runs: list[int], name: str, value: Any) -> None:
        """Change a hyperparameter (or clip_norm/clip_value) of ``runs``, keeping their history."""
        if self._session is not None:
            for run in runs:
                if self._guard(self._session.set_hyperparameter, run, name, value) is False:
                    break
        self._after_command()

    @Slot(object, str)
    def set_label(self, runs: list[int], label: str) -> None:
        if self._session is not None:
            for run in runs:
                self._session.set_label(run, label)
        self._after_command()

    @Slot(object)
    def set_batch_size(self, batch_size: int | None) -> None:
        if self._session is not None:
            self._guard(self._session.set_batch_size, batch_size)
        self._after_command()

    @Slot(object)
    def set_noise_run(self, run: int | None) -> None:
        """Which run's gradient noise to draw (None: the noise panel is hidden, draw none)."""
        self._noise_run = run
        self._emit_noise()

    @Slot(bool)
    def set_curvature(self, on: bool) -> None:
        """Whether to compute the curvature along the paths (the curvature panel is shown)."""
        self._curvature_on = on
        self._emit_curvature()

    @Slot()
    def shutdown(self) -> None:
        """Stop, move back to the GUI thread (to be freed there) and hand the engine thread back
        to the pool."""
        self._set_playing(False)
        self._session = None
        end_worker_thread(self)

    # ------------------------------------------------------------------ stepping
    def _tick(self) -> None:
        session = self._session
        if session is None or not self._playing:
            self._set_playing(False)
            return
        remaining = self._target - session.step_count
        n = min(self._due_steps(), remaining)
        if n > 0:
            self._advance(n)
        if self._session is None or self._session.step_count >= self._target:
            self._set_playing(False)
            self._after_command()
            return
        now = time.perf_counter()
        if now - self._last_progress >= max(1 / PROGRESS_HZ,
                                            self._snapshot_seconds / SNAPSHOT_SHARE):
            self._emit_progress()
        if now - self._last_noise >= 1 / NOISE_HZ:
            self._emit_noise()
        if now - self._last_curvature >= 1 / CURVATURE_HZ:
            self._emit_curvature()

    def _due_steps(self) -> int:
        """Steps to take now: a chunk of about CHUNK_SECONDS, or what the pace asks for."""
        chunk = int(min(MAX_CHUNK_STEPS, max(1, CHUNK_SECONDS / self._seconds_per_step)))
        return self._pacer.due(chunk)

    def _advance(self, n: int) -> None:
        started = time.perf_counter()
        result = self._guard(self._session.step, n)
        if result is None or result is False:
            self._set_playing(False)
            return
        per_step = (time.perf_counter() - started) / n
        self._seconds_per_step += 0.3 * (per_step - self._seconds_per_step)
        self._recent.append((time.perf_counter(), self._session.step_count))

    def _set_playing(self, playing: bool) -> None:
        self._playing = playing
        if playing:
            self._pacer.restart()
            self._timer.start(self._interval_ms())
        else:
            self._timer.stop()
            self._recent.clear()

    def _interval_ms(self) -> int:
        speed = self._pacer.speed
        if speed is None:
            return 0
        return int(max(1, min(15, 500 / speed)))

    # ------------------------------------------------------------------ results
    def _after_command(self) -> None:
        self._emit_progress()
        self._emit_noise()
        self._emit_curvature()

    def _emit_progress(self) -> None:
        if self._session is None:
            return
        started = time.perf_counter()
        snapshot = self._guard(self._session.snapshot)
        if not isinstance(snapshot, Snapshot):
            return
        self._last_progress = time.perf_counter()
        self._snapshot_seconds = self._last_progress - started
        self.progress.emit(Progress(
            generation=self._generation, snapshot=snapshot, target_steps=self._target,
            steps_per_second=self._rate(), playing=self._playing,
            play_command=self._play_command,
        ))

    def _rate(self) -> float:
        recent = self._recent
        now = time.perf_counter()
        while len(recent) > 2 and now - recent[0][0] > RATE_WINDOW_SECONDS:
            recent.popleft()
        if not self._playing or len(recent) < 2:
            return 0.0
        (t0, s0), (t1, s1) = recent[0], recent[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def _emit_noise(self) -> None:
        session, run = self._session, self._noise_run
        self._last_noise = time.perf_counter()
        if session is None or run is None or not session.is_finite_sum or run >= session.n_runs:
            return
        point = session.current_points()[run]
        if not np.isfinite(point).all():
            return
        w = torch.as_tensor(point, dtype=session.dtype, device=session.device)
        draws = self._guard(noise_draws, session.problem, w, session.batch_sizes()[run],
                            run=run, step=session.step_count, generator=self._noise_generator)
        if isinstance(draws, NoiseDraws):
            self.noise.emit(self._generation, draws)

    def _emit_curvature(self) -> None:
        """Hessians along the paths not computed yet, and at the current points (engine thread)."""
        session = self._session
        self._last_curvature = time.perf_counter()
        if session is None or not self._curvature_on:
            return
        if self._curvature is None:
            self._curvature = CurvatureTrack(session.problem)
        snapshot = self._guard(session.snapshot)
        if not isinstance(snapshot, Snapshot):
            return
        path = self._guard(self._curvature.update, snapshot)
        if isinstance(path, CurvaturePath):
            self.curvature.emit(self._generation, path)

    def _guard(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``call`` and return its result (True for None); a ConfigError (False) or an engine
        failure (None) becomes a message instead of ending the thread."""
        try:
            result = call(*args, **kwargs)
        except ConfigError as exc:
            self.message.emit(str(exc))
            return False
        except GridCancelled:  # a newer load wants another landscape: no fault, the caller's
            raise
        except Exception as exc:  # any fault stops this job, never the thread
            self.message.emit(f"The engine stopped: {str(exc) or type(exc).__name__}")
            return None
        return True if result is None else result
