"""Exact number entry: a number field that refuses bad input, and a log-scale slider coupled to it.

:class:`NumberEdit` is a line edit for one float, shown in ``%g`` style (``0.001``, ``3e-5``).
What the user types is checked when they press Enter or leave the field; a value that is not a
finite number, or that the field's rule refuses, is not taken: the field gets a red border and a
tooltip naming the field, the value and what is allowed, and :attr:`NumberEdit.rejected` carries
that text. :class:`LogSlider` puts a logarithmic slider (e.g. 1e-5 … 10) beside such a field.

Both emit ``valueChanged`` only for a change the user made, once per change; ``setValue`` is
silent, so a view that is told a value never echoes it back.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSlider, QHBoxLayout, QLineEdit, QSlider, QWidget

#: a red border; ``{cls}`` is the widget's Qt class (QLineEdit, QComboBox)
INVALID_STYLE = "{cls} {{ border: 1px solid #d32f2f; border-radius: 2px; padding: 1px 3px; }}"


#: keys a focused slider moves by, kept from the window's shortcuts (→ is "step" there)
SLIDER_KEYS = frozenset({
    Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
    Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End,
})


class _SliderKeys(QObject):
    """Event filter: a focused slider keeps its keys even where the window has them as
    shortcuts (accepting the ShortcutOverride event makes Qt deliver the key press instead)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() in SLIDER_KEYS
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            event.accept()
            return True
        return super().eventFilter(watched, event)


def keep_slider_keys(slider: QAbstractSlider) -> None:
    """Let ``slider``, when it has focus, move by its arrow, page and Home/End keys even if the
    window uses one of them as a shortcut."""
    slider.installEventFilter(_SliderKeys(slider))


def format_number(value: float) -> str:
    """``value`` in short ``%g`` style with a plain exponent: ``0.001``, ``3e-5``, ``1e6``."""
    text = f"{value:.10g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def parse_number(text: str) -> float | None:
    """The finite float written in ``text`` (a lone decimal comma is accepted), else ``None``."""
    text = text.strip()
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def mark_invalid(field: QWidget, message: str | None, hint: str = "") -> None:
    """Give ``field`` a red border and ``message`` as tooltip, or restore it (``message=None``)."""
    field.setProperty("invalid", bool(message))
    style = INVALID_STYLE.format(cls=field.metaObject().className())
    field.setStyleSheet(style if message else "")
    field.setToolTip(message or hint)


def refusal(name: str, text: str, allowed: str) -> str:
    """The message for refused input, like the engine's: ``lr: -1 is not allowed; allowed: …``."""
    shown = text.strip() or "an empty field"
    prefix = f"{name}: " if name else ""
    return f"{prefix}{shown} is not allowed; {allowed}"


