"""The network workbench's left-hand controls: playback, the runs, the data set and the model.

Only layout lives here: the editors come from :mod:`widgets` (the same playback bar, runs table
and parameter editors as the main window) plus a few plain Qt fields for the model and the
schedule; :class:`~app.network_workbench.NetworkWorkbench` connects them.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.data_preview import DataPreview
from widgets.editor_page import editor_page, section_heading
from widgets.param_editor import ParamEditor
from widgets.playback import PlaybackBar
from widgets.run_table import RunTable

WIDTH = 330  #: the controls' preferred width in pixels
NO_SCHEDULE = "constant lr (no schedule)"


class NetworkControls(QWidget):
    """Playback above two tabs: *Runs* (the table, the selected run's settings and schedule) and
    *Data & model* (data set, its parameters and preview; model, widths, activation)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.playback = PlaybackBar()
        self.lesson = QLabel()
        self.lesson.setWordWrap(True)
        self.lesson.setTextFormat(Qt.TextFormat.RichText)
        self.lesson.setFrameShape(QFrame.Shape.StyledPanel)
        self.lesson.setContentsMargins(6, 4, 6, 4)
        self.lesson.hide()
        # runs
        self.runs = RunTable()
        self.runs.table().setSizePolicy(QSizePolicy.Policy.Expanding,
                                        QSizePolicy.Policy.Preferred)
        self.run_title = QLabel()
        self.run_title.setWordWrap(True)
        self.run_editor = ParamEditor()
        self.schedule = QComboBox()
        self.schedule.setToolTip("torch.optim.lr_scheduler, stepped once per optimizer step")
        self.schedule_editor = ParamEditor()
        # data and model
        self.dataset = QComboBox()
        self.dataset_about = QLabel()
        self.dataset_about.setWordWrap(True)
        self.dataset_editor = ParamEditor()
        self.preview = DataPreview()
        self.model = QComboBox()
        self.model.setToolTip("mlp: Linear, activation, …, Linear; cnn: two conv layers (digits)")
        self.hidden = QLineEdit()
        self.hidden.setToolTip("Hidden layer widths, e.g. 16, 16 (the CNN: two channel counts)")
        self.activation = QComboBox()
        self.model_text = QLabel()
        self.model_text.setWordWrap(True)
        model_form = QFormLayout()
        model_form.addRow("Model", self.model)
        model_form.addRow("Hidden widths", self.hidden)
        model_form.addRow("Activation", self.activation)
        model_box = QWidget()
        model_box.setLayout(model_form)
        schedule_form = QFormLayout()
        schedule_form.addRow("Schedule", self.schedule)
        schedule_box = QWidget()
        schedule_box.setLayout(schedule_form)
        schedule_form.setContentsMargins(0, 0, 0, 0)
        model_form.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.tabs.addTab(_page(self.runs, _heading("Selected run"), self.run_title,
                               self.run_editor, schedule_box, self.schedule_editor), "Runs")
        self.tabs.addTab(_page(_heading("Data set"), self.dataset, self.dataset_about,
                               self.dataset_editor, self.preview, _heading("Network"),
                               model_box, self.model_text), "Data && model")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(self.playback)
        layout.addWidget(self.lesson)
        layout.addWidget(self.tabs, 1)

    def sizeHint(self) -> QSize:
        return QSize(WIDTH, super().sizeHint().height())


def _page(*widgets: QWidget) -> QScrollArea:
    return editor_page(*widgets, side_margin=6)


def _heading(text: str) -> QLabel:
    return section_heading(text, space_above=6)
