"""Checking the user's formula as it is typed, with the engine's own parser.

The problem picker only shows: it announces each edit of a formula, and this module answers with
the error (underlined at its position) or clears it. Parsing is a walk over at most 2,000
characters, well under a millisecond, so it runs on the GUI thread; finding the minima, which
takes longer, happens only once the formula is applied, in the engine thread.
"""

from __future__ import annotations

from typing import Any

from optim_core.errors import ConfigError
from widgets.problem_picker import ProblemPicker


def formula_entry(cls: type) -> dict[str, Any]:
    """``{"expression": {"default", "view"}}`` for a problem the user writes, else ``{}``."""
    default = getattr(cls, "default_expression", None)
    if not isinstance(default, str):
        return {}
    return {"expression": {"default": default, "view": list(cls.default_view)}}  # type: ignore


def check_formulas(picker: ProblemPicker) -> None:
    """Answer ``picker``'s ``formula_typed`` with the engine's verdict."""
    picker.formula_typed.connect(lambda text: check_formula(picker, text))


def check_formula(picker: ProblemPicker, text: str) -> None:
    """Show the first error of ``text`` at its position in ``picker``, or clear it (the picker
    offers a formula only once the engine has loaded: this import is then a look-up)."""
    from optim_core.problems.expression import ExpressionError, parse_expression

    try:
        parse_expression(text)
    except ExpressionError as exc:
        picker.show_formula_error(exc.position, exc.length,
                                  f"column {exc.position + 1}: {exc.reason}")
    except ConfigError as exc:
        picker.show_formula_error(0, len(text), str(exc))
    else:
        picker.clear_formula_error()
