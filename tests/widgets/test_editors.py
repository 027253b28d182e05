"""The control widgets: typed input is checked at the field, edits emit the right signals once,
and what the program sets is shown without being echoed back."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, Qt, SignalInstance
from PySide6.QtGui import QColor, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from widgets.log_slider import LogSlider, NumberEdit, format_number
from widgets.param_editor import ParamEditor, hint_text, label_text
from widgets.playback import BATCH_CHOICES, PlaybackBar
from widgets.problem_picker import ProblemPicker
from widgets.run_table import COLOR, ENABLED, LABEL, OPTIMIZER, STATUS, RunTable

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    # the offscreen platform says so whenever a top-level window is shown; harmless
    pytest.mark.qt_log_ignore("does not support propagateSizeHints"),
]


# --- helpers -------------------------------------------------------------------------------
def record(*signals: SignalInstance) -> list[tuple[str, tuple[Any, ...]]]:
    """Every emission of ``signals`` as ``(signal name, args)``, in order."""
    seen: list[tuple[str, tuple[Any, ...]]] = []
    for signal in signals:
        name = str(signal).split("(")[0].split()[-1]
        signal.connect(lambda *args, name=name: seen.append((name, args)))
    return seen


def emitted(seen: list[tuple[str, tuple[Any, ...]]], name: str) -> list[tuple[Any, ...]]:
    return [args for signal, args in seen if signal == name]


def type_into(qtbot, edit: QLineEdit, text: str) -> None:
    """Replace the text as a user would (with focus, so completers run), and press Enter."""
    edit.window().activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=1000)
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    if text:
        qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def spec(name: str, default: Any, kind: str = "float", **kw: Any) -> dict[str, Any]:
    """A parameter description in exactly the shape ``ParamSpec.describe()`` returns."""
    low, high = kw.get("low"), kw.get("high")
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    left = "(" if kw.get("low_open") or low is None else "["
    right = ")" if kw.get("high_open") or high is None else "]"
    return {
        "name": name,
        "default": default,
        "kind": kind,
        "range": "{true, false}" if kind == "bool" else f"{left}{lo}, {hi}{right}",
        "low": low,
        "high": high,
        "low_open": kw.get("low_open", False),
        "high_open": kw.get("high_open", False),
        "log_scale": kw.get("log_scale", False),
        "optional": kw.get("optional", False),
        "doc": kw.get("doc", ""),
    }


ADAM = [
    spec("lr", 0.001, low=0.0, log_scale=True, doc="learning rate"),
    spec(
        "betas",
        [0.9, 0.999],
        "pair",
        low=0.0,
        high=1.0,
        high_open=True,
        doc="coefficients for the running averages of the gradient and its square",
    ),
    spec(
        "eps",
        1e-8,
        low=0.0,
        low_open=True,
        log_scale=True,
        doc="term added to the denominator for numerical stability",
    ),
    spec("weight_decay", 0.0, low=0.0, doc="weight decay (L2 penalty)"),
    spec("amsgrad", False, "bool", doc="use the AMSGrad variant"),
    spec("clip_norm", None, low=0.0, low_open=True, optional=True, doc="max gradient norm"),
    spec("warmup_steps", 0, "int", low=0, high=1000, doc="warm-up steps"),
]


@pytest.fixture
def editor(qtbot) -> ParamEditor:
    widget = ParamEditor()
    qtbot.addWidget(widget)
    widget.set_params(ADAM, {})
    widget.show()
    return widget


def number_edit(editor: ParamEditor, name: str, index: int = 0) -> NumberEdit:
    return editor.field(name).findChildren(NumberEdit)[index]


# --- ParamEditor ---------------------------------------------------------------------------
def test_defaults_are_shown(editor: ParamEditor) -> None:
    assert editor.values() == {
        "lr": 0.001,
        "betas": (0.9, 0.999),
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "clip_norm": None,
        "warmup_steps": 0,
    }
    assert number_edit(editor, "eps").text() == "1e-8"


def test_typing_a_valid_lr_emits_the_float(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed, editor.message)
    type_into(qtbot, number_edit(editor, "lr"), "0.01")
    assert seen == [("value_changed", ("lr", 0.01))]
    assert editor.values()["lr"] == 0.01


def test_retyping_the_same_value_emits_nothing(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed)
    type_into(qtbot, number_edit(editor, "lr"), "1e-3")
    assert seen == []
    assert number_edit(editor, "lr").text() == "0.001"


@pytest.mark.parametrize("text", ["-1", "abc", "1e999", "", "nan", "inf", "0.1.2"])
def test_invalid_lr_is_refused_at_the_field(qtbot, editor: ParamEditor, text: str) -> None:
    seen = record(editor.value_changed, editor.message)
    edit = number_edit(editor, "lr")
    type_into(qtbot, edit, text)
    assert emitted(seen, "value_changed") == []
    [(message,)] = emitted(seen, "message")
    assert message.startswith(f"lr: {text or 'an empty field'} is not allowed")
    assert message.endswith("allowed: a number ≥ 0")
    assert edit.isInvalid() and edit.toolTip() == message
    assert editor.values()["lr"] == 0.001


def test_message_names_field_value_and_range(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.message)
    type_into(qtbot, number_edit(editor, "lr"), "-1")
    assert seen == [("message", ("lr: -1 is not allowed; allowed: a number ≥ 0",))]


def test_a_valid_value_clears_the_red_border(qtbot, editor: ParamEditor) -> None:
    edit = number_edit(editor, "lr")
    type_into(qtbot, edit, "-1")
    seen = record(editor.value_changed)
    type_into(qtbot, edit, "0.5")
    assert not edit.isInvalid()
    assert "learning rate" in edit.toolTip()
    assert seen == [("value_changed", ("lr", 0.5))]


def test_escape_restores_the_last_allowed_value(qtbot, editor: ParamEditor) -> None:
    edit = number_edit(editor, "lr")
    type_into(qtbot, edit, "abc")
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert edit.text() == "0.001" and not edit.isInvalid()


def test_open_lower_bound_refuses_zero(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed, editor.message)
    type_into(qtbot, number_edit(editor, "eps"), "0")
    assert seen == [("message", ("eps: 0 is not allowed; allowed: a number > 0",))]


def test_pair_edits_emit_the_tuple_and_refuse_each_element(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed, editor.message)
    type_into(qtbot, number_edit(editor, "betas", 0), "0.8")
    type_into(qtbot, number_edit(editor, "betas", 1), "1")
    assert seen == [
        ("value_changed", ("betas", (0.8, 0.999))),
        ("message", ("betas[1]: 1 is not allowed; allowed: a pair of numbers, each ≥ 0 and < 1",)),
    ]
    assert editor.values()["betas"] == (0.8, 0.999)


def test_bool_field_emits_on_click(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed)
    box = editor.field("amsgrad").findChild(QCheckBox)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert seen == [("value_changed", ("amsgrad", True))]
    assert editor.values()["amsgrad"] is True


def test_int_field_emits_once_on_enter(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed)
    spin = editor.field("warmup_steps").findChild(QSpinBox)
    assert (spin.minimum(), spin.maximum()) == (0, 1000)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "250")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert seen == [("value_changed", ("warmup_steps", 250))]


def test_optional_field_turns_on_edits_and_turns_off(qtbot, editor: ParamEditor) -> None:
    seen = record(editor.value_changed)
    field = editor.field("clip_norm")
    switch = field.findChildren(QCheckBox)[0]
    edit = number_edit(editor, "clip_norm")
    assert not edit.isEnabled()
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert edit.isEnabled()
    type_into(qtbot, edit, "2.5")
    type_into(qtbot, edit, "-2")
    qtbot.mouseClick(switch, Qt.MouseButton.LeftButton)
    assert emitted(seen, "value_changed") == [
        ("clip_norm", 1.0),
        ("clip_norm", 2.5),
        ("clip_norm", None),
    ]
    assert editor.values()["clip_norm"] is None


VALUES = {
    "lr": 3e-4,
    "betas": (0.5, 0.99),
    "eps": 1e-6,
    "weight_decay": 0.01,
    "amsgrad": True,
    "clip_norm": 5.0,
    "warmup_steps": 10,
}


def test_every_kind_round_trips_without_signals(qtbot) -> None:
    widget = ParamEditor()
    qtbot.addWidget(widget)
    seen = record(widget.value_changed, widget.message)
    widget.set_params(ADAM, VALUES)
    assert widget.values() == VALUES
    widget.set_values({"clip_norm": None, "amsgrad": False})
    assert widget.values() == VALUES | {"clip_norm": None, "amsgrad": False}
    assert seen == []


@pytest.mark.parametrize("odd", ["abc", None, [1], {"a": 1}, float("nan")])
def test_odd_values_from_the_program_do_not_crash(qtbot, editor: ParamEditor, odd: Any) -> None:
    before = editor.values()
    editor.set_values({name: odd for name in before} | {"unknown": 1})
    assert editor.values() == before  # (clip_norm is off already, so None changes nothing)


def test_odd_descriptions_do_not_crash(qtbot) -> None:
    widget = ParamEditor()
    qtbot.addWidget(widget)
    odd = [spec("x", "abc"), spec("y", None), spec("z", 1, "text"), spec("w", [1], "pair")]
    widget.set_params(odd, {"x": "1e999"})
    assert set(widget.values()) == {"x", "y", "z", "w"}


def test_set_params_from_a_value_changed_handler(qtbot, editor: ParamEditor) -> None:
    """An app that answers every edit with ``set_params`` must not pull the field away."""
    editor.value_changed.connect(lambda name, value: editor.set_params(ADAM, {name: value}))
    editor.value_changed.connect(lambda *_: editor.set_params(ADAM[:2], {}))
    type_into(qtbot, number_edit(editor, "lr"), "0.02")
    qtbot.wait(10)  # let deleteLater run
    assert set(editor.values()) == {"lr", "betas"}


def test_labels_are_words_with_the_torch_name() -> None:
    assert label_text(ADAM[0]) == "learning rate (lr)"
    assert label_text(ADAM[1]) == "β₁, β₂ (betas)"
    assert label_text(ADAM[3]) == "weight decay"  # the torch name is these words
    assert "lr ∈ [0, inf)" in hint_text(ADAM[0]) and "learning rate" in hint_text(ADAM[0])


# --- LogSlider -----------------------------------------------------------------------------
@pytest.fixture
def log_slider(qtbot) -> LogSlider:
    widget = LogSlider(1e-5, 10.0, 1e-3)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_format_number_is_readable() -> None:
    assert [format_number(x) for x in (0.001, 3e-5, 1e-8, 0.9, 10.0, 2.5e7)] == [
        "0.001",
        "3e-5",
        "1e-8",
        "0.9",
        "10",
        "25000000",
    ]


def test_set_value_moves_the_slider_silently(log_slider: LogSlider) -> None:
    seen = record(log_slider.valueChanged)
    log_slider.setValue(0.01)
    slider = log_slider.slider()
    assert seen == []
    assert log_slider.numberEdit().text() == "0.01"
    assert log_slider.positionValue(slider.value()) == pytest.approx(0.01)
    assert slider.value() == 3 * LogSlider.STEPS_PER_DECADE  # 1e-5 → 1e-2: three decades


def test_slider_key_step_emits_once_and_updates_the_field(qtbot, log_slider: LogSlider) -> None:
    seen = record(log_slider.valueChanged)
    slider = log_slider.slider()
    before = slider.value()
    qtbot.keyClick(slider, Qt.Key.Key_Right)
    value = log_slider.value()
    assert slider.value() == before + 1
    assert seen == [("valueChanged", (value,))]
    assert value == pytest.approx(1e-3 * 10 ** (1 / LogSlider.STEPS_PER_DECADE), rel=0.05)
    assert log_slider.numberEdit().text() == format_number(value)


def test_slider_drag_emits_once_on_release(log_slider: LogSlider) -> None:
    seen = record(log_slider.valueChanged)
    slider = log_slider.slider()
    slider.setSliderDown(True)
    for position in range(slider.value() + 1, slider.value() + 10):
        slider.setValue(position)
    assert seen == []
    assert log_slider.numberEdit().text() == format_number(log_slider.positionValue(position))
    slider.setSliderDown(False)
    assert seen == [("valueChanged", (log_slider.positionValue(position),))]


def wheel(widget: QWidget) -> None:
    event = QWheelEvent(
        QPointF(5, 5),
        QPointF(widget.mapToGlobal(QPoint(5, 5))),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_scrolls_past_an_unfocused_slider(qtbot, log_slider: LogSlider) -> None:
    """In a scrolling sidebar the wheel must not change a value the user did not pick."""
    seen = record(log_slider.valueChanged)
    log_slider.window().activateWindow()
    for widget in (log_slider.numberEdit(), log_slider.slider()):
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus, timeout=1000)
        wheel(log_slider.slider())
    assert len(seen) == 1 and log_slider.value() > 1e-3  # only the focused slider took it


def test_typed_value_moves_the_slider(qtbot, log_slider: LogSlider) -> None:
    seen = record(log_slider.valueChanged, log_slider.rejected)
    type_into(qtbot, log_slider.numberEdit(), "1e-4")
    assert seen == [("valueChanged", (1e-4,))]
    assert log_slider.slider().value() == LogSlider.STEPS_PER_DECADE
    type_into(qtbot, log_slider.numberEdit(), "100")  # beyond the slider: refused by default
    assert seen[-1][0] == "rejected" and log_slider.value() == 1e-4


def test_rule_may_allow_values_beyond_the_slider(qtbot, log_slider: LogSlider) -> None:
    log_slider.setRule(lambda x: x >= 0, "allowed: a number ≥ 0")
    type_into(qtbot, log_slider.numberEdit(), "100")
    assert log_slider.value() == 100.0
    assert log_slider.slider().value() == log_slider.slider().maximum()


# --- RunTable ------------------------------------------------------------------------------
ROWS = [
    {
        "label": "SGD",
        "optimizer": "SGD",
        "color": "#1f77b4",
        "enabled": True,
        "summary": "lr=0.01",
        "status": "ok",
    },
    {
        "label": "Momentum",
        "optimizer": "SGD",
        "color": "#ff7f0e",
        "enabled": True,
        "summary": "lr=0.01 momentum=0.9",
        "status": "ok",
    },
    {
        "label": "Adam",
        "optimizer": "Adam",
        "color": "#2ca02c",
        "enabled": False,
        "summary": "lr=0.001 β=(0.9, 0.999)",
        "status": "diverged at 12",
    },
]
TABLE_SIGNALS = (
    "run_selected",
    "add_requested",
    "duplicate_requested",
    "remove_requested",
    "enabled_changed",
    "label_changed",
    "optimizer_changed",
    "color_changed",
)


@pytest.fixture
def table(qtbot) -> RunTable:
    widget = RunTable()
    qtbot.addWidget(widget)
    widget.set_optimizer_names(["SGD", "Adam", "AdamW", "RMSprop"])
    widget.set_rows(ROWS)
    widget.resize(360, 260)
    widget.show()
    return widget


def record_table(table: RunTable) -> list[tuple[str, tuple[Any, ...]]]:
    return record(*(getattr(table, name) for name in TABLE_SIGNALS))


def click_cell(qtbot, table: RunTable, row: int, column: int) -> None:
    view = table.table()
    rect = view.visualRect(view.model().index(row, column))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_rows_are_shown(table: RunTable) -> None:
    view = table.table()
    assert view.rowCount() == 3
    assert view.item(1, LABEL).text() == "Momentum"
    assert view.item(2, OPTIMIZER).text() == "Adam"
    assert view.item(2, STATUS).text() == "diverged at 12"
    assert view.item(2, ENABLED).checkState() == Qt.CheckState.Unchecked
    assert table.rows() == ROWS


def test_clicking_a_row_selects_it(qtbot, table: RunTable) -> None:
    seen = record_table(table)
    click_cell(qtbot, table, 1, STATUS)
    assert seen == [("run_selected", (1,))]
    assert table.selected_row() == 1


def test_buttons_emit_with_the_selected_index(qtbot, table: RunTable) -> None:
    assert not table.duplicate_button.isEnabled() and not table.remove_button.isEnabled()
    click_cell(qtbot, table, 2, STATUS)
    seen = record_table(table)
    for button in (table.add_button, table.duplicate_button, table.remove_button):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(table.table(), Qt.Key.Key_Delete)
    assert seen == [
        ("add_requested", ()),
        ("duplicate_requested", (2,)),
        ("remove_requested", (2,)),
        ("remove_requested", (2,)),
    ]
    assert table.table().rowCount() == 3  # the app answers with set_rows, not the table


def test_enabled_checkbox_emits(table: RunTable) -> None:
    seen = record_table(table)
    table.table().item(2, ENABLED).setCheckState(Qt.CheckState.Checked)
    table.table().item(0, ENABLED).setCheckState(Qt.CheckState.Unchecked)
    assert seen == [("enabled_changed", (2, True)), ("enabled_changed", (0, False))]


def edit_label(qtbot, table: RunTable, row: int, text: str) -> None:
    view = table.table()
    # an earlier edit's editor may still await deletion: delete it so it cannot be found
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    view.editItem(view.item(row, LABEL))
    editors = [e for e in view.viewport().findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1
    editor = editors[0]
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop turn
    qtbot.waitUntil(lambda: view.state() != QAbstractItemView.State.EditingState, timeout=1000)


def test_label_edit_emits_and_empty_label_is_refused(qtbot, table: RunTable) -> None:
    seen = record_table(table)
    edit_label(qtbot, table, 1, "Heavy ball")
    edit_label(qtbot, table, 0, "   ")
    assert emitted(seen, "label_changed") == [(1, "Heavy ball")]
    assert table.table().item(0, LABEL).text() == "SGD"


def test_optimizer_choice_emits(qtbot, table: RunTable) -> None:
    seen = record_table(table)
    click_cell(qtbot, table, 0, OPTIMIZER)
    combo = table.table().viewport().findChild(QComboBox)
    assert combo is not None and combo.currentText() == "SGD"
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # SGD → Adam
    assert emitted(seen, "optimizer_changed") == [(0, "Adam")]


def test_colour_click_asks_and_emits(qtbot, table: RunTable, monkeypatch) -> None:
    answers: list[QColor | None] = [QColor("#123456"), None]
    monkeypatch.setattr(table, "_pick_color", lambda initial, index: answers.pop(0))
    seen = record_table(table)
    click_cell(qtbot, table, 1, COLOR)
    click_cell(qtbot, table, 1, COLOR)  # cancelled
    assert emitted(seen, "color_changed") == [(1, "#123456")]


def test_set_rows_keeps_the_selection(qtbot, table: RunTable) -> None:
    click_cell(qtbot, table, 1, STATUS)
    seen = record_table(table)
    table.set_rows([dict(row, status="running") for row in ROWS])
    assert table.selected_row() == 1 and seen == []
    assert table.table().selectionModel().selectedRows()[0].row() == 1
    table.set_rows([*ROWS, dict(ROWS[0], label="copy")])
    assert table.selected_row() == 1 and seen == []


def test_set_rows_after_removing_the_selected_last_row(qtbot, table: RunTable) -> None:
    click_cell(qtbot, table, 2, STATUS)
    seen = record_table(table)
    table.set_rows(ROWS[:2])
    assert table.selected_row() == 1 and seen == [("run_selected", (1,))]
    table.set_rows([])
    assert table.selected_row() == -1 and seen[-1] == ("run_selected", (-1,))


def test_app_answering_an_edit_with_set_rows(qtbot, table: RunTable) -> None:
    """The app replaces the rows inside the table's own signal: no crash, new rows shown."""

    def answer(index: int, text: str) -> None:
        rows = table.rows()
        rows[index]["label"] = text.upper()
        table.set_rows(rows)

    table.label_changed.connect(answer)
    table.optimizer_changed.connect(
        lambda i, name: table.set_rows(
            [dict(r, optimizer=name) if k == i else r for k, r in enumerate(table.rows())]
        )
    )
    edit_label(qtbot, table, 0, "plain")
    click_cell(qtbot, table, 1, OPTIMIZER)
    qtbot.keyClick(table.table().viewport().findChild(QComboBox), Qt.Key.Key_Down)
    qtbot.wait(10)
    assert table.table().item(0, LABEL).text() == "PLAIN"
    assert table.rows()[1]["optimizer"] == "Adam"


