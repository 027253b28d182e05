"""A form that edits named, range-checked parameters (optimizer hyperparameters, problem settings).

The form is built from plain parameter descriptions, exactly what the engine's
``ParamSpec.describe()`` returns::

    {"name": "lr", "default": 0.001, "kind": "float", "range": "[0, inf)", "low": 0.0,
     "high": None, "low_open": False, "high_open": False, "log_scale": True,
     "optional": False, "doc": "learning rate"}

``kind`` is ``float`` (a log slider when ``log_scale``, else an exact field), ``int`` (a spin box),
``bool`` (a check box) or ``pair`` (two numbers, each in the range). An ``optional`` parameter
gets a check box that turns it on and off (off is ``None``). Input outside the range is refused
at the field — red border, a tooltip and :attr:`ParamEditor.message` saying what is allowed — and
is never emitted. The widget imports nothing from the engine: it restates the range rule here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from contextlib import suppress
from html import escape
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from widgets.log_slider import LogSlider, NumberEdit

#: Words for torch.optim names whose ``doc`` is too long to be a label.
USER_WORDS = {
    "lr": "learning rate",
    "betas": "β₁, β₂",
    "eps": "ε",
    "weight_decay": "weight decay",
    "momentum": "momentum",
    "dampening": "dampening",
    "nesterov": "Nesterov",
    "amsgrad": "AMSGrad",
    "alpha": "β₂",
    "centered": "centered",
    "lr_decay": "learning-rate decay",
    "initial_accumulator_value": "initial sum",
    "bias_correction": "bias correction",
    "clip_norm": "clip gradient norm",
    "maximize": "maximize",
}
MAX_LABEL_WORDS = 20
#: longer labels put the torch name on a second line
ONE_LINE_LABEL = 22
INT_LIMIT = 2**31 - 1


# --- the range rule, restated from the description -----------------------------------------
def allowed_text(spec: Mapping[str, Any]) -> str:
    """What is allowed, as the engine says it (``ParamSpec.allowed``, "off" for null)."""
    kind = spec.get("kind", "float")
    if kind == "bool":
        text = "allowed: true or false"
    else:
        what = {"int": "an integer", "pair": "a pair of numbers"}.get(kind, "a number")
        parts = []
        if spec.get("low") is not None:
            parts.append(f"{'>' if spec.get('low_open') else '≥'} {spec['low']:g}")
        if spec.get("high") is not None:
            parts.append(f"{'<' if spec.get('high_open') else '≤'} {spec['high']:g}")
        bounds = " and ".join(parts)
        if kind == "pair" and parts:
            text = f"allowed: {what}, each {bounds}"
        else:
            text = f"allowed: {what}" + (f" {bounds}" if parts else "")
    if spec.get("optional"):
        text += ", or off"
    return text


def is_allowed(spec: Mapping[str, Any], value: float) -> bool:
    """Whether the number ``value`` lies in ``spec``'s range (for a pair: one element)."""
    if not math.isfinite(value):
        return False
    low, high = spec.get("low"), spec.get("high")
    if low is not None and (value < low or (spec.get("low_open") and value == low)):
        return False
    return not (high is not None and (value > high or (spec.get("high_open") and value == high)))


def label_text(spec: Mapping[str, Any]) -> str:
    """The row label in the user's words with the torch name visible: ``learning rate (lr)``.

    Words come from a short ``doc``, else :data:`USER_WORDS`, else the name itself.
    """
    name = spec["name"]
    words = str(spec.get("doc") or "").split(";")[0].split(" (")[0].strip()
    if not words or len(words) > MAX_LABEL_WORDS:
        words = USER_WORDS.get(name, name.replace("_", " "))
    return words if _same_words(words, name) else f"{words} ({name})"


def _same_words(words: str, name: str) -> bool:
    """``weight decay`` is ``weight_decay``: the torch name is already visible, don't repeat it."""
    return "".join(filter(str.isalnum, words.lower())) == "".join(filter(str.isalnum, name.lower()))


def _row_label(spec: Mapping[str, Any]) -> QLabel:
    """The label widget: one line, or the words over the torch name in small type when long.

    Explicit lines rather than word wrap: QFormLayout sizes wrapped labels badly (clipped rows).
    """
    text = label_text(spec)
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if len(text) > ONE_LINE_LABEL and text.endswith(f"({spec['name']})"):
        words = escape(text.removesuffix(f" ({spec['name']})"))
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setText(f"{words}<br><span style='font-size:small'>({escape(spec['name'])})</span>")
    label.setToolTip(hint_text(spec))
    return label


def hint_text(spec: Mapping[str, Any]) -> str:
    """Tooltip: the doc, then the torch name, its interval and what is allowed."""
    doc = str(spec.get("doc") or "").strip()
    where = f"{spec['name']} ∈ {spec['range']}" if spec.get("range") else spec["name"]
    rule = f"{where} — {allowed_text(spec)}"
    return f"{doc}\n{rule}" if doc else rule


