"""Choosing the loss landscape: a list of problems, the chosen one's formula, and its parameters.

Problems arrive as plain dicts (``name``, ``title``, ``formula``, ``about``, ``is_finite_sum``,
``parameters`` — a list of parameter descriptions as :mod:`widgets.param_editor` takes them, and
for a problem the user writes, ``expression``: ``{"default": formula, "view": [x0, x1, y0, y1]}``).
A problem with ``expression`` gets a formula field (:mod:`widgets.formula_edit`); the picker only
shows errors in it, which the application finds (``formula_typed`` → :meth:`show_formula_error`).
The picker remembers the parameters last used for each problem while the list stays the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from widgets.formula_edit import FormulaEdit
from widgets.param_editor import ParamEditor


class ProblemPicker(QWidget):
    """A combo box of problems, the chosen problem's formula and notes, and its parameter form.

    Signals: ``problem_changed(str name, dict params)`` when the user picks a problem (with the
    parameters last used for it, else its defaults) or makes an allowed parameter edit (with all
    its parameters); ``message(str)`` when a parameter edit is refused; ``formula_typed(str)``
    on each edit of a formula (answer with :meth:`show_formula_error` or
    :meth:`clear_formula_error`; a formula without an error is applied as ``problem_changed``).
    """

    problem_changed = Signal(str, dict)
    message = Signal(str)
    formula_typed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._problems: dict[str, dict[str, Any]] = {}
        self._params: dict[str, dict[str, Any]] = {}
        self._combo = QComboBox()
        self._combo.setToolTip("The loss landscape the runs race on")
        self._formula = QLabel()
        self._about = QLabel()
        self._editor = ParamEditor()
        self._formula_edit = FormulaEdit()
        self._formula_edit.setVisible(False)
        self._style_labels()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self._combo, self._formula, self._about, self._formula_edit, self._editor):
            layout.addWidget(widget)
        self._combo.currentIndexChanged.connect(self._picked)
        self._editor.value_changed.connect(self._edited)
        self._editor.message.connect(self.message)
        self._formula_edit.typed.connect(self.formula_typed)
        self._formula_edit.submitted.connect(self._formula_submitted)
        self._formula_edit.message.connect(self.message)

    # --- public API -----------------------------------------------------------------------
    def set_problems(self, problems: list[Mapping[str, Any]]) -> None:
        """Offer ``problems`` (in this order); keeps the current one if it is still offered.

        Emits nothing.
        """
        current = self.current_name()
        self._problems = {str(p["name"]): dict(p) for p in problems}
        self._params = {
            name: params for name, params in self._params.items() if name in self._problems
        }
        with QSignalBlocker(self._combo):
            self._combo.clear()
            for name, problem in self._problems.items():
                self._combo.addItem(str(problem.get("title") or name), name)
                self._combo.setItemData(
                    self._combo.count() - 1, problem.get("about", ""), Qt.ItemDataRole.ToolTipRole
                )
        if current in self._problems:
            self.set_current(current, self._params.get(current))
        elif self._problems:
            self.set_current(next(iter(self._problems)))

    def set_current(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        """Show problem ``name`` with ``params`` (missing ones: last used, else defaults).

        Emits nothing; an unknown ``name`` is ignored.
        """
        index = self._combo.findData(name)
        if index < 0:
            return
        with QSignalBlocker(self._combo):
            self._combo.setCurrentIndex(index)
        self._show(name, params)

    def current_name(self) -> str:
        """The chosen problem's name (``""`` when there are none)."""
        return str(self._combo.currentData() or "")

    def current_params(self) -> dict[str, Any]:
        """The chosen problem's parameters as shown (allowed values only)."""
        return {**self._formula_params(self.current_name()), **self._editor.values()}

    def show_formula_error(self, position: int, length: int, message: str) -> None:
        """Underline the formula from ``position`` (``length`` characters) and say ``message``."""
        self._formula_edit.show_error(position, length, message)

    def clear_formula_error(self) -> None:
        """The formula as typed has no error."""
        self._formula_edit.clear_error()

    def formula_edit(self) -> FormulaEdit:
        """The formula and view fields (for tests and focus)."""
        return self._formula_edit

    def editor(self) -> ParamEditor:
        """The parameter form (for tests and focus)."""
        return self._editor

    def combo(self) -> QComboBox:
        """The combo box of problems (for tests and focus)."""
        return self._combo

    # --- internals ------------------------------------------------------------------------
    def _style_labels(self) -> None:
        for label in (self._formula, self._about):
            label.setTextFormat(Qt.TextFormat.PlainText)  # "x < 0" is not a tag
        self._formula.setWordWrap(True)
        self._formula.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        formula_font = QFont(self.font())
        formula_font.setPointSizeF(formula_font.pointSizeF() * 1.1)
        self._formula.setFont(formula_font)
        self._about.setWordWrap(True)
        about_font = QFont(self.font())
        about_font.setPointSizeF(about_font.pointSizeF() * 0.9)
        self._about.setFont(about_font)
        palette = self._about.palette()
        palette.setColor(
            QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText)
        )
        self._about.setPalette(palette)

    def _show(self, name: str, params: Mapping[str, Any] | None = None) -> None:
        problem = self._problems[name]
        typed = isinstance(problem.get("expression"), Mapping)  # the formula field shows it
        self._formula.setText(str(problem.get("formula", "")))
        self._formula.setVisible(bool(problem.get("formula")) and not typed)
        about = str(problem.get("about", ""))
        if problem.get("is_finite_sum"):
            about += ("\n" if about else "") + "A mean over samples: the batch size applies."
        self._about.setText(about)
        self._about.setVisible(bool(about))
        specs = list(problem.get("parameters", []))
        values = {**self._params.get(name, {}), **dict(params or {})}
        formula = problem.get("expression")
        self._formula_edit.setVisible(isinstance(formula, Mapping))
        if isinstance(formula, Mapping):
            text = values.get("expression", formula.get("default", ""))
            view = values.get("view", formula.get("view", (-1.0, 1.0, -1.0, 1.0)))
            if not isinstance(view, list | tuple) or len(view) != 4 \
                    or not all(isinstance(v, int | float) for v in view):
                view = formula.get("view", (-1.0, 1.0, -1.0, 1.0))
            self._formula_edit.set_formula(str(text), view)
        self._editor.set_params(specs, values)
        self._editor.setVisible(bool(specs))
        self._params[name] = {**self._formula_params(name), **self._editor.values()}

    def _picked(self, index: int) -> None:
        name = str(self._combo.itemData(index) or "")
        if name in self._problems:
            self._show(name)
            self.problem_changed.emit(name, self.current_params())

    def _edited(self, _name: str, _value: object) -> None:
        name = self.current_name()
        self._params[name] = self.current_params()
        self.problem_changed.emit(name, self.current_params())

    def _formula_submitted(self, _text: str, _view: list) -> None:
        name = self.current_name()
        if name in self._problems and isinstance(self._problems[name].get("expression"), Mapping):
            self._params[name] = self.current_params()
            self.problem_changed.emit(name, self.current_params())

    def _formula_params(self, name: str) -> dict[str, Any]:
        problem = self._problems.get(name, {})
        if not isinstance(problem.get("expression"), Mapping):
            return {}
        return {"expression": self._formula_edit.formula(), "view": self._formula_edit.view()}