def test_set_status(table: RunTable) -> None:
    seen = record_table(table)
    table.set_status(0, "diverged at 3")
    table.set_status(7, "no such row")
    assert table.table().item(0, STATUS).text() == "diverged at 3"
    assert table.rows()[0]["status"] == "diverged at 3"
    assert seen == []


# --- ProblemPicker -------------------------------------------------------------------------
PROBLEMS = [
    {
        "name": "quadratic",
        "title": "Quadratic bowl",
        "formula": "f(w) = ½ wᵀ A w",
        "about": "An ill-conditioned valley.",
        "is_finite_sum": False,
        "parameters": [
            spec("condition", 10.0, low=1.0, high=1e6, log_scale=True, doc="condition number κ"),
            spec("angle", 0.0, low=-180.0, high=180.0, doc="rotation in degrees"),
        ],
    },
    {
        "name": "rosenbrock",
        "title": "Rosenbrock",
        "formula": "f(x, y) = (1 − x)² + 100 (y − x²)²",
        "about": "",
        "is_finite_sum": False,
        "parameters": [],
    },
    {
        "name": "mean_quadratic",
        "title": "Mean of quadratics",
        "formula": "f(w) = 1/(2M) Σ …",
        "about": "M sample points.",
        "is_finite_sum": True,
        "parameters": [spec("n_samples", 1000, "int", low=1, high=100000, doc="samples M")],
    },
]


