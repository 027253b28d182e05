"""Typing your own function in the window: errors underlined at their column as you type (found by
the engine's parser), a formula without errors applied to the session, its minima drawn — and
searched for (like anything else the formula must compute) only in the worker threads."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.basins_window import BasinsWindow
from optim_core.problems import custom

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints",
                                       "does not support raise")


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
    # drawn when the engine's landscape arrives: 2x + cos x = 0
    qtbot.waitUntil(lambda: _stars(window) == [pytest.approx((-0.4502, 0.0), abs=1e-3)],
                    timeout=10_000)


def _stars(window) -> list[tuple[float, float]]:
    """The minima the landscape panel marks."""
    x, y = window.landscape._minima.getData()
    return list(zip(np.asarray(x).tolist(), np.asarray(y).tolist(), strict=True))


@pytest.fixture
def computed_in(monkeypatch) -> list[tuple[str, bool]]:
    """Every time a custom formula is evaluated for its minima or its spread (the log scale):
    (what, whether on the main thread). Uncached, so that every use is seen."""
    seen: list[tuple[str, bool]] = []

    def spy(what, compute):
        def record(*args):
            seen.append((what, threading.current_thread() is threading.main_thread()))
            return compute(*args)
        return record

    monkeypatch.setattr(custom, "_minima", spy("minima", custom._minima.__wrapped__))
    monkeypatch.setattr(custom, "_spans_decades",
                        spy("log scale", custom._spans_decades.__wrapped__))
    return seen


def test_the_gui_thread_never_searches_a_formulas_minima(qtbot, make_window, computed_in,
                                                         tmp_path) -> None:
    """Typed, raced with the curvature panel shown, its basins drawn, exported as an animation:
    the minima (and the log scale) are computed in the engine's, the basins window's and the
    animation's threads, never the window's."""
    window = make_window()
    _choose_custom(window)
    field = window.controls.problem.formula_edit().text_field()
    field.selectAll()
    qtbot.keyClicks(field, "(x - 1)**2 + 2*(y + 0.5)**2")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _stars(window) == [pytest.approx((1.0, -0.5), abs=1e-6)],
                    timeout=10_000)
    window.curvature_dock.raise_()
    window.engine.play()
    qtbot.waitUntil(lambda: window.curvature._path is not None, timeout=10_000)
    basins = BasinsWindow(window)  # opens on the main window's formula
    basins.show()
    basins.grid_spin.setValue(8)
    basins.steps_spin.setValue(20)
    basins.start()
    qtbot.waitUntil(lambda: not basins.busy, timeout=30_000)
    assert basins.last_status.startswith("Done in ")
    np.testing.assert_allclose(basins.frames[0].minima, [[1.0, -0.5]], atol=1e-6)
    basins.close()
    window.set_steps(4)
    animator = window.export_animation(tmp_path / "formula.gif")
    with qtbot.waitSignal(animator.finished, timeout=60_000) as finished:
        pass
    assert finished.args == [""]
    assert {what for what, _ in computed_in} == {"minima", "log scale"}
    assert [what for what, on_main in computed_in if on_main] == []


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
