"""The playback bar: play, step and reset, and how the runs are driven (steps, batch, seed, speed,
device, dtype).

:class:`PlaybackBar` is a view. It emits a signal for each user change and is told the state
with :meth:`PlaybackBar.set_values` and :meth:`PlaybackBar.set_playing`, which emit nothing.
The keyboard shortcuts (Space, →, R) belong to the main window's actions; the tooltips name them.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.log_slider import keep_slider_keys, mark_invalid, refusal

BATCH_CHOICES = [str(2**k) for k in range(13)] + ["full"]  # 1 … 4096, full
#: steps per second on the speed slider: 1-2-3-5 per decade from 1 to 10 000, then flat out
SPEEDS: list[float | None] = [float(m * 10**e) for e in range(4) for m in (1, 2, 3, 5)] + [
    10_000.0,
    None,
]
DTYPES = ["float32", "float64"]
#: the experiment file's limits, so that every file the engine reads can be shown as it is
MAX_STEPS = 10_000_000
MAX_SEED = 2**63 - 1
BATCH_ALLOWED = "allowed: a whole number ≥ 1, or full"
BATCH_HINT = "Samples per step (a power of two is usual); full = the whole sum (plain GD)"


def parse_batch_size(text: str) -> int | bool | None:
    """``"full"`` → ``None``, a positive integer → that integer, anything else → ``False``."""
    text = text.strip().lower()
    if text == "full":
        return None
    if text.isdecimal() and int(text) >= 1:  # not isdigit(): "²" is a digit int() refuses
        return int(text)
    return False


def speed_text(speed: float | None) -> str:
    """``"30 steps/s"`` or ``"max"``."""
    return "max" if speed is None else f"{speed:g} steps/s"


class PlaybackBar(QWidget):
    """Play/Pause, Step and Reset above a compact form of run settings.

    Signals: ``play_toggled(bool)``, ``step_requested()``, ``reset_requested()``,
    ``steps_changed(int)``, ``batch_size_changed(object)`` (int, or ``None`` for the full batch),
    ``seed_changed(object)`` (an int up to 2**63 - 1), ``speed_changed(object)`` (steps per
    second, or ``None`` for as fast as possible), ``device_changed(str)``, ``dtype_changed(str)``,
    ``message(str)`` (a refused batch size, for the status bar).
    """

    play_toggled = Signal(bool)
    step_requested = Signal()
    reset_requested = Signal()
    steps_changed = Signal(int)
    batch_size_changed = Signal(object)
    seed_changed = Signal(object)  # an int wider than Qt's: seeds go up to 2**63 - 1
    speed_changed = Signal(object)
    device_changed = Signal(str)
    dtype_changed = Signal(str)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._batch_size: int | None = None
        self.play_button = self._button("Play (Space)", QStyle.StandardPixmap.SP_MediaPlay)
        self.play_button.setCheckable(True)
        self.step_button = self._button(
            "Step: one step of every run (→)", QStyle.StandardPixmap.SP_MediaSkipForward
        )
        self.reset_button = self._button(
            "Reset: back to the start points (R)", QStyle.StandardPixmap.SP_MediaSkipBackward
        )
        self.steps = self._spin(0, MAX_STEPS, "Steps to run in all")
        self.batch = self._batch_combo()
        self.seed = self._seed_spin("Random seed: the same seed draws the same batches")
        self.speed = self._speed_slider()
        self._speed_label = QLabel()
        self._speed_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("10000 steps/s"))
        self.device = self._combo([], "Where the runs compute (torch device)")
        self.dtype = self._combo(DTYPES, "Floating-point precision (torch dtype)")
        self._layout_parts()
        self._connect()
        self._fix_play_width()
        self.set_playing(False)
        self.set_values(
            steps=500, batch_size=None, seed=0, speed=30.0, device="cpu", dtype="float32"
        )

    # --- public API -----------------------------------------------------------------------
    def set_playing(self, playing: bool) -> None:
        """Show Play (``False``) or Pause (``True``); emits nothing."""
        with QSignalBlocker(self.play_button):
            self.play_button.setChecked(playing)
        self._show_playing(playing)

    def is_playing(self) -> bool:
        """Whether the bar shows the runs as playing."""
        return self.play_button.isChecked()

    def set_devices(self, devices: list[str]) -> None:
        """Offer ``devices`` (e.g. ``["cpu", "cuda:0"]``); keeps the current one if offered."""
        current = self.device.currentText()
        with QSignalBlocker(self.device):
            self.device.clear()
            self.device.addItems(devices)
            if current in devices:
                self.device.setCurrentText(current)

    def set_batch_enabled(self, enabled: bool) -> None:
        """Batch size matters only for finite-sum problems; grey it out otherwise."""
        self.batch.setEnabled(enabled)
        self._batch_label.setEnabled(enabled)
        self.batch.setToolTip(BATCH_HINT if enabled else "Only a sum over samples has batches")

    def set_values(
        self,
        *,
        steps: int,
        batch_size: int | None,
        seed: int,
        speed: float | None,
        device: str,
        dtype: str,
    ) -> None:
        """Show all settings at once; emits nothing. ``batch_size=None`` is the full batch,
        ``speed=None`` as fast as possible; a device not offered is added."""
        for widget in (self.steps, self.batch, self.seed, self.speed, self.device, self.dtype):
            widget.blockSignals(True)
        try:
            self.steps.setValue(steps)
            self._show_batch(batch_size)
            self.seed.setValue(seed)
            self.speed.setValue(self._speed_position(speed))
            self._show_speed()
            if self.device.findText(device) < 0:
                self.device.addItem(device)
            self.device.setCurrentText(device)
            self.dtype.setCurrentText(dtype)
        finally:
            for widget in (self.steps, self.batch, self.seed, self.speed, self.device, self.dtype):
                widget.blockSignals(False)

    def batch_size(self) -> int | None:
        """The batch size shown (``None``: full batch)."""
        return self._batch_size

    def speed_value(self) -> float | None:
        """Steps per second shown (``None``: as fast as possible)."""
        return SPEEDS[self.speed.value()]

    # --- building -------------------------------------------------------------------------
    def _button(self, tip: str, icon: QStyle.StandardPixmap) -> QToolButton:
        button = QToolButton()
        button.setIcon(self.style().standardIcon(icon))
        button.setText(tip.split(":")[0].split(" (")[0])
        button.setToolTip(tip)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        return button

    def _fix_play_width(self) -> None:
        """As wide as "Pause", so the buttons beside it don't jump when it toggles."""
        widths = []
        for text in ("Play", "Pause"):
            self.play_button.setText(text)
            widths.append(self.play_button.sizeHint().width())
        self.play_button.setMinimumWidth(max(widths))

    def _spin(self, low: int, high: int, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setKeyboardTracking(False)  # one signal on Enter / focus out, not per digit
        spin.setToolTip(tip)
        spin.setGroupSeparatorShown(False)
        return spin

    def _seed_spin(self, tip: str) -> QDoubleSpinBox:
        """Whole numbers up to MAX_SEED, beyond a QSpinBox's 32 bits (exact up to 2**53)."""
        spin = QDoubleSpinBox()
        spin.setDecimals(0)
        spin.setRange(0, math.nextafter(float(MAX_SEED), 0))  # the largest double ≤ MAX_SEED
        spin.setKeyboardTracking(False)
        spin.setToolTip(tip)
        spin.setGroupSeparatorShown(False)
        return spin

    def _combo(self, items: list[str], tip: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(items)
        combo.setToolTip(tip)
        return combo

    def _batch_combo(self) -> QComboBox:
        combo = QComboBox()
        combo.setEditable(True)
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.setCompleter(None)  # inline completion would turn a typed "10" into "1024"
        combo.addItems(BATCH_CHOICES)
        combo.setToolTip(BATCH_HINT)
        combo.setFixedHeight(combo.sizeHint().height())  # the red border must not shrink it
        return combo

    def _speed_slider(self) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, len(SPEEDS) - 1)
        slider.setPageStep(4)
        slider.setToolTip(
            "Steps per second (log scale, 1 … 10 000); far right: as fast as possible"
        )
        keep_slider_keys(slider)  # → on the focused slider: faster, not the window's Step
        return slider

    def _layout_parts(self) -> None:
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for button in (self.play_button, self.step_button, self.reset_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        speed = QHBoxLayout()
        speed.addWidget(self.speed, 1)
        speed.addWidget(self._speed_label)
        pair = QHBoxLayout()
        pair.addWidget(self.device, 1)
        pair.addWidget(QLabel("dtype"))
        pair.addWidget(self.dtype, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Steps", self.steps)
        self._batch_label = QLabel("Batch size")
        form.addRow(self._batch_label, self.batch)
        form.addRow("Seed", self.seed)
        form.addRow("Speed", speed)
        form.addRow("Device", pair)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(buttons)
        layout.addLayout(form)

    def _connect(self) -> None:
        self.play_button.toggled.connect(self._play_clicked)
        self.step_button.clicked.connect(self.step_requested)
        self.reset_button.clicked.connect(self.reset_requested)
        self.steps.valueChanged.connect(self.steps_changed)
        self.seed.valueChanged.connect(lambda value: self.seed_changed.emit(int(value)))
        self.batch.textActivated.connect(self._batch_committed)
        self.batch.lineEdit().editingFinished.connect(self._batch_edit_finished)
        self.batch.lineEdit().textEdited.connect(self._batch_typing)
        self.speed.valueChanged.connect(self._speed_moved)
        self.device.currentTextChanged.connect(self.device_changed)
        self.dtype.currentTextChanged.connect(self.dtype_changed)

    # --- user actions -------------------------------------------------------------------------
    def _play_clicked(self, playing: bool) -> None:
        self._show_playing(playing)
        self.play_toggled.emit(playing)

    def _show_playing(self, playing: bool) -> None:
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setText("Pause" if playing else "Play")
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.step_button.setEnabled(not playing)

    def _batch_edit_finished(self) -> None:
        if self.batch.lineEdit().isModified():
            self.batch.lineEdit().setModified(False)
            self._batch_committed(self.batch.currentText())

    def _batch_committed(self, text: str) -> None:
        size = parse_batch_size(text)
        if size is False:
            message = refusal("batch size", text, BATCH_ALLOWED)
            mark_invalid(self.batch, message)
            self.message.emit(message)
            return
        changed = size != self._batch_size
        self._show_batch(size)
        if changed:
            self.batch_size_changed.emit(size)

    def _batch_typing(self, text: str) -> None:
        if self.batch.property("invalid") and parse_batch_size(text) is not False:
            mark_invalid(self.batch, None, BATCH_HINT)

    def _show_batch(self, size: int | None) -> None:
        self._batch_size = size
        with QSignalBlocker(self.batch):
            self.batch.setEditText("full" if size is None else str(size))
        mark_invalid(self.batch, None, BATCH_HINT)

    def _speed_position(self, speed: float | None) -> int:
        if speed is None or not math.isfinite(speed):
            return len(SPEEDS) - 1
        logs = [math.log10(s) for s in SPEEDS[:-1]]
        target = math.log10(max(speed, 1e-9))
        return min(range(len(logs)), key=lambda i: abs(logs[i] - target))

    def _speed_moved(self, _position: int) -> None:
        self._show_speed()
        self.speed_changed.emit(self.speed_value())

    def _show_speed(self) -> None:
        self._speed_label.setText(speed_text(self.speed_value()))
