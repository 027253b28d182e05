"""The loss axis's log scale: a new problem's own choice, which arrives with its landscape from the
engine thread (a custom formula's is computed there), unless a lesson or the user chose first."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

SADDLE = {"problem": {"name": "saddle"}, "steps": 20, "runs": [{"optimizer": "SGD", "lr": 0.01}]}


def _title(window) -> str:
    return window.landscape._title


def test_choosing_a_formula_that_spans_decades_gives_a_log_loss_axis(qtbot, make_window) -> None:
    window = make_window(SADDLE)  # saddle's loss axis is linear
    assert not window.loss.log_y()
    combo = window.controls.problem.combo()
    combo.setCurrentIndex(combo.findData("custom"))  # Rosenbrock's formula, to start with
    qtbot.waitUntil(lambda: "Your own function" in _title(window), timeout=10_000)
    assert window.loss.log_y()


def test_a_lessons_choice_stands_when_the_landscape_arrives(qtbot, make_window) -> None:
    window = make_window(SADDLE)
    assert not window.loss.log_y()
    window.open_lesson("newton-maximum")  # Himmelblau, which prefers log; the lesson does not
    qtbot.waitUntil(lambda: "Himmelblau" in _title(window), timeout=10_000)
    qtbot.wait(100)
    assert not window.loss.log_y()