@pytest.fixture
def picker(qtbot) -> ProblemPicker:
    widget = ProblemPicker()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_set_problems_shows_the_first_without_signals(picker: ProblemPicker) -> None:
    seen = record(picker.problem_changed)
    picker.set_problems(PROBLEMS)
    assert seen == []
    assert picker.current_name() == "quadratic"
    assert picker.current_params() == {"condition": 10.0, "angle": 0.0}


def test_choosing_a_problem_emits_it_with_its_params(qtbot, picker: ProblemPicker) -> None:
    picker.set_problems(PROBLEMS)
    seen = record(picker.problem_changed)
    qtbot.keyClick(picker.combo(), Qt.Key.Key_Down)
    qtbot.keyClick(picker.combo(), Qt.Key.Key_Down)
    assert seen == [
        ("problem_changed", ("rosenbrock", {})),
        ("problem_changed", ("mean_quadratic", {"n_samples": 1000})),
    ]


def test_a_valid_param_edit_emits_all_params(qtbot, picker: ProblemPicker) -> None:
    picker.set_problems(PROBLEMS)
    seen = record(picker.problem_changed, picker.message)
    edit = picker.editor().field("condition").findChild(NumberEdit)
    type_into(qtbot, edit, "100")
    type_into(qtbot, edit, "0.5")
    assert seen == [
        ("problem_changed", ("quadratic", {"condition": 100.0, "angle": 0.0})),
        ("message", ("condition: 0.5 is not allowed; allowed: a number ≥ 1 and ≤ 1e+06",)),
    ]


