"""The formula field of the problem picker: shows what it is told, underlines errors where they
are, and applies only formulas without errors."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCharFormat

from widgets.problem_picker import ProblemPicker

PROBLEMS: list[dict[str, Any]] = [
    {"name": "bowl", "title": "Bowl", "formula": "f = x² + y²", "parameters": []},
    {"name": "custom", "title": "Your own function", "formula": "f(x, y) = your formula",
     "parameters": [], "expression": {"default": "x**2 + y**2", "view": [-2, 2, -1, 3]}},
]


@pytest.fixture
def picker(qtbot) -> ProblemPicker:
    widget = ProblemPicker()
    qtbot.addWidget(widget)
    widget.set_problems(PROBLEMS)
    return widget


def test_the_formula_field_shows_only_for_a_problem_with_an_expression(picker) -> None:
    edit = picker.formula_edit()
    assert edit.isHidden()
    picker.set_current("custom")
    assert not edit.isHidden()
    assert edit.formula() == "x**2 + y**2"
    assert edit.view_field().text() == "-2, 2, -1, 3"
    assert picker.current_params() == {"expression": "x**2 + y**2", "view": [-2.0, 2.0, -1.0, 3.0]}
    picker.set_current("custom", {"expression": "sin(x)", "view": [0, 1, 0, 2]})
    assert picker.current_params() == {"expression": "sin(x)", "view": [0.0, 1.0, 0.0, 2.0]}


def test_typing_announces_each_edit_and_an_error_is_underlined_where_it_is(qtbot, picker) -> None:
    picker.set_current("custom", {"expression": ""})
    typed: list[str] = []
    picker.formula_typed.connect(typed.append)
    field = picker.formula_edit().text_field()
    qtbot.keyClicks(field, "x + foo")
    assert typed[-1] == "x + foo" and len(typed) == 7
    picker.show_formula_error(4, 3, "column 5: unknown name 'foo'")
    (selection,) = field.extraSelections()
    assert (selection.cursor.selectionStart(), selection.cursor.selectionEnd()) == (4, 7)
    assert selection.format.underlineStyle() == QTextCharFormat.UnderlineStyle.WaveUnderline
    label = picker.formula_edit().findChild(type(picker.formula_edit()._error_label),
                                            "formula_error")
    assert not label.isHidden() and "foo" in label.text()
    picker.clear_formula_error()
    assert field.extraSelections() == [] and label.isHidden()


def test_an_error_at_the_end_marks_the_last_character(qtbot, picker) -> None:
    picker.set_current("custom", {"expression": "sin(x"})
    picker.show_formula_error(5, 1, "'(' was never closed")
    (selection,) = picker.formula_edit().text_field().extraSelections()
    assert (selection.cursor.selectionStart(), selection.cursor.selectionEnd()) == (4, 5)


def test_enter_applies_a_formula_without_error_once(qtbot, picker) -> None:
    picker.set_current("custom")
    changes: list[tuple[str, dict]] = []
    picker.problem_changed.connect(lambda name, params: changes.append((name, params)))
    field = picker.formula_edit().text_field()
    qtbot.keyClicks(field, " + 1")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert changes == [("custom", {"expression": "x**2 + y**2 + 1",
                                   "view": [-2.0, 2.0, -1.0, 3.0]})]
    assert field.toPlainText() == "x**2 + y**2 + 1"  # Enter applies; it adds no line
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert len(changes) == 1  # nothing changed: nothing sent


def test_a_formula_with_an_error_is_not_applied(qtbot, picker) -> None:
    picker.set_current("custom")
    picker.formula_typed.connect(lambda text: picker.show_formula_error(0, 1, "refused"))
    changes: list[object] = []
    picker.problem_changed.connect(lambda *args: changes.append(args))
    field = picker.formula_edit().text_field()
    qtbot.keyClicks(field, "(")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert changes == []


def test_a_pause_in_typing_applies_the_formula(qtbot, picker) -> None:
    picker.set_current("custom")
    field = picker.formula_edit().text_field()
    with qtbot.waitSignal(picker.problem_changed, timeout=3000) as blocker:
        qtbot.keyClicks(field, "*2")
    assert blocker.args[1]["expression"] == "x**2 + y**2*2"


@pytest.mark.parametrize("text", ["1, 2, 3", "a, b, c, d", ""])
def test_a_view_that_is_not_four_numbers_is_refused_at_the_field(qtbot, picker, text) -> None:
    picker.set_current("custom")
    messages: list[str] = []
    changes: list[object] = []
    picker.message.connect(messages.append)
    picker.problem_changed.connect(lambda *args: changes.append(args))
    view = picker.formula_edit().view_field()
    view.setText(text)
    picker.formula_edit().submit()
    assert changes == [] and "four numbers" in messages[-1]
    assert view.property("invalid")
