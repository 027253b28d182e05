"""Feeding the panels: the latest snapshot, drawn at display rate into the panels that are visible.

The worker's :class:`~app.worker.Progress` messages only replace the *latest* one here; a timer
redraws, one panel per tick, a visible panel that has not shown it yet (pyqtgraph's "create items
once, then setData on a timer" rule); the landscape, where the race is, gets every tick except
those the other panels need for about :data:`OTHER_HZ` redraws a second. A panel hidden behind a
tab is not drawn at all; it is drawn when it comes to the front. Nothing here computes a step.

The timer paces itself by what a frame costs: it measures each frame from the start of its
drawing until the event loop is idle again (the paint included), and starts the next one a
frame period (1/:data:`FRAME_HZ`) after the last began, but never so soon that drawing takes
more than :data:`BUSY_SHARE` of the GUI thread. The window stays responsive on a
slow machine (or while the engine holds the interpreter lock), and the panels get what is left.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.arrows import ARROW_KINDS, compute_arrows
from app.engine import Progress
from optim_core.snapshot import Snapshot
from widgets import (
    AdaptiveLrPanel,
    GradientNoisePanel,
    LandscapePanel,
    LossCurvesPanel,
    decimate,
)

if TYPE_CHECKING:
    from app.landscape_grid import LandscapeGrid
    from app.noise_draws import NoiseDraws

FRAME_HZ = 60  #: the fastest pace, ticks per second
BUSY_SHARE = 0.85  #: most of the GUI thread's time that drawing may take
#: the curve panels are redrawn about this often (when stale); the landscape, where the race
#: is, gets the other ticks
OTHER_HZ = 4
PANELS = ("landscape", "loss", "adaptive")
#: points per curve handed to a panel: about two per pixel of a panel's width. Long histories
#: are thinned here, once per frame, so drawing costs the same at step 100 and at step 10⁶.
DISPLAY_POINTS = 400
#: the loss panel's x-axis choices and their axis labels
X_AXES = {"steps": "step", "sample-gradients computed": "sample-gradients computed",
          "wall time": "wall time (s)"}


@dataclass(frozen=True)
class Roster:
    """The session's runs as the window shows them: one entry per run of the session."""

    labels: tuple[str, ...] = ()
    colors: tuple[str, ...] = ()
    #: runs drawn exactly on top of an earlier one (identical settings): dashed on the landscape
    dashed: tuple[bool, ...] = ()


