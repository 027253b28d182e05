"""What the lab windows share: a worker in a thread lent to it, stopped before the window goes.

A lab's worker is a QObject with a ``run_job(job)`` slot, a ``cancel_event`` (threading.Event)
and the signals ``progress``, ``finished``, ``failed`` and ``cancelled`` (:class:`LabWorker` is
one, given what to compute); jobs go to it as queued signals and results come back only through
its signals, so the window's thread never computes. Closing the window disconnects the results
first, cancels, then ends the thread (napari's ``cleanup()`` order), so no result arrives at a
half-destroyed window. The thread is lent by :mod:`app.worker_threads` and goes back to its pool;
closing waits for the job at most :data:`CLOSE_WAIT_MS` (a job that misses its cancel check
finishes after the window has gone, its result unseen, and its worker is freed then).

A lab with one job at a time has Run, Cancel and a progress bar
(:meth:`LabWindow.run_controls`) and a status line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui_collector import collect_in_gui_thread, collect_when_gone
from app.slots import calling
from app.worker_threads import Lease
from optim_core.errors import ConfigError

#: how long closing a lab waits for its job to see the cancel
CLOSE_WAIT_MS = 2000


class LabWorker(QtCore.QObject):
    """Runs each job it is sent through :meth:`compute`, in its thread: the result comes back by
    ``finished``, bad input (ConfigError, ValueError) by ``failed``, a stop asked for through
    ``cancel_event`` by ``cancelled``. Subclasses declare the ``progress`` signal."""

    finished = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    cancelled = QtCore.Signal()
    #: the exceptions by which :meth:`compute` says it stopped because ``cancel_event`` was set
    stopped_by: tuple[type[Exception], ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.cancel_event = threading.Event()

    @QtCore.Slot(object)
    def run_job(self, job: Any) -> None:
        """Run ``job``; emit finished, cancelled or failed. (The window clears
        :attr:`cancel_event` when it sends a job, so a Cancel pressed before the job starts
        still counts.)"""
        try:
            result = self.compute(job)
        except self.stopped_by:
            self.cancelled.emit()
        except (ConfigError, ValueError) as exc:
            self.failed.emit(str(exc))
        except (RuntimeError, TypeError, IndexError, MemoryError) as exc:
            # an engine failure (out of memory on a large sweep, say) stops only this job
            self.failed.emit(f"The computation stopped: {exc}")
        else:
            self.finished.emit(result)

    def compute(self, job: Any) -> Any:
        """What ``job`` asks for (in the worker's thread)."""
        raise NotImplementedError


class LabWindow(QtWidgets.QMainWindow):
    """A window whose computations run in ``self.worker`` inside ``self.thread_`` (a lease of a
    pooled thread, :class:`~app.worker_threads.Lease`).

    Subclasses call :meth:`start_worker` once and implement ``_on_progress``, ``_on_finished``,
    ``_on_failed`` and ``_on_cancelled`` for the worker's signals.
    """

    job_requested = QtCore.Signal(object)
    busy = False  #: a job of :meth:`next_job` is running
    last_status = ""  #: what the status line says (tests read it)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        collect_when_gone(self)  # its panels hang in reference cycles: freed at once
        # Escape closes a lab, as it does a dialog
        close = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), self)
        close.activated.connect(calling(self.close))

    def start_worker(self, worker: QtCore.QObject) -> None:
        """Move ``worker`` to a thread lent to this window and wire its signals."""
        collect_in_gui_thread()  # no garbage collection in the worker thread
        self.thread_ = Lease(f"optimizer-lab {type(self).__name__}")
        self.worker = worker
        # deleted (in the GUI thread) once its job is over and it is handed back
        self.thread_.move_in(worker, delete_when_back=True)
        self.job_requested.connect(worker.run_job)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)

    def lay_out(self, controls: QtWidgets.QLayout, view: QtWidgets.QWidget, status: str) -> None:
        """``controls`` above ``view`` (which gets the room), ``status`` in the status line."""
        central = QtWidgets.QWidget(self)
        layout = QtWidgets.QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 4)
        layout.addLayout(controls)
        layout.addWidget(view, 1)
        self.setCentralWidget(central)
        self.status = QtWidgets.QLabel(status)
        self.statusBar().addWidget(self.status, 1)

    def run_controls(self, start: Callable[[], None]
                     ) -> tuple[QtWidgets.QPushButton, QtWidgets.QPushButton,
                                QtWidgets.QProgressBar]:
        """``run_button`` (the default button: ``start``), ``cancel_button`` and ``progress``."""
        self.run_button = QtWidgets.QPushButton("Run")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(start)
        self.cancel_button = QtWidgets.QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setMaximumWidth(160)
        self.progress.setTextVisible(True)
        self.progress.setValue(0)
        return self.run_button, self.cancel_button, self.progress

    def job(self) -> Any:
        """The job the controls describe; raises ConfigError naming a bad field."""
        raise NotImplementedError

    def next_job(self) -> Any | None:
        """:meth:`job`, the window now busy — or None when it is busy already, closing, or a
        field is bad (the error then in the status line)."""
        if self.busy or not hasattr(self, "worker"):
            return None
        try:
            job = self.job()
        except ConfigError as exc:
            self._set_status(f"error: {exc}")
            return None
        self._set_busy(True)
        return job

    def cancel(self) -> None:
        """Ask the running job to stop (it does so at its next check)."""
        if self.busy:
            self.request_cancel()
            self._set_status("Cancelling…")

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.run_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)

    def _set_status(self, message: str) -> None:
        """Show ``message`` in the status line (the subclass's ``status`` label)."""
        self.last_status = message
        self.status.setText(message)

    def send(self, job: Any) -> None:
        """Queue ``job`` for the worker (a Cancel pressed from now on counts for it)."""
        self.worker.cancel_event.clear()
        self.job_requested.emit(job)

    def request_cancel(self) -> None:
        """Ask the running job to stop at its next check."""
        if hasattr(self, "worker"):
            self.worker.cancel_event.set()

    def cleanup(self) -> None:
        """Stop the worker: disconnect its results first, cancel, then hand the thread back
        (waiting at most :data:`CLOSE_WAIT_MS` for the job)."""
        if not hasattr(self, "worker"):
            return
        self.worker.cancel_event.set()
        for signal in (self.worker.progress, self.worker.finished, self.worker.failed,
                       self.worker.cancelled):
            signal.disconnect()
        self.job_requested.disconnect()
        self.thread_.quit()
        self.thread_.wait(CLOSE_WAIT_MS)
        del self.worker

    def closeEvent(self, event: Any) -> None:
        """Stop the worker thread before the window goes."""
        self.cleanup()
        super().closeEvent(event)
