"""Basins of attraction: from which starts does an optimizer reach which minimum?

:func:`basin_steps` puts a grid of N × N starts over an extent (up to 512 × 512) and steps them
all together as one ``(N², 2)`` tensor with one optimizer and its hyperparameters — the built-in
rule called directly (no records), or, for another torch.optim class, one torch.optim instance on
the batched parameter. Every ``every`` steps, and at the end, it yields a :class:`BasinMap`:
each start labelled by the minimum it converged to (an index into ``minima``), −1 where it
diverged, −2 where it has not converged (yet), with the step from which it stayed there.

Converged means: the run ends within ``radius`` of a minimum. The problem's known minima come
first in ``minima``; minima it does not list (six-hump camel's four local ones, Rastrigin's
lattice) are found by clustering the end points of runs that have settled and refining each
cluster with Newton steps on the exact Hessian — a cluster counts only if its Hessian is
positive definite there (a saddle a run stalls on is no minimum). Found minima are only ever
appended, so a minimum keeps its index (and its colour) while the map is computed.
``steps_to_converge`` is the step from which the run never again moved more than ``radius``
from where it was at that step — known without keeping any history: each run keeps an anchor
that jumps to the run's position whenever the run is farther than ``radius`` from it, and the
step of the last jump is the answer (so it may be one jump later than the first step at which
the run was already that close to its end).
"""

from __future__ import annotations

import inspect
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import torch

from optim_core.errors import ConfigError
from optim_core.evaluate import evaluate
from optim_core.experiment import DTYPES, RUN_KEYS, parse_device, parse_run
from optim_core.optimizers import get_rule
from optim_core.params import ParamSpec
from optim_core.problems import FiniteSumProblem, Problem

__all__ = ["DIVERGED", "NOT_CONVERGED", "BasinMap", "BasinsCancelled", "basin_map",
           "basin_steps", "label_points", "merge_minima", "parse_extent"]

DIVERGED = -1
NOT_CONVERGED = -2
GRID = ParamSpec("grid", 128, kind="int", low=2, high=512, doc="starts per side of the grid")
STEPS = ParamSpec("steps", 500, kind="int", low=1, high=1_000_000, doc="steps per start")
EVERY = ParamSpec("every", 25, kind="int", low=1, optional=True,
                  doc="steps between two partial maps (null: only the final map)")
DIVERGENCE_BOUND = 1e6
#: radius (as a fraction of the extent's diagonal) within which a run has reached a minimum
RADIUS_FRACTION = 1e-3
#: most minima a map tells apart (each gets a colour)
MAX_MINIMA = 256
#: clusters of settled end points examined per labelling
MAX_CANDIDATES = 512
#: elements (starts × samples) a finite-sum problem may evaluate at once
MAX_SAMPLE_ELEMENTS = 2**25
#: torch.optim classes whose update couples the starts (a line search over all of them)
COUPLED = {"LBFGS": "its line search couples all the starts"}


class BasinsCancelled(Exception):
    """Raised by :func:`basin_map` when ``cancelled()`` turned true between two chunks."""


@dataclass(frozen=True)
class BasinMap:
    """Where each start of an N × N grid ended up after ``step`` of ``steps`` steps.

    ``label[i, j]`` (start ``(x[j], y[i])``) is an index into ``minima`` ``(K, 2)``, −1 (diverged)
    or −2 (not converged); ``steps_to_converge[i, j]`` the step from which that start stayed at
    its minimum (−1 where it has none). The first ``known`` minima are the problem's own.
    """

    problem: str
    optimizer: str
    hyperparameters: Mapping[str, Any]
    x: np.ndarray
    y: np.ndarray
    label: np.ndarray
    steps_to_converge: np.ndarray
    minima: np.ndarray
    known: int
    step: int
    steps: int
    radius: float
    seconds: float = 0.0

    @property
    def done(self) -> bool:
        """Whether every step has been taken."""
        return self.step >= self.steps

    def fractions(self) -> dict[int, float]:
        """The share of starts with each label (minima by index, −1, −2), largest first."""
        values, counts = np.unique(self.label, return_counts=True)
        order = np.argsort(-counts, kind="stable")
        total = self.label.size
        return {int(values[i]): float(counts[i]) / total for i in order}


