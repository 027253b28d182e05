"""What the lab writes reads as mathematics: no carets for powers, and the parameters of a fit are
called what the landscape's axes call them (w₁, w₂), not a, b or w₀."""

import pytest

from app.help_text import what_am_i_looking_at
from app.lessons import LESSONS
from app.session_state import SessionState
from optim_core.optimizers import get_rule, optimizer_names
from optim_core.problems.registry import PROBLEMS

LESSON_TEXTS = [(item.key, text) for item in LESSONS
                for text in (item.title, item.watch, item.try_next)]


@pytest.mark.parametrize(("key", "text"), LESSON_TEXTS)
def test_lesson_texts_write_powers_as_powers(key, text):
    assert "^" not in text, f"{key}: {text}"


@pytest.mark.parametrize("name", optimizer_names())
def test_optimizer_texts_write_powers_as_powers(name):
    rule = get_rule(name)
    assert "^" not in rule.title + rule.update


def test_the_help_writes_powers_as_powers():
    assert "^" not in what_am_i_looking_at(SessionState.default(), None)


@pytest.mark.parametrize("name", [n for n, cls in PROBLEMS.items() if cls.is_finite_sum])
def test_a_fit_names_its_parameters_as_the_axes_do(name):
    cls = PROBLEMS[name]
    text = f"{cls.formula} {cls.about}"
    assert cls.formula.startswith("f(w) = ")
    for other in ("w₀", "f(a, b)", "σ(a", "a·x", "(a x"):
        assert other not in text, f"{name}: {other!r} in {text!r}"
