"""The application: main window, session state, worker thread, menus and file I/O glue."""

from app.main_window import MainWindow
from app.session_state import SessionState
from app.settings import Settings
from app.worker import Engine

__all__ = ["Engine", "MainWindow", "SessionState", "Settings"]
