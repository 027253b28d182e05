"""The learning-rate sweep window: is AdamW really "insensitive to hyperparameters"? (§6)

The user picks a problem, the optimizers to compare and a log-spaced grid of learning rates;
Run sends one :class:`SweepJob` to the window's own worker thread, which runs every (optimizer,
lr) pair with :func:`optim_core.sweep.lr_sweep` and sends the :class:`SweepResult` back by
signal, to be drawn in a :class:`widgets.lr_sweep.SweepView`. The GUI thread only sends the job,
shows progress and draws. Cancel stops the sweep between chunks of steps; closing the window
stops the thread.

Opened from the network workbench with ``network=`` its experiment, the same window sweeps that
network instead (:mod:`app.network_sweep`): its data set, model, batch size and steps, for the
optimizers checked (SGD, Adam + L2 and AdamW by default), each run judged by its final
validation loss relative to the untrained network's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from PySide6 import QtCore, QtWidgets

from app import network_sweep
from app.lab_window import LabWindow, LabWorker
from optim_core.errors import ConfigError
from optim_core.problems import PROBLEMS, make_problem
from optim_core.sweep import SweepCancelled, SweepResult, log_grid, lr_sweep
from widgets.log_slider import NumberEdit
from widgets.lr_sweep import SweepView

#: the optimizers offered, and whether each starts checked
OPTIMIZERS = (("SGD", True), ("Adam", True), ("AdamW", True), ("RMSprop", False),
              ("Adagrad", False))
DEFAULT_PROBLEM = "rosenbrock"
DEFAULT_LRS = (1e-5, 1.0, 13)
DEFAULT_STEPS = 300
FACTOR = 10.0  #: "within 10× of the best loss"
MAX_LR = 100.0


@dataclass(frozen=True)
class SweepJob:
    """What the worker runs: :func:`lr_sweep` with these arguments."""

    problem: str
    optimizers: tuple[str, ...]
    lrs: tuple[float, ...]
    steps: int
    seed: int = 0

    def run(self, *, cancelled: Callable[[], bool] | None = None,
            progress: Callable[[int, int], None] | None = None) -> SweepResult:
        """The sweep's result (ConfigError for bad input, SweepCancelled when cancelled)."""
        return lr_sweep(make_problem(self.problem), self.optimizers, self.lrs, steps=self.steps,
                        seed=self.seed, cancelled=cancelled, progress=progress)


class Worker(LabWorker):
    """Runs sweep jobs (:class:`SweepJob`, :class:`~app.network_sweep.NetworkSweepJob`: each
    has ``run(cancelled=, progress=)``) in its thread; results come back only through signals."""

    progress = QtCore.Signal(int, int)  # runs done, of all
    stopped_by = (SweepCancelled,)

    def compute(self, job: SweepJob | network_sweep.NetworkSweepJob) -> SweepResult:
        """The sweep's result."""
        return job.run(cancelled=self.cancel_event.is_set, progress=self.progress.emit)


