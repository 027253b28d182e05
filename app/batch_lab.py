"""The batch-size lab: a window on minibatch noise and the cost of batch size (curriculum §1).

Three tabs: "Sampling" (histograms of sample averages narrowing as N grows), "Noise vs batch
size" (the measured standard error against N next to σ/√N with the finite-population correction,
and the time per gradient) and "Iterations vs computations" (one optimizer at several batch sizes,
loss against steps and against sample-gradients). Every estimate runs in the window's own worker
thread, through :mod:`optim_core.noise`; the GUI thread only sends jobs, shows progress and draws
results. Cancel stops an estimate between chunks; closing the window stops the thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PySide6 import QtCore, QtWidgets

from app.lab_window import LabWindow
from optim_core.errors import ConfigError
from optim_core.noise import (
    LECTURE_PROBS,
    LECTURE_VALUES,
    EstimateCancelled,
    IsCancelled,
    Progress,
    compare_batch_sizes,
    default_batch_sizes,
    discrete_moments,
    discrete_sample_means,
    finite_sum_problem_names,
    fit_loglog_slope,
    fit_range,
    minibatch_gradient_samples,
    noise_curve,
    per_sample_gradients,
    standard_error,
    theoretical_standard_error,
)
from optim_core.problems import PROBLEMS, FiniteSumProblem, make_problem
from widgets.batch_lab import IterationsView, NoiseCurveView, SamplingView

SAMPLING_SIZES = (1, 4, 16, 64)
COMPARE_SIZES = "1, 8, 64, M"
#: optimizer and learning rate the comparison starts with, per problem (others: Adam 0.05)
DEFAULT_RUNS = {"mean_quadratic": ("SGD", 0.05), "linear_regression": ("SGD", 0.05),
                "sigmoid_fit": ("Adam", 0.1)}
#: progress units per tab when Estimate fills all three
PART_STEPS = 1000
TAB_NAMES = ("sampling", "noise", "compare")
SOURCES = ("the slide's distribution: 1, 2, 3 with p = 0.2, 0.1, 0.7",
           "per-sample gradients, coordinate g₁", "per-sample gradients, coordinate g₂")

Compute = Callable[[FiniteSumProblem, Progress, IsCancelled], Any]


@dataclass(frozen=True)
class Job:
    """One piece of work for the worker: ``compute(problem, progress, cancelled)``."""

    kind: str
    problem: str
    compute: Compute


@dataclass(frozen=True)
class ProblemInfo:
    name: str
    default_start: tuple[float, float]
    n_samples: int


class Worker(QtCore.QObject):
    """Runs :class:`Job`\\ s in its thread; results come back only through signals."""

    progress = QtCore.Signal(int, int)
    finished = QtCore.Signal(str, object)
    failed = QtCore.Signal(str, str)
    cancelled = QtCore.Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()
        self._problems: dict[str, FiniteSumProblem] = {}

    @QtCore.Slot(object)
    def run_job(self, job: Job) -> None:
        """Run ``job``; emit finished, cancelled or failed. (The window clears
        :attr:`cancel_event` when it sends a job, so a Cancel pressed before the job starts
        still counts.)"""
        try:
            problem = self._problems.get(job.problem)
            if problem is None:
                problem = make_problem(job.problem)
                self._problems[job.problem] = problem
            result = job.compute(problem, self.progress.emit, self.cancel_event.is_set)
        except EstimateCancelled:
            self.cancelled.emit(job.kind)
        except (ConfigError, ValueError) as exc:
            self.failed.emit(job.kind, str(exc))
        else:
            self.finished.emit(job.kind, result)


# --------------------------------------------------------------------------- the computations
def _fmt_point(w: tuple[float, float]) -> str:
    return f"({w[0]:g}, {w[1]:g})".replace("-", "−")


def _info(problem: FiniteSumProblem, progress: Progress, cancelled: IsCancelled) -> ProblemInfo:
    return ProblemInfo(problem.name, problem.default_start, problem.n_samples)


def sampling_job(source: int, point: tuple[float, float], draws: int, seed: int) -> Compute:
    """Averages for each N in :data:`SAMPLING_SIZES`: of the slide's distribution (``source``
    0) or of minibatch gradients, coordinate ``source − 1``."""

    def compute(problem: FiniteSumProblem, progress: Progress,
                cancelled: IsCancelled) -> dict[str, Any]:
        gen = torch.Generator().manual_seed(seed)
        if source == 0:
            return _lecture_samples(draws, gen, progress, cancelled)
        return _gradient_samples(problem, source - 1, point, draws, gen, progress, cancelled)

    return compute


def _lecture_samples(draws: int, gen: torch.Generator, progress: Progress,
                     cancelled: IsCancelled) -> dict[str, Any]:
    mean, sigma = discrete_moments(LECTURE_VALUES, LECTURE_PROBS)
    averages = []
    for i, n in enumerate(SAMPLING_SIZES):
        if cancelled():
            raise EstimateCancelled
        averages.append(discrete_sample_means(LECTURE_VALUES, LECTURE_PROBS, n, draws,
                                              gen).numpy())
        progress(i + 1, len(SAMPLING_SIZES))
    measured = ", ".join(f"{a.std():.3f}" for a in averages)
    return dict(
        batch_sizes=list(SAMPLING_SIZES), averages=averages, mean=mean,
        std_errors=[sigma / n**0.5 for n in SAMPLING_SIZES],
        lattice=[1.0 / n for n in SAMPLING_SIZES], x_label="average of N samples",
        title=f"<b>Averages of N samples</b> from the slide's distribution (1, 2, 3 with "
              f"p = 0.2, 0.1, 0.7): mean {mean:g}, σ = {sigma:.3f}, i.i.d. draws",
        caption=f"Standard error σ/√N = {sigma:.3f}/√N, i.e. variance σ²/N (the slide writes "
                f"σ²/√N, a slip). Measured spread of the averages: {measured}.",
    )


def _gradient_samples(problem: FiniteSumProblem, j: int, point: tuple[float, float], draws: int,
                      gen: torch.Generator, progress: Progress,
                      cancelled: IsCancelled) -> dict[str, Any]:
    m = problem.n_samples
    sizes = [n for n in SAMPLING_SIZES if n <= m]
    per_sample = per_sample_gradients(problem, torch.tensor(point, dtype=torch.float64))
    averages, errors = [], []
    for i, n in enumerate(sizes):
        sample = minibatch_gradient_samples(per_sample, n, draws, gen, cancelled=cancelled)
        averages.append(sample[:, j].numpy())
        errors.append(float(standard_error(per_sample, n)[j]))
        progress(i + 1, len(sizes))
    g = float(per_sample[:, j].mean())
    measured = ", ".join(f"{np.sqrt(np.mean((a - g) ** 2)):.3g}" for a in averages)
    name = "g₁" if j == 0 else "g₂"
    return dict(
        batch_sizes=sizes, averages=averages, mean=g, std_errors=errors, lattice=None,
        x_label=f"minibatch gradient {name}",
        title=f"<b>Minibatch gradients {name}</b> of {problem.title} at w = {_fmt_point(point)}:"
              f" means of N of the M = {m} per-sample gradients, without replacement",
        caption=f"Normal curve: mean = full gradient {g:.4g}, standard error "
                f"σ/√N·√((M−N)/(M−1)) (variance σ²/N for N ≪ M; the slide's σ²/√N is a slip)."
                f" Measured: {measured}.",
    )


def noise_job(point: tuple[float, float], draws: int, seed: int) -> Compute:
    """The standard error against N = 1, 2, 4, … M, with the exact curve and slope fits."""

    def compute(problem: FiniteSumProblem, progress: Progress,
                cancelled: IsCancelled) -> dict[str, Any]:
        gen = torch.Generator().manual_seed(seed)
        m = problem.n_samples
        curve = noise_curve(problem, point, default_batch_sizes(m), draws, gen,
                            progress=progress, cancelled=cancelled)
        exact_n = np.unique(np.geomspace(1, m, 200).round())
        limit = fit_range(m)
        slopes = [fit_loglog_slope(curve.batch_sizes, curve.measured[:, j], max_x=limit)
                  for j in range(2)]
        return dict(curve=curve, exact_n=exact_n, slopes=slopes, fit_max=limit,
                    exact=theoretical_standard_error(curve.sigma, m, exact_n))

    return compute


def compare_job(run: dict[str, Any], point: tuple[float, float], sizes: list[int | None],
                steps: int, seed: int) -> Compute:
    """One optimizer at each batch size (None = M), same start and seed."""

    def compute(problem: FiniteSumProblem, progress: Progress,
                cancelled: IsCancelled) -> Any:
        m = problem.n_samples
        chosen = sorted({min(m, n or m) for n in sizes})
        return compare_batch_sizes(problem, run, point, chosen, steps, seed=seed,
                                   progress=progress, cancelled=cancelled)

    return compute


def all_tabs_job(parts: list[tuple[str, Compute]]) -> Compute:
    """The estimates of every tab, one after the other: ``{kind: result}``; progress runs once
    over all of them (each part a share of :data:`PART_STEPS`)."""

    def compute(problem: FiniteSumProblem, progress: Progress,
                cancelled: IsCancelled) -> dict[str, Any]:
        total = PART_STEPS * len(parts)
        results = {}
        for k, (kind, part) in enumerate(parts):
            def part_progress(done: int, steps: int, k: int = k) -> None:
                progress(k * PART_STEPS + int(PART_STEPS * done / max(steps, 1)), total)

            results[kind] = part(problem, part_progress, cancelled)
            progress((k + 1) * PART_STEPS, total)
        return results

    return compute


def parse_sizes(text: str) -> list[int | None]:
    """``"1, 8, 64, M"`` → ``[1, 8, 64, None]``; raises ConfigError."""
    out: list[int | None] = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if part.upper() == "M":
            out.append(None)
        elif part.isdigit() and int(part) >= 1:
            out.append(int(part))
        else:
            raise ConfigError("batch sizes", text, "positive integers or M, e.g. 1, 8, 64, M")
    if not out or len(out) > 7:
        raise ConfigError("batch sizes", text, "one to seven sizes")
    return out


# --------------------------------------------------------------------------- the window
class BatchLabWindow(LabWindow):
    """The batch-size lab. ``BatchLabWindow(parent).show()`` opens it beside the main window."""

    def __init__(self, parent: QtWidgets.QWidget | None = None, *, seed: int = 0) -> None:
        super().__init__(parent)
        self.setWindowTitle("Batch-size lab")
        self.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(1200, 720)
        self.seed = seed
        self.busy: str | None = None
        self.info: ProblemInfo | None = None
        self.last_status = ""
        self._build()
        self.estimate_button.setFocus()
        for signal in (self.x_spin.valueChanged, self.y_spin.valueChanged,
                       self.draws_spin.valueChanged, self.source_combo.currentIndexChanged,
                       self.optimizer_combo.currentIndexChanged, self.lr_spin.valueChanged,
                       self.steps_spin.valueChanged, self.sizes_edit.textEdited):
            signal.connect(self._mark_stale)
        self.start_worker(Worker())
        self._on_problem()

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        controls = self._controls()
        self.tabs = QtWidgets.QTabWidget()
        self.sampling_view = SamplingView()
        self.noise_view = NoiseCurveView()
        self.iterations_view = IterationsView()
        self.tabs.addTab(self._sampling_page(), "Sampling")
        self.tabs.addTab(self._page(None, self.noise_view), "Noise vs batch size")
        self.tabs.addTab(self._compare_page(), "Iterations vs computations")
        self.lay_out(controls, self.tabs, "Press Estimate to fill all three tabs.")

    def _controls(self) -> QtWidgets.QHBoxLayout:
        row = QtWidgets.QHBoxLayout()
        self.problem_combo = QtWidgets.QComboBox()
        for name in finite_sum_problem_names():  # shown by title, known by name
            self.problem_combo.addItem(PROBLEMS[name].title, name)
        self.problem_combo.currentIndexChanged.connect(self._on_problem)
        self.x_spin, self.y_spin = self._coordinate(), self._coordinate()
        self.draws_spin = QtWidgets.QSpinBox()
        self.draws_spin.setRange(100, 200_000)
        self.draws_spin.setSingleStep(500)
        self.draws_spin.setValue(2000)
        self.draws_spin.setToolTip("minibatch draws (sample averages) per batch size")
        self.estimate_button = QtWidgets.QPushButton("Estimate")
        self.estimate_button.setDefault(True)
        self.estimate_button.clicked.connect(self.start_estimate)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.progress.setValue(0)
        for widget in (self.problem_combo, self.x_spin, self.y_spin):
            widget.setToolTip("the finite sum and the point w the minibatch gradients are taken"
                              " at (Noise and Iterations tabs; Sampling of gradients); the "
                              "slide's distribution does not depend on them")
        for label, widget in (("Problem", self.problem_combo), ("at x", self.x_spin),
                              ("y", self.y_spin), ("draws per N", self.draws_spin)):
            row.addWidget(QtWidgets.QLabel(label))
            row.addWidget(widget)
            row.addSpacing(6)
        row.addStretch(1)
        for widget in (self.estimate_button, self.cancel_button, self.progress):
            row.addWidget(widget)
        return row

    @staticmethod
    def _coordinate() -> QtWidgets.QDoubleSpinBox:
        spin = QtWidgets.QDoubleSpinBox()
        spin.setRange(-1e4, 1e4)
        spin.setDecimals(3)
        spin.setSingleStep(0.5)
        return spin

    def _page(self, header: QtWidgets.QLayout | None,
              view: QtWidgets.QWidget) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(0, 4, 0, 0)
        if header is not None:
            layout.addLayout(header)
        layout.addWidget(view, 1)
        return page

    def _sampling_page(self) -> QtWidgets.QWidget:
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(8, 0, 8, 0)
        self.source_combo = QtWidgets.QComboBox()
        self.source_combo.addItems(SOURCES)
        header.addWidget(QtWidgets.QLabel("Average samples of"))
        header.addWidget(self.source_combo)
        header.addStretch(1)
        return self._page(header, self.sampling_view)

    def _compare_page(self) -> QtWidgets.QWidget:
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(8, 0, 8, 0)
        self.optimizer_combo = QtWidgets.QComboBox()
        self.optimizer_combo.addItems(["SGD", "Adam"])
        self.lr_spin = QtWidgets.QDoubleSpinBox()
        self.lr_spin.setDecimals(4)
        self.lr_spin.setRange(1e-4, 10.0)
        self.lr_spin.setSingleStep(0.01)
        self.steps_spin = QtWidgets.QSpinBox()
        self.steps_spin.setRange(10, 100_000)
        self.steps_spin.setValue(300)
        self.sizes_edit = QtWidgets.QLineEdit(COMPARE_SIZES)
        self.sizes_edit.setMaximumWidth(160)
        for label, widget in (("Optimizer", self.optimizer_combo), ("lr", self.lr_spin),
                              ("steps", self.steps_spin), ("batch sizes", self.sizes_edit)):
            header.addWidget(QtWidgets.QLabel(label))
            header.addWidget(widget)
            header.addSpacing(6)
        header.addStretch(1)
        return self._page(header, self.iterations_view)

    # ----------------------------------------------------------------- worker
    def _submit(self, kind: str, compute: Compute) -> None:
        self.busy = kind
        self.estimate_button.setEnabled(False)
        self.problem_combo.setEnabled(False)
        self.cancel_button.setEnabled(kind != "load")
        self.progress.setRange(0, 0 if kind == "load" else 1)
        self.progress.setValue(0)
        self._set_status("Loading the problem…" if kind == "load" else "Estimating…")
        self.send(Job(kind, self.problem_combo.currentData(), compute))

    def _idle(self, message: str) -> None:
        self.busy = None
        self.estimate_button.setEnabled(True)
        self.problem_combo.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if self.progress.maximum() == 0:  # the busy indicator of a load
            self.progress.setRange(0, 1)
        self._set_status(message)

    # ----------------------------------------------------------------- actions
    def point(self) -> tuple[float, float]:
        """The point (x, y) the estimates use."""
        return (self.x_spin.value(), self.y_spin.value())

    def _on_problem(self) -> None:
        self._submit("load", _info)

    def start_estimate(self) -> None:
        """Start the estimates of all three tabs in the worker thread (the visible tab's first,
        so it fills first)."""
        if self.busy is not None:
            return
        draws = self.draws_spin.value()
        try:
            sizes = parse_sizes(self.sizes_edit.text())
        except ConfigError as exc:
            self._set_status(f"error: {exc}")
            return
        run = {"optimizer": self.optimizer_combo.currentText(), "lr": self.lr_spin.value()}
        jobs = {
            "sampling": sampling_job(self.source_combo.currentIndex(), self.point(), draws,
                                     self.seed),
            "noise": noise_job(self.point(), draws, self.seed),
            "compare": compare_job(run, self.point(), sizes, self.steps_spin.value(),
                                   self.seed),
        }
        first = TAB_NAMES[self.tabs.currentIndex()]
        order = [first] + [kind for kind in TAB_NAMES if kind != first]
        self._submit("all", all_tabs_job([(kind, jobs[kind]) for kind in order]))

    def _mark_stale(self, *_: object) -> None:
        """A setting the plots depend on changed: say so until the next Estimate."""
        if self.busy is None and self.last_status.startswith("Done"):
            self._set_status("Settings changed: press Estimate to update the plots.")

    def cancel(self) -> None:
        """Ask the running estimate to stop (it does so between chunks)."""
        if self.busy is not None:
            self.request_cancel()
            self._set_status("Cancelling…")

    @QtCore.Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    @QtCore.Slot(str)
    def _on_cancelled(self, kind: str) -> None:
        self._idle("Cancelled; the plots show the last finished estimate.")

    @QtCore.Slot(str, str)
    def _on_failed(self, kind: str, message: str) -> None:
        self._idle(f"error: {message}")

    @QtCore.Slot(str, object)
    def _on_finished(self, kind: str, result: Any) -> None:
        if kind == "load":
            self._show_problem(result)
            self._idle(f"{result.name}: M = {result.n_samples} samples. Press Estimate.")
            return
        for part, value in result.items():
            getattr(self, f"_show_{part}")(value)
        self.progress.setValue(self.progress.maximum())
        self._idle("Done: all three tabs are filled.")

    # ----------------------------------------------------------------- drawing
    def _show_problem(self, info: ProblemInfo) -> None:
        self.info = info
        self.x_spin.setValue(info.default_start[0])
        self.y_spin.setValue(info.default_start[1])
        optimizer, lr = DEFAULT_RUNS.get(info.name, ("Adam", 0.05))
        self.optimizer_combo.setCurrentText(optimizer)
        self.lr_spin.setValue(lr)

    def _show_sampling(self, r: dict[str, Any]) -> None:
        self.sampling_view.show_samples(
            r["batch_sizes"], r["averages"], mean=r["mean"], std_errors=r["std_errors"],
            title=r["title"], x_label=r["x_label"], lattice=r["lattice"], caption=r["caption"])

    def _show_noise(self, r: dict[str, Any]) -> None:
        curve = r["curve"]
        m = curve.n_samples
        se = curve.measured
        small = curve.batch_sizes <= 64
        k = int(np.flatnonzero(small)[-1]) if small.any() else 0
        n_k = int(curve.batch_sizes[k])
        fall = se[0] / se[k]
        cost = curve.seconds_per_gradient[k] / curve.seconds_per_gradient[0]
        name = self.problem_combo.currentText()
        title = (f"<b>Standard error of the minibatch gradient</b>: {name}"
                 f" at w = {_fmt_point(curve.point)}, M = {m}, {curve.draws} draws per N")
        overhead = ": per-call overhead dominates at this size" if cost < n_k / 4 else ""
        caption = (
            f"N = 1 → {n_k}: error ÷ {fall[0]:.1f} (g₁), ÷ {fall[1]:.1f} (g₂), √{n_k} = "
            f"{n_k ** 0.5:.1f}, for {n_k}× the sample-gradients (measured time × {cost:.1f}"
            f"{overhead}). Slope fitted for N ≤ {r['fit_max']}, where √((M−N)/(M−1)) > 0.94. "
            f"At N = M every batch is the full batch: error 0, off the log axis.")
        # N = M: the draws differ from the full gradient only by rounding (~1e-16); not drawn
        se = np.where(curve.theoretical > 0, se, np.nan)
        self.noise_view.show_curve(curve.batch_sizes, se, r["exact_n"], r["exact"], r["slopes"],
                                   r["fit_max"], curve.seconds_per_gradient, title=title,
                                   caption=caption)

    def _show_compare(self, result: Any) -> None:
        loss = result.loss
        y_label = "loss f(w)"
        if result.min_loss is not None:
            loss = loss - result.min_loss
            y_label = "f(w) − f*"
        labels = [f"N = {n}" for n in result.batch_sizes]
        w = _fmt_point(self.point())
        title = (f"<b>{result.optimizer} lr = {self.lr_spin.value():g}</b> from w = {w}, "
                 f"same batches (seed {self.seed}): loss against iterations (left) and against"
                 f" sample-gradients computed (right)")
        caption = ("A step with batch size N costs N sample-gradients. Per iteration, large "
                   "batches win; per computation, small ones get further first and then stall "
                   "at their noise floor.")
        self.iterations_view.show_runs(labels, result.steps, loss, result.sample_grads,
                                       y_label=y_label, title=title, caption=caption)
