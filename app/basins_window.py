"""Lab → Basins of attraction: from which starts does each of two optimizers reach which minimum?

The user picks a problem, the grid and the steps, and two optimizers with their hyperparameters
(``lr=0.01, momentum=0.9``); Run sends one :class:`BasinJob` to the window's own worker thread.
The worker samples the landscape's isolines, then steps both grids of starts a chunk at a time
with :func:`optim_core.basins.basin_steps`, alternating between them, and after each chunk sends
a :class:`BasinFrame` — the map already coloured, its minima merged into one list shared by both
sides so one minimum has one colour — to be drawn by a :class:`widgets.basin_map.BasinPair`. The
GUI thread only sends the job and draws. Cancel stops between chunks; closing the window stops
the thread.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6 import QtCore, QtWidgets

from app.lab_window import LabWindow, LabWorker
from app.landscape_grid import GridCancelled, landscape_grid
from optim_core.basin_image import basin_colours, minimum_colour
from optim_core.basins import BasinMap, basin_steps, merge_minima
from optim_core.basins_cli import parse_value
from optim_core.errors import ConfigError
from optim_core.optimizers import BUILT_IN, optimizer_names
from optim_core.problems import PROBLEMS, make_problem
from widgets.basin_map import BasinPair

DEFAULT_PROBLEM = "six_hump_camel"
DEFAULT_SIDES = (("SGD", "lr=0.01"), ("SGD", "lr=0.01, momentum=0.9"))
DEFAULT_GRID = 128
DEFAULT_STEPS = 400
#: partial maps per side while computing (each is a chunk of steps)
FRAMES = 20
#: the basin picture's opacity over the landscape's isolines
ALPHA = 235


@dataclass(frozen=True)
class BasinJob:
    """What the worker runs: one basin map per side, on one problem and grid."""

    problem: str | Mapping[str, Any]
    sides: tuple[tuple[str, Mapping[str, Any]], ...]
    grid: int
    steps: int
    extent: tuple[float, float, float, float] | None = None  #: None: the problem's view


@dataclass(frozen=True)
class Isolines:
    """The landscape's isolines, ``(P, 2)`` points with NaN rows between lines."""

    polylines: np.ndarray


@dataclass(frozen=True)
class BasinFrame:
    """One side's map, ready to draw: pixels, minima (shared list), title and legend."""

    side: int
    rgba: np.ndarray
    extent: tuple[float, float, float, float]
    minima: np.ndarray
    title: str
    legend: tuple[tuple[tuple[int, int, int], str], ...]
    step: int
    steps: int
    result: BasinMap
    label: np.ndarray


def parse_hyperparameters(text: str, field: str) -> dict[str, Any]:
    """``"lr=0.01, momentum=0.9"`` → ``{"lr": 0.01, "momentum": 0.9}`` (pairs as ``0.9 0.99``
    or ``(0.9, 0.99)``); a part without ``=`` raises ConfigError naming ``field``."""
    out: dict[str, Any] = {}
    text = text.strip()
    if not text:
        return out
    parts, depth, current = [], 0, ""
    for char in text:  # split at commas outside brackets
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        if char in ";," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    for part in parts:
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ConfigError(field, part.strip(), "name=value pairs such as lr=0.01, "
                                                   "momentum=0.9")
        value = value.strip().strip("()[]")
        out[name] = parse_value(",".join(value.split()) if " " in value and "," not in value
                                else value)
    return out


def hyperparameter_text(optimizer: str, hyper: Mapping[str, Any]) -> str:
    """``lr=0.01, momentum=0.9``: the learning rate and what differs from the defaults."""
    rule = BUILT_IN.get(optimizer)
    defaults = {} if rule is None else {s.name: s.default for s in rule.hyperparameters}
    parts = []
    for name, value in hyper.items():
        if name != "lr" and name in defaults and _same(defaults[name], value):
            continue
        if isinstance(value, list | tuple):
            value = "(" + ", ".join(f"{v:g}" for v in value) + ")"
        elif isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, float):
            value = f"{value:g}"
        parts.append(f"{name}={value}")
    return ", ".join(parts)


def _same(default: Any, value: Any) -> bool:
    if isinstance(default, tuple) and isinstance(value, list | tuple):
        return tuple(default) == tuple(value)
    return default == value