class LrSweepWindow(LabWindow):
    """The lr sweep. ``LrSweepWindow(parent).show()`` opens it beside the main window;
    ``network=`` a network experiment's dict sweeps that network (its own runs aside)."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, seed: int = 0,
                 network: Mapping[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.network = None if network is None else copy.deepcopy(dict(network))
        self.setWindowTitle("Learning-rate sweep" if network is None
                            else "Learning-rate sweep of a network")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1100, 720)
        self.seed = seed
        self.busy = False
        self.result: SweepResult | None = None
        self.last_status = ""
        self._build()
        self.run_button.setFocus()
        self.start_worker(Worker())

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        controls = self._controls()
        self.view = SweepView()
        self.lay_out(controls, self.view,
                     "Does AdamW reach a good loss over a wider range of learning rates than SGD? "
                     "Press Run." if self.network is None else
                     "Does AdamW reach a good validation loss over a wider range of learning "
                     "rates than SGD and Adam + L2 on this network? Press Run.")

    def _controls(self) -> QtWidgets.QVBoxLayout:
        self.problem_combo = QtWidgets.QComboBox()
        for name, cls in PROBLEMS.items():  # shown by title, known by name
            self.problem_combo.addItem(cls.title, name)
        self.problem_combo.setCurrentIndex(max(0, self.problem_combo.findData(DEFAULT_PROBLEM)))
        self.optimizer_boxes: dict[str, QtWidgets.QCheckBox] = {}
        boxes = QtWidgets.QHBoxLayout()
        boxes.setSpacing(8)
        choices = (OPTIMIZERS if self.network is None else
                   [*((name, checked) for name, (_, checked) in network_sweep.OPTIMIZERS.items()),
                    (network_sweep.EXPERIMENT_RUNS, False)])
        for name, checked in choices:
            box = QtWidgets.QCheckBox(name)
            box.setChecked(checked)
            box.setToolTip(network_sweep.MEANING.get(name, "") if self.network else "")
            self.optimizer_boxes[name] = box
            boxes.addWidget(box)
        if self.network is not None:  # say which runs "its own runs" are
            own = network_sweep.chosen_runs(self.network, [network_sweep.EXPERIMENT_RUNS])
            box = self.optimizer_boxes[network_sweep.EXPERIMENT_RUNS]
            box.setToolTip(f"{box.toolTip()}: {', '.join(name for name, _ in own)}")
        lrs, steps = DEFAULT_LRS, DEFAULT_STEPS
        if self.network is not None:
            lrs, steps = network_sweep.DEFAULT_LRS, int(self.network.get("steps", steps))
        self.lr_from, self.lr_to = NumberEdit(lrs[0]), NumberEdit(lrs[1])
        for edit, name in ((self.lr_from, "lr from"), (self.lr_to, "lr to")):
            edit.setRule(lambda v: 0 < v <= MAX_LR, f"allowed: a number > 0 and ≤ {MAX_LR:g}")
            edit.setFieldName(name)
            edit.setMaximumWidth(80)
        self.count_spin = QtWidgets.QSpinBox()
        self.count_spin.setRange(2, 61)
        self.count_spin.setValue(lrs[2])
        self.count_spin.setToolTip("learning rates in the grid, evenly spaced in log scale")
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(10, 100_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setValue(steps)
        self.seed_spin = QtWidgets.QSpinBox()  # a network's: its weights' and batches' seed
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(int((self.network or {}).get("seed", self.seed)))
        self.seed_spin.setToolTip("the seed of the initial weights, the split and the "
                                  "minibatches: does the verdict survive another one?")
        buttons = self.run_controls(self.start_sweep)
        # two rows (a network's: three), so that the window fits a 1280-pixel lab screen
        rows = QtWidgets.QVBoxLayout()
        what = QtWidgets.QHBoxLayout()
        if self.network is None:
            what.addWidget(QtWidgets.QLabel("Problem"))
            what.addWidget(self.problem_combo)
        else:  # the workbench's experiment: its data set, model, batch size and seed
            self.problem_combo.hide()
            self.subject = QtWidgets.QLabel(
                f"<b>Network</b> {network_sweep.describe(self.network)}")
            self.subject.setToolTip("the network workbench's experiment when this window "
                                    "opened; change it there and open the sweep again")
            rows.addWidget(self.subject)
            what.addWidget(QtWidgets.QLabel("Optimizers"))
        what.addSpacing(10)
        what.addLayout(boxes)
        what.addStretch(1)
        grid = QtWidgets.QHBoxLayout()
        fields = [("lr from", self.lr_from), ("to", self.lr_to), ("points", self.count_spin),
                  ("steps", self.steps_spin)]
        if self.network is not None:
            fields.append(("seed", self.seed_spin))
        for label, widget in fields:
            grid.addWidget(QtWidgets.QLabel(label))
            grid.addWidget(widget)
            grid.addSpacing(4)
        grid.addStretch(1)
        for widget in buttons:
            grid.addWidget(widget)
        rows.addLayout(what)
        rows.addLayout(grid)
        return rows

    # ----------------------------------------------------------------- worker
    # ----------------------------------------------------------------- actions
    def optimizers(self) -> tuple[str, ...]:
        """The checked optimizers, in the order shown."""
        return tuple(name for name, box in self.optimizer_boxes.items() if box.isChecked())

    def job(self) -> SweepJob | network_sweep.NetworkSweepJob:
        """The sweep the controls describe; raises ConfigError for a bad grid."""
        optimizers = self.optimizers()
        if not optimizers:
            raise ConfigError("optimizers", [], "check at least one optimizer")
        for edit, name in ((self.lr_from, "lr from"), (self.lr_to, "lr to")):
            if edit.isInvalid():
                raise ConfigError(name, edit.text(), f"a number > 0 and ≤ {MAX_LR:g}")
        lrs = log_grid(self.lr_from.value(), self.lr_to.value(), self.count_spin.value())
        if self.network is not None:
            config = {**self.network, "seed": self.seed_spin.value()}
            return network_sweep.NetworkSweepJob(
                config, network_sweep.chosen_runs(config, optimizers),
                tuple(float(v) for v in lrs), self.steps_spin.value())
        return SweepJob(self.problem_combo.currentData(), optimizers,
                        tuple(float(v) for v in lrs), self.steps_spin.value(), self.seed)

    def start_sweep(self) -> None:
        """Start the sweep the controls describe in the worker thread."""
        job = self.next_job()
        if job is None:
            return
        self.progress.setRange(0, job.steps)
        self.progress.setValue(0)
        runs = len(job.optimizers) * len(job.lrs)
        self._set_status(f"Running {runs} runs of {job.steps} steps…")
        self.send(job)

    def _set_status(self, message: str) -> None:
        self.last_status = message
        self.status.setText(message)
        self.status.setToolTip(message)  # the whole of a verdict too long for the status bar

    @QtCore.Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    @QtCore.Slot()
    def _on_cancelled(self) -> None:
        self._set_busy(False)
        self.progress.setValue(0)
        self._set_status("Cancelled; the plot shows the last finished sweep.")

    @QtCore.Slot(str)
    def _on_failed(self, message: str) -> None:
        self._set_busy(False)
        self._set_status(f"error: {message}")

    @QtCore.Slot(object)
    def _on_finished(self, result: SweepResult) -> None:
        self.result = result
        self._set_busy(False)
        self.progress.setValue(self.progress.maximum())
        self.show_result(result)
        diverged = int(result.diverged.sum())
        verdict = "" if result.network is None else " " + network_sweep.verdict(result, FACTOR)
        self._set_status(f"Done: {result.diverged.size} runs"
                         + (f", {diverged} diverged." if diverged else ", none diverged.")
                         + verdict)

    # ----------------------------------------------------------------- drawing
    def show_result(self, result: SweepResult) -> None:
        """Draw ``result`` into the view."""
        if result.network is not None:
            self._show_network_result(result)
            return
        levels = result.tolerance_levels(FACTOR)
        tolerant = [None if span is None else (span[0], span[1], level)
                    for span, level in zip(result.tolerant_range(FACTOR), levels, strict=True)]
        title = PROBLEMS[result.problem].title
        start = f"({result.start[0]:g}, {result.start[1]:g})".replace("-", "−")
        self.view.show_sweep(
            result.optimizers, result.lrs, result.final_loss, result.diverged,
            f_min=result.f_min, tolerant=tolerant, factor=FACTOR, start_loss=result.start_loss,
            improvement=result.improvement(), range_at_edge=result.range_at_edge(FACTOR),
            title=f"<b>Final loss after {result.steps} steps</b> on {title}, from {start}; "
                  "every other hyperparameter at torch.optim's default "
                  "(AdamW weight_decay 0.01)")

    def _show_network_result(self, result: SweepResult) -> None:
        """A network's sweep: validation losses relative to the untrained loss (which is 1)."""
        untrained = result.start_loss
        shown = network_sweep.relative(result)
        levels = shown.tolerance_levels(FACTOR)
        tolerant = [None if span is None else (span[0], span[1], level)
                    for span, level in zip(shown.tolerant_range(FACTOR), levels, strict=True)]
        self.view.show_sweep(
            shown.optimizers, shown.lrs, shown.final_loss, shown.diverged,
            tolerant=tolerant, factor=FACTOR, start_loss=1.0,
            improvement=shown.improvement(), range_at_edge=shown.range_at_edge(FACTOR),
            y_label=f"final validation loss ÷ untrained ({untrained:.3g})",
            start_name="the untrained loss", start_legend="untrained loss",
            title=network_sweep.title(result))
