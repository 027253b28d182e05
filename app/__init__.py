"""The application: main window, session state, worker thread, menus and file I/O glue.

The names below are imported on first use (PEP 562): ``import app.settings`` must not load the
main window, nor the engine (torch) behind it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.engine import Engine
    from app.main_window import MainWindow
    from app.session_state import SessionState
    from app.settings import Settings

_HOMES = {
    "Engine": "app.engine",
    "MainWindow": "app.main_window",
    "SessionState": "app.session_state",
    "Settings": "app.settings",
}

__all__ = ["Engine", "MainWindow", "SessionState", "Settings"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'app' has no attribute {name!r}")
