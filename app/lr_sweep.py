"""The learning-rate sweep window: is AdamW really "insensitive to hyperparameters"? (§6)

The user picks a problem, the optimizers to compare and a log-spaced grid of learning rates;
Run sends one :class:`SweepJob` to the window's own worker thread, which runs every (optimizer,
lr) pair with :func:`optim_core.sweep.lr_sweep` and sends the :class:`SweepResult` back by
signal, to be drawn in a :class:`widgets.lr_sweep.SweepView`. The GUI thread only sends the job,
shows progress and draws. Cancel stops the sweep between chunks of steps; closing the window
stops the thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

from app.lab_window import LabWindow
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


class Worker(QtCore.QObject):
    """Runs :class:`SweepJob`\\ s in its thread; results come back only through signals."""

    progress = QtCore.Signal(int, int)
    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    cancelled = QtCore.Signal()

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()

    @QtCore.Slot(object)
    def run_job(self, job: SweepJob) -> None:
        """Run ``job``; emit finished, cancelled or failed. (The window clears
        :attr:`cancel_event` when it sends a job, so a Cancel pressed before the job starts
        still counts.)"""
        try:
            result = lr_sweep(make_problem(job.problem), job.optimizers, job.lrs,
                              steps=job.steps, seed=job.seed,
                              cancelled=self.cancel_event.is_set, progress=self.progress.emit)
        except SweepCancelled:
            self.cancelled.emit()
        except (ConfigError, ValueError) as exc:
            self.failed.emit(str(exc))
        else:
            self.finished.emit(result)


class LrSweepWindow(LabWindow):
    """The lr sweep. ``LrSweepWindow(parent).show()`` opens it beside the main window."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, seed: int = 0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learning-rate sweep")
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
        central = QtWidgets.QWidget(self)
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(self._controls())
        self.view = SweepView()
        layout.addWidget(self.view, 1)
        self.setCentralWidget(central)
        self.status = QtWidgets.QLabel(
            "Does AdamW reach a good loss over a wider range of learning rates than SGD? "
            "Press Run.")
        self.statusBar().addWidget(self.status, 1)

    def _controls(self) -> QtWidgets.QVBoxLayout:
        self.problem_combo = QtWidgets.QComboBox()
        for name, cls in PROBLEMS.items():  # shown by title, known by name
            self.problem_combo.addItem(cls.title, name)
        self.problem_combo.setCurrentIndex(max(0, self.problem_combo.findData(DEFAULT_PROBLEM)))
        self.optimizer_boxes: dict[str, QtWidgets.QCheckBox] = {}
        boxes = QtWidgets.QHBoxLayout()
        boxes.setSpacing(8)
        for name, checked in OPTIMIZERS:
            box = QtWidgets.QCheckBox(name)
            box.setChecked(checked)
            self.optimizer_boxes[name] = box
            boxes.addWidget(box)
        self.lr_from, self.lr_to = NumberEdit(DEFAULT_LRS[0]), NumberEdit(DEFAULT_LRS[1])
        for edit, name in ((self.lr_from, "lr from"), (self.lr_to, "lr to")):
            edit.setRule(lambda v: 0 < v <= MAX_LR, f"allowed: a number > 0 and ≤ {MAX_LR:g}")
            edit.setFieldName(name)
            edit.setMaximumWidth(80)
        self.count_spin = QtWidgets.QSpinBox()
        self.count_spin.setRange(2, 61)
        self.count_spin.setValue(DEFAULT_LRS[2])
        self.count_spin.setToolTip("learning rates in the grid, evenly spaced in log scale")
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(10, 100_000)
        self.steps_spin.setSingleStep(100)
        self.steps_spin.setValue(DEFAULT_STEPS)
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.start_sweep)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(True)
        self.progress.setValue(0)
        # two rows, so that the window fits a 1280-pixel lab screen with room to spare
        what = QtWidgets.QHBoxLayout()
        what.addWidget(QtWidgets.QLabel("Problem"))
        what.addWidget(self.problem_combo)
        what.addSpacing(10)
        what.addLayout(boxes)
        what.addStretch(1)
        grid = QtWidgets.QHBoxLayout()
        for label, widget in (("lr from", self.lr_from), ("to", self.lr_to),
                              ("points", self.count_spin), ("steps", self.steps_spin)):
            grid.addWidget(QtWidgets.QLabel(label))
            grid.addWidget(widget)
            grid.addSpacing(4)
        grid.addStretch(1)
        for widget in (self.run_button, self.cancel_button, self.progress):
            grid.addWidget(widget)
        rows = QtWidgets.QVBoxLayout()
        rows.addLayout(what)
        rows.addLayout(grid)
        return rows

    # ----------------------------------------------------------------- worker
    # ----------------------------------------------------------------- actions
    def optimizers(self) -> tuple[str, ...]:
        """The checked optimizers, in the order shown."""
        return tuple(name for name, box in self.optimizer_boxes.items() if box.isChecked())

    def job(self) -> SweepJob:
        """The sweep the controls describe; raises ConfigError for a bad grid."""
        optimizers = self.optimizers()
        if not optimizers:
            raise ConfigError("optimizers", [], "check at least one optimizer")
        for edit, name in ((self.lr_from, "lr from"), (self.lr_to, "lr to")):
            if edit.isInvalid():
                raise ConfigError(name, edit.text(), f"a number > 0 and ≤ {MAX_LR:g}")
        lrs = log_grid(self.lr_from.value(), self.lr_to.value(), self.count_spin.value())
        return SweepJob(self.problem_combo.currentData(), optimizers,
                        tuple(float(v) for v in lrs), self.steps_spin.value(), self.seed)

    def start_sweep(self) -> None:
        """Start the sweep the controls describe in the worker thread."""
        if self.busy or not hasattr(self, "worker"):
            return
        try:
            job = self.job()
        except ConfigError as exc:
            self._set_status(f"error: {exc}")
            return
        self._set_busy(True)
        self.progress.setRange(0, job.steps)
        self.progress.setValue(0)
        runs = len(job.optimizers) * len(job.lrs)
        self._set_status(f"Running {runs} runs of {job.steps} steps…")
        self.send(job)

    def cancel(self) -> None:
        """Ask the running sweep to stop (it does so between chunks of steps)."""
        if self.busy:
            self.request_cancel()
            self._set_status("Cancelling…")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _set_status(self, message: str) -> None:
        self.last_status = message
        self.status.setText(message)

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
        self._set_status(f"Done: {result.diverged.size} runs"
                         + (f", {diverged} diverged." if diverged else ", none diverged."))

    # ----------------------------------------------------------------- drawing
    def show_result(self, result: SweepResult) -> None:
        """Draw ``result`` into the view."""
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
