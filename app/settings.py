"""What the app remembers between sessions, kept in the user's own directories (platformdirs).

Window geometry, dock layout, recent files, the playback speed and presentation mode live in an
INI file under the user's config directory; the last experiment is autosaved as JSON under the
user's data directory, next to the default folder for saved experiments. Nothing is ever written
next to the program. :meth:`Settings.ephemeral` keeps everything in a temporary directory instead
(tests, ``--screenshot``, ``--self-test``), so scripted runs leave the user's settings alone.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, QSettings

from optim_core.files import atomic_write, read_json

APP_NAME = "optimizer-lab"
MAX_RECENT = 8
PRESENTATION_SCALES = (1.0, 1.5, 2.0)  #: as widgets.style.SCALES (settings import no widgets)


def write_json(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically (raises ConfigError naming the file)."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    atomic_write(path, lambda stream: stream.write(text.encode("utf-8")))


class Settings:
    """The app's memory: a QSettings INI file and a data directory."""

    def __init__(self, config_dir: Path | None = None, data_dir: Path | None = None) -> None:
        self.config_dir = Path(config_dir or platformdirs.user_config_path(APP_NAME, False))
        self.data_dir = Path(data_dir or platformdirs.user_data_path(APP_NAME, False))
        self._qsettings = QSettings(str(self.config_dir / "settings.ini"),
                                    QSettings.Format.IniFormat)
        self._temp: tempfile.TemporaryDirectory | None = None

    @classmethod
    def ephemeral(cls) -> Settings:
        """Settings in a fresh temporary directory, removed when this object goes."""
        temp = tempfile.TemporaryDirectory(prefix="optimizer-lab-")
        settings = cls(Path(temp.name) / "config", Path(temp.name) / "data")
        settings._temp = temp
        return settings

    # ------------------------------------------------------------------ window
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_window(self, geometry: QByteArray, state: QByteArray) -> None:
        self._qsettings.setValue("window/geometry", geometry)
        self._qsettings.setValue("window/state", state)
        self._qsettings.sync()

    def _bytes(self, key: str) -> QByteArray | None:
        value = self._qsettings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # ------------------------------------------------------------------ preferences
    def speed(self, default: float | None) -> float | None:
        """The playback speed last used (steps/s; None: as fast as possible)."""
        value = self._qsettings.value("playback/speed")
        if value is None:
            return default
        if value == "max":
            return None
        try:
            speed = float(value)
        except (TypeError, ValueError):
            return default
        # a hand-edited 0 or nan stopped the engine thread's pacing with an exception per tick
        return speed if math.isfinite(speed) and speed > 0 else default

    def set_speed(self, speed: float | None) -> None:
        self._qsettings.setValue("playback/speed", "max" if speed is None else float(speed))

    def presentation_scale(self) -> float:
        """Presentation mode's scale: 1 (off), 1.5 or 2; anything else stored reads as 1."""
        try:
            scale = float(self._qsettings.value("view/presentation_scale", 1.0))
        except (TypeError, ValueError):
            return 1.0
        return scale if scale in PRESENTATION_SCALES else 1.0

    def set_presentation_scale(self, scale: float) -> None:
        self._qsettings.setValue("view/presentation_scale", float(scale))
        self._qsettings.sync()

    # ------------------------------------------------------------------ files
    def recent_files(self) -> list[str]:
        """Experiment files opened or saved lately, newest first (those that still exist)."""
        value = self._qsettings.value("files/recent", [])
        paths = [value] if isinstance(value, str) else list(value or [])
        return [p for p in paths if isinstance(p, str) and Path(p).is_file()]

    def add_recent(self, path: str | Path) -> None:
        path = str(Path(path).resolve())
        paths = [path] + [p for p in self.recent_files() if p != path]
        self._qsettings.setValue("files/recent", paths[:MAX_RECENT])
        self._qsettings.sync()

    def clear_recent(self) -> None:
        self._qsettings.setValue("files/recent", [])

    @property
    def experiments_dir(self) -> Path:
        """Where Save As starts (created on first use)."""
        path = self.data_dir / "experiments"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def autosave_path(self) -> Path:
        return self.data_dir / "last-experiment.json"

    def save_last_experiment(self, experiment: dict[str, Any]) -> None:
        """Autosave the experiment on screen (restored at the next start)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        write_json(self.autosave_path, experiment)

    def last_experiment(self) -> Any | None:
        """The autosaved experiment as parsed JSON (None: there is none, or it is unreadable)."""
        if not self.autosave_path.is_file():
            return None
        try:
            return read_json(self.autosave_path)
        except ValueError:
            return None

    def sync(self) -> None:
        self._qsettings.sync()
