"""The left-hand controls: playback, the problem, the runs and the selected run's settings.

Only layout lives here: the editors come from :mod:`widgets`, and the main window connects them
and puts the three pages (:attr:`Controls.pages`) into docks: Playback above, Runs and Landscape
as tabs below it, so Play stays in sight while the runs are edited. Each page scrolls rather than
squeezes its editors on a short screen.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy

from widgets.editor_page import editor_page, section_heading
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
            "playback": editor_page(self.playback, stretch=False, width=WIDTH),
            "runs": editor_page(self.runs, section_heading("Selected run"), self.run_title,
                                self.run_editor, self.schedule_editor, width=WIDTH),
            "landscape": editor_page(self.problem, section_heading("Synthetic noise"),
                                     self.grad_noise, width=WIDTH),
        }

