"""Autosave and crash recovery of the experiment being edited (not its records).

A few seconds after each change the window's experiment is written to ``recovery.json`` in the
user's data folder, atomically (a temporary file, fsync, rename), with the writer's process id.
A clean exit removes it, so a recovery file found at the next start means the app was killed or
crashed mid-edit — unless the process that wrote it is still running (a second window).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer

from optim_core.errors import ConfigError
from optim_core.files import atomic_write, read_json

#: quiet time after the last change before the experiment is saved
AUTOSAVE_DELAY_MS = 3000
RECOVERY_NAME = "recovery.json"


@dataclass(frozen=True)
class Recovery:
    """An experiment left behind by a session that did not close: what and when."""

    experiment: dict[str, Any]
    saved_at: float
    path: Path

    def when(self) -> str:
        """The time it was saved, as the user's clock shows it."""
        return time.strftime("%H:%M:%S on %d %b", time.localtime(self.saved_at))


class Autosave(QObject):
    """Saves ``experiment()`` to ``folder`` :data:`AUTOSAVE_DELAY_MS` after the last change."""

    def __init__(self, folder: Path, experiment: Callable[[], dict[str, Any]],
                 parent: QObject | None = None, delay_ms: int = AUTOSAVE_DELAY_MS) -> None:
        super().__init__(parent)
        self.path = Path(folder) / RECOVERY_NAME
        self._experiment = experiment
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.save_now)
        #: the last error, or None (a failed autosave must not disturb the edit)
        self.error: str | None = None

    def changed(self) -> None:
        """Something was edited: save a few seconds from now (later edits postpone it)."""
        self._timer.start()

    def save_now(self) -> None:
        """Write the recovery file now (atomically)."""
        self._timer.stop()
        try:
            record = {"pid": os.getpid(), "saved_at": time.time(),
                      "experiment": self._experiment()}
            text = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, lambda stream: stream.write(text.encode("utf-8")))
            self.error = None
        except (ConfigError, OSError, ValueError) as exc:
            self.error = str(exc)

    def finish(self) -> None:
        """A clean exit: nothing to recover."""
        self._timer.stop()
        self.path.unlink(missing_ok=True)


def pending_recovery(folder: Path) -> Recovery | None:
    """The experiment a killed or crashed session left in ``folder``, or None.

    None as well when the file is unreadable, or its writer is still running (another window).
    """
    path = Path(folder) / RECOVERY_NAME
    if not path.is_file():
        return None
    try:
        record = read_json(path)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("experiment"), dict):
        return None
    pid = record.get("pid")
    if isinstance(pid, int) and pid != os.getpid() and _running(pid):
        return None
    saved_at = record.get("saved_at")
    return Recovery(record["experiment"],
                    float(saved_at) if isinstance(saved_at, int | float) else 0.0, path)


def _running(pid: int) -> bool:
    if isinstance(pid, bool) or pid <= 0:  # 0 and -n would ask about process groups
        return False
    try:
        os.kill(pid, 0)
    except PermissionError:  # someone else's process
        return True
    except (OverflowError, OSError):  # no such process
        return False
    return True
