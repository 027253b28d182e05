"""The main window while the engine (torch) loads in its thread: painted and answering at once.

On a cold start the window is shown seconds before the engine has loaded. Meanwhile each panel
is covered by a note, "loading the engine…" (which also keeps clicks off the landscape, where a
click would pick a start); the controls and menus that need the engine — the runs, the
landscape picker, the lessons, File, Lab, Help, Step and Reset — are greyed out; Play stays
live: pressed now, the runs play as soon as the engine is ready (the window starts the session
with the play button's state). The engine starts loading once the window is painted;
:meth:`EngineLoading.finish` puts everything back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu, QWidget

if TYPE_CHECKING:
    from app.main_window import MainWindow

TEXT = "loading the engine…"
#: the menus whose every entry needs the engine (by their titles without the & mnemonic)
MENUS = ("File", "Lessons", "Lab", "Help")
STYLE = ("background: rgba(251, 252, 253, 215); color: #475569; font-size: 13pt;"
         " font-style: italic;")


class EngineLoading(QObject):
    """Notes over the panels and greyed-out controls, from :meth:`start` to :meth:`finish`."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self._notes: dict[QWidget, QLabel] = {}
        self._disabled: list[QWidget | QAction] = []
        self._first_note: QLabel | None = None
        self.active = False

    def start(self) -> None:
        """Cover the panels and grey out what needs the engine; say so in the status bar."""
        w = self._window
        self.active = True
        for panel in (w.landscape, w.surface, w.loss, w.adaptive, w.noise, w.curvature_panel):
            note = QLabel(TEXT, panel)
            note.setObjectName("engine_loading")
            note.setAlignment(Qt.AlignmentFlag.AlignCenter)
            note.setStyleSheet(STYLE)
            note.setGeometry(panel.rect())
            note.show()
            note.raise_()
            panel.installEventFilter(self)
            self._notes[panel] = note
        self._first_note = self._notes[w.landscape]
        self._first_note.installEventFilter(self)  # its first paint starts the engine loading
        bar = w.controls.playback
        widgets: list[QWidget | QAction] = [
            bar.step_button, bar.reset_button, bar.steps, bar.batch, bar.seed, bar.speed,
            bar.device, bar.dtype, w.controls.pages["runs"], w.controls.pages["landscape"],
            w.lessons, w.actions.step, w.actions.reset]
        for menu_action in w.menuBar().actions():
            if menu_action.text().replace("&", "") in MENUS and menu_action.menu() is not None:
                widgets += _actions_of(menu_action.menu())
        for item in widgets:
            if item.isEnabled():
                item.setEnabled(False)
                self._disabled.append(item)
        w.statusBar().showMessage(f"Optimizer Lab is {TEXT} Play works already.")

    def finish(self) -> None:
        """The engine is ready: remove the notes and give the controls back."""
        if not self.active:
            return
        self.active = False
        for panel, note in self._notes.items():
            panel.removeEventFilter(self)
            note.hide()
            note.deleteLater()
        self._notes.clear()
        for item in self._disabled:
            item.setEnabled(True)
        self._disabled.clear()
        self._window.statusBar().clearMessage()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Keep each note the size of its panel; once the window is painted, start loading the
        engine (loading earlier would compete with painting for the interpreter)."""
        if event.type() == QEvent.Type.Resize and watched in self._notes:
            self._notes[watched].setGeometry(watched.rect())
        elif event.type() == QEvent.Type.Paint and watched is self._first_note:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._window.engine.start)  # after this paint
        return False


def _actions_of(menu: QMenu) -> list[QAction]:
    """Every action of ``menu`` and its submenus (their shortcuts go off with them)."""
    found: list[QAction] = []
    for action in menu.actions():
        if action.menu() is not None:  # the submenu itself too: Open Recent fills on showing
            found += [action, *_actions_of(action.menu())]
        elif not action.isSeparator():
            found.append(action)
    return found