def parse_extent(extent: Any, field: str = "extent") -> tuple[float, float, float, float]:
    """``"x0,x1,y0,y1"`` or four numbers → a validated extent (x0 < x1, y0 < y1, finite)."""
    if isinstance(extent, str):
        try:
            extent = [float(part) for part in extent.split(",")]
        except ValueError:
            raise ConfigError(field, extent, "four numbers x0,x1,y0,y1 such as -5,5,-5,5") \
                from None
    ok = (isinstance(extent, list | tuple) and len(extent) == 4
          and all(isinstance(v, int | float) and not isinstance(v, bool) for v in extent)
          and all(math.isfinite(v) and abs(v) < DIVERGENCE_BOUND for v in extent))
    if not ok or not (extent[0] < extent[1] and extent[2] < extent[3]):
        raise ConfigError(field, extent, "four finite numbers x0,x1,y0,y1 with x0 < x1 and "
                                         f"y0 < y1, each within ±{DIVERGENCE_BOUND:g}")
    return tuple(float(v) for v in extent)  # type: ignore[return-value]


def basin_steps(
    problem: Problem,
    optimizer: str,
    hyperparameters: Mapping[str, Any] | None = None,
    *,
    grid: int = GRID.default,
    extent: Any = None,
    steps: int = STEPS.default,
    every: int | None = EVERY.default,
    radius: float | None = None,
    dtype: str = "float64",
    device: str = "cpu",
) -> Iterator[BasinMap]:
    """Step an N × N grid of starts; yield a partial :class:`BasinMap` every ``every`` steps
    and the final one last. Bad input raises ConfigError (before anything is computed)."""
    run = _Basins(problem, optimizer, hyperparameters or {}, grid=grid, extent=extent,
                  steps=steps, every=every, radius=radius, dtype=dtype, device=device)
    return run.maps()


def basin_map(
    problem: Problem,
    optimizer: str,
    hyperparameters: Mapping[str, Any] | None = None,
    *,
    cancelled: Callable[[], bool] | None = None,
    partial: Callable[[BasinMap], None] | None = None,
    **kwargs: Any,
) -> BasinMap:
    """The final map of :func:`basin_steps`; ``partial`` sees each partial map, ``cancelled``
    is looked at between chunks (raising :class:`BasinsCancelled`)."""
    kwargs.setdefault("every", None if partial is None and cancelled is None else
                      EVERY.default)
    result = None
    for result in basin_steps(problem, optimizer, hyperparameters, **kwargs):
        if cancelled is not None and cancelled():
            raise BasinsCancelled
        if partial is not None and not result.done:
            partial(result)
    assert result is not None
    return result


