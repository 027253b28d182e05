"""Typed, range-checked parameters: optimizer hyperparameters and problem parameters alike.

A :class:`ParamSpec` knows its name, default, type and allowed range, validates a value with a
message that names the field (like torch.optim's ``Invalid learning rate: -1``), and describes
itself for ``python -m optim_core optimizers`` and for the editors in the app.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optim_core.errors import ConfigError


@dataclass(frozen=True)
class ParamSpec:
    """One named parameter with a default and an allowed range.

    ``kind`` is ``"float"``, ``"int"``, ``"bool"``, ``"pair"`` (two floats, e.g. Adam's betas,
    each checked against the same range) or ``"any"`` (a JSON value passed through unchecked, for
    hyperparameters of torch.optim classes that torch itself validates). ``low``/``high`` bound
    the value; ``low_open`` and ``high_open`` make a bound exclusive. ``log_scale`` tells editors
    to offer a logarithmic slider (learning rates, eps). ``optional`` allows ``None`` (e.g.
    ``clip_norm`` off).
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    log_scale: bool = False
    optional: bool = False
    doc: str = ""

    def allowed(self) -> str:
        """Human description of the allowed values, used in error messages and listings."""
        if self.kind == "bool":
            text = "allowed: true or false"
        elif self.kind == "any":
            text = "allowed: what torch.optim accepts"
        else:
            what = {"float": "a number", "int": "an integer",
                    "pair": "a pair of numbers"}[self.kind]
            parts = []
            if self.low is not None:
                parts.append(f"{'>' if self.low_open else '≥'} {_fmt(self.low)}")
            if self.high is not None:
                parts.append(f"{'<' if self.high_open else '≤'} {_fmt(self.high)}")
            if self.kind == "pair" and parts:
                text = f"allowed: {what}, each {' and '.join(parts)}"
            else:
                text = f"allowed: {what}" + (f" {' and '.join(parts)}" if parts else "")
        if self.optional:
            text += ", or null"
        return text

    def interval(self) -> str:
        """Short interval notation such as ``[0, 1)`` for tables."""
        if self.kind == "bool":
            return "{true, false}"
        if self.kind == "any":
            return "any"
        lo = "-inf" if self.low is None else _fmt(self.low)
        hi = "inf" if self.high is None else _fmt(self.high)
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        return f"{left}{lo}, {hi}{right}"

    def validate(self, value: Any, field: str | None = None) -> Any:
        """Return ``value`` converted to this parameter's type, or raise :class:`ConfigError`."""
        field = field or self.name
        if self.kind == "any":
            if value is None or isinstance(value, str | int | float | bool | list | tuple):
                return tuple(value) if isinstance(value, list) else value
            raise ConfigError(field, value, self.allowed())
        if value is None:
            if self.optional:
                return None
            raise ConfigError(field, value, self.allowed())
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            raise ConfigError(field, value, self.allowed())
        if self.kind == "pair":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise ConfigError(field, value, self.allowed())
            return tuple(self._number(v, field, value) for v in value)
        return self._number(value, field, value)

    def _number(self, value: Any, field: str, shown: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(field, shown, self.allowed())
        if self.kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ConfigError(field, shown, self.allowed())
            value = int(value)
        else:
            try:
                value = float(value)
            except OverflowError:  # an integer too large for a float (JSON allows 1000 digits)
                raise ConfigError(field, shown, self.allowed()) from None
            if not math.isfinite(value):
                raise ConfigError(field, shown, self.allowed())
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise ConfigError(field, shown, self.allowed())
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise ConfigError(field, shown, self.allowed())
        return value

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly description: name, default, kind, range."""
        return {
            "name": self.name,
            "default": list(self.default) if isinstance(self.default, tuple) else self.default,
            "kind": self.kind,
            "range": self.interval(),
            "low": self.low,
            "high": self.high,
            "low_open": self.low_open,
            "high_open": self.high_open,
            "log_scale": self.log_scale,
            "optional": self.optional,
            "doc": self.doc,
        }


def validate_all(
    specs: Mapping[str, ParamSpec], values: Mapping[str, Any], prefix: str
) -> dict[str, Any]:
    """Fill defaults and validate ``values`` against ``specs``; unknown names are refused.

    ``prefix`` is the field path of the owner (``runs[0]``), used to name the field in errors.
    """
    unknown = sorted(set(values) - set(specs))
    if unknown:
        name = unknown[0]
        raise ConfigError(
            f"{prefix}.{name}" if prefix else name,
            values[name],
            f"unknown name {name!r}; known: {', '.join(specs) or 'none'}",
        )
    out: dict[str, Any] = {}
    for name, spec in specs.items():
        field = f"{prefix}.{name}" if prefix else name
        out[name] = spec.validate(values.get(name, spec.default), field)
    return out


def _fmt(x: float) -> str:
    return f"{x:g}"
