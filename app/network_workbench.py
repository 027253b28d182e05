"""The network workbench (Lab → Network workbench): several optimizers training one network.

The window holds the experiment as an experiment file's dict (:mod:`app.network_config`) and the
handle on its own engine thread (:class:`~app.network_worker.NetworkEngine`). Every user action
goes one way: a control's signal → a new dict, validated by the engine's parser → a command to
the engine (a hyperparameter or clipping: the runs keep their history; the speed) or a fresh
session (anything else: a visible restart). Refused input changes nothing: the field that caused
it is marked with the engine's message, and the status bar repeats it. Results come back as
signals and are drawn by the panels, which only ``setData``.
"""

from __future__ import annotations

import copy
import html
import math
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QWidget,
)

from app import network_config as nc
from app import window_fit
from app.lr_sweep import LrSweepWindow
from app.menus import add_action
from app.network_controls import NO_SCHEDULE, NetworkControls
from app.network_worker import DecisionGrids, Loaded, NetworkEngine, SliceResult, TrainingProgress
from app.settings import write_json
from app.staggered_drawing import Piece, StaggeredDrawing
from optim_core.errors import ConfigError
from optim_core.experiment import RUN_OPTIONS, available_devices, read_json
from optim_core.networks.datasets import describe_datasets
from optim_core.networks.experiment import (
    NetworkExperiment,
    is_network_experiment,
    parse_network_experiment,
)
from optim_core.networks.models import ACTIVATIONS, MODELS
from optim_core.optimizers import get_rule, optimizer_names
from widgets.decision_regions import DecisionRegionsPanel
from widgets.layer_stats import PARTS as LAYER_PARTS
from widgets.layer_stats import LayerStatsPanel
from widgets.live_drawing import set_live
from widgets.log_slider import mark_invalid
from widgets.loss_slice import LossSlicePanel
from widgets.probe_curves import ProbeCurvesPanel
from widgets.style import MUTED, configure_pyqtgraph, presentation_scale
from widgets.training_curves import PLOTS as CURVE_PLOTS
from widgets.training_curves import TrainingCurvesPanel

try:  # written alongside; the workbench works without it
    from app.network_lessons import LESSONS
except ImportError:  # pragma: no cover - depends on what has landed
    LESSONS: list[dict[str, Any]] = []

TITLE = "Network workbench"
DEFAULT_SPEED = 30.0
#: most redrawings a second of a tab's panel (records kept every k steps) while training; the
#: curves are drawn at app.staggered_drawing.DRAW_HZ, a plot per turn of the event loop
TAB_HZ = 2
MESSAGE_MS = 8000
CLIP_OPTIONS = ("clip_norm", "clip_value")
EXPERIMENT_FILTER = "Experiment (*.json);;All files (*)"
LR_SWEEP_LINK = "lr-sweep"  #: a lesson's link to the learning-rate sweep of its experiment
#: panel names a lesson may ask for, and words that mean them (the most specific first)
PANEL_WORDS = {"slice": ("slice", "landscape"), "regions": ("region", "decision", "boundar"),
               "layers": ("layer", "effective", "update", "weight"), "noise": ("noise",),
               "sharpness": ("sharp", "stability", "edge"), "curves": ("curve", "loss",
                                                                        "accuracy")}