def test_set_current_is_silent_and_params_are_remembered(qtbot, picker: ProblemPicker) -> None:
    picker.set_problems(PROBLEMS)
    seen = record(picker.problem_changed)
    picker.set_current("quadratic", {"condition": 50.0})
    picker.set_current("rosenbrock")
    picker.set_current("no such problem")
    assert seen == [] and picker.current_name() == "rosenbrock"
    qtbot.keyClick(picker.combo(), Qt.Key.Key_Up)
    assert seen == [("problem_changed", ("quadratic", {"condition": 50.0, "angle": 0.0}))]


# --- PlaybackBar ---------------------------------------------------------------------------
BAR_SIGNALS = (
    "play_toggled",
    "step_requested",
    "reset_requested",
    "steps_changed",
    "batch_size_changed",
    "seed_changed",
    "speed_changed",
    "device_changed",
    "dtype_changed",
    "message",
)


@pytest.fixture
def bar(qtbot) -> PlaybackBar:
    widget = PlaybackBar()
    qtbot.addWidget(widget)
    widget.set_devices(["cpu", "cuda:0"])
    widget.set_values(steps=500, batch_size=32, seed=0, speed=30.0, device="cpu", dtype="float32")
    widget.show()
    return widget


def record_bar(bar: PlaybackBar) -> list[tuple[str, tuple[Any, ...]]]:
    return record(*(getattr(bar, name) for name in BAR_SIGNALS))