def frame_of(side: int, result: BasinMap, shared: np.ndarray, label: np.ndarray) -> BasinFrame:
    """Colour ``result`` (relabelled by the ``shared`` minima) and write its title and legend."""
    rgba = basin_colours(label, result.steps_to_converge, result.steps, alpha=ALPHA)
    hyper = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                      for k, v in result.hyperparameters.items() if _shown(result, k, v))
    state = "" if result.done else f" — step {result.step} of {result.steps}…"
    title = (f"<b>{html.escape(result.optimizer)}</b> {html.escape(hyper)}"
             f"<span style='color: gray'>{state}</span>")
    values, counts = np.unique(label, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    legend = []
    for i in order[:9]:
        value, share = int(values[i]), counts[i] / label.size
        what = {-1: "diverged", -2: "not converged"}.get(value, f"minimum {value}")
        legend.append((minimum_colour(value), f"{what} {100 * share:.1f}%"))
    if len(order) > 9:
        legend.append(((128, 128, 128), f"+{len(order) - 9} more"))
    extent = (float(result.x[0]), float(result.x[-1]), float(result.y[0]), float(result.y[-1]))
    return BasinFrame(side, rgba, extent, shared.copy(), title, tuple(legend), result.step,
                      result.steps, result, label)


def _shown(result: BasinMap, name: str, value: Any) -> bool:
    """Whether a hyperparameter differs from its default (or is the learning rate)."""
    rule = BUILT_IN.get(result.optimizer)
    if name == "lr" or rule is None:
        return True
    defaults = {spec.name: spec.default for spec in rule.hyperparameters}
    return defaults.get(name) != value


class _Cancelled(Exception):
    """Cancel was pressed: stop between chunks of steps."""


class Worker(LabWorker):
    """Runs :class:`BasinJob`\\ s in its thread; results come back only through signals."""

    progress = QtCore.Signal(object)  # Isolines, then a BasinFrame per side and chunk
    stopped_by = (GridCancelled, _Cancelled)

    def compute(self, job: BasinJob) -> tuple[BasinFrame, ...]:
        """Both maps, sending the isolines, then a frame per side and chunk (the last frames
        are the result)."""
        problem = make_problem(job.problem)
        every = max(1, job.steps // FRAMES)
        maps = [basin_steps(problem, name, hyper, grid=job.grid, steps=job.steps, every=every,
                            extent=job.extent)
                for name, hyper in job.sides]
        grid = landscape_grid(problem, cancelled=self.cancel_event.is_set)
        if grid.isolines is not None:
            self.progress.emit(Isolines(np.asarray(grid.isolines[1], dtype=float)))
        shared = np.array([m.point for m in problem.minima], dtype=float).reshape(-1, 2)
        last: list[BasinFrame | None] = [None] * len(maps)
        pending = list(range(len(maps)))
        while pending:
            for side in list(pending):
                if self.cancel_event.is_set():
                    raise _Cancelled
                result = next(maps[side], None)
                if result is None:
                    pending.remove(side)
                    continue
                shared, label = merge_minima(shared, result)
                last[side] = frame_of(side, result, shared, label)
                self.progress.emit(last[side])
        return tuple(frame for frame in last if frame is not None)




class BasinsWindow(LabWindow):
    """The basins lab. ``BasinsWindow(parent).show()`` opens it beside the main window."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Basins of attraction")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1200, 720)
        self.frames: list[BasinFrame | None] = [None, None]
        self._build()
        state = getattr(parent, "state", None)  # opened from the main window: its experiment
        if state is not None:
            self.use_experiment(state.problem, [(run.optimizer, run.hyperparameters)
                                                for run in state.runs if run.enabled])
        self.run_button.setFocus()
        self.start_worker(Worker())

    def use_experiment(self, problem: Mapping[str, Any],
                       runs: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        """Start from an experiment: its problem (parameters included) and its first two runs'
        optimizers and hyperparameters (those that differ from torch.optim's defaults)."""
        name = problem.get("name")
        if name in PROBLEMS:
            title = PROBLEMS[name].title
            if dict(problem) != {"name": name}:
                title += " (as in the main window)"
            self.problem_combo.insertItem(0, title, dict(problem))
            self.problem_combo.setCurrentIndex(0)
        for side, (optimizer, hyper) in enumerate(list(runs)[:2]):
            if self.optimizer_combos[side].findText(optimizer) < 0:
                continue
            self.optimizer_combos[side].setCurrentText(optimizer)
            self.hyper_edits[side].setText(hyperparameter_text(optimizer, hyper))

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        controls = self._controls()
        self.pair = BasinPair()
        self.lay_out(controls, self.pair,
                     "Each start of the grid is coloured by the minimum it reaches, darker the "
                     "longer it took. Does momentum carry runs into other basins? Press Run.")

    def _controls(self) -> QtWidgets.QVBoxLayout:
        self.problem_combo = QtWidgets.QComboBox()
        for name, cls in PROBLEMS.items():
            self.problem_combo.addItem(cls.title, name)
        self.problem_combo.setCurrentIndex(max(0, self.problem_combo.findData(DEFAULT_PROBLEM)))
        self.grid_spin = QtWidgets.QSpinBox()
        self.grid_spin.setRange(8, 512)
        self.grid_spin.setSingleStep(32)
        self.grid_spin.setValue(DEFAULT_GRID)
        self.grid_spin.setToolTip("starts per side of the grid (up to 512 × 512)")
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(10, 100_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.area_box = QtWidgets.QCheckBox("area shown")
        self.area_box.setToolTip("map the area the plots show now (zoom in with the mouse wheel "
                                 "to see a basin boundary close up), not the problem's view")
        buttons = self.run_controls(self.start)
        top = QtWidgets.QHBoxLayout()
        for label, widget in (("Problem", self.problem_combo), ("grid", self.grid_spin),
                              ("steps", self.steps_spin)):
            top.addWidget(QtWidgets.QLabel(label))
            top.addWidget(widget)
            top.addSpacing(6)
        top.addWidget(self.area_box)
        top.addStretch(1)
        for widget in buttons:
            top.addWidget(widget)
        sides = QtWidgets.QHBoxLayout()
        self.optimizer_combos: list[QtWidgets.QComboBox] = []
        self.hyper_edits: list[QtWidgets.QLineEdit] = []
        for side, (name, hyper) in enumerate(DEFAULT_SIDES):
            combo = QtWidgets.QComboBox()
            combo.addItems([n for n in optimizer_names() if n != "LBFGS"])
            combo.setCurrentText(name)
            edit = QtWidgets.QLineEdit(hyper)
            edit.setPlaceholderText("torch.optim's defaults, or e.g. lr=0.01, momentum=0.9")
            edit.returnPressed.connect(self.start)
            self.optimizer_combos.append(combo)
            self.hyper_edits.append(edit)
            sides.addWidget(QtWidgets.QLabel("left" if side == 0 else "right"))
            sides.addWidget(combo)
            sides.addWidget(edit, 1)
            sides.addSpacing(12)
        rows = QtWidgets.QVBoxLayout()
        rows.addLayout(top)
        rows.addLayout(sides)
        return rows

    # ----------------------------------------------------------------- actions
    def job(self) -> BasinJob:
        """The maps the controls describe; raises ConfigError naming the bad field."""
        sides = []
        for side, (combo, edit) in enumerate(zip(self.optimizer_combos, self.hyper_edits,
                                                 strict=True)):
            where = "left" if side == 0 else "right"
            sides.append((combo.currentText(),
                          parse_hyperparameters(edit.text(), f"{where} hyperparameters")))
        extent = None
        if self.area_box.isChecked():
            (x0, x1), (y0, y1) = self.pair.views[0].plot.viewRange()
            extent = (float(x0), float(x1), float(y0), float(y1))
        return BasinJob(self.problem_combo.currentData(), tuple(sides), self.grid_spin.value(),
                        self.steps_spin.value(), extent)

    def start(self) -> None:
        """Start computing both maps in the worker thread."""
        job = self.next_job()
        if job is None:
            return
        self.frames = [None, None]
        self.progress.setRange(0, 2 * job.steps)
        self.progress.setValue(0)
        for view in self.pair.views:
            view.clear()
        self._set_status(f"Stepping 2 × {job.grid ** 2:,} starts for {job.steps} steps…")
        self.send(job)

    # ----------------------------------------------------------------- worker results
    @QtCore.Slot(object)
    def _on_progress(self, item: Isolines | BasinFrame) -> None:
        if isinstance(item, Isolines):
            for view in self.pair.views:
                view.set_isolines(item.polylines)
            return
        self.show_frame(item)
        self.progress.setValue(sum(f.step for f in self.frames if f is not None))

    def show_frame(self, frame: BasinFrame) -> None:
        """Draw one side's map (and the other side's minima, which may have grown)."""
        self.frames[frame.side] = frame
        self.pair.views[frame.side].set_map(frame.rgba, frame.extent, frame.minima, frame.title,
                                            frame.legend)

    @QtCore.Slot()
    def _on_cancelled(self) -> None:
        self._set_busy(False)
        self._set_status("Cancelled; the maps show how far they got.")

    @QtCore.Slot(str)
    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self._set_status(f"error: {message}")

    @QtCore.Slot(object)
    def _on_finished(self, frames: tuple[BasinFrame, ...]) -> None:
        self._set_busy(False)
        self.progress.setValue(self.progress.maximum())
        for frame in frames:
            self.show_frame(frame)
        if len(frames) == 2:
            differ = float(np.mean(frames[0].label != frames[1].label))
            seconds = sum(f.result.seconds for f in frames)
            self._set_status(f"Done in {seconds:.1f} s: the two optimizers end in different "
                             f"places from {100 * differ:.1f}% of the starts.")
