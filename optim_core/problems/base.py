"""What a problem is: a 2D loss as a torch function, plus what a view needs to show it.

Every problem maps positions of shape ``(..., 2)`` to losses of shape ``(...)`` with torch
operations only, so gradients and Hessians come from autograd. A *finite-sum* problem is a mean
over ``n_samples`` per-sample losses; a step may use a minibatch of them (see ``minibatch.py``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from optim_core.params import ParamSpec, validate_all


@dataclass(frozen=True)
class Minimum:
    """A known minimum: its position and the loss there."""

    point: tuple[float, float]
    value: float


@dataclass(frozen=True)
class View:
    """The default window to draw: x from ``xmin`` to ``xmax``, y from ``ymin`` to ``ymax``."""

    xmin: float
    xmax: float
    ymin: float
    ymax: float


class Problem(ABC):
    """A differentiable loss over the plane.

    Subclasses set the class attributes and implement :meth:`loss`; ``view``, ``default_start``
    and ``minima`` are class attributes where they are fixed, properties where parameters move
    them. Parameters (``parameters``) are validated by the registry and passed to ``__init__`` as
    keyword arguments.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    formula: ClassVar[str]
    about: ClassVar[str] = ""
    parameters: ClassVar[tuple[ParamSpec, ...]] = ()
    #: colour the landscape on a log scale (the loss spans orders of magnitude)
    log_scale: ClassVar[bool] = False
    is_finite_sum: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params = dict(params)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], field: str = "problem") -> Problem:
        """The problem with ``params`` validated against ``parameters`` (errors name ``field``)."""
        specs = {spec.name: spec for spec in cls.parameters}
        return cls(**validate_all(specs, params, field))

    @property
    @abstractmethod
    def view(self) -> View:
        """Default view window."""

    @property
    @abstractmethod
    def default_start(self) -> tuple[float, float]:
        """Where runs start unless told otherwise."""

    @property
    @abstractmethod
    def minima(self) -> tuple[Minimum, ...]:
        """Known minima (may be empty, e.g. for a saddle)."""

    @abstractmethod
    def loss(self, w: torch.Tensor) -> torch.Tensor:
        """Loss at ``w`` of shape ``(..., 2)``; returns shape ``(...)``."""

    def to(self, device: torch.device | str, dtype: torch.dtype) -> Problem:
        """This problem with its data on ``device`` in ``dtype`` (analytic ones have none)."""
        return self

    def config(self) -> dict[str, Any]:
        """The experiment-file form: ``{"name": ..., **parameters}``."""
        return {"name": self.name, **self.params}


class FiniteSumProblem(Problem):
    """A loss that is the mean of ``n_samples`` per-sample losses.

    Subclasses implement :meth:`sample_losses` and :meth:`data`. :meth:`loss` is the full-batch
    mean; the engine weights ``sample_losses`` per run (see ``evaluate.py``, ``minibatch.py``).
    """

    is_finite_sum: ClassVar[bool] = True

    @property
    @abstractmethod
    def n_samples(self) -> int:
        """M, the number of samples in the sum."""

    @abstractmethod
    def sample_losses(self, w: torch.Tensor) -> torch.Tensor:
        """Per-sample losses at ``w`` of shape ``(..., 2)``; returns shape ``(..., M)``."""

    @abstractmethod
    def data(self) -> dict[str, Any]:
        """The samples as numpy arrays for drawing (e.g. ``{"x": …, "y": …}``)."""

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        return self.sample_losses(w).mean(dim=-1)

    def batch_loss(self, w: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
        """Mean loss over the samples ``indices`` ``(N,)`` at ``w`` of shape ``(..., 2)``."""
        return self.sample_losses(w)[..., indices].mean(dim=-1)