def test_buttons_emit(qtbot, bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    qtbot.mouseClick(bar.step_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.reset_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert bar.play_button.text() == "Pause" and not bar.step_button.isEnabled()
    qtbot.mouseClick(bar.play_button, Qt.MouseButton.LeftButton)
    assert seen == [
        ("step_requested", ()),
        ("reset_requested", ()),
        ("play_toggled", (True,)),
        ("play_toggled", (False,)),
    ]


def test_tooltips_name_the_shortcuts(bar: PlaybackBar) -> None:
    assert "(Space)" in bar.play_button.toolTip()
    assert "(→)" in bar.step_button.toolTip()
    assert "(R)" in bar.reset_button.toolTip()


def test_set_playing_is_silent(bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    bar.set_playing(True)
    assert bar.is_playing() and bar.play_button.toolTip() == "Pause (Space)"
    assert seen == []


def type_spin(qtbot, spin: QSpinBox, text: str) -> None:
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, text)
    qtbot.keyClick(spin, Qt.Key.Key_Return)


def test_steps_and_seed_emit(qtbot, bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    type_spin(qtbot, bar.steps, "1000")
    type_spin(qtbot, bar.seed, "42")
    assert seen == [("steps_changed", (1000,)), ("seed_changed", (42,))]


@pytest.mark.parametrize(
    ("text", "size"),
    [("64", 64), ("100", 100), ("10", 10), ("1", 1), ("full", None), (" FULL ", None)],
)
def test_batch_size_accepts_positive_integers_and_full(qtbot, bar, text, size) -> None:
    seen = record_bar(bar)
    type_into(qtbot, bar.batch.lineEdit(), text)
    assert emitted(seen, "batch_size_changed") == [(size,)]
    assert emitted(seen, "message") == []
    assert bar.batch_size() == size


def test_batch_size_from_the_list(qtbot, bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    bar.batch.textActivated.emit(BATCH_CHOICES[-1])  # what picking "full" from the list does
    assert seen == [("batch_size_changed", (None,))]


@pytest.mark.parametrize("text", ["0", "-3", "x", "", "2.5", "1e3", "²"])  # ² is a digit
def test_batch_size_refuses_bad_input(qtbot, bar: PlaybackBar, text: str) -> None:
    seen = record_bar(bar)
    type_into(qtbot, bar.batch.lineEdit(), text)
    shown = text or "an empty field"
    assert seen == [
        ("message", (f"batch size: {shown} is not allowed; allowed: a whole number ≥ 1, or full",))
    ]
    assert bar.batch.property("invalid") and bar.batch_size() == 32


def test_speed_slider_is_logarithmic_up_to_max(qtbot, bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    qtbot.keyClick(bar.speed, Qt.Key.Key_Right)
    qtbot.keyClick(bar.speed, Qt.Key.Key_End)
    qtbot.keyClick(bar.speed, Qt.Key.Key_Home)
    assert seen == [
        ("speed_changed", (50.0,)),
        ("speed_changed", (None,)),
        ("speed_changed", (1.0,)),
    ]


def test_device_and_dtype_emit(qtbot, bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    qtbot.keyClick(bar.device, Qt.Key.Key_Down)
    qtbot.keyClick(bar.dtype, Qt.Key.Key_Down)
    assert seen == [("device_changed", ("cuda:0",)), ("dtype_changed", ("float64",))]


def test_set_values_emits_nothing_and_shows_everything(bar: PlaybackBar) -> None:
    seen = record_bar(bar)
    bar.set_values(
        steps=2000, batch_size=None, seed=7, speed=None, device="cuda:0", dtype="float64"
    )
    bar.set_values(steps=10, batch_size=128, seed=1, speed=400.0, device="mps", dtype="float32")
    bar.set_devices(["cpu"])
    assert seen == []
    assert (bar.steps.value(), bar.batch.currentText(), bar.seed.value()) == (10, "128", 1)
    assert bar.batch_size() == 128 and bar.speed_value() == 500.0  # nearest 1-2-3-5 step
    assert (bar.device.currentText(), bar.dtype.currentText()) == ("cpu", "float32")


def test_every_steps_and_seed_an_experiment_file_allows_is_shown_as_it_is(qtbot, bar) -> None:
    """The file allows up to 10 000 000 steps and 64-bit seeds; a 32-bit spin box clamped the
    steps silently and raised OverflowError on such a seed."""
    seen = record_bar(bar)
    bar.set_values(steps=10_000_000, batch_size=None, seed=3_000_000_000, speed=None,
                   device="cpu", dtype="float64")
    assert (bar.steps.value(), bar.seed.value()) == (10_000_000, 3_000_000_000)
    bar.set_values(steps=0, batch_size=None, seed=2**53, speed=None, device="cpu",
                   dtype="float64")
    assert (bar.steps.value(), bar.seed.value()) == (0, 2**53)
    assert seen == []
    type_spin(qtbot, bar.seed, "4000000000")
    assert seen == [("seed_changed", (4_000_000_000,))]
    assert type(seen[0][1][0]) is int


def test_batch_can_be_disabled(bar: PlaybackBar) -> None:
    bar.set_batch_enabled(False)
    assert not bar.batch.isEnabled()
    bar.set_batch_enabled(True)
    assert bar.batch.isEnabled()


# --- every editor fits a sidebar ----------------------------------------------------------
def _filled(make: Callable[[], Any]) -> Any:
    widget = make()
    if isinstance(widget, ParamEditor):
        widget.set_params(ADAM, VALUES)
    elif isinstance(widget, RunTable):
        widget.set_optimizer_names(["SGD", "Adam"])
        widget.set_rows(ROWS)
    elif isinstance(widget, ProblemPicker):
        widget.set_problems(PROBLEMS)
    return widget


@pytest.mark.parametrize("make", [ParamEditor, RunTable, ProblemPicker, PlaybackBar])
def test_fits_a_sidebar(qtbot, make: Callable[[], Any]) -> None:
    """Filled with realistic content, each editor fits a 320 px sidebar without clipping."""
    widget = _filled(make)
    qtbot.addWidget(widget)
    widget.resize(320, widget.sizeHint().height())
    widget.show()
    assert widget.minimumSizeHint().width() <= 320