class NumberEdit(QLineEdit):
    """A line edit holding one finite float; input the rule refuses is shown in red, not taken.

    Signals: ``valueChanged(float)`` after the user commits a new allowed value (Enter or focus
    out); ``rejected(str)`` with the message when the user commits something refused.
    """

    valueChanged = Signal(float)
    rejected = Signal(str)

    def __init__(self, value: float = 0.0, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value = float(value)
        self._name = ""
        self._hint = ""
        self._check: Callable[[float], bool] = lambda _x: True
        self._allowed = "allowed: a finite number"
        self.setText(format_number(self._value))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("0.0001") + 14)
        self.setFixedHeight(self.sizeHint().height())  # the red border must not shrink it
        self.editingFinished.connect(self._commit)
        self.textEdited.connect(self._clear_if_valid)

    def value(self) -> float:
        """The last allowed value (what the user sees unless the field is marked invalid)."""
        return self._value

    def setValue(self, value: float) -> None:
        """Show ``value`` and clear any invalid mark; emits nothing."""
        self._value = float(value)
        self.setText(format_number(self._value))
        mark_invalid(self, None, self._hint)

    def setRule(self, check: Callable[[float], bool], allowed: str) -> None:
        """Accept only numbers for which ``check`` is true; ``allowed`` says which, for messages."""
        self._check = check
        self._allowed = allowed

    def setFieldName(self, name: str) -> None:
        """The name that starts refusal messages (``lr`` → ``lr: -1 is not allowed; …``)."""
        self._name = name

    def setHint(self, hint: str) -> None:
        """The tooltip shown while the field holds a valid value."""
        self._hint = hint
        if not self.isInvalid():
            self.setToolTip(hint)

    def isInvalid(self) -> bool:
        """Whether the field shows refused input."""
        return bool(self.property("invalid"))

    def accepts(self, value: float | None) -> bool:
        """Whether ``value`` is a finite number the rule allows."""
        return value is not None and math.isfinite(value) and bool(self._check(value))

    def _commit(self) -> None:
        if not self.isModified():
            return
        self.setModified(False)
        value = parse_number(self.text())
        if not self.accepts(value):
            message = refusal(self._name, self.text(), self._allowed)
            mark_invalid(self, message)
            self.rejected.emit(message)
            return
        changed = value != self._value
        self.setValue(value)
        if changed:
            self.valueChanged.emit(value)

    def _clear_if_valid(self, text: str) -> None:
        if self.isInvalid() and self.accepts(parse_number(text)):
            mark_invalid(self, None, self._hint)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Escape throws away what was typed and shows the last allowed value again."""
        if event.key() == Qt.Key.Key_Escape and (self.isModified() or self.isInvalid()):
            self.setValue(self._value)
            self.setModified(False)
            return
        super().keyPressEvent(event)


class LogSlider(QWidget):
    """A horizontal slider on a log scale from ``minimum`` to ``maximum`` beside an exact field.

    The slider moves in steps of 1/20 decade and gives values rounded to two significant digits;
    the field takes any number its rule allows, also beyond the slider's ends (the slider then
    rests at that end). ``valueChanged(float)`` is emitted once per user change: when a drag
    ends, per key or page step on the slider, or when typed input is committed.
    """

    valueChanged = Signal(float)
    rejected = Signal(str)

    STEPS_PER_DECADE = 20

    def __init__(
        self,
        minimum: float = 1e-5,
        maximum: float = 10.0,
        value: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._slider.installEventFilter(self)
        keep_slider_keys(self._slider)
        self._edit = NumberEdit()
        self._edit.setFixedWidth(self._edit.fontMetrics().horizontalAdvance("0.00001") + 14)
        self._slider.setMinimumWidth(60)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self._slider, 1)
        layout.addWidget(self._edit)
        self._minimum, self._maximum = 1.0, 10.0
        self.setRange(minimum, maximum)
        self.setValue(minimum if value is None else value)
        self._slider.valueChanged.connect(self._slider_moved)
        self._slider.sliderReleased.connect(self._slider_released)
        self._edit.valueChanged.connect(self._typed)
        self._edit.rejected.connect(self.rejected)

    # --- public API -----------------------------------------------------------------------
    def value(self) -> float:
        """The current value (the last one committed by the user or set by ``setValue``)."""
        return self._edit.value()

    def setValue(self, value: float) -> None:
        """Show ``value`` in the field and move the slider to it; emits nothing."""
        self._edit.setValue(value)
        self._move_slider_to(value)

    def minimum(self) -> float:
        """The slider's left end."""
        return self._minimum

    def maximum(self) -> float:
        """The slider's right end."""
        return self._maximum

    def setRange(self, minimum: float, maximum: float) -> None:
        """Set the slider's ends (both > 0, ``minimum < maximum``); typed values may lie beyond."""
        if not (0 < minimum < maximum and math.isfinite(maximum)):
            raise ValueError(
                f"LogSlider range must satisfy 0 < minimum < maximum: {minimum}, {maximum}"
            )
        self._minimum, self._maximum = float(minimum), float(maximum)
        decades = math.log10(maximum / minimum)
        with QSignalBlocker(self._slider):
            self._slider.setRange(0, max(1, round(decades * self.STEPS_PER_DECADE)))
            self._slider.setPageStep(self.STEPS_PER_DECADE)
        self._edit.setRule(lambda x: minimum <= x <= maximum, _range_text(minimum, maximum))
        self._move_slider_to(self._edit.value())

    def setRule(self, check: Callable[[float], bool], allowed: str) -> None:
        """Accept typed numbers for which ``check`` is true (default: within the slider's range)."""
        self._edit.setRule(check, allowed)

    def setFieldName(self, name: str) -> None:
        """The name that starts refusal messages."""
        self._edit.setFieldName(name)

    def setHint(self, hint: str) -> None:
        """Tooltip for the slider and the field while it holds a valid value."""
        self._slider.setToolTip(hint)
        self._edit.setHint(hint)

    def numberEdit(self) -> NumberEdit:
        """The exact field."""
        return self._edit

    def slider(self) -> QSlider:
        """The log-scale slider (its positions are steps of 1/20 decade)."""
        return self._slider

    # --- slider ↔ value -------------------------------------------------------------------
    def positionValue(self, position: int) -> float:
        """The value at slider ``position``: exact at the ends, else two significant digits."""
        top = self._slider.maximum()
        if position <= 0:
            return self._minimum
        if position >= top:
            return self._maximum
        exact = self._minimum * (self._maximum / self._minimum) ** (position / top)
        rounded = float(f"{exact:.2g}")
        return rounded if self._minimum <= rounded <= self._maximum else exact

    def _position_of(self, value: float) -> int:
        if value <= self._minimum:
            return 0
        top = self._slider.maximum()
        if value >= self._maximum:
            return top
        return round(
            top * math.log(value / self._minimum) / math.log(self._maximum / self._minimum)
        )

    def _move_slider_to(self, value: float) -> None:
        with QSignalBlocker(self._slider):
            self._slider.setValue(self._position_of(value))

    def _slider_moved(self, position: int) -> None:
        value = self.positionValue(position)
        if not self._edit.accepts(value):
            self._move_slider_to(self.value())
            return
        if self._slider.isSliderDown():
            self._edit.setText(format_number(value))  # live preview; committed on release
        else:
            self._commit(value)

    def _slider_released(self) -> None:
        self._commit(self.positionValue(self._slider.value()))

    def _commit(self, value: float) -> None:
        changed = value != self.value()
        self._edit.setValue(value)
        if changed:
            self.valueChanged.emit(value)

    def _typed(self, value: float) -> None:
        self._move_slider_to(value)
        self.valueChanged.emit(value)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Let the wheel scroll the sidebar unless the slider has focus (no accidental edits)."""
        if event.type() == QEvent.Type.Wheel and not self._slider.hasFocus():
            event.ignore()
            return True
        return super().eventFilter(watched, event)


def _range_text(low: float, high: float) -> str:
    return f"allowed: a number from {format_number(low)} to {format_number(high)}"
