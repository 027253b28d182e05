"""Optimizer names (torch.optim's) to rules: the built-ins, then any torch.optim class."""

from __future__ import annotations

from functools import cache

from optim_core.errors import ConfigError
from optim_core.optimizers.adagrad import Adagrad
from optim_core.optimizers.adam import Adam, AdamW
from optim_core.optimizers.base import OptimizerRule
from optim_core.optimizers.newton import Newton
from optim_core.optimizers.rmsprop import RMSprop
from optim_core.optimizers.sgd import SGD
from optim_core.optimizers.torch_adapter import TorchOptimizer, torch_optimizer_names

BUILT_IN: dict[str, type[OptimizerRule]] = {
    cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam, AdamW, Newton)
}


def optimizer_names() -> list[str]:
    """Built-ins first (in teaching order), then the other torch.optim classes."""
    return list(BUILT_IN) + [n for n in torch_optimizer_names() if n not in BUILT_IN]


@cache
def get_rule(name: str, field: str = "optimizer") -> OptimizerRule:
    """The rule for an optimizer name; unknown names raise ConfigError naming ``field``."""
    if not isinstance(name, str):
        raise ConfigError(field, name, f"known optimizers: {', '.join(optimizer_names())}")
    if name in BUILT_IN:
        return BUILT_IN[name]()
    if name in torch_optimizer_names():
        return TorchOptimizer(name)
    raise ConfigError(field, name, f"known optimizers: {', '.join(optimizer_names())}")
