"""Optimizers with torch.optim's names and semantics, batched over runs."""

from optim_core.optimizers.base import OptimizerRule
from optim_core.optimizers.registry import BUILT_IN, get_rule, optimizer_names
from optim_core.optimizers.torch_adapter import TorchOptimizer

__all__ = ["BUILT_IN", "OptimizerRule", "TorchOptimizer", "get_rule", "optimizer_names"]