class NetworkWorkbench(QMainWindow):
    """Pick a data set and a model, race optimizers on it, watch every panel train live."""

    def __init__(self, parent: QWidget | None = None, config: Mapping[str, Any] | None = None,
                 *, speed: float | None = DEFAULT_SPEED) -> None:
        super().__init__(parent)
        configure_pyqtgraph()
        self.setWindowFlag(Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # reopened fresh from the menu
        self.config = nc.default_config() if config is None else copy.deepcopy(dict(config))
        self.experiment: NetworkExperiment = parse_network_experiment(self.config)
        self.speed = speed
        self.path: Path | None = None
        self.lesson: dict[str, Any] | None = None
        self.snapshot = None
        self.loaded: Loaded | None = None
        self._selected = 0
        self._marked: list[tuple[QWidget, str]] = []  #: fields marked refused, and why
        self._closed = False
        self._live = False  #: training: curves drawn plain (fast), else antialiased
        #: what each tab's panel last drew: (generation, rows, last recorded step), and when
        self._drawn_rows: dict[str, tuple[int, int, int]] = {}
        self._tab_drawn_at: dict[str, float] = {}
        #: draws the latest snapshot: a plot per turn while training, whole when paused
        self.drawing = StaggeredDrawing(self._drawing_pieces, self)
        self._row_status: dict[int, str] = {}
        #: the latest decision regions from the engine, and the ones the panel shows
        self._grids: DecisionGrids | None = None
        self._grids_drawn: DecisionGrids | None = None
        self.engine = NetworkEngine(self)
        self.controls = NetworkControls()
        self._build_panels()
        self._build_menus()
        self._connect()
        self._show_config()
        window_fit.keep_on_screen(self, QSize(1280, 800))  # within a small screen's free area
        self._restart("", playing=False)

    # ------------------------------------------------------------------ building
    def _build_panels(self) -> None:
        self.curves = TrainingCurvesPanel()
        self.regions = DecisionRegionsPanel()
        self.layers = LayerStatsPanel()
        self.noise = ProbeCurvesPanel(
            "Gradient noise scale", "B_simple = tr Σ / ‖G‖²",
            "The gradient noise scale B_simple (McCandlish et al. 2018) against the batch size "
            "in use (dashed): batches much larger than B_simple stop paying.")
        self.sharpness = ProbeCurvesPanel(
            "Sharpness", "λ_max of the loss Hessian",
            "The sharpness λ_max against 2/lr (dashed, each run's colour): plain gradient "
            "descent is stable only below it (the edge of stability, Cohen et al. 2021).")
        self.slice = LossSlicePanel()
        self.bottom = QTabWidget()
        self.tabs = {"layers": self.layers, "noise": self.noise,
                     "sharpness": self.sharpness, "slice": self.slice}
        for panel in self.tabs.values():
            self.bottom.addTab(panel, panel.TITLE)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.curves)
        top.addWidget(self.regions)
        top.setStretchFactor(0, 1)
        top.setStretchFactor(1, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(top)
        right.addWidget(self.bottom)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        whole = QSplitter(Qt.Orientation.Horizontal)
        whole.addWidget(self.controls)
        whole.addWidget(right)
        whole.setStretchFactor(0, 0)
        whole.setStretchFactor(1, 1)
        scale = presentation_scale()  # the controls' editors grow with it: not cut at 2×
        whole.setSizes([round(350 * scale), round(930 * scale)])
        # narrower than its panels can go (presentation mode on a small screen): it scrolls,
        # rather than the window running off the screen
        scroller = QScrollArea()
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(whole)
        self.setCentralWidget(scroller)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        add_action(self, file, "&Open…", QKeySequence.StandardKey.Open, self._open_dialog)
        add_action(self, file, "Save &As…", QKeySequence.StandardKey.SaveAs, self._save_dialog)
        file.addSeparator()
        add_action(self, file, "&Close", QKeySequence.StandardKey.Close, self.close)
        run = bar.addMenu("&Run")
        playback = self.controls.playback
        add_action(self, run, "Play / Pause", "Space", playback.play_button.click)
        add_action(self, run, "Step", "Right", playback.step_button.click)
        add_action(self, run, "Reset to the start", "R", self.reset_runs)
        lab = bar.addMenu("&Lab")
        add_action(self, lab, "&Learning-rate sweep…", "Ctrl+L", self.open_lr_sweep)
        lessons = bar.addMenu("L&essons")
        for item in LESSONS:
            lessons.addAction(item["title"]).triggered.connect(
                lambda _=False, item=item: self.open_lesson(item))
        if not LESSONS:
            lessons.addAction("(none yet)").setEnabled(False)

    def _connect(self) -> None:
        c, bar = self.controls, self.controls.playback
        bar.play_toggled.connect(self._play_toggled)
        bar.step_requested.connect(self.engine.step_once)
        bar.reset_requested.connect(self.reset_runs)
        bar.steps_changed.connect(lambda n: self._change("steps", steps=n))
        bar.batch_size_changed.connect(lambda b: self._change("batch_size", batch_size=b))
        bar.seed_changed.connect(lambda s: self._change("seed", seed=s))
        bar.device_changed.connect(lambda d: self._change("device", device=d))
        bar.dtype_changed.connect(lambda d: self._change("dtype", dtype=d))
        bar.speed_changed.connect(self._speed_changed)
        bar.message.connect(self.show_message)
        c.runs.run_selected.connect(self._select_run)
        c.runs.add_requested.connect(self.add_run)
        c.runs.duplicate_requested.connect(self.duplicate_run)
        c.runs.remove_requested.connect(self.remove_run)
        c.runs.enabled_changed.connect(self._enabled_changed)
        c.runs.label_changed.connect(lambda row, text: self._edit_run(row, label=text or None))
        c.runs.optimizer_changed.connect(self._optimizer_changed)
        c.runs.color_changed.connect(lambda row, color: self._edit_run(row, color=color))
        c.run_editor.value_changed.connect(self.set_hyperparameter)
        c.run_editor.message.connect(self.show_message)
        c.schedule.activated.connect(lambda _: self._schedule_picked(c.schedule.currentText()))
        c.schedule_editor.value_changed.connect(self._schedule_argument)
        c.schedule_editor.message.connect(self.show_message)
        c.dataset.activated.connect(lambda _: self._dataset_picked(c.dataset.currentData()))
        c.dataset_editor.value_changed.connect(self._network_field)
        c.dataset_editor.message.connect(self.show_message)
        c.model.activated.connect(lambda _: self._network_field("model", c.model.currentText()))
        c.activation.activated.connect(
            lambda _: self._network_field("activation", c.activation.currentText()))
        c.hidden.editingFinished.connect(self._hidden_edited)
        c.lesson.linkActivated.connect(self._lesson_link)
        self.curves.x_axis_changed.connect(lambda _: self._draw_progress())
        self.bottom.currentChanged.connect(lambda _: self._draw_progress())
        self.slice.compute_requested.connect(self.compute_slice)
        self.slice.cancel_requested.connect(self.engine.cancel_slice)
        self.engine.loaded.connect(self._on_loaded)
        self.engine.progress.connect(self._on_progress)
        self.engine.grids.connect(self._on_grids)
        self.engine.slice_ready.connect(self._on_slice)
        self.engine.slice_stopped.connect(self._on_slice_stopped)
        self.engine.message.connect(self.show_message)

    # ------------------------------------------------------------------ showing the config
    def _show_config(self) -> None:
        """Fill every control from the config (emits nothing)."""
        c, cfg = self.controls, self.config
        net = cfg["network"]
        with QSignalBlocker(c.dataset):
            c.dataset.clear()
            for item in describe_datasets():
                c.dataset.addItem(item["title"], item["name"])
            c.dataset.setCurrentIndex(c.dataset.findData(net["dataset"]))
        self._show_dataset_editor()
        for combo, items, value in ((c.model, MODELS, net.get("model", "mlp")),
                                    (c.activation, list(ACTIVATIONS),
                                     net.get("activation", "relu"))):
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems(list(items))
                combo.setCurrentText(value)
        hidden = self.experiment.model_fields["hidden"]
        c.hidden.setText(", ".join(str(w) for w in hidden))
        c.playback.set_devices(available_devices())
        c.playback.set_values(steps=self.experiment.steps, batch_size=self.experiment.batch_size,
                              seed=self.experiment.seed, speed=self.speed,
                              device=self.experiment.device, dtype=self.experiment.dtype)
        c.runs.set_optimizer_names(optimizer_names())
        self._show_runs()
        self._update_title()

    def _show_dataset_editor(self) -> None:
        net = self.config["network"]
        item = next(d for d in describe_datasets() if d["name"] == net["dataset"])
        self.controls.dataset_about.setText(f"<span style='color:{MUTED}'>"
                                            f"{html.escape(item['about'])}</span>")
        values = {k: v for k, v in self.experiment.data_fields.items() if k != "dataset"}
        self.controls.dataset_editor.set_params(item["parameters"], values)

    def _session_index(self, row: int) -> int | None:
        """The session's run index of table row ``row`` (None: the run is off)."""
        runs = self.config["runs"]
        if not runs[row].get("enabled", True):
            return None
        return sum(1 for run in runs[:row] if run.get("enabled", True))

    def _show_runs(self) -> None:
        rows, specs = [], iter(self.experiment.runs)
        status = self._statuses()
        for i, run in enumerate(self.config["runs"]):
            on = run.get("enabled", True)
            spec = next(specs) if on else None
            label = run.get("label") or (spec.label if spec else run["optimizer"])
            summary = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in nc.hyperparameters(run).items())
            if run.get("schedule"):  # its arguments are in the editor below
                summary += " · " + run["schedule"]["name"].removesuffix("LR")
            for name in CLIP_OPTIONS:
                if run.get(name) is not None:
                    summary += f" {name}={run[name]:g}"
            index = self._session_index(i)
            rows.append({"label": label, "optimizer": run["optimizer"],
                         "color": nc.run_color(run, i), "enabled": on, "summary": summary,
                         "status": status.get(index, "ready") if on else "off"})
        self.controls.runs.set_rows(rows)
        self._selected = min(self._selected, len(rows) - 1)
        self.controls.runs.select_row(self._selected)
        self._show_run_editor()

    def _statuses(self) -> dict[int, str]:
        snap = self.snapshot
        if snap is None:
            return {}
        out = {}
        for r in range(snap.n_runs):
            if snap.diverged_at[r] is not None:
                out[r] = f"diverged at {snap.diverged_at[r]}"
            elif len(snap.eval["val_accuracy"]) and np.isfinite(snap.eval["val_accuracy"][-1, r]):
                out[r] = f"val acc {snap.eval['val_accuracy'][-1, r]:.0%}"
            elif len(snap.eval["val_loss"]):
                out[r] = f"val loss {snap.eval['val_loss'][-1, r]:.3g}"
        return out

    def _show_run_editor(self) -> None:
        c = self.controls
        run = self.config["runs"][self._selected]
        rule = get_rule(run["optimizer"])
        specs = [s.describe() for s in rule.hyperparameters if s.kind != "any"]
        specs += [RUN_OPTIONS[name].describe() for name in CLIP_OPTIONS]
        values = {**nc.hyperparameters(run), **{n: run.get(n) for n in CLIP_OPTIONS}}
        c.run_editor.set_params(specs, values)
        color = nc.run_color(run, self._selected)
        title = rule.title_for(nc.hyperparameters(run))
        c.run_title.setText(f"<span style='color:{color}'>●</span> <b>{html.escape(title)}</b>"
                            + ("" if run.get("enabled", True) else " <i>(off)</i>"))
        schedule = run.get("schedule")
        with QSignalBlocker(c.schedule):
            c.schedule.clear()
            c.schedule.addItems([NO_SCHEDULE, *nc.EDITABLE_SCHEDULES])
            name = schedule["name"] if schedule else NO_SCHEDULE
            if c.schedule.findText(name) < 0:
                c.schedule.addItem(name)
            c.schedule.setCurrentText(name)
        lr = float(run.get("lr", 1e-3))
        specs = nc.schedule_specs(schedule, self.config.get("steps", nc.STEPS), lr) \
            if schedule else []
        c.schedule_editor.set_params(specs, schedule or {})
        c.schedule_editor.setVisible(bool(specs))

    def _update_title(self) -> None:
        name = (self.path.name if self.path else f"Lesson: {self.lesson['title']}"
                if self.lesson else "Untitled network experiment")
        self.setWindowTitle(f"{name} — {TITLE}")

    # ------------------------------------------------------------------ applying edits
    def apply(self, config: dict[str, Any], reason: str, *, restart: bool = True,
              playing: bool | None = None) -> bool:
        """Validate ``config``; if the engine accepts it, make it the experiment (and restart).
        A refusal marks the field it names and changes nothing."""
        try:
            experiment = parse_network_experiment(config)
        except ConfigError as exc:
            self._refuse(exc)
            return False
        self._clear_marks()
        self.config, self.experiment = config, experiment
        if restart:
            self._restart(reason, playing=playing)
        return True

    def _restart(self, reason: str, *, playing: bool | None = None) -> None:
        if playing is None:
            playing = self.controls.playback.is_playing()
        self.snapshot = None
        self.loaded = None
        self.drawing.stop()  # pieces of the old session's drawing are not drawn
        self._grids = self._grids_drawn = None
        self._row_status = {}
        self.controls.playback.set_playing(playing)
        self.engine.load(self.experiment, speed=self.speed, playing=playing)
        self.slice.set_busy(False, "")
        self._show_runs()
        if reason:
            self.show_message(f"Restarted: {reason}")

    def _change(self, reason: str, **top: Any) -> None:
        config = copy.deepcopy(self.config)
        config.update(top)
        if not self.apply(config, f"{reason} changed"):
            self._show_config_keep_marks()

    def _show_config_keep_marks(self) -> None:
        marked = list(self._marked)
        self._show_config()
        for widget, message in marked:  # the values shown are the old ones; the marks stay
            mark_invalid(widget, message)

    def _network_field(self, name: str, value: Any) -> None:
        config = copy.deepcopy(self.config)
        config["network"][name] = value
        if name == "model" and value == "cnn":
            config["network"]["hidden"] = [8, 16]
        elif name == "model":
            config["network"]["hidden"] = [16, 16]
        self.apply(config, f"network.{name} changed")
        if name == "model":
            self.controls.hidden.setText(
                ", ".join(str(w) for w in self.experiment.model_fields["hidden"]))

    def _dataset_picked(self, name: str) -> None:
        config = copy.deepcopy(self.config)
        keep = {k: v for k, v in config["network"].items()
                if k in ("model", "hidden", "activation", "validation")}
        config["network"] = {"dataset": name, **keep}
        if name != "digits" and keep.get("model") == "cnn":
            config["network"].update(model="mlp", hidden=[16, 16])
        if config.get("batch_size") is not None:
            config["batch_size"] = min(config["batch_size"], 64)
        if self.apply(config, f"data set {name}"):
            self._show_config()

    def _hidden_edited(self) -> None:
        text = self.controls.hidden.text()
        try:
            widths = [int(part) for part in text.replace(",", " ").split()]
        except ValueError:
            self._refuse(ConfigError("network.hidden", text, "whole numbers separated by "
                                     "commas, e.g. 16, 16"))
            return
        if widths != self.experiment.model_fields["hidden"] or self._marked:
            self._network_field("hidden", widths)

    def _play_toggled(self, playing: bool) -> None:
        if playing:
            self.engine.play()
        else:
            self.engine.pause()

    def _speed_changed(self, speed: float | None) -> None:
        self.speed = speed
        self.engine.set_speed(speed)

    def reset_runs(self) -> None:
        self.engine.reset()

    # runs -----------------------------------------------------------------------------------
    def _select_run(self, row: int) -> None:
        if 0 <= row < len(self.config["runs"]):
            self._selected = row
            self._show_run_editor()

    def _edit_runs(self, runs: list[dict[str, Any]], select: int, reason: str) -> None:
        config = copy.deepcopy(self.config)
        config["runs"] = runs
        if self.apply(config, reason):
            self._selected = select
            self._show_runs()

    def _edit_run(self, row: int, **changes: Any) -> None:
        runs = copy.deepcopy(self.config["runs"])
        for key, value in changes.items():
            if value is None:
                runs[row].pop(key, None)
            else:
                runs[row][key] = value
        self._edit_runs(runs, row, f"run {row + 1} changed")

    def add_run(self) -> None:
        runs = copy.deepcopy(self.config["runs"])
        run = nc.new_run(runs)
        schedule = next((r["schedule"] for r in runs if r.get("schedule")), None)
        if schedule is not None:
            run["schedule"] = copy.deepcopy(schedule)
        runs.append(run)
        self._edit_runs(runs, len(runs) - 1, f"{run['optimizer']} added")

    def duplicate_run(self, row: int) -> None:
        runs = copy.deepcopy(self.config["runs"])
        twin = copy.deepcopy(runs[row])
        twin.pop("color", None)
        twin.pop("label", None)
        runs.insert(row + 1, twin)
        self._edit_runs(runs, row + 1, "run duplicated")

    def remove_run(self, row: int) -> None:
        runs = copy.deepcopy(self.config["runs"])
        if len(runs) <= 1:
            self.show_message("The last run stays: a race needs a runner.")
            return
        del runs[row]
        self._edit_runs(runs, min(row, len(runs) - 1), "run removed")

    def _enabled_changed(self, row: int, on: bool) -> None:
        runs = copy.deepcopy(self.config["runs"])
        runs[row]["enabled"] = on
        if on:
            runs[row].pop("enabled")
        self._edit_runs(runs, row, f"run {row + 1} {'on' if on else 'off'}")
        if self.config["runs"] != runs:
            self._show_runs()  # refused (no run left on): show the switch as it is

    def _optimizer_changed(self, row: int, optimizer: str) -> None:
        runs = copy.deepcopy(self.config["runs"])
        runs[row] = nc.with_optimizer(runs[row], optimizer)
        self._edit_runs(runs, row, f"run {row + 1} is {optimizer}")
        if self.config["runs"] != runs:
            self._show_runs()

    def set_hyperparameter(self, name: str, value: Any) -> None:
        """Change the selected run's hyperparameter or clipping, live (its history stays)."""
        row = self._selected
        runs = copy.deepcopy(self.config["runs"])
        if value is None:
            runs[row].pop(name, None)
        else:
            runs[row][name] = list(value) if isinstance(value, tuple) else value
        config = copy.deepcopy(self.config)
        config["runs"] = runs
        if not self.apply(config, "", restart=False):
            self._show_run_editor()
            return
        index = self._session_index(row)
        if index is not None:
            self.engine.set_hyperparameter(index, name, value)
        self._show_runs()

    def _schedule_picked(self, name: str) -> None:
        row = self._selected
        run = self.config["runs"][row]
        if name == NO_SCHEDULE:
            self._edit_run(row, schedule=None)
        elif run.get("schedule", {}).get("name") != name:
            schedule = nc.new_schedule(name, self.config.get("steps", nc.STEPS),
                                       float(run.get("lr", 1e-3)))
            self._edit_run(row, schedule=schedule)
        self._show_run_editor()

    def _schedule_argument(self, name: str, value: Any) -> None:
        row = self._selected
        schedule = copy.deepcopy(self.config["runs"][row].get("schedule") or {})
        if value is None:
            schedule.pop(name, None)
        else:
            schedule[name] = value
        self._edit_run(row, schedule=schedule)

    # ------------------------------------------------------------------ refusals
    def _refuse(self, exc: ConfigError) -> None:
        self._clear_marks()
        widget = self._widget_for(exc.field)
        if widget is not None:
            mark_invalid(widget, str(exc))
            self._marked.append((widget, str(exc)))
        self.show_message(str(exc))

    def _clear_marks(self) -> None:
        for widget, _ in self._marked:
            mark_invalid(widget, None)
        self._marked = []

    def _widget_for(self, field: str) -> QWidget | None:
        """The control that edits ``field`` (``network.hidden[0]``, ``runs[1].schedule.T_max``,
        ``batch_size``…), or None."""
        c, bar = self.controls, self.controls.playback
        top = {"steps": bar.steps, "batch_size": bar.batch, "seed": bar.seed,
               "device": bar.device, "dtype": bar.dtype}
        if field in top:
            return top[field]
        if field.startswith("network."):
            name = field.split(".", 1)[1].split("[")[0]
            named = {"hidden": c.hidden, "model": c.model, "activation": c.activation,
                     "dataset": c.dataset}
            if name in named:
                return named[name]
            return _field_or_none(c.dataset_editor, name)
        if field.startswith("runs["):
            row = int(field[5:field.index("]")])
            rest = field[field.index("]") + 2:]
            if rest.startswith("schedule"):
                parts = rest.split(".")
                if len(parts) > 1 and row == self._selected:
                    return _field_or_none(c.schedule_editor, parts[1]) or c.schedule
                return c.schedule if row == self._selected else c.runs.table()
            if row == self._selected:
                return _field_or_none(c.run_editor, rest) or c.runs.table()
            return c.runs.table()
        return None

    # ------------------------------------------------------------------ results
    def _on_loaded(self, loaded: Loaded) -> None:
        if loaded.generation != self.engine.generation:
            return
        self.loaded = loaded
        specs = self.experiment.runs
        labels = [spec.label for spec in specs]
        colors = self._session_colors()
        self.curves.set_runs(colors)
        self.layers.set_runs(labels, colors, loaded.layer_names)
        self.noise.set_runs(colors)
        self.sharpness.set_runs(colors)
        self.slice.set_runs(labels, colors)
        self.regions.set_runs(labels, colors)
        for panel in (self.curves, self.layers, self.noise, self.sharpness):
            set_live(panel, self._live)  # the curves just made (loaded while training)
        self.controls.model_text.setText(
            f"<span style='color:{MUTED}'>{html.escape(loaded.model)} · "
            f"{loaded.n_train:,} training samples</span>")
        self._show_preview(loaded)
        if loaded.extent is not None:
            self.regions.setVisible(True)
            self.regions.set_points(loaded.train_x, loaded.train_y, loaded.n_classes,
                                    loaded.extent)
        else:
            self.regions.setVisible(False)  # the curves take the room
            self.regions.set_unavailable(
                "Decision regions are drawn for the 2D data sets (moons, circles, spirals, "
                "XOR, blobs); this data set's inputs are not points in a plane.")

    def _session_colors(self) -> list[str]:
        return [nc.run_color(run, i) for i, run in enumerate(self.config["runs"])
                if run.get("enabled", True)]

    def _show_preview(self, loaded: Loaded) -> None:
        preview, x, y = self.controls.preview, loaded.train_x, loaded.train_y
        caption = f"{loaded.n_train:,} training samples"
        if loaded.dataset == "digits":
            preview.show_images(x.reshape(len(x), 8, 8), caption + " (the first 64)")
        elif loaded.n_classes == 0:
            preview.show_curve(x[:, 0], y[:, 0], caption)
        else:
            preview.show_scatter(x, y.astype(int), caption + f", {loaded.n_classes} classes")

    def _on_progress(self, progress: TrainingProgress) -> None:
        if progress.generation != self.engine.generation:
            return
        self.snapshot = progress.snapshot
        self.controls.playback.set_playing(progress.playing)
        if progress.playing != self._live:
            self._live = progress.playing
            for panel in (self.curves, self.regions, self.layers, self.noise, self.sharpness):
                set_live(panel, self._live)  # not an lr-sweep window it opened
        if progress.playing:
            self.drawing.request()  # a plot per turn, at most DRAW_HZ drawings a second
        else:
            self.drawing.draw_now()  # the still picture, whole
        rate = f" · {progress.steps_per_second:.0f} steps/s" if progress.playing else ""
        shown = self.statusBar().currentMessage()
        if not shown or shown.startswith("step "):  # a message stays its time
            self.statusBar().showMessage(
                f"step {progress.snapshot.step} of {progress.target_steps}{rate}")

    def _draw_progress(self) -> None:
        """Draw the latest snapshot in the panels in sight (a tab's panel when it is shown):
        whole at once when paused, else a plot per turn of the event loop."""
        if self._live:
            self.drawing.request()
        else:
            self.drawing.draw_now()

    def _drawing_pieces(self) -> list[Piece]:
        """The pieces of a drawing of the latest snapshot: each curve plot, then the shown tab's
        plots when it has something new (StaggeredDrawing draws them a turn apart)."""
        snap = self.snapshot
        if snap is None:
            return []
        pieces: list[Piece] = [(f"curves {plot}", partial(self._draw_curves, snap, plot))
                               for plot in CURVE_PLOTS]
        if self._grids is not None and self._grids is not self._grids_drawn:
            pieces.append(("regions", partial(self._draw_regions, self._grids)))
        tab = self.bottom.currentWidget()
        if tab is self.layers:
            pieces += [(f"layers {part}", partial(self._draw_layers, snap, part))
                       for part in LAYER_PARTS if self._has_new_rows(f"layers {part}", snap.layers)]
        elif tab is self.noise and self._has_new_rows("noise", snap.noise):
            pieces.append(("noise", partial(self._draw_noise, snap)))
        elif tab is self.sharpness and self._tab_due("sharpness"):
            pieces.append(("sharpness", partial(self._draw_sharpness, snap)))
        if self._tab_due("statuses"):  # the runs table re-fits its columns
            pieces.append(("run statuses", self._show_statuses))
        return pieces

    def _show_statuses(self) -> None:
        """Each run's latest validation accuracy (or loss), or where it diverged, in the table."""
        status, changed = self._statuses(), {}
        for row in range(len(self.config["runs"])):
            index = self._session_index(row)
            text = status.get(index) if index is not None else None
            if text is not None and self._row_status.get(row) != text:
                self._row_status[row] = changed[row] = text
        self.controls.runs.set_statuses(changed)

    def _draw_curves(self, snap: Any, plot: str) -> None:
        axis = self.curves.x_axis()
        ev = snap.eval
        if axis.startswith("samples"):
            step_x, eval_x = snap.steps * snap.batch_size, ev["steps"] * snap.batch_size
        elif axis.startswith("wall"):
            step_x, eval_x = snap.wall_time, ev["wall_time"]
        else:
            step_x, eval_x = snap.steps, ev["steps"]
        regression = self.loaded is not None and self.loaded.n_classes == 0
        self.curves.set_data(step_x.astype(float), eval_x.astype(float),
                             {"minibatch_loss": snap.loss, **{k: ev[k] for k in (
                                 "train_loss", "val_loss", "train_accuracy", "val_accuracy")}},
                             regression=regression, plots=(plot,),
                             **({"points": self.curves.screen_points()} if self._live else {}))

    def _tab_due(self, name: str) -> bool:
        """Whether (while training) a tab's last drawing is 1/TAB_HZ old."""
        now = time.perf_counter()
        if self._live and now - self._tab_drawn_at.get(name, 0.0) < 1 / TAB_HZ:
            return False
        self._tab_drawn_at[name] = now
        return True

    def _has_new_rows(self, name: str, record: Mapping[str, np.ndarray]) -> bool:
        """Whether a record kept every k steps has rows the piece ``name`` has not drawn, and
        (while training) its last drawing is 1/TAB_HZ old: histograms read no better redrawn
        ten times a second. The rows count as drawn when the piece draws them (a pause may drop
        a drawing before their turn)."""
        return self._drawn_rows.get(name) != self._rows_key(record) and self._tab_due(name)

    def _rows_key(self, record: Mapping[str, np.ndarray]) -> tuple[int, int, int]:
        steps = record["steps"]
        return self.engine.generation, len(steps), int(steps[-1]) if len(steps) else -1

    def _draw_layers(self, snap: Any, part: str) -> None:
        layers = snap.layers
        self.layers.set_data(layers["steps"].astype(float), layers["update_ratio"],
                             snap.effective_lr_edges, layers["effective_lr_hist"],
                             parts=(part,))
        self._drawn_rows[f"layers {part}"] = self._rows_key(layers)

    def _draw_noise(self, snap: Any) -> None:
        end = float(max(snap.step, 1))
        noise = snap.noise
        batch = float(snap.batch_size)
        note = _noise_note(noise["noise_scale"], batch)
        self.noise.set_data(noise["steps"].astype(float), noise["noise_scale"],
                            [(np.array([0.0, end]), np.array([batch, batch]), MUTED)], note)
        set_live(self.noise, self._live)  # its reference line may be new
        self._drawn_rows["noise"] = self._rows_key(noise)

    def _draw_sharpness(self, snap: Any) -> None:
        sharp = snap.sharpness
        colors = self._session_colors()
        keep = np.unique(np.linspace(0, len(snap.steps) - 1, min(len(snap.steps), 400)
                                     ).astype(int)) if len(snap.steps) else np.zeros(0, int)
        steps, lr = snap.steps[keep].astype(float), snap.lr[keep]
        references = []
        for r in range(snap.n_runs):
            with np.errstate(divide="ignore"):
                edge = 2.0 / lr[:, r] if len(lr) else np.array([])
            references.append((steps, edge, colors[r % len(colors)]))
        self.sharpness.set_data(sharp["steps"].astype(float), sharp["sharpness"], references,
                                _sharpness_note(sharp["sharpness"], snap.current_lr))
        set_live(self.sharpness, self._live)  # its reference lines may be new

    def _on_grids(self, grids: DecisionGrids) -> None:
        if grids.generation == self.engine.generation and self.loaded is not None \
                and self.loaded.extent is not None:
            self._grids = grids
            if self._live:
                self.drawing.request()  # a piece of the next drawing, a turn of its own
            else:
                self._draw_regions(grids)

    def _draw_regions(self, grids: DecisionGrids) -> None:
        self.regions.set_grids(grids.grids, grids.boundaries)
        self._grids_drawn = grids

    # landscape slice ---------------------------------------------------------------------------
    def compute_slice(self, run: int, directions: str) -> None:
        """Ask the worker for the loss on a plane through run ``run``'s weights."""
        if self.controls.playback.is_playing():
            self.controls.playback.play_button.click()  # the slice is of weights that stand still
        self.slice.set_busy(True, "computing the slice… (Cancel stops it)")
        self.engine.compute_slice(run, directions)

    def _on_slice(self, result: SliceResult) -> None:
        if result.generation != self.engine.generation:
            return
        s = result.result
        kind = "random filter-normalised directions" if s.kind == "random" else \
            "the run's two main directions of travel"
        self.slice.set_slice(s.alpha, s.beta, s.loss, s.paths,
                             f"through run {s.run + 1} at step {result.step}, {kind}")

    def _on_slice_stopped(self, generation: int, why: str) -> None:
        self.slice.set_busy(False, "cancelled" if why == "cancelled" else "")
        if why != "cancelled":
            self.show_message(f"No slice: {why}")

    # ------------------------------------------------------------------ files and lessons
    def open_experiment(self, path: str | Path) -> bool:
        """Open a network experiment file (paused); refusals are said, nothing changes."""
        try:
            config = read_json(path)
        except ConfigError as exc:
            self.show_message(str(exc))
            return False
        if not is_network_experiment(config):
            self.show_message(f"{Path(path).name} is not a network experiment (it has no "
                              "\"network\"): open it in the main window.")
            return False
        if not self.apply(copy.deepcopy(config), "", playing=False):
            return False
        self.path, self.lesson = Path(path), None
        self.controls.lesson.hide()
        self._show_config()
        self.show_message(f"Opened {Path(path).name}")
        return True

    def save_to(self, path: str | Path) -> bool:
        """Write the experiment as the CLI reads it (``python -m optim_core train FILE``)."""
        try:
            write_json(path, self.config)
        except ConfigError as exc:
            self.show_message(str(exc))
            return False
        self.path = Path(path)
        self._update_title()
        self.show_message(f"Saved {self.path.name}")
        return True

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open network experiment", "",
                                              EXPERIMENT_FILTER)
        if path:
            self.open_experiment(path)

    def _save_dialog(self) -> None:
        name = self.path.name if self.path else "network.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save network experiment", name,
                                              EXPERIMENT_FILTER)
        if path:
            self.save_to(path if path.lower().endswith(".json") else path + ".json")

    def open_lesson(self, lesson: Mapping[str, Any]) -> bool:
        """Load a lesson's experiment paused, show its panels and what to watch."""
        if not self.apply(copy.deepcopy(dict(lesson["experiment"])), "", playing=False):
            return False
        self.lesson, self.path = dict(lesson), None
        self._show_config()
        shown = lesson_panels(lesson.get("panels", ()))
        tabbed = [name for name in shown if name in self.tabs]
        if tabbed:
            self.bottom.setCurrentWidget(self.tabs[tabbed[0]])
        text = (f"<b>{html.escape(str(lesson['title']))}</b><br>"
                f"<b>Watch:</b> {html.escape(str(lesson.get('watch', '')))}")
        if lesson.get("try"):
            text += f"<br><b>Try:</b> {html.escape(str(lesson['try']))}"
        if lesson.get("lr_sweep"):
            text += (f'<br><a href="{LR_SWEEP_LINK}">Sweep the learning rate…</a> (this net, '
                     "SGD, Adam + L2 and AdamW over a grid of lrs)")
        self.controls.lesson.setText(text)
        self.controls.lesson.show()
        return True

    def _lesson_link(self, link: str) -> None:
        if link == LR_SWEEP_LINK:
            self.open_lr_sweep()

    def open_lr_sweep(self) -> LrSweepWindow:
        """Open a learning-rate sweep of the experiment as it is now (its data set, model,
        batch size and steps; SGD, Adam + L2 and AdamW checked) beside the workbench."""
        sweep = LrSweepWindow(self, network=self.config)
        sweep.show()
        sweep.raise_()
        sweep.activateWindow()
        return sweep

    # ------------------------------------------------------------------ messages and closing
    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, MESSAGE_MS)

    def shutdown(self) -> None:
        """Stop the engine thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self.drawing.stop()
        for sweep in self.findChildren(LrSweepWindow):  # its worker thread stops on close
            sweep.close()
        for signal in (self.engine.loaded, self.engine.progress, self.engine.grids,
                       self.engine.slice_ready, self.engine.slice_stopped, self.engine.message):
            signal.disconnect()
        self.engine.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _field_or_none(editor: Any, name: str) -> QWidget | None:
    try:
        return editor.field(name)
    except KeyError:
        return None


def lesson_panels(names: Sequence[str]) -> list[str]:
    """The workbench's panel names for a lesson's ``panels`` (its own words allowed)."""
    out = []
    for name in names:
        low = str(name).lower()
        key = low if low in PANEL_WORDS else next(
            (k for k, words in PANEL_WORDS.items() if any(w in low for w in words)), None)
        if key is not None and key not in out:
            out.append(key)
    return out


def _noise_note(noise_scale: np.ndarray, batch: float) -> str:
    if noise_scale.ndim != 2 or not len(noise_scale):
        return "B_simple is estimated every few steps from per-sample gradients of a probe batch."
    swamped = int(np.isnan(noise_scale).sum())
    why = (f" {swamped} of {noise_scale.size} estimates have no value: on the probe batch the "
           "noise swamps the mean gradient (B_simple too large to measure there)."
           if swamped else "")
    latest = [column[np.isfinite(column)][-1] for column in noise_scale.T
              if np.isfinite(column).any()]
    if not latest:
        return "No B_simple yet." + why
    value = float(np.median(latest))
    verdict = ("larger batches would still pay" if value > batch else
               "larger batches would mostly be wasted")
    return (f"latest B_simple ≈ {value:.3g} (median over runs) vs batch size {batch:g} "
            f"(dashed): {verdict}.{why}")


def _sharpness_note(sharpness: np.ndarray, current_lr: np.ndarray) -> str:
    if sharpness.ndim != 2 or not len(sharpness):
        return "λ_max is estimated every few steps by power iteration on Hessian-vector products."
    parts = []
    for r, value in enumerate(sharpness[-1]):
        if r < len(current_lr) and math.isfinite(float(value)) and current_lr[r] > 0:
            parts.append(f"run {r + 1}: λ_max·lr/2 = {float(value) * current_lr[r] / 2:.2g}")
    return "; ".join(parts) + " (1 = at the edge of stability)" if parts else ""