def label_points(
    problem: Problem,
    points: torch.Tensor,
    settled: torch.Tensor,
    minima: torch.Tensor,
    radius: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Label end points ``(R, 2)``: the index of the minimum within ``radius``, −1 where not
    finite or beyond the divergence bound, −2 elsewhere. Runs that ``settled`` ``(R,)`` but
    reached no minimum in ``minima`` ``(K, 2)`` are clustered and refined; the minima found are
    appended. Returns ``(labels, minima)``."""
    finite = torch.isfinite(points).all(dim=-1)
    finite &= points.abs().amax(dim=-1) <= DIVERGENCE_BOUND
    labels = _nearest(points, minima, radius)
    lonely = settled & finite & (labels < 0)
    if bool(lonely.any()) and len(minima) < MAX_MINIMA:
        found = _find_minima(problem, points[lonely], minima, radius)
        if len(found):
            minima = torch.cat((minima, found))[:MAX_MINIMA]
            labels = _nearest(points, minima, radius)
    labels = torch.where(finite, labels, torch.full_like(labels, DIVERGED))
    return labels, minima


def _nearest(points: torch.Tensor, minima: torch.Tensor, radius: float) -> torch.Tensor:
    """Index of the nearest minimum within ``radius``, else −2."""
    if len(minima) == 0:
        return torch.full(points.shape[:1], NOT_CONVERGED, dtype=torch.int64,
                          device=points.device)
    distance = torch.cdist(points, minima)
    best, index = distance.min(dim=-1)
    return torch.where(best <= radius, index, NOT_CONVERGED)


def _find_minima(problem: Problem, points: torch.Tensor, minima: torch.Tensor,
                 radius: float) -> torch.Tensor:
    """Minima near clusters of ``points`` that are not in ``minima`` (within ``radius``)."""
    cells = torch.floor(points / radius).to(torch.int64)
    unique, inverse, counts = torch.unique(cells, dim=0, return_inverse=True,
                                           return_counts=True)
    order = torch.argsort(counts, descending=True)[:MAX_CANDIDATES]
    sums = torch.zeros(len(unique), 2, dtype=points.dtype, device=points.device)
    sums.index_add_(0, inverse, points)
    centres = (sums / counts[:, None].to(points.dtype))[order]
    refined, ok = _newton_refine(problem, centres, radius)
    found: list[torch.Tensor] = []
    known = minima
    for point, good in zip(refined, ok.tolist(), strict=True):
        if not good:
            continue
        if len(known) and float(torch.linalg.vector_norm(known - point, dim=-1).min()) <= radius:
            continue
        found.append(point)
        known = torch.cat((known, point[None]))
    if not found:
        return minima[:0]
    return torch.stack(found)


def _newton_refine(problem: Problem, centres: torch.Tensor, radius: float,
                   iterations: int = 20) -> tuple[torch.Tensor, torch.Tensor]:
    """Newton steps from each centre; ``ok`` where it stayed within ``radius`` and ends at a
    point with a positive definite Hessian and a vanishing Newton step."""
    w = centres.clone()
    eye = torch.eye(2, dtype=w.dtype, device=w.device)
    step_size = torch.full(w.shape[:1], math.inf, dtype=w.dtype, device=w.device)
    for _ in range(iterations):
        current = evaluate(problem, w, need_hessian=True)
        assert current.hessian is not None
        hessian = current.hessian + 1e-12 * eye
        direction, _info = torch.linalg.solve_ex(hessian, current.grad)
        step_size = torch.linalg.vector_norm(direction, dim=-1)
        w = w - direction
    current = evaluate(problem, w, need_hessian=True)
    assert current.hessian is not None
    eigenvalues = torch.linalg.eigvalsh(current.hessian)
    close = torch.linalg.vector_norm(w - centres, dim=-1) <= 2 * radius
    ok = (close & (eigenvalues[:, 0] > 0) & (step_size <= radius * 1e-3)
          & torch.isfinite(w).all(dim=-1))
    return w, ok


class _Basins:
    """One basin computation: the grid, the optimizer and the stepping loop."""

    def __init__(self, problem: Problem, optimizer: str, hyperparameters: Mapping[str, Any], *,
                 grid: int, extent: Any, steps: int, every: int | None, radius: float | None,
                 dtype: str, device: str) -> None:
        if not isinstance(optimizer, str):
            raise ConfigError("optimizer", optimizer, "an optimizer name")
        get_rule(optimizer, "optimizer")
        for name in hyperparameters:
            if name in RUN_KEYS:
                raise ConfigError(f"optimizer.{name}", hyperparameters[name],
                                  "a hyperparameter of the optimizer (a basin map has no "
                                  "run options)")
        spec = parse_run({**hyperparameters, "optimizer": optimizer}, "optimizer")
        self.rule = get_rule(spec.optimizer)
        if self.rule.name in COUPLED:
            raise ConfigError("optimizer", optimizer,
                              f"an optimizer that steps each start on its own "
                              f"({self.rule.name}: {COUPLED[self.rule.name]})")
        self.hyper = dict(spec.hyperparameters)
        self.grid = GRID.validate(grid, "grid")
        self.steps = STEPS.validate(steps, "steps")
        self.every = EVERY.validate(every, "every")
        if dtype not in DTYPES:
            raise ConfigError("dtype", dtype, f"allowed: {', '.join(DTYPES)}")
        self.device = torch.device(parse_device(device))
        self.dtype = DTYPES[dtype]
        view = problem.view
        self.extent = parse_extent(
            (view.xmin, view.xmax, view.ymin, view.ymax) if extent is None else extent)
        x0, x1, y0, y1 = self.extent
        diagonal = math.hypot(x1 - x0, y1 - y0)
        try:
            self.radius = diagonal * RADIUS_FRACTION if radius is None else float(radius)
        except (TypeError, ValueError):
            self.radius = math.nan
        if not (math.isfinite(self.radius) and 0 < self.radius <= diagonal):
            raise ConfigError("radius", radius, f"a number > 0 and ≤ the extent's diagonal "
                                                f"({diagonal:g})")
        if isinstance(problem, FiniteSumProblem):
            limit = max(2, math.isqrt(MAX_SAMPLE_ELEMENTS // problem.n_samples))
            if self.grid > limit:
                raise ConfigError("grid", self.grid, f"at most {limit} for {problem.name} with "
                                  f"{problem.n_samples} samples (memory)")
        self.problem = problem.to(self.device, self.dtype)
        self.name = problem.name
        self.x = np.linspace(x0, x1, self.grid)
        self.y = np.linspace(y0, y1, self.grid)

    def starts(self) -> torch.Tensor:
        """The grid as ``(N², 2)``, row ``i·N + j`` at ``(x[j], y[i])``."""
        xx, yy = np.meshgrid(self.x, self.y, indexing="xy")
        points = np.stack((xx.ravel(), yy.ravel()), axis=-1)
        return torch.tensor(points, dtype=self.dtype, device=self.device)

    def maps(self) -> Iterator[BasinMap]:
        started = time.perf_counter()
        known = torch.tensor([m.point for m in self.problem.minima], dtype=self.dtype,
                             device=self.device).reshape(-1, 2)
        self.minima = known
        self.known = len(known)
        w = self.starts()
        anchor = w.clone()
        anchor_rows = torch.view_as_complex(anchor)
        since = torch.zeros(len(w), dtype=torch.int64, device=self.device)
        stepper = self._stepper(w)
        radius = self.radius
        every = self.every or self.steps
        done = 0
        while done < self.steps:
            chunk = min(every, self.steps - done)
            for k in range(done + 1, done + chunk + 1):
                w = stepper(w, k)
                # the step after which the run stayed within ``radius`` of where it was then
                # (in place: this runs on every step)
                gap = (w - anchor).abs_()
                moved = torch.maximum(gap[:, 0], gap[:, 1]) > radius
                # rows as complex numbers: a 1D select, three times faster than a broadcast one
                torch.where(moved, torch.view_as_complex(w.contiguous()), anchor_rows,
                            out=anchor_rows)
                since.masked_fill_(moved, k)
            done += chunk
            w = self._freeze_diverged(w)
            yield self._map(w, since, done, time.perf_counter() - started)

    def _freeze_diverged(self, w: torch.Tensor) -> torch.Tensor:
        """Runs that left the bound become NaN, so they stay diverged."""
        beyond = ~(w.abs().amax(dim=-1) <= DIVERGENCE_BOUND)
        if not bool(beyond.any()):
            return w
        w = torch.where(beyond[:, None], float("nan"), w)
        self._set_params(w)
        return w

    def _map(self, w: torch.Tensor, since: torch.Tensor, step: int, seconds: float) -> BasinMap:
        settle = min(max(1, self.steps // 10), 50)
        settled = (step - since) >= settle
        if step >= self.steps:
            settled |= since < step  # at the end every run that stopped moving counts
        labels, self.minima = label_points(self.problem, w, settled, self.minima, self.radius)
        n = self.grid
        steps_to = torch.where(labels >= 0, since, -1)
        return BasinMap(
            problem=self.name, optimizer=self.rule.name,
            hyperparameters=MappingProxyType(dict(self.hyper)), x=self.x, y=self.y,
            label=labels.reshape(n, n).cpu().numpy().astype(np.int32),
            steps_to_converge=steps_to.reshape(n, n).cpu().numpy().astype(np.int32),
            minima=self.minima.cpu().numpy().astype(np.float64), known=self.known, step=step,
            steps=self.steps, radius=self.radius, seconds=seconds)

    # ------------------------------------------------------------------ stepping
    def _stepper(self, w: torch.Tensor) -> Callable[[torch.Tensor, int], torch.Tensor]:
        kwargs = self._torch_kwargs()
        if kwargs is not None:
            return self._torch_stepper(w, kwargs)
        rule, problem, need_hessian = self.rule, self.problem, self.rule.needs_hessian
        view = dict(self.hyper)
        holder = {"state": rule.init_state(w, view)}

        def step(params: torch.Tensor, k: int) -> torch.Tensor:
            current = evaluate(problem, params, need_hessian=need_hessian)
            params, holder["state"] = rule.step(params, current.grad, holder["state"], view, k,
                                                current.hessian)
            return params

        self._set_params = lambda w: None
        return step

    def _torch_kwargs(self) -> dict[str, Any] | None:
        """torch.optim's arguments for these hyperparameters, or None where torch.optim has
        no class for the rule (Newton) or lacks one of its settings (Adam without bias
        correction): one set of hyperparameters for every start is torch.optim's own case, so
        its batched step is both the truth and the fastest way."""
        cls = getattr(torch.optim, self.rule.name, None)
        if not (inspect.isclass(cls) and issubclass(cls, torch.optim.Optimizer)):
            return None
        accepted = inspect.signature(cls.__init__).parameters
        defaults = {spec.name: spec.default for spec in self.rule.hyperparameters}
        kwargs = {}
        for name, value in self.hyper.items():
            if name in accepted:
                kwargs[name] = tuple(value) if isinstance(value, list) else value
            elif value != defaults.get(name):
                return None
        return kwargs

    def _torch_stepper(self, w: torch.Tensor, kwargs: dict[str, Any]
                       ) -> Callable[[torch.Tensor, int], torch.Tensor]:
        cls = getattr(torch.optim, self.rule.name)
        param = torch.nn.Parameter(w.clone())
        try:
            optimizer = cls([param], **kwargs)
        except (ValueError, TypeError, RuntimeError) as exc:
            raise ConfigError("optimizer", self.rule.name, str(exc)) from None
        problem = self.problem

        def step(params: torch.Tensor, k: int) -> torch.Tensor:
            optimizer.zero_grad()
            problem.loss(param).sum().backward()
            optimizer.step()
            return param.detach()

        def set_params(values: torch.Tensor) -> None:
            with torch.no_grad():
                param.copy_(values)

        self._set_params = set_params
        return step


def merge_minima(shared: np.ndarray, result: BasinMap) -> tuple[np.ndarray, np.ndarray]:
    """Put ``result``'s minima into the list ``shared`` ``(K, 2)`` (one within the map's radius
    of a listed one is that one; others are appended) and relabel its starts by that list, so
    that two maps of one problem give one minimum the same index (and colour).
    Returns ``(shared, label)``."""
    shared = np.asarray(shared, dtype=np.float64).reshape(-1, 2)
    index = np.empty(len(result.minima), dtype=np.int64)
    for k, point in enumerate(result.minima):
        distance = (np.linalg.norm(shared - point, axis=-1) if len(shared)
                    else np.empty(0))
        if len(distance) and distance.min() <= result.radius:
            index[k] = int(distance.argmin())
        else:
            index[k] = len(shared)
            shared = np.concatenate((shared, point[None]))
    label = result.label
    if len(index):
        label = np.where(label >= 0, index[np.clip(label, 0, None)], label).astype(np.int32)
    return shared, label
