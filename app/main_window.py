"""The main window: the landscape in the middle, the controls on the left, the other panels right.

It holds the editable experiment (:class:`~app.session_state.SessionState`) and the handle on the
engine thread (:class:`~app.worker.Engine`). Every user action goes one way: the control's signal
→ a new, validated state → a command to the engine (a hyperparameter, the batch size, the pace:
the runs keep their history) or a fresh session (the optimizer, runs, problem, start, seed,
device or dtype changed: a visible restart, said in the status bar). Results come back as
signals and reach the panels through the :class:`~app.panel_feed.PanelFeed` at display rate.
Refused input never changes the state: the field shows why and the status bar repeats it.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import html
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from app import device_choice, menus, window_fit
from app.autosave import Autosave, Recovery, pending_recovery
from app.controls import Controls
from app.curvature_view import install as install_curvature
from app.engine import Engine, Progress
from app.engine_loading import EngineLoading
from app.formula_check import check_formulas, formula_entry
from app.lessons import LESSONS, MORE, Lesson, lesson
from app.owned_timers import soon
from app.panel_feed import PanelFeed, Roster
from app.settings import Settings, write_json
from optim_core.errors import ConfigError
from optim_core.files import read_json
from widgets import (
    AdaptiveLrPanel,
    GradientNoisePanel,
    LandscapePanel,
    LessonPanel,
    LessonText,
    LossCurvesPanel,
    configure_pyqtgraph,
)
from widgets.curvature import CurvaturePanel
from widgets.style import presentation_scale
from widgets.surface_view import SurfaceView

# The engine (torch) loads in its own thread behind the painted window: what needs it is imported
# where it is used, once it has loaded (then an import is a look-up), never at import time here.
if TYPE_CHECKING:
    from app.animation import Animator
    from app.landscape_grid import LandscapeGrid
    from app.noise_draws import NoiseDraws
    from app.session_state import RunConfig, SessionState

TITLE = "Optimizer Lab"
MESSAGE_MS = 8000  #: how long a status message stays
DEFAULT_SIZE = (1280, 800)
DEFAULT_ARROWS = ("gradient", "velocity")
CLIP_OPTIONS = ("clip_norm", "clip_value")
DEFAULT_BATCH = 32  #: minibatch size offered when a mean over samples is picked


def problem_descriptions() -> list[dict[str, Any]]:
    """The problem catalogue as the problem picker takes it."""
    from optim_core.problems import PROBLEMS

    return [{"name": name, "title": cls.title, "formula": cls.formula, "about": cls.about,
             "is_finite_sum": cls.is_finite_sum,
             "parameters": [spec.describe() for spec in cls.parameters], **formula_entry(cls)}
            for name, cls in PROBLEMS.items()]


def lab_windows() -> tuple[type[QWidget], ...]:
    """The labs opened from the Lab menu, each with a worker thread of its own (importing them
    loads the engine)."""
    return tuple(menus.lab_class(module, name) for *_, module, name in menus.LABS)


def __getattr__(name: str) -> Any:
    if name == "LAB_WINDOWS":  # the classes, on first use (PEP 562)
        return lab_windows()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

class MainWindow(QMainWindow):
    """Optimizer Lab's window. ``settings`` defaults to the user's; ``state`` to the last
    experiment (autosaved at close), else the default one."""

    def __init__(self, state: SessionState | None = None, settings: Settings | None = None,
                 path: str | Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.settings = settings or Settings()
        #: what to run; None until the engine has loaded when none was given (a cold start)
        self.state: SessionState | None = state
        self.path = Path(path) if path else None
        self._selected_row = 0
        self._row_status: dict[int, str] = {}
        self._noise_run: int | None = None
        self._lesson: Lesson | None = None  # the lesson on show, until another file is opened
        self._closed = False
        #: presentation mode was switched: main.py builds the window anew at the new scale
        self.rebuild_requested = False
        self.engine = Engine(self)
        self.landscape = LandscapePanel()
        self.surface = SurfaceView()  # the 3D tab beside the contour view
        self.loss = LossCurvesPanel()
        self.noise = GradientNoisePanel()
        self.adaptive = AdaptiveLrPanel()
        self.curvature_panel = CurvaturePanel()
        self.lessons = LessonPanel()
        self.lessons.set_lessons([LessonText(item.key, item.section, item.title, item.watch,
                                             item.try_next) for item in LESSONS], MORE)
        self.feed = PanelFeed(self.landscape, self.loss, self.noise, self.adaptive, self)
        self.feed.surface = self.surface
        self.controls = Controls()
        self._build_docks()
        self.actions = menus.build(self)
        self._build_status_bar()
        self._connect()
        self._restore_window()
        #: the experiment is saved a few seconds after each change, for recovery after a crash
        self.autosave = Autosave(self.settings.data_dir, lambda: self.state.to_dict(), self)
        self.recovery: Recovery | None = None
        #: panels say "loading the engine…" and what needs the engine waits, until it is ready
        self.loading = EngineLoading(self)
        self._pending_steps: int | None = None  #: --steps given before the engine loaded
        if self.engine.is_ready():
            self._engine_ready()
        else:
            self._update_title()
            self.loading.start()
            self.engine.ready.connect(self._engine_ready)

    def _engine_ready(self) -> None:
        """The engine has loaded: fill the controls from the experiment and start it."""
        if self._closed:
            return
        if self.state is None:
            self.state = self._restored_state()
        # controls given back first: showing the experiment then greys out what it does not
        # use (the batch size of a deterministic problem)
        self.loading.finish()
        self._show_state()
        self._restart("")
        if self._pending_steps is not None:
            self.set_steps(self._pending_steps)
            self._pending_steps = None
        soon(self, self._offer_recovery)

    # ------------------------------------------------------------------ building
    def _restored_state(self) -> SessionState:
        from app.session_state import SessionState

        state = SessionState.default()
        last = self.settings.last_experiment()
        if last is not None:
            with contextlib.suppress(ConfigError):  # one the engine no longer accepts: default
                state = SessionState.from_dict(last)
        state.speed = self.settings.speed(state.speed)
        return state

    def _build_docks(self) -> None:
        left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        self.views = QTabWidget()
        self.views.setDocumentMode(True)
        self.views.addTab(self.landscape, "Contour")
        self.views.addTab(self.surface, "3D")
        self.setCentralWidget(self.views)
        self.setDockNestingEnabled(True)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        pages = self.controls.pages
        self.playback_dock = self._dock("Playback", "playback", pages["playback"], left)
        self.runs_dock = self._dock("Runs", "runs", pages["runs"], left)
        self.problem_dock = self._dock("Landscape", "problem", pages["landscape"], left)
        self.lessons_dock = self._dock("Lessons", "lessons", self.lessons, left)
        self.loss_dock = self._dock("Training loss", "loss", self.loss, right)
        self.adaptive_dock = self._dock("Effective learning rate", "adaptive", self.adaptive, right)
        self.noise_dock = self._dock("Gradient noise", "noise", self.noise, right)
        self.curvature_dock = self._dock("Curvature", "curvature", self.curvature_panel, right)
        self.splitDockWidget(self.playback_dock, self.runs_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.runs_dock, self.problem_dock)
        self.tabifyDockWidget(self.problem_dock, self.lessons_dock)
        self.splitDockWidget(self.loss_dock, self.adaptive_dock, Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.adaptive_dock, self.noise_dock)
        self.tabifyDockWidget(self.noise_dock, self.curvature_dock)
        self.runs_dock.raise_()
        self.adaptive_dock.raise_()
        window_fit.fit_to_screen(self, QSize(*DEFAULT_SIZE))  # within the screen's free area
        self.resizeDocks([self.playback_dock, self.loss_dock], [330, 400],
                         Qt.Orientation.Horizontal)
        window_fit.install(self, self.playback_dock, self.loss_dock, (330, 400))

    @property
    def docks(self) -> list[QDockWidget]:
        return [self.playback_dock, self.runs_dock, self.problem_dock, self.lessons_dock,
                self.loss_dock, self.adaptive_dock, self.noise_dock, self.curvature_dock]

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}_dock")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.step_label, self.rate_label, self.runs_label = QLabel(), QLabel(), QLabel()
        self.runs_label.setTextFormat(Qt.TextFormat.RichText)
        for label in (self.runs_label, self.step_label, self.rate_label):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)

    def _connect(self) -> None:
        engine, c = self.engine, self.controls
        engine.progress.connect(self._on_progress)
        engine.landscape.connect(self._on_landscape)
        engine.noise.connect(self._on_noise)
        self.curvature = install_curvature(self)
        engine.message.connect(self.show_message)
        bar = c.playback
        bar.play_toggled.connect(lambda on: engine.play() if on else engine.pause())
        bar.step_requested.connect(engine.step_once)
        bar.reset_requested.connect(self.reset_runs)
        bar.steps_changed.connect(self.set_steps)
        bar.batch_size_changed.connect(self._batch_size_changed)
        bar.seed_changed.connect(lambda seed: self._change("seed changed", seed=seed))
        bar.speed_changed.connect(self._speed_changed)
        bar.device_changed.connect(lambda d: self._change(f"now on {d}", device=d))
        bar.dtype_changed.connect(lambda d: self._change(f"now in {d}", dtype=d))
        bar.message.connect(self.show_message)
        c.problem.problem_changed.connect(self._problem_changed)
        c.problem.message.connect(self.show_message)
        check_formulas(c.problem)
        c.grad_noise.value_changed.connect(self._grad_noise_changed)
        c.grad_noise.message.connect(self.show_message)
        c.runs.run_selected.connect(self._select_row)
        c.runs.add_requested.connect(self.add_run)
        c.runs.duplicate_requested.connect(self.duplicate_run)
        c.runs.remove_requested.connect(self.remove_run)
        c.runs.enabled_changed.connect(self.set_run_enabled)
        c.runs.label_changed.connect(self._label_changed)
        c.runs.optimizer_changed.connect(self._optimizer_changed)
        c.runs.color_changed.connect(self._color_changed)
        c.run_editor.value_changed.connect(self.set_hyperparameter)
        c.run_editor.message.connect(self.show_message)
        c.schedule_editor.schedule_picked.connect(self._schedule_picked)
        c.schedule_editor.argument_changed.connect(self._schedule_argument)
        c.schedule_editor.message.connect(self.show_message)
        self.landscape.start_requested.connect(self.set_start)
        self.lessons.link_activated.connect(self._lesson_link)
        self.noise.run_selected.connect(self._noise_run_picked)
        # a dock behind another's tab still says isVisible(): its signal says whether it shows
        for name, dock in (("loss", self.loss_dock), ("adaptive", self.adaptive_dock),
                           ("noise", self.noise_dock)):
            dock.visibilityChanged.connect(lambda on, name=name: self._panel_shown(name, on))

    def _restore_window(self) -> None:
        for kind in DEFAULT_ARROWS:
            self.actions.arrows[kind].setChecked(True)
        geometry, window_state = self.settings.geometry(), self.settings.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
            window_fit.fit_to_screen(self)  # stored on a larger screen: shrink to this one
        if window_state is not None:
            self.restoreState(window_state)

    # ------------------------------------------------------------------ showing the state
    def _show_state(self) -> None:
        """Fill every control from the state (emits nothing)."""
        from optim_core.experiment import GRAD_NOISE, available_devices
        from optim_core.optimizers import optimizer_names

        state, c = self.state, self.controls
        c.problem.set_problems(problem_descriptions())
        params = {k: v for k, v in state.problem.items() if k != "name"}
        c.problem.set_current(state.problem["name"], params)
        spec = {**GRAD_NOISE.describe(), "doc": "gradient noise σ"}
        c.grad_noise.set_params([spec], {"grad_noise": state.grad_noise})
        c.playback.set_devices(available_devices())
        self._show_playback()
        c.runs.set_optimizer_names(optimizer_names())
        self._show_runs()
        self._update_title()

    def _show_playback(self) -> None:
        state, bar = self.state, self.controls.playback
        bar.set_values(steps=state.steps, batch_size=state.batch_size, seed=state.seed,
                       speed=state.speed, device=state.device, dtype=state.dtype)
        bar.set_batch_enabled(state.is_finite_sum)

    def _show_runs(self) -> None:
        rows = []
        for i, run in enumerate(self.state.runs):
            status = self._row_status.get(i, "ready") if run.enabled else "off"
            rows.append({"label": run.display_label, "optimizer": run.optimizer,
                         "color": run.color, "enabled": run.enabled,
                         "summary": self.state.row_summary(i),
                         "status": status})
        self.controls.runs.set_rows(rows)
        self._select_row(min(self._selected_row, len(rows) - 1), update_table=True)

    def _select_row(self, row: int, update_table: bool = False) -> None:
        if row < 0:
            return
        self._selected_row = row
        if update_table:
            self.controls.runs.select_row(row)
        self._show_run_editor()
        runs = self.state.session_runs_of(row)
        if runs:
            self.noise.set_current_run(runs[0])
            self._set_noise_run(runs[0])

    def _show_run_editor(self) -> None:
        from app.schedule_view import show_schedule
        from optim_core.experiment import RUN_OPTIONS
        from optim_core.optimizers import get_rule

        run = self.state.runs[self._selected_row]
        rule = get_rule(run.optimizer)
        specs = [s.describe() for s in rule.hyperparameters if s.kind != "any"]
        specs += [RUN_OPTIONS[name].describe() for name in CLIP_OPTIONS]
        values = {**run.hyperparameters, **{n: getattr(run, n) for n in CLIP_OPTIONS}}
        self.controls.run_editor.set_params(specs, values)
        show_schedule(self.controls.schedule_editor, run, self.state.steps)
        dot = f"<span style='color:{run.color}'>●</span>"
        title = rule.title_for(run.hyperparameters)  # plain SGD is not "SGD with momentum"
        self.controls.run_title.setText(
            f"{dot} <b>{html.escape(run.display_label)}</b> · {html.escape(title)}"
            + ("" if run.enabled else " <i>(off)</i>"))

    def _roster(self) -> Roster:
        state = self.state
        rows = state.session_rows()
        runs = [state.runs[r] for r in rows]
        twins = state.twins()  # drawn exactly on top of an earlier run: the legend says so
        labels = [run.display_label + ("" if twins[r] is None else f" (= run {twins[r] + 1})")
                  for r, run in zip(rows, runs, strict=True)]
        if state.starts and len(state.starts) > 1:
            starts = state.starts * (len(rows) // len(state.starts))
            labels = [f"{label} from ({x:g}, {y:g})" for label, (x, y) in zip(labels, starts,
                                                                              strict=True)]
        return Roster(labels=tuple(labels), colors=tuple(run.color for run in runs),
                      dashed=tuple(twins[r] is not None for r in rows))

    def _update_title(self) -> None:
        name = (self.path.name if self.path
                else f"Lesson: {self._lesson.title}" if self._lesson else "Untitled experiment")
        self.setWindowTitle(f"{name}[*] — {TITLE}")

    # ------------------------------------------------------------------ restarts and edits
    def _restart(self, reason: str) -> None:
        """Run the state from the start in a fresh session (keeps playing if it was)."""
        self._row_status = {}
        roster = self._roster()
        self.feed.set_roster(roster)
        problem = self.state.problem_object
        self.feed.set_problem(problem.name, problem.is_finite_sum)  # no formula evaluated here
        self.engine.load(self.state.experiment(), target_steps=self.state.steps,
                         speed=self.state.speed,
                         playing=self.controls.playback.is_playing())
        runs = self.state.session_runs_of(self._selected_row)
        self._noise_run = runs[0] if runs else 0
        self.noise.set_run_choices(list(roster.labels), self._noise_run)
        if problem.is_finite_sum:
            self.noise.clear()  # no histogram of the session just replaced
        self._update_noise()
        if reason:
            self.show_message(f"Restarted all runs: {reason}.")

    def _apply(self, state: SessionState, reason: str | None) -> None:
        """Adopt a validated state; ``reason`` restarts the runs (None: they keep their history)."""
        self.state = state
        self.setWindowModified(True)
        self.autosave.changed()
        self._show_runs()
        if reason is not None:
            self._restart(reason)
        else:
            roster = self._roster()
            self.feed.set_roster(roster)
            self.noise.set_run_choices(list(roster.labels), max(0, self.noise.current_run()))

    def _try(self, make: Any, *args: Any) -> SessionState | None:
        """A new state from ``make(*args)``, or None after saying why it was refused."""
        try:
            return make(*args)
        except ConfigError as exc:
            self.show_message(str(exc))
            return None

    def _change(self, reason: str, **changes: Any) -> None:
        """Change top-level settings that need a fresh session (seed, device, dtype…)."""
        state = self._try(lambda: self.state.with_changes(**changes))
        if state is None:
            self._show_state()  # put the refused value back in its field
            return
        self._apply(state, reason)

    def set_start(self, x: float, y: float) -> None:
        """Start every run at (x, y) — a click on the landscape."""
        state = self._try(lambda: self.state.with_changes(starts=[(float(x), float(y))]))
        if state is not None:
            self._apply(state, f"every run starts at ({x:.3g}, {y:.3g})")

    def play_to(self, steps: int | None = None) -> None:
        """Play as fast as possible up to ``steps`` (default: the experiment's own steps)."""
        if steps is not None:
            self.set_steps(steps)
        self.engine.set_speed(None)  # for this time only: the speed setting stays as it is
        if self.state.steps > 0 and not self.controls.playback.is_playing():
            self.controls.playback.play_button.click()

    def reset_runs(self) -> None:
        """Back to the start points, keeping the settings."""
        self.engine.reset()
        self.show_message("Back to the start points.")

    def set_steps(self, steps: int) -> None:
        """Play to step ``steps`` (the runs keep their history); before the engine has loaded,
        once it has."""
        if self.state is None:
            self._pending_steps = steps
            return
        if steps == self.state.steps:
            return
        state = self._try(lambda: self.state.with_changes(steps=steps))
        if state is not None:
            self._apply(state, None)
            self.engine.set_target_steps(steps)
        self._show_playback()

    def _batch_size_changed(self, batch_size: int | None) -> None:
        state = self._try(lambda: self.state.with_changes(batch_size=batch_size))
        if state is None:
            self._show_state()
            return
        self._apply(state, None)
        self.engine.set_batch_size(batch_size)

    def _speed_changed(self, speed: float | None) -> None:
        self.state.speed = speed
        self.settings.set_speed(speed)
        self.engine.set_speed(speed)

    def _problem_changed(self, name: str, params: dict) -> None:
        problem = {"name": name, **params}
        state = self._try(lambda: self._with_problem(problem))
        if state is None:
            self._show_state()
            return
        if self._lesson is not None:  # the lesson is left: its title and run labels go with it
            state = state.without_labels(run["label"] for run in self._lesson.experiment["runs"]
                                         if run.get("label"))
            self._lesson = None
            self._update_title()
        self._apply(state, f"{state.problem_object.title} chosen")
        self._show_state()

    def _with_problem(self, problem: dict[str, Any]) -> SessionState:
        """The state on another problem, from its default start. Coming from a deterministic
        problem, a mean over samples starts with minibatches of DEFAULT_BATCH (noise to see);
        a batch size too large for the new problem falls back to the full batch."""
        batch_size = self.state.batch_size
        if batch_size is None and not self.state.is_finite_sum:
            batch_size = DEFAULT_BATCH
        try:
            return self.state.with_changes(problem=problem, starts=None, batch_size=batch_size)
        except ConfigError as exc:
            if exc.field != "batch_size":
                raise
            return self.state.with_changes(problem=problem, starts=None, batch_size=None)

    def _grad_noise_changed(self, _name: str, value: float) -> None:
        self._change(f"gradient noise σ = {value:g}", grad_noise=float(value))

    # ------------------------------------------------------------------ runs
    def add_run(self) -> None:
        runs = [*self.state.runs, self.state.new_run()]
        self._change_runs(runs, len(runs) - 1, "a run was added")

    def duplicate_run(self, row: int) -> None:
        twin = copy.deepcopy(self.state.runs[row])
        twin.color = self.state.free_color()
        if twin.label:
            twin.label += " (copy)"
        runs = [*self.state.runs[:row + 1], twin, *self.state.runs[row + 1:]]
        self._change_runs(runs, row + 1, "a run was duplicated")

    def remove_run(self, row: int) -> None:
        runs = [r for i, r in enumerate(self.state.runs) if i != row]
        self._change_runs(runs, min(row, len(runs) - 1), "a run was removed")

    def set_run_enabled(self, row: int, enabled: bool) -> None:
        runs = copy.deepcopy(self.state.runs)
        runs[row].enabled = enabled
        label = runs[row].display_label
        self._change_runs(runs, row, f"{label} is {'on' if enabled else 'off'}")

    def _change_runs(self, runs: list[RunConfig], select: int, reason: str) -> None:
        state = self._try(self.state.with_runs, runs)
        if state is None:
            self._show_runs()  # undo the table's own change (a check box, say)
            return
        self._selected_row = max(0, select)
        self._apply(state, reason)
        self.controls.runs.select_row(self._selected_row)

    def _optimizer_changed(self, row: int, optimizer: str) -> None:
        state = self._try(self.state.with_optimizer, row, optimizer)
        if state is None:
            self._show_runs()
            return
        self._apply(state, f"run {row + 1} now uses {optimizer}")

    def _label_changed(self, row: int, label: str) -> None:
        run = dataclasses.replace(self.state.runs[row], label=label)
        state = self._try(self.state.with_run, row, run)
        if state is not None:
            self._apply(state, None)
            self.engine.set_label(state.session_runs_of(row), run.display_label)

    def _color_changed(self, row: int, color: str) -> None:
        run = dataclasses.replace(self.state.runs[row], color=color)
        state = self._try(self.state.with_run, row, run)
        if state is not None:
            self._apply(state, None)

    def set_hyperparameter(self, name: str, value: Any) -> None:
        """Change a hyperparameter or clipping option of the selected run; it keeps its history."""
        row = self._selected_row
        before = self.state.runs[row]
        state = self._try(self.state.with_hyperparameter, row, name, value)
        if state is None:
            self._show_run_editor()  # show the value in force again
            return
        from optim_core.schedules import SCHEDULED

        after = state.runs[row]
        if after.schedule is not None and name in SCHEDULED:
            # its torch scheduler starts from this value: the run starts over with it
            self._apply(state, f"{after.display_label} starts over with its new {name}")
            return
        self._apply(state, None)
        runs = state.session_runs_of(row)
        self.engine.set_hyperparameter(runs, name, value)
        if after.display_label != before.display_label:
            self.engine.set_label(runs, after.display_label)

    def _schedule_picked(self, name: str | None) -> None:
        from app.schedule_view import picked_schedule

        run = self.state.runs[self._selected_row]
        self._set_schedule(picked_schedule(run, name, self.state.steps))

    def _schedule_argument(self, argument: str, value: Any) -> None:
        from app.schedule_view import edited_schedule

        schedule = self.state.runs[self._selected_row].schedule
        if schedule is not None:
            self._set_schedule(edited_schedule(schedule, argument, value))

    def _set_schedule(self, schedule: dict[str, Any] | None) -> None:
        """Give the selected run ``schedule``; it starts over (a schedule counts from step 0)."""
        row = self._selected_row
        if schedule == self.state.runs[row].schedule:
            return
        state = self._try(self.state.with_schedule, row, schedule)
        if state is None:
            self._show_run_editor()  # show the schedule in force again
            return
        self._apply(state, f"{state.runs[row].display_label} has a new lr schedule")

    # ------------------------------------------------------------------ results from the engine
    def _on_progress(self, progress: Progress) -> None:
        if progress.generation != self.engine.generation:
            return  # from a session already replaced
        self.feed.set_progress(progress)
        if progress.play_command == self.engine.play_command:
            self.controls.playback.set_playing(progress.playing)
        self._show_progress_status(progress)

    def _on_landscape(self, generation: int, grid: LandscapeGrid) -> None:
        self.feed.set_landscape(grid)

    def _on_noise(self, generation: int, draws: NoiseDraws) -> None:
        if generation != self.engine.generation or draws.run != self._noise_run:
            return
        if draws.batch_size >= draws.n_samples:
            self.noise.show_message(
                f"Full batch: every step averages all M = {draws.n_samples} per-sample "
                "gradients, so the gradient has no minibatch noise (its standard error is 0).\n\n"
                "Pick a smaller batch size under Playback and watch the spread follow σ/√N.")
            return
        self.feed.show_noise(draws)

    def _show_progress_status(self, progress: Progress) -> None:
        snap = progress.snapshot
        self.step_label.setText(f"Step {snap.step:,} / {progress.target_steps:,}")
        if progress.playing:
            self.rate_label.setText(f"{progress.steps_per_second:,.0f} steps/s")
        else:
            self.rate_label.setText("done" if snap.step >= progress.target_steps else "paused")
        rows = self.state.session_rows()
        status: dict[int, str] = {}
        for k, row in enumerate(rows[:snap.n_runs]):
            if snap.diverged_at[k] is not None and row not in status:
                status[row] = f"diverged at step {snap.diverged_at[k]}"
            status.setdefault(row, "ok")
        if status != self._row_status:
            self._row_status = status
            for row, text in status.items():
                self.controls.runs.set_status(row, text)
            self.runs_label.setText(self._runs_summary(status))

    def _runs_summary(self, status: dict[int, str]) -> str:
        diverged = [f"<span style='color:#c62828'>{html.escape(self.state.runs[row].display_label)}"
                    f": {text}</span>" for row, text in status.items() if text != "ok"]
        if not diverged:
            return f"{len(status)} run{'s' if len(status) != 1 else ''} ok"
        shown = "; ".join(diverged[:2])
        return shown + (f"; +{len(diverged) - 2} more" if len(diverged) > 2 else "")

    # ------------------------------------------------------------------ gradient noise
    def _noise_run_picked(self, run: int) -> None:
        self._set_noise_run(run)

    def _set_noise_run(self, run: int | None) -> None:
        self._noise_run = run
        self._update_noise()

    def _panel_shown(self, name: str, shown: bool) -> None:
        """A panel's dock came to the front or went behind a tab: draw (and compute) only what
        can be seen."""
        self.feed.set_shown(name, shown)
        if name == "noise" and self.state is not None:  # (None: the engine is still loading)
            self._update_noise()

    def _update_noise(self) -> None:
        """Ask for noise draws only while they can be seen; on a deterministic problem, say why
        there are none."""
        if not self.state.is_finite_sum:
            self.noise.show_message(self._deterministic_message())
            self.engine.set_noise_run(None)
            return
        visible = not self.noise_dock.isHidden() and self.feed.is_shown("noise")
        self.engine.set_noise_run(self._noise_run if visible else None)

    def _deterministic_message(self) -> str:
        from optim_core.problems import PROBLEMS

        title = self.state.problem_object.title
        finite = ", ".join(cls.title for cls in PROBLEMS.values() if cls.is_finite_sum)
        text = (f"{title} is deterministic: every step uses the exact gradient, so there is no "
                "minibatch noise to show here.")
        if finite:
            text += f"\n\nPick a mean over samples ({finite}) to see minibatch gradients scatter."
        if self.state.grad_noise:
            text += (f"\n\nSynthetic noise is on: every gradient component gets Gaussian noise "
                     f"of σ = {self.state.grad_noise:g}.")
        else:
            text += "\n\nOr add synthetic Gaussian noise: set 'gradient noise σ' under Landscape."
        return text

    # ------------------------------------------------------------------ files
    def new_experiment(self) -> None:
        """File → New: an untitled experiment on the default problem with one run."""
        from app.session_state import SessionState

        state = SessionState.empty()
        state.speed = self.state.speed
        self.state, self.path, self._lesson, self._selected_row = state, None, None, 0
        self._show_state()
        self.setWindowModified(False)
        self._restart("a new experiment")

    def open_experiment(self, path: str | Path) -> bool:
        """Load an experiment file; an invalid one is refused and the current runs go on.

        A file asking for a device this computer lacks may run on the CPU instead (asked)."""
        if self.state is None:  # the engine is still loading: nothing to replace yet
            self.show_message("The engine is still loading; open the file again in a moment.")
            return False
        from app.session_state import SessionState
        from optim_core.experiment import available_devices

        config: Any = None
        moved = False
        try:
            config = read_json(path)
            state = SessionState.from_dict(config)
        except ConfigError as exc:
            if not device_choice.missing_device(config, exc):
                self.warn("Could not open the experiment", f"{Path(path).name}: {exc}")
                return False
            if not device_choice.ask_run_on_cpu(self, Path(path).name, config["device"],
                                                ", ".join(available_devices())):
                return False
            try:
                state = SessionState.from_dict(device_choice.on_cpu(config))
            except ConfigError as again:
                self.warn("Could not open the experiment", f"{Path(path).name}: {again}")
                return False
            moved = True
        state.speed = self.state.speed
        self.state, self.path, self._selected_row = state, Path(path), 0
        self._lesson = None
        self.settings.add_recent(path)
        self._show_state()
        self.setWindowModified(moved)  # moved to the CPU: differs from the file
        self._restart(f"opened {Path(path).name}" + (
            f" on the CPU (it asked for {config['device']!r})" if moved else ""))
        return True

    def save_to(self, path: str | Path) -> bool:
        """Save the experiment (the CLI's JSON) to ``path``."""
        try:
            write_json(path, self.state.to_dict())
        except ConfigError as exc:
            self.warn("Could not save the experiment", str(exc))
            return False
        self.path = Path(path)
        self.settings.add_recent(path)
        self.setWindowModified(False)
        self._update_title()
        self.show_message(f"Saved {self.path.name}.")
        return True

    def export_panel(self, panel: QWidget, path: str | Path) -> bool:
        """Write ``panel`` as PNG or SVG (by the file's extension)."""
        try:
            panel.export_image(str(path))
        except (OSError, ValueError) as exc:
            self.warn("Could not export the image", str(exc))
            return False
        self.show_message(f"Exported {Path(path).name}.")
        return True

    def export_trajectories(self, path: str | Path) -> bool:
        """Write the runs' recorded steps as CSV."""
        from app.export import trajectories_csv

        if self.feed.progress is None:
            self.show_message("Nothing to export yet: press Play or Step first.")
            return False
        return self._write(path, trajectories_csv(self.feed.progress.snapshot))

    def export_script(self, path: str | Path) -> bool:
        """Write the experiment as a standalone PyTorch training script."""
        from optim_core.script_export import training_script

        return self._write(path, training_script(self.state.experiment()))

    def export_animation(self, path: str | Path) -> Animator | None:
        """Film the run into a GIF or MP4 frame by frame, behind a progress dialog with Cancel
        (the window goes on meanwhile); None when refused."""
        from app.animation import CANCELLED, animate_with_progress, window_animation

        try:
            animator = animate_with_progress(window_animation(self), path, self)
        except ConfigError as exc:
            self.warn("Could not export the animation", str(exc))
            return None
        name = Path(path).name
        animator.finished.connect(lambda error: self.show_message(
            f"Exported {name}." if not error else "Animation cancelled." if error == CANCELLED
            else error))
        return animator

    def _write(self, path: str | Path, text: str) -> bool:
        from app.export import write_text

        try:
            write_text(path, text)
        except ConfigError as exc:
            self.warn("Could not write the file", str(exc))
            return False
        self.show_message(f"Exported {Path(path).name}.")
        return True

    # ------------------------------------------------------------------ lessons
    def open_lesson(self, key: str) -> None:
        """Load lesson ``key`` paused at its start, with its panels, axes and arrows, and show
        what to watch in the Lessons tab."""
        from app.session_state import SessionState

        item = lesson(key)
        state = SessionState.from_dict(item.experiment)  # checked by the lesson tests
        state.speed = self.state.speed
        self.state, self.path, self._lesson, self._selected_row = state, None, item, 0
        self.controls.playback.set_playing(False)  # read first, then press Play
        self._show_state()
        self.setWindowModified(False)
        self._restart("")
        for kind, action in self.actions.arrows.items():
            action.setChecked(kind in item.arrows)
        self.feed.set_log_loss(item.log_loss)
        self.loss.set_x_axis(item.loss_x)
        self.landscape.reset_view()  # not the zoom or pan left from the lesson before
        (self.noise_dock if item.panel == "noise" else self.adaptive_dock).raise_()
        self.lessons.show_lesson(key)
        self.lessons_dock.show()
        self.lessons_dock.raise_()
        self.show_message(f"Lesson: {item.title}. Press Play (Space).")

    @property
    def lesson_on_show(self) -> Lesson | None:
        """The lesson whose experiment is loaded (None once another file or problem is chosen)."""
        return self._lesson

    def resume_lesson(self, item: Lesson) -> None:
        """Show lesson ``item`` over the experiment already loaded, without reloading its start:
        a window rebuilt mid-lesson (presentation mode) keeps its title, text, arrows, loss axes
        and raised panel."""
        self._lesson = item
        self._update_title()
        for kind, action in self.actions.arrows.items():
            action.setChecked(kind in item.arrows)
        self.feed.set_log_loss(item.log_loss)
        self.loss.set_x_axis(item.loss_x)
        (self.noise_dock if item.panel == "noise" else self.adaptive_dock).raise_()
        self.lessons.show_lesson(item.key)
        self.lessons_dock.show()
        self.lessons_dock.raise_()

    def show_lessons(self) -> None:
        """The list of lessons, in its tab."""
        self.lessons.show_index()
        self.lessons_dock.show()
        self.lessons_dock.raise_()

    def _lesson_link(self, anchor: str) -> None:
        if anchor.startswith("lesson:"):
            self.open_lesson(anchor.removeprefix("lesson:"))
        elif anchor == "index":
            self.show_lessons()
        elif anchor in self.actions.links:
            self.actions.links[anchor].trigger()

    # ------------------------------------------------------------------ crash recovery
    def _offer_recovery(self) -> None:
        """After a crash or a kill -9: offer the experiment being edited (without blocking)."""
        self.recovery = None if self._closed else pending_recovery(self.settings.data_dir)
        if self.recovery is None:
            return
        buttons = QMessageBox.StandardButton
        box = QMessageBox(QMessageBox.Icon.Question, "Restore the experiment?",
                          f"{TITLE} did not close properly. Restore the experiment you were "
                          f"editing, autosaved at {self.recovery.when()}?",
                          buttons.Ok | buttons.Discard, self)
        box.button(buttons.Ok).setText("Restore")
        box.button(buttons.Ok).clicked.connect(self.restore_recovery)
        box.button(buttons.Discard).clicked.connect(self.discard_recovery)
        box.setObjectName("recovery")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def restore_recovery(self) -> None:
        """Load the experiment a crashed session left (a new, unsaved experiment)."""
        from app.session_state import SessionState

        recovery, self.recovery = self.recovery, None
        if recovery is None:
            return
        try:
            state = SessionState.from_dict(recovery.experiment)
        except ConfigError as exc:
            self.warn("Could not restore the experiment", str(exc))
            return
        state.speed = self.state.speed
        self.state, self.path, self._lesson, self._selected_row = state, None, None, 0
        self._show_state()
        self.setWindowModified(True)
        self.autosave.save_now()  # now this session's, until it closes
        self._restart("restored the experiment autosaved before the crash")

    def discard_recovery(self) -> None:
        """Forget the experiment a crashed session left."""
        recovery, self.recovery = self.recovery, None
        if recovery is not None:
            recovery.path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ messages and help
    def show_message(self, text: str) -> None:
        """A message in the status bar (refusals, restarts, notices)."""
        self.statusBar().showMessage(text, MESSAGE_MS)

    def warn(self, title: str, text: str) -> None:
        """A warning that does not block (the runs go on behind it)."""
        self.show_message(text)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok,
                          self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def explain(self) -> None:
        """Help → What am I looking at?"""
        from app.help_text import what_am_i_looking_at

        self._info("What am I looking at?", what_am_i_looking_at(self.state, self._lesson))

    def about(self) -> None:
        from app.help_text import ABOUT

        self._info(f"About {TITLE}", ABOUT)

    def _info(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, text, QMessageBox.StandardButton.Ok,
                          self)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.setStyleSheet("QLabel { min-width: 560px; }")  # a paragraph, not a column
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.show()

    def set_presentation_scale(self, scale: float) -> None:
        """Presentation mode (View menu, F5): remember ``scale`` (1: off) and close, so that
        ``main.py`` opens the same experiment in a window drawn at that scale."""
        if scale == presentation_scale():
            return
        if self.state is None:  # rebuilt now, the window would wait for the engine's loading
            self.show_message("Presentation mode can be switched once the engine has loaded "
                              "(a moment).")
            return
        self.settings.set_presentation_scale(scale)
        self.rebuild_requested = True
        self.close()

    # ------------------------------------------------------------------ closing
    def open_lab(self, kind: type[QWidget]) -> None:
        """Show a lab window (one of each kind; raised if already open)."""
        # its own labs only: the workbench's lr sweeps (its children) are not the 2D one; and
        # not one closed a moment ago, still there until its deletion (its worker has gone)
        labs = [lab for lab in self.findChildren(
            kind, options=Qt.FindChildOption.FindDirectChildrenOnly) if lab.isVisible()]
        lab = labs[0] if labs else kind(self)
        lab.show()
        lab.raise_()
        lab.activateWindow()

    def shutdown(self) -> None:
        """Stop the engine thread and remember the window and the experiment (idempotent)."""
        if self._closed:
            return
        self._closed = True
        animation = sys.modules.get("app.animation")  # none before an export was asked
        for animator in self.findChildren(animation.Animator) if animation else ():
            animator.cancel()  # an export under way: no file
        for lab in self.findChildren(QMainWindow):  # the labs: their worker threads stop on close
            lab.close()
        self.feed.stop()  # no frame after this: its timer goes with the window
        self.engine.stop()
        self.settings.save_window(self.saveGeometry(), window_fit.layout_to_save(self))
        if self.state is None:  # closed before the engine loaded: nothing changed
            return
        try:
            self.settings.save_last_experiment(self.state.to_dict())
        except (ConfigError, OSError) as exc:
            self.show_message(f"Could not autosave the experiment: {exc}")
        else:
            self.autosave.finish()  # a clean exit: nothing to recover next time

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