def slider_ends(spec: Mapping[str, Any]) -> tuple[float, float]:
    """Ends of the log slider: the positive bounds, else four decades around the default."""
    default = spec.get("default")
    centre = float(default) if isinstance(default, int | float) and default > 0 else 1e-3
    decade = math.floor(math.log10(centre))
    low, high = spec.get("low"), spec.get("high")
    lo = float(low) if low is not None and low > 0 else 10.0 ** (decade - 4)
    hi = float(high) if high is not None and math.isfinite(high) else 10.0 ** (decade + 4)
    if spec.get("low_open") and lo == low:
        lo = math.nextafter(lo, math.inf)
    if spec.get("high_open") and hi == high:
        hi = math.nextafter(hi, -math.inf)
    if not 0 < lo < hi:
        lo, hi = 1e-5, 10.0
    return lo, hi


# --- one field per kind ----------------------------------------------------------------------
class _Field(QWidget):
    """One parameter's editor. ``committed(value)`` for an allowed user edit, ``rejected(text)``."""

    committed = Signal(object)
    rejected = Signal(str)

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__()
        self.spec = spec
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def _commit(self, value: object) -> None:
        # a Python method, not ``committed.emit``: PySide 6.11 keeps an object for good per
        # connection to a signal's emit (app/slots.py)
        self.committed.emit(value)


class _FloatField(_Field):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        if spec.get("log_scale"):
            self._edit: LogSlider | NumberEdit = LogSlider(*slider_ends(spec))
        else:
            self._edit = NumberEdit()
        self._edit.setFieldName(spec["name"])
        self._edit.setRule(lambda x: is_allowed(spec, x), allowed_text(spec))
        self._edit.setHint(hint_text(spec))
        self._edit.valueChanged.connect(self._commit)
        self._edit.rejected.connect(self.rejected)
        self._layout.addWidget(self._edit)

    def value(self) -> float:
        return self._edit.value()

    def set_value(self, value: Any) -> None:
        self._edit.setValue(_finite(value))


class _IntField(_Field):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        self._spin = QSpinBox()
        self._spin.setRange(*_int_bounds(spec))
        self._spin.setKeyboardTracking(False)  # emit on Enter / focus out, not per keystroke
        self._spin.setToolTip(hint_text(spec))
        self._spin.valueChanged.connect(self._commit)
        self._layout.addWidget(self._spin)

    def value(self) -> int:
        return self._spin.value()

    def set_value(self, value: Any) -> None:
        with QSignalBlocker(self._spin):
            self._spin.setValue(int(value))


def _finite(value: Any) -> float:
    """``value`` as a finite float; raises ValueError/TypeError for anything else."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def _int_bounds(spec: Mapping[str, Any]) -> tuple[int, int]:
    """The smallest and largest allowed integer, within a spin box's reach."""
    low, high = spec.get("low"), spec.get("high")
    lo, hi = -INT_LIMIT, INT_LIMIT
    if low is not None and math.isfinite(low):
        lo = math.floor(low) + 1 if spec.get("low_open") else math.ceil(low)
    if high is not None and math.isfinite(high):
        hi = math.ceil(high) - 1 if spec.get("high_open") else math.floor(high)
    return max(lo, -INT_LIMIT), min(hi, INT_LIMIT)


class _BoolField(_Field):
    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        self._box = QCheckBox()
        self._box.setToolTip(hint_text(spec))
        self._box.toggled.connect(self._commit)
        self._layout.addWidget(self._box)
        self._layout.addStretch(1)

    def value(self) -> bool:
        return self._box.isChecked()

    def set_value(self, value: Any) -> None:
        if value not in (True, False):
            raise TypeError(f"not a bool: {value!r}")
        with QSignalBlocker(self._box):
            self._box.setChecked(bool(value))


