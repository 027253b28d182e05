"""The one error the engine raises for bad input: it names the field, the value, what is allowed."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """Invalid input, reported as ``field: value — what is allowed``.

    ``field`` is a dotted path in the user's words (``runs[1].betas``, ``problem.condition``), so a
    message can be shown next to the control or the line of the experiment file that caused it.
    """

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: {value!r} is not allowed; {allowed}")