class PanelFeed(QObject):
    """Keeps the latest progress and draws it into the four panels, at most FRAME_HZ a second."""

    frame_drawn = Signal()  # after each frame that drew something (for benchmarks and tests)

    def __init__(self, landscape: LandscapePanel, loss: LossCurvesPanel,
                 noise: GradientNoisePanel, adaptive: AdaptiveLrPanel,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.landscape, self.loss, self.noise, self.adaptive = landscape, loss, noise, adaptive
        self.frames = Counter()  # redraws per panel (benchmarks and tests read it)
        self.skipped = Counter()  # of those, the ones with nothing new to draw
        #: how many points each panel was last given ("landscape", "loss", "adaptive", "noise",
        #: "grid"): what a self-test checks
        self.points: dict[str, int] = {}
        self.progress: Progress | None = None
        self.roster = Roster()
        self._f_min: float | None = None
        self._problem = ""
        self._log_loss_pending = False  # a new problem's loss axis waits for its landscape
        self._stale: set[str] = set()
        self._arrows_visible: dict[str, bool] = {}
        self._arrows_empty: dict[str, bool] = {}
        self._drawn_at: dict[str, float] = {}
        self._landscape_shows: tuple | None = None  # what the landscape was last drawn from
        #: the 3D view (a widgets.surface_view.SurfaceView), fed what the landscape is fed
        self.surface = None
        self.loss.x_axis_changed.connect(lambda _text: self._mark("loss"))
        self.loss.log_y_changed.connect(self._log_loss_chosen)
        self._stopped = False
        #: panels the window says are behind another dock's tab (isVisible() is still true)
        self._shown: dict[str, bool] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.start(round(1000 / FRAME_HZ))
        # the frame's two hops (see _tick): one reused timer of the feed's own, not a new
        # object per hop at the frame rate
        self._hop = QTimer(self)
        self._hop.setSingleShot(True)
        self._hop.timeout.connect(self._hopped)
        self._hops_left = 0
        self._frame_started = 0.0

    # ------------------------------------------------------------------ inputs
    def set_roster(self, roster: Roster) -> None:
        """Declare the runs (labels and colours of the session's runs, in order)."""
        self.roster = roster
        self._arrows_empty.clear()  # the arrows drawn belong to the old runs
        self.landscape.set_runs(list(roster.labels), list(roster.colors), list(roster.dashed))
        for panel in (self.loss, self.adaptive):
            panel.set_runs(list(roster.labels), list(roster.colors))
        if self.surface is not None:
            self.surface.set_runs(list(roster.labels), list(roster.colors))
        self._mark("landscape", "loss", "adaptive")

    def set_problem(self, name: str, finite_sum: bool) -> None:
        """Offer the loss x-axes that make sense for this problem; a new problem whose loss
        spans orders of magnitude starts with a log loss axis once its landscape arrives (a
        custom formula's spread is computed with it, in the worker thread)."""
        if name != self._problem:
            self._problem = name
            self._log_loss_pending = True
        choices = [c for c in X_AXES if finite_sum or c != "sample-gradients computed"]
        current = self.loss.x_axis()
        self.loss.set_x_axis_choices(choices, current if current in choices else choices[0])
        self._mark("loss")

    def set_log_loss(self, on: bool) -> None:
        """Put the loss axis on a log scale (or not), whatever the next landscape suggests."""
        self._log_loss_pending = False
        self.loss.set_log_y(on)

    def set_landscape(self, grid: LandscapeGrid) -> None:
        if self._log_loss_pending:
            self.set_log_loss(grid.log_loss)
        self.landscape.set_landscape(grid.x, grid.y, grid.z, log_scale=grid.log_scale,
                                     minima=grid.minima, maxima=grid.maxima, view=grid.view,
                                     title=grid.title, isolines=grid.isolines)
        if self.surface is not None:
            self.surface.set_landscape(grid.x, grid.y, grid.z, log_scale=grid.log_scale,
                                       minima=grid.minima)
        self._f_min = grid.f_min
        self.points["grid"] = int(grid.z.size)
        self._mark("landscape", "loss")

    def set_progress(self, progress: Progress) -> None:
        """Keep ``progress`` as the latest; the next frame draws it."""
        self.progress = progress
        self._mark("landscape", "loss", "adaptive")

    def set_arrow_visible(self, kind: str, visible: bool) -> None:
        self._arrows_visible[kind] = visible
        self._arrows_empty[kind] = False
        self.landscape.set_arrow_visible(kind, visible)
        self._mark("landscape")

    def show_noise(self, draws: NoiseDraws) -> None:
        r = draws.run
        if r >= len(self.roster.labels):
            return
        self.noise.show_noise(draws.draws, draws.full_grad, draws.std_error, draws.batch_size,
                              draws.n_samples, self.roster.labels[r], self.roster.colors[r])
        self.points["noise"] = len(draws.draws)

    def set_shown(self, name: str, shown: bool) -> None:
        """Whether panel ``name`` can be seen (False: its dock is behind another's tab); a
        hidden panel is not drawn, and is drawn when it comes to the front."""
        self._shown[name] = shown

    def is_shown(self, name: str) -> bool:
        """Whether panel ``name`` is on screen (visible, and not behind another dock's tab)."""
        return self._panel(name).isVisible() and self._shown.get(name, True)

    def clear(self) -> None:
        """Forget the progress (a new session is coming)."""
        self.progress = None
        self.set_roster(Roster())

    # ------------------------------------------------------------------ drawing
    def draw_frame(self, *, now: bool = False) -> bool:
        """Draw the latest progress into one visible panel that has not shown it: a curve panel
        whose last redraw is 1/OTHER_HZ s old (the one that waited longest), else the landscape.
        A curve panel not due yet waits even when the landscape is drawn (the engine thread gets
        that time), unless ``now``. Returns whether one was drawn."""
        progress = self.progress
        stale = [name for name in PANELS if name in self._stale and self.is_shown(name)]
        if progress is None or not stale:
            return False
        others = [name for name in stale if name != "landscape"]
        name = "landscape"
        if others:
            waited = min(others, key=lambda n: self._drawn_at.get(n, 0.0))
            due = time.perf_counter() - self._drawn_at.get(waited, 0.0) >= 1 / OTHER_HZ
            if due:
                name = waited
            elif "landscape" not in stale:
                if not now:
                    return False  # the curve panels keep to OTHER_HZ: the engine gets the rest
                name = waited
        if getattr(self, f"_draw_{name}")(progress) is False:
            self.skipped[name] += 1  # it shows this already
        self._stale.discard(name)
        self._drawn_at[name] = time.perf_counter()
        self.frames[name] += 1
        self.frame_drawn.emit()
        return True

    def draw_all(self) -> None:
        """Draw every visible panel that has not shown the latest progress, now."""
        while self.draw_frame(now=True):
            pass

    def _panel(self, name: str) -> QWidget:
        return getattr(self, name)

    def stop(self) -> None:
        """Draw no more (the window is going): no frame is started or scheduled after this."""
        self._stopped = True
        self._timer.stop()
        self._hop.stop()

    def _tick(self) -> None:
        if self._stopped:
            return
        started = time.perf_counter()
        if not self.draw_frame():
            self._timer.start(round(1000 / FRAME_HZ))
            return
        # two hops: the first runs after the scene's queued update, which posts the paint;
        # the second after the paint itself
        self._frame_started, self._hops_left = started, 2
        self._hop.start(0)

    def _hopped(self) -> None:
        self._hops_left -= 1
        if self._hops_left > 0:
            self._hop.start(0)
        else:
            self._frame_done(self._frame_started)

    def _frame_done(self, started: float) -> None:
        if self._stopped:
            return
        cost_ms = (time.perf_counter() - started) * 1000
        # the period, not the gap, is 1/FRAME_HZ: waiting a whole period after a frame that
        # took one would halve the frame rate
        gap = max(1000 / FRAME_HZ - cost_ms, cost_ms * (1 - BUSY_SHARE) / BUSY_SHARE)
        self._timer.start(round(gap))

    def _mark(self, *names: str) -> None:
        self._stale.update(names)

    def _log_loss_chosen(self, _on: bool) -> None:
        self._log_loss_pending = False  # the user's (or a lesson's) choice stands

    def _runs(self, progress: Progress) -> range:
        return range(min(progress.snapshot.n_runs, len(self.roster.labels)))

    def _draw_landscape(self, progress: Progress) -> bool:
        """Draw the trajectories and visible arrows; False (nothing done) when they would be
        the ones on screen already: the same runs at the same points, the same arrow kinds."""
        snap = progress.snapshot
        shows = (self.roster, tuple(sorted(k for k, v in self._arrows_visible.items() if v)),
                 snap.step, len(snap.steps), np.asarray(snap.current_position).tobytes(),
                 tuple(snap.status))
        if shows == self._landscape_shows:
            return False
        self._landscape_shows = shows
        rows = _thinned(len(snap.steps))
        paths = [_path(snap, r, rows) for r in self._runs(progress)]
        self.landscape.set_trajectories(paths)
        if self.surface is not None:  # kept while its tab is hidden, drawn when shown
            self.surface.set_trajectories(paths)
        self.points["landscape"] = sum(len(p) for p in paths)
        if not any(self._arrows_visible.values()):
            return True
        n = len(self._runs(progress))
        arrows = compute_arrows(snap)
        for kind in ARROW_KINDS:
            if not self._arrows_visible.get(kind):
                continue
            origins, vectors = arrows[kind]
            empty = not np.isfinite(vectors).all(axis=1).any()
            if empty and self._arrows_empty.get(kind):
                continue  # still none to draw (no momentum run, say): skip the redraw
            self._arrows_empty[kind] = empty
            self.landscape.set_arrows(kind, origins[:n], vectors[:n])
        return True

    def _draw_loss(self, progress: Progress) -> None:
        snap = progress.snapshot
        axis = self.loss.x_axis() or "steps"
        curves = []
        for r in self._runs(progress):
            if axis == "sample-gradients computed" and snap.sample_grads is not None:
                x = snap.sample_grads[:, r]
            else:
                x = snap.wall_time if axis == "wall time" else snap.steps
            curves.append(decimate(x, snap.loss[:, r], DISPLAY_POINTS, method="peak"))
        self.loss.set_x_label(X_AXES.get(axis, "step"))
        self.loss.set_curves([x for x, _ in curves], [y for _, y in curves], f_min=self._f_min)
        self.points["loss"] = sum(len(x) for x, _ in curves)

    def _draw_adaptive(self, progress: Progress) -> None:
        snap = progress.snapshot
        runs = self._runs(progress)
        rows = _thinned(len(snap.steps))
        steps = snap.steps[rows]
        self.adaptive.set_curves([steps for _ in runs], [snap.effective_lr[rows, r] for r in runs])
        self.points["adaptive"] = len(steps) * len(runs)


def _thinned(rows: int) -> np.ndarray | slice:
    """At most DISPLAY_POINTS evenly spread row indices, always with the first and the last."""
    if rows <= DISPLAY_POINTS:
        return slice(None)
    return np.unique(np.linspace(0, rows - 1, DISPLAY_POINTS).round().astype(int))


def _path(snap: Snapshot, r: int, rows: np.ndarray | slice) -> np.ndarray:
    """Run ``r``'s positions at ``rows``, ending at its current point while it is alive, or at
    its last finite point (then the NaN rows after it) once it diverged."""
    if snap.status[r] == "ok":
        path = snap.position[rows, r]
        if not len(snap.steps) or snap.steps[-1] != snap.step:
            path = np.vstack([path, snap.current_position[r:r + 1]])
        return path
    finite = np.flatnonzero(np.isfinite(snap.position[:, r]).all(axis=1))
    if isinstance(rows, slice) or not len(finite):
        return snap.position[rows, r]
    keep = np.union1d(rows, finite[-1:])
    return snap.position[keep, r]
