"""Typing your own function in the window: errors underlined at their column as you type (found by
the engine's parser), a formula without errors applied to the session, its minima drawn."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def _choose_custom(window) -> None:
    combo = window.controls.problem.combo()
    combo.setCurrentIndex(combo.findData("custom"))


def test_typing_underlines_errors_and_enter_applies_the_formula(qtbot, make_window) -> None:
    window = make_window()
    _choose_custom(window)
    assert window.state.problem["name"] == "custom"
    edit = window.controls.problem.formula_edit()
    field = edit.text_field()
    field.selectAll()
    qtbot.keyClicks(field, "x**2 + 10*y**2 + sin(x")
    position, _, message = edit.error()
    assert position == 20 and "never closed" in message
    (selection,) = field.extraSelections()
    assert selection.cursor.selectionStart() == 20
    qtbot.keyClick(field, Qt.Key.Key_Return)  # refused: nothing applied
    assert window.state.problem["expression"] == "(1 - x)**2 + 100*(y - x**2)**2"
    qtbot.keyClicks(field, ")")
    assert edit.error() is None and field.extraSelections() == []
    edit.view_field().setText("-3, 3, -2, 2")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.state.problem == {"name": "custom", "expression": "x**2 + 10*y**2 + sin(x)",
                                    "view": [-3.0, 3.0, -2.0, 2.0]}
    (minimum,) = window.state.problem_object.minima
    assert minimum.point == pytest.approx((-0.4502, 0.0), abs=1e-3)  # 2x + cos x = 0


@pytest.mark.parametrize(("text", "column"), [
    ("__import__('os').system('true')", 1), ("().__class__", 1), ("x + foo", 5), ("", 1),
    ("9**9**9**9", 4),
])
def test_hostile_formulas_are_refused_at_the_field(qtbot, make_window, text, column) -> None:
    window = make_window()
    _choose_custom(window)
    edit = window.controls.problem.formula_edit()
    edit.text_field().setPlainText(text)
    position, _, message = edit.error()
    assert position + 1 == column and message.startswith(f"column {column}:")
    edit.submit()
    assert window.state.problem["expression"] == "(1 - x)**2 + 100*(y - x**2)**2"
