"""Default run labels that tell runs apart: the optimizer's variant, its lr, and every setting
that differs from torch.optim's defaults.

``SGD lr=0.001`` and ``SGD+momentum lr=0.001`` (not both ``SGD lr=0.001``); ``Adam lr=0.05
betas=(0.9, 0.9)``; ``SGD lr=0.1 N=16`` for a run with its own batch size. Two runs get the same
default label only when they are the same run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from optim_core.errors import ConfigError
from optim_core.optimizers import get_rule

__all__ = ["default_label", "legacy_label", "variant"]

#: the momentum a plain "SGD+momentum" label stands for (the value everyone uses)
USUAL_MOMENTUM = 0.9
#: how the per-run options read in a label
_OPTION_NAMES = {"batch_size": "N", "clip_norm": "clip_norm", "clip_value": "clip_value"}


def default_label(
    optimizer: str, hyper: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> str:
    """The optimizer's variant and lr, then its other non-default hyperparameters and the run's
    own ``options`` (``batch_size``, ``clip_norm``, ``clip_value``; None ones left out)."""
    name, shown = variant(optimizer, hyper)
    parts = [name]
    lr = hyper.get("lr")
    if _is_number(lr):
        parts.append(f"lr={lr:g}")
    try:
        defaults = {s.name: s.default for s in get_rule(optimizer).hyperparameters}
    except ConfigError:  # an unknown optimizer still gets a label
        defaults = {}
    for key, value in hyper.items():
        if key == "lr" or key in shown or key not in defaults or _same(value, defaults[key]):
            continue
        parts.append(f"{key}={_short(value)}")
    for key, value in (options or {}).items():
        if value is not None and key in _OPTION_NAMES:
            parts.append(f"{_OPTION_NAMES[key]}={_short(value)}")
    return " ".join(parts)


def variant(optimizer: str, hyper: Mapping[str, Any]) -> tuple[str, set[str]]:
    """The name of the optimizer's variant and the hyperparameters that name already says:
    ``SGD+momentum`` (momentum 0.9), ``SGD+Nesterov``; the optimizer's name otherwise."""
    if optimizer != "SGD" or not hyper.get("momentum"):
        return optimizer, set()
    name = "SGD+Nesterov" if hyper.get("nesterov") else "SGD+momentum"
    said = {"nesterov"} | ({"momentum"} if _same(hyper["momentum"], USUAL_MOMENTUM) else set())
    return name, said


def legacy_label(optimizer: str, hyper: Mapping[str, Any]) -> str:
    """The label older versions gave every run (``SGD lr=0.001``), so files saved with it can
    still be recognised as automatically labelled."""
    lr = hyper.get("lr")
    return f"{optimizer} lr={lr:g}" if _is_number(lr) else optimizer


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _short(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_short(v) for v in value) + ")"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