class _PairField(_Field):
    """Two numbers (e.g. Adam's betas), each checked against the same range."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        super().__init__(spec)
        self._edits = (NumberEdit(), NumberEdit())
        for index, edit in enumerate(self._edits):
            edit.setFieldName(f"{spec['name']}[{index}]")
            edit.setRule(lambda x: is_allowed(spec, x), allowed_text(spec))
            edit.setHint(hint_text(spec))
            edit.valueChanged.connect(lambda _x: self.committed.emit(self.value()))
            edit.rejected.connect(self.rejected)
            self._layout.addWidget(edit)

    def value(self) -> tuple[float, float]:
        return (self._edits[0].value(), self._edits[1].value())

    def set_value(self, value: Any) -> None:
        first, second = (_finite(x) for x in value)
        self._edits[0].setValue(first)
        self._edits[1].setValue(second)


class _OptionalField(_Field):
    """A check box that turns the inner field on (its value) or off (``None``)."""

    def __init__(self, spec: Mapping[str, Any], inner: _Field) -> None:
        super().__init__(spec)
        self._inner = inner
        self._on = QCheckBox()
        self._on.setToolTip(f"Use {spec['name']}; unchecked means off (None)")
        self._on.toggled.connect(self._toggled)
        inner.setEnabled(False)
        inner.committed.connect(self.committed)
        inner.rejected.connect(self.rejected)
        self._layout.addWidget(self._on)
        self._layout.addWidget(inner, 1)

    def value(self) -> Any:
        return self._inner.value() if self._on.isChecked() else None

    def set_value(self, value: Any) -> None:
        if value is not None:
            self._inner.set_value(value)  # raises for a value it cannot show: then nothing changes
        with QSignalBlocker(self._on):
            self._on.setChecked(value is not None)
        self._inner.setEnabled(value is not None)

    def _toggled(self, on: bool) -> None:
        self._inner.setEnabled(on)
        self.committed.emit(self.value())


_KINDS: dict[str, Callable[[Mapping[str, Any]], _Field]] = {
    "float": _FloatField,
    "int": _IntField,
    "bool": _BoolField,
    "pair": _PairField,
}


def _make_field(spec: Mapping[str, Any]) -> _Field:
    inner = _KINDS.get(spec.get("kind", "float"), _FloatField)(spec)
    with suppress(TypeError, ValueError, OverflowError):  # a default it cannot show: keep 0
        inner.set_value(_fallback(spec))
    return _OptionalField(spec, inner) if spec.get("optional") else inner


def _default(spec: Mapping[str, Any]) -> Any:
    """The described default, with a pair as a tuple (descriptions hold lists)."""
    default = spec.get("default")
    return tuple(default) if isinstance(default, list) else default


def _fallback(spec: Mapping[str, Any]) -> Any:
    """A value to show when a parameter is off or unset: its default, else one in range."""
    default = spec.get("default")
    kind = spec.get("kind", "float")
    if default is not None:
        return tuple(default) if kind == "pair" else default
    if kind == "bool":
        return False
    candidates = [x for x in (1.0, spec.get("low"), spec.get("high"), 0.0) if x is not None]
    number = next((x for x in candidates if is_allowed(spec, x)), 1.0)
    return (number, number) if kind == "pair" else number


# --- the form --------------------------------------------------------------------------------
class ParamEditor(QWidget):
    """A form of parameter fields built from parameter descriptions.

    Signals: ``value_changed(str name, object value)`` for each allowed user edit (a float, int,
    bool, a ``(float, float)`` tuple, or ``None`` for an optional parameter turned off);
    ``message(str)`` with the refusal text when input is refused (for the status bar).
    """

    value_changed = Signal(str, object)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._specs: list[dict[str, Any]] = []
        self._fields: dict[str, _Field] = {}

    def set_params(
        self, specs: list[dict[str, Any]], values: Mapping[str, Any] | None = None
    ) -> None:
        """Show one field per description, filled from ``values`` (defaults where missing).

        Emits nothing. Given the same descriptions as now, the fields are kept and only their
        values change, so this is safe to call from a handler of :attr:`value_changed`.
        """
        if [dict(s) for s in specs] != self._specs:
            self._rebuild(specs)
        self.set_values({s["name"]: _default(s) for s in specs} | dict(values or {}))

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (names without a field are ignored; a value that cannot be shown is
        skipped); clears refused input; emits nothing."""
        for name, value in values.items():
            field = self._fields.get(name)
            if field is None:
                continue
            try:
                field.set_value(value)
            except (TypeError, ValueError, OverflowError):
                continue

    def values(self) -> dict[str, Any]:
        """The allowed value of every parameter, by name (refused input is not included)."""
        return {name: field.value() for name, field in self._fields.items()}

    def field(self, name: str) -> QWidget:
        """The editor widget for ``name`` (for focus and tests)."""
        return self._fields[name]

    def _rebuild(self, specs: list[dict[str, Any]]) -> None:
        while self._form.rowCount():
            row = self._form.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                if item is not None and item.widget() is not None:
                    item.widget().hide()
                    item.widget().deleteLater()  # may be the sender of the current signal
        self._specs = [dict(s) for s in specs]
        self._fields = {}
        for spec in self._specs:
            self._add_row(spec)

    def _add_row(self, spec: dict[str, Any]) -> None:
        name = spec["name"]
        field = _make_field(spec)
        field.committed.connect(lambda value, name=name: self.value_changed.emit(name, value))
        field.rejected.connect(self.message)
        label = _row_label(spec)
        label.setBuddy(field)
        self._form.addRow(label, field)
        self._fields[name] = field
