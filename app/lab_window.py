"""What the lab windows share: a worker in a thread of its own, stopped before the window goes.

A lab's worker is a QObject with a ``run_job(job)`` slot, a ``cancel_event`` (threading.Event)
and the signals ``progress``, ``finished``, ``failed`` and ``cancelled``; jobs go to it as queued
signals and results come back only through its signals, so the window's thread never computes.
Closing the window disconnects the results first, cancels, then ends the thread (napari's
``cleanup()`` order), so no result arrives at a half-destroyed window.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtGui, QtWidgets

from app.gui_collector import collect_in_gui_thread


class LabWindow(QtWidgets.QMainWindow):
    """A window whose computations run in ``self.worker`` inside ``self.thread_``.

    Subclasses call :meth:`start_worker` once and implement ``_on_progress``, ``_on_finished``,
    ``_on_failed`` and ``_on_cancelled`` for the worker's signals.
    """

    job_requested = QtCore.Signal(object)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        # Escape closes a lab, as it does a dialog
        close = QtGui.QShortcut(QtGui.QKeySequence(QtCore.Qt.Key.Key_Escape), self)
        close.activated.connect(self.close)

    def start_worker(self, worker: QtCore.QObject) -> None:
        """Move ``worker`` to a new thread owned by this window and wire its signals."""
        collect_in_gui_thread()  # no garbage collection in the worker thread
        self.thread_ = QtCore.QThread(self)
        self.worker = worker
        worker.moveToThread(self.thread_)
        self.job_requested.connect(worker.run_job)
        worker.progress.connect(self._on_progress)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.cancelled.connect(self._on_cancelled)
        self.thread_.finished.connect(worker.deleteLater)
        self.thread_.start()

    def send(self, job: Any) -> None:
        """Queue ``job`` for the worker (a Cancel pressed from now on counts for it)."""
        self.worker.cancel_event.clear()
        self.job_requested.emit(job)

    def request_cancel(self) -> None:
        """Ask the running job to stop at its next check."""
        if hasattr(self, "worker"):
            self.worker.cancel_event.set()

    def cleanup(self) -> None:
        """Stop the worker: disconnect its results first, cancel, then end the thread."""
        if not hasattr(self, "worker"):
            return
        self.worker.cancel_event.set()
        for signal in (self.worker.progress, self.worker.finished, self.worker.failed,
                       self.worker.cancelled):
            signal.disconnect()
        self.job_requested.disconnect()
        self.thread_.quit()
        self.thread_.wait()
        del self.worker

    def closeEvent(self, event: Any) -> None:
        """Stop the worker thread before the window goes."""
        self.cleanup()
        super().closeEvent(event)
