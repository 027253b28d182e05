"""The selected run's learning-rate schedule: a torch scheduler name, its arguments, its curve.

A combo box lists the schedules by ``torch.optim.lr_scheduler`` name (first: a constant lr), a
:class:`~widgets.param_editor.ParamEditor` below edits the chosen one's numbers and switches,
and a small plot draws the learning rate the run will use at each step. The widget only shows:
it is given the names, the argument descriptions and the curve, and announces the user's picks
(``schedule_picked(name or None)``) and edits (``argument_changed(name, value)``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from widgets import style
from widgets.param_editor import ParamEditor

NO_SCHEDULE = "constant lr (no schedule)"
CURVE_HEIGHT = 110  #: pixels of the lr plot
AXIS_WIDTH = 58  #: pixels of its lr axis


class ScheduleEditor(QWidget):
    """Schedule name, arguments and lr curve of one run.

    Signals: ``schedule_picked(object)`` with a scheduler name, or None for a constant lr;
    ``argument_changed(str, object)`` for an allowed edit of an argument; ``message(str)`` when
    input is refused.
    """

    schedule_picked = Signal(object)
    argument_changed = Signal(str, object)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.names = QComboBox()
        self.names.setToolTip("torch.optim.lr_scheduler, stepped once after each optimizer step "
                              "(the run restarts when its schedule changes)")
        self.names.activated.connect(self._picked)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("lr schedule", self.names)
        layout.addLayout(form)
        self.arguments = ParamEditor()
        self.arguments.value_changed.connect(self.argument_changed)
        self.arguments.message.connect(self.message)
        layout.addWidget(self.arguments)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet(f"color: {style.MUTED}")
        layout.addWidget(self.note)
        self.caption = QLabel("learning rate at each step")
        self.caption.setStyleSheet(f"color: {style.MUTED}")
        layout.addWidget(self.caption)
        self.plot = pg.PlotWidget(axisItems=style.plot_axes())
        item = self.plot.getPlotItem()
        style.style_plot(item)
        item.getAxis("left").setWidth(round(style.px(AXIS_WIDTH)))  # room for 0.0008
        item.setMenuEnabled(False)
        item.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.setFixedHeight(round(style.px(CURVE_HEIGHT)))
        self._curve = item.plot([], [])
        layout.addWidget(self.plot)
        self._names: list[str] = []

    def set_schedule(
        self,
        names: Sequence[str],
        schedule: Mapping[str, Any] | None,
        descriptions: list[dict[str, Any]],
        note: str = "",
    ) -> None:
        """Show ``schedule`` (None: constant lr) among ``names``, its editable arguments
        (``descriptions``, as :class:`ParamEditor` takes them) and a note; emits nothing."""
        current = schedule["name"] if schedule else NO_SCHEDULE
        items = [NO_SCHEDULE, *names]
        if current not in items:  # e.g. a SequentialLR from a file: shown, not offered
            items.append(current)
        with QSignalBlocker(self.names):
            if items != self._names:
                self.names.clear()
                self.names.addItems(items)
                self._names = items
            self.names.setCurrentText(current)
        self.arguments.set_params(descriptions, dict(schedule or {}))
        self.arguments.setVisible(bool(descriptions))
        self.note.setText(note)
        self.note.setVisible(bool(note))

    def set_curve(self, lr: np.ndarray, color: str) -> None:
        """Draw the learning rate at steps 1…len(lr) (empty: nothing)."""
        lr = np.asarray(lr, dtype=float)
        steps = np.arange(1, lr.size + 1)
        self._curve.setData(steps, lr, pen=style.pen(color, 2.0))
        self.plot.setVisible(lr.size > 0)
        self.caption.setVisible(lr.size > 0)
        if lr.size:
            top = float(np.nanmax(lr)) if np.isfinite(lr).any() else 1.0
            self.plot.getPlotItem().setRange(xRange=(1, max(lr.size, 2)),
                                             yRange=(0, top * 1.05 or 1.0), padding=0)

    def _picked(self, index: int) -> None:
        name = self.names.itemText(index)
        self.schedule_picked.emit(None if name == NO_SCHEDULE else name)
