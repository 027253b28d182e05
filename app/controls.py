"""The left-hand controls: playback, the problem, the runs and the selected run's settings.

Only layout lives here: the editors come from :mod:`widgets`, and the main window connects them
and puts the three pages (:attr:`Controls.pages`) into docks: Playback above, Runs and Landscape
as tabs below it, so Play stays in sight while the runs are edited. Each page scrolls rather than
squeezes its editors on a short screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from widgets.param_editor import ParamEditor
from widgets.playback import PlaybackBar
from widgets.problem_picker import ProblemPicker
from widgets.run_table import RunTable
from widgets.schedule_editor import ScheduleEditor

WIDTH = 330  #: the controls' preferred width in pixels


class Controls:
    """Every editor of the experiment, laid out on three pages: playback, runs and landscape."""

    def __init__(self) -> None:
        self.playback = PlaybackBar()
        self.problem = ProblemPicker()
        self.grad_noise = ParamEditor()
        self.runs = RunTable()
        self.run_title = QLabel()
        self.run_title.setWordWrap(True)
        self.run_editor = ParamEditor()
        self.schedule_editor = ScheduleEditor()
        self.runs.table().setSizePolicy(QSizePolicy.Policy.Expanding,
                                        QSizePolicy.Policy.Preferred)
        self.pages = {
            "playback": _page(self.playback, stretch=False),
            "runs": _page(self.runs, _heading("Selected run"), self.run_title, self.run_editor,
                          self.schedule_editor),
            "landscape": _page(self.problem, _heading("Synthetic noise"), self.grad_noise),
        }


class _Page(QScrollArea):
    """A vertical page of editors that scrolls when the screen is short."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(WIDTH, hint.height())


def _page(*widgets: QWidget, stretch: bool = True) -> QScrollArea:
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.setContentsMargins(8, 6, 8, 6)
    layout.setSpacing(6)
    for widget in widgets:
        layout.addWidget(widget)
    if stretch:
        layout.addStretch(1)
    page = _Page()
    page.setWidget(body)
    page.setWidgetResizable(True)
    page.setFrameShape(QFrame.Shape.NoFrame)
    page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    page.setMinimumWidth(280)
    if not stretch:  # as tall as its editors, no taller
        page.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        page.setMaximumHeight(body.sizeHint().height() + 4)
    return page


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, 8, 0, 0)
    return label
