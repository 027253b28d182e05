"""Learning-rate sweeps: the final loss of several optimizers over a grid of learning rates.

The lecture claims AdamW "is the most popular choice since it is insensitive to hyperparameters"
(curriculum §6). :func:`lr_sweep` lets a user check it: every (optimizer, lr) pair runs from the
same start for the same number of steps, all of them in one batched :class:`Session`, and
:class:`SweepResult` holds the final losses (NaN where a run diverged), each optimizer's best lr,
and :meth:`SweepResult.tolerant_decades`, how wide a range of learning rates gets close to that
best. Every other hyperparameter keeps torch.optim's default (AdamW's weight_decay 1e-2).

On a 2D landscape a valley is not a network (SGD looks more tolerant than Adam on Rosenbrock), so
:func:`network_lr_sweep` runs the same grid on a network experiment — one batched training
session, every run from the same initial weights on the same minibatches — and judges each
optimizer by its final validation loss relative to the untrained network's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from optim_core.errors import ConfigError
from optim_core.experiment import BATCH, SEED, RunSpec, check_batch_size
from optim_core.labels import default_label
from optim_core.networks.experiment import NetworkExperiment, parse_network_experiment
from optim_core.networks.training import TrainingSession
from optim_core.optimizers import get_rule
from optim_core.problems import Problem
from optim_core.session import Session

__all__ = ["DEFAULT_OPTIMIZERS", "SweepCancelled", "SweepResult", "log_grid", "lr_sweep",
           "network_lr_sweep", "network_variants"]

DEFAULT_OPTIMIZERS = ("SGD", "Adam", "AdamW")
#: steps taken between two looks at ``cancelled()`` and two progress reports
CHUNK = 50
#: progress reports of a network sweep, whose steps cost far more (48 CNNs on the digits: 50
#: steps took 4–30 s here); it looks at ``cancelled()`` at every step
NETWORK_CHUNK = 10
MAX_STEPS = 1_000_000
MAX_RUNS = 10_000
#: runs of a network sweep trained at once (each holds its own copy of the weights)
MAX_NETWORK_RUNS = 1_000
#: a gap to the minimum this small, relative to the start's gap, counts as having reached it
#: (float64 rounding), so a best loss of 1e-300 does not make every other loss "far away"
CONVERGED = 1e-12


class SweepCancelled(Exception):
    """Raised by :func:`lr_sweep` when ``cancelled()`` turned true between two chunks."""


@dataclass(frozen=True)
class SweepResult:
    """Final losses of O optimizers at L learning rates, all from one start after ``steps``.

    ``final_loss`` ``(O, L)`` is NaN where the run diverged (``diverged`` ``(O, L)``);
    ``best[o]`` is optimizer ``o``'s ``(lr, loss)`` with the lowest final loss, ``(nan, nan)`` when
    all its runs diverged. ``f_min`` is the problem's lowest known minimum (None if it has none),
    ``start_loss`` the loss at ``start``.

    A sweep on a network has ``network`` (the data set and model, in words) and no ``start``: its
    losses are validation losses and ``start_loss`` is the untrained network's.
    """

    problem: str
    optimizers: tuple[str, ...]
    lrs: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    steps: int
    start: tuple[float, float] | None
    start_loss: float
    f_min: float | None = None
    batch_size: int | None = None
    seed: int = 0
    network: str | None = None

    @property
    def best(self) -> tuple[tuple[float, float], ...]:
        """Per optimizer, ``(lr, final loss)`` of its best grid point."""
        out = []
        for row in self.final_loss:
            if np.all(np.isnan(row)):
                out.append((math.nan, math.nan))
            else:
                i = int(np.nanargmin(row))
                out.append((float(self.lrs[i]), float(row[i])))
        return tuple(out)

    def excess(self) -> np.ndarray:
        """``final_loss − f_min`` ``(O, L)`` (the loss itself when no minimum is known)."""
        return self.final_loss - (self.f_min or 0.0)

    def start_excess(self) -> float:
        """The start's loss above ``f_min`` (the loss itself when no minimum is known)."""
        return self.start_loss - (self.f_min or 0.0)

    def improvement(self) -> tuple[float, ...]:
        """Per optimizer, how many times its best final excess is below the start's: 1 means
        no progress at all, NaN when every run diverged or the excesses are not positive."""
        out = []
        for row in self.excess():
            best = math.nan if np.all(np.isnan(row)) else float(np.nanmin(row))
            ok = best > 0 and self.start_excess() > 0
            out.append(self.start_excess() / best if ok else math.nan)
        return tuple(out)

    def best_at_edge(self) -> tuple[bool, ...]:
        """Per optimizer, whether its best lr is the grid's lowest or highest (a better lr may
        lie beyond the grid, so the sweep cannot tell how wide its good range is)."""
        out = []
        for row in self.final_loss:
            if self.lrs.size < 2 or np.all(np.isnan(row)):
                out.append(False)
            else:
                out.append(int(np.nanargmin(row)) in (0, self.lrs.size - 1))
        return tuple(out)

    def tolerance_levels(self, factor: float = 10.0) -> tuple[float, ...]:
        """Per optimizer, the excess loss (:meth:`excess`) a grid point may have to count as
        within ``factor``× of the best: ``factor`` × the best excess, NaN when every run
        diverged or the best excess is not positive (no minimum known).

        Each optimizer is judged by its improvement over the start as well: a grid point counts
        only if it also lies ``factor``× below the start's excess (the level is capped there),
        and where even the best does not, the level is NaN — otherwise lrs that achieved nothing
        (SGD on Rosenbrock: 12.5 → 4.43 at best) would read as a wide tolerant range.
        Gaps below :data:`CONVERGED` × the start's gap count as that floor: runs that all reached
        the minimum to rounding error are equally good.
        """
        if not factor >= 1:
            raise ConfigError("factor", factor, "a number ≥ 1")
        start = abs(self.start_excess())
        floor = CONVERGED * start
        out = []
        for row in self.excess():
            best = math.nan if np.all(np.isnan(row)) else max(float(np.nanmin(row)), floor)
            useful = best > 0 and best <= start / factor
            out.append(min(factor * best, start / factor) if useful else math.nan)
        return tuple(out)

    def tolerant_range(self, factor: float = 10.0) -> tuple[tuple[float, float] | None, ...]:
        """Per optimizer, the ``(lowest, highest)`` lr of the contiguous grid points around its
        best that stay within :meth:`tolerance_levels`; None where that level is NaN."""
        out: list[tuple[float, float] | None] = []
        for row, level in zip(self.excess(), self.tolerance_levels(factor), strict=True):
            if math.isnan(level):
                out.append(None)
                continue
            ok = np.nan_to_num(row, nan=math.inf) <= level
            lo = hi = int(np.nanargmin(row))
            while lo > 0 and ok[lo - 1]:
                lo -= 1
            while hi < len(row) - 1 and ok[hi + 1]:
                hi += 1
            out.append((float(self.lrs[lo]), float(self.lrs[hi])))
        return tuple(out)

    def range_at_edge(self, factor: float = 10.0) -> tuple[bool, ...]:
        """Per optimizer, whether :meth:`tolerant_range` reaches the grid's first or last lr:
        its decades are then a lower bound."""
        ends = (float(self.lrs[0]), float(self.lrs[-1]))
        return tuple(span is not None and (span[0] == ends[0] or span[1] == ends[1])
                     for span in self.tolerant_range(factor))

    def tolerant_decades(self, factor: float = 10.0) -> tuple[float, ...]:
        """Per optimizer, log₁₀(highest / lowest lr) of :meth:`tolerant_range`: the decades of
        lr around its best that reach a final loss within ``factor``× of it (0 when only the
        best grid point does, NaN when it is undefined)."""
        return tuple(math.nan if span is None else math.log10(span[1] / span[0])
                     for span in self.tolerant_range(factor))


def log_grid(lo: float, hi: float, count: int) -> np.ndarray:
    """``count`` learning rates from ``lo`` to ``hi``, evenly spaced in log scale."""
    if not (math.isfinite(lo) and lo > 0):
        raise ConfigError("lrs", lo, "a lowest learning rate > 0")
    if not (math.isfinite(hi) and hi >= lo):
        raise ConfigError("lrs", hi, f"a highest learning rate ≥ the lowest ({lo:g})")
    if not 1 <= count <= 1000 or (count == 1 and hi != lo):
        raise ConfigError("lrs", count, "a count from 2 to 1000 (1 when lo = hi)")
    return np.geomspace(lo, hi, count)


def lr_sweep(
    problem: Problem,
    optimizers: Sequence[str],
    lrs: Sequence[float],
    *,
    steps: int,
    start: tuple[float, float] | None = None,
    batch_size: int | None = None,
    seed: int = 0,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run every optimizer at every lr for ``steps`` steps from ``start`` and collect the losses.

    ``lrs`` are sorted; each run keeps torch.optim's defaults apart from ``lr``. All runs share
    one batched session, so on a finite-sum problem with ``batch_size`` they see the same
    minibatches (``seed``). ``progress(done, steps)`` is called after each chunk of
    :data:`CHUNK` steps; when ``cancelled()`` is true there, :class:`SweepCancelled` is raised.
    Bad input raises :class:`ConfigError` naming the field.
    """
    names, grid = _check(problem, optimizers, lrs, steps)
    batch_size = BATCH.validate(batch_size, "batch_size")
    check_batch_size(batch_size, problem, "batch_size")
    seed = SEED.validate(seed, "seed")
    if start is None:
        start = tuple(problem.default_start)
    start = (float(start[0]), float(start[1]))
    runs = [RunSpec(name, {**defaults, "lr": float(lr)}, start, label=f"{name} lr={lr:.3g}")
            for name, defaults in names for lr in grid]
    session = Session(problem, runs, batch_size=batch_size, seed=seed, expected_steps=steps,
                      record_every=max(steps, 1), history_budget=1 << 16)
    start_loss = float(session.snapshot().current_loss[0])
    _step_all(session, steps, progress, cancelled)
    snap = session.snapshot()
    shape = (len(names), len(grid))
    diverged = np.array([s != "ok" for s in snap.status]).reshape(shape)
    final = np.asarray(snap.current_loss, dtype=float).reshape(shape).copy()
    final[diverged | ~np.isfinite(final)] = math.nan
    minima = [m.value for m in problem.minima]
    return SweepResult(
        problem=problem.name, optimizers=tuple(n for n, _ in names), lrs=grid,
        final_loss=final, diverged=diverged, steps=steps, start=start, start_loss=start_loss,
        f_min=min(minima) if minima else None, batch_size=batch_size, seed=seed)


def network_variants(config: Mapping[str, Any] | NetworkExperiment) -> list[tuple[str, dict]]:
    """The optimizers a network experiment's runs race, each once, as ``(name, run)``: ``name``
    is the run's default label without its lr (``Adam weight_decay=0.01``, ``SGD+momentum
    clip_norm=1``, a schedule's name after it) and ``run`` its run object without lr, label or
    colour. Runs that differ only in those are one variant."""
    experiment = _network(config)
    variants: dict[str, dict] = {}
    for run in experiment.to_dict()["runs"]:
        run = {k: v for k, v in run.items() if k not in ("lr", "label", "color")}
        options = {k: run[k] for k in ("clip_norm", "clip_value") if k in run}
        hyper = {k: v for k, v in run.items()
                 if k not in ("optimizer", "schedule", *options)}
        name = default_label(run["optimizer"], hyper, options)
        if run.get("schedule"):
            name += f" {run['schedule']['name']}"
        taken = [n for n in variants if n == name or n.startswith(f"{name} #")]
        if any(variants[n] == run for n in taken):
            continue
        variants[name if not taken else f"{name} #{len(taken) + 1}"] = run
    return list(variants.items())


def network_lr_sweep(
    config: Mapping[str, Any] | NetworkExperiment,
    lrs: Sequence[float],
    *,
    optimizers: Sequence[str] | None = None,
    steps: int | None = None,
    batch_size: int | str | None = "experiment",
    seed: int | None = None,
    cancelled: Callable[[], bool] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Train every optimizer at every lr on a network experiment and collect validation losses.

    The optimizers are the experiment's runs (:func:`network_variants`: their other settings
    kept, the lr swept), or the named ``optimizers`` with torch.optim's defaults. ``steps``,
    ``batch_size`` and ``seed`` default to the experiment's. All runs train together from the
    same initial weights on the same minibatches; ``final_loss`` is each run's validation loss
    after ``steps`` and ``start_loss`` the untrained network's, so :meth:`SweepResult.improvement`
    says how many times below the untrained loss an optimizer got. ``progress``/``cancelled``
    as for :func:`lr_sweep`, every :data:`NETWORK_CHUNK` steps; bad input raises
    :class:`ConfigError` naming the field.
    """
    experiment = _network(config)
    steps = experiment.steps if steps is None else steps
    if optimizers is None:
        variants = network_variants(experiment)
        _check(None, [], lrs, steps, need_optimizers=False)
    else:
        names, _ = _check(None, optimizers, lrs, steps)
        variants = [(name, {"optimizer": name, **{k: v for k, v in defaults.items() if k != "lr"}})
                    for name, defaults in names]
    grid = _grid(lrs, len(variants), MAX_NETWORK_RUNS)
    for name, run in variants:
        spec = {s.name: s for s in get_rule(run["optimizer"]).hyperparameters}.get("lr")
        if spec is None:
            raise ConfigError("optimizers", name, "an optimizer with a learning rate")
        for j, lr in enumerate(grid):
            spec.validate(float(lr), f"lrs[{j}]")
    base = experiment.to_dict()
    if experiment.data_fields.get("validation", 0) <= 0:
        raise ConfigError("network.validation", experiment.data_fields.get("validation"),
                          "a fraction > 0: the sweep judges each run by its validation loss")
    swept = {**base, "steps": steps, "eval_every": steps, "layer_stats_every": 0,
             "noise_scale_every": 0, "sharpness_every": 0, "record_batches": False,
             "runs": [{**run, "lr": float(lr), "label": f"{name} lr={lr:.3g}"}
                      for name, run in variants for lr in grid]}
    if batch_size != "experiment":
        swept["batch_size"] = batch_size
    if seed is not None:
        swept["seed"] = seed
    experiment = parse_network_experiment(swept)
    session = TrainingSession(experiment, history_budget=1 << 20)
    _step_all(session, steps, progress, cancelled, chunk=NETWORK_CHUNK, each_step=True)
    val_loss = session.records()["eval"]["val_loss"]
    shape = (len(variants), len(grid))
    diverged = np.array([s != "ok" for s in session.status()]).reshape(shape)
    final = np.asarray(val_loss[-1], dtype=float).reshape(shape).copy()
    final[diverged | ~np.isfinite(final)] = math.nan
    data = experiment.data_fields
    about = ", ".join(f"{k} {v:g}" for k, v in data.items()
                      if k in ("n_samples", "noise") and isinstance(v, (int, float)))
    return SweepResult(
        problem=data["dataset"], optimizers=tuple(name for name, _ in variants), lrs=grid,
        final_loss=final, diverged=diverged, steps=steps, start=None,
        start_loss=float(val_loss[0, 0]), f_min=None, batch_size=experiment.batch_size,
        seed=experiment.seed,
        network=f"{data['dataset']}{f' ({about})' if about else ''}, {session.model.description}")


def _network(config: Mapping[str, Any] | NetworkExperiment) -> NetworkExperiment:
    return (config if isinstance(config, NetworkExperiment)
            else parse_network_experiment(config))

def _check(problem: Problem | None, optimizers: Sequence[str], lrs: Sequence[float],
           steps: int, *, need_optimizers: bool = True
           ) -> tuple[list[tuple[str, dict]], np.ndarray]:
    if need_optimizers and not optimizers:
        raise ConfigError("optimizers", list(optimizers), "at least one optimizer")
    if len(set(optimizers)) != len(optimizers):
        raise ConfigError("optimizers", list(optimizers), "each optimizer once")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ConfigError("steps", steps, f"an integer from 1 to {MAX_STEPS}")
    grid = _grid(lrs, len(optimizers), MAX_RUNS)
    names = []
    for i, name in enumerate(optimizers):
        rule = get_rule(name, f"optimizers[{i}]")
        specs = {spec.name: spec for spec in rule.hyperparameters}
        if "lr" not in specs:
            raise ConfigError(f"optimizers[{i}]", name, "an optimizer with a learning rate")
        for j, lr in enumerate(grid):
            specs["lr"].validate(float(lr), f"lrs[{j}]")
        defaults = {spec.name: spec.default for spec in rule.hyperparameters}
        rule.check({**defaults, "lr": float(grid[0])}, f"optimizers[{i}]")
        names.append((name, defaults))
    return names, grid


def _grid(lrs: Sequence[float], n_optimizers: int, max_runs: int) -> np.ndarray:
    """The learning rates sorted, each once (ConfigError naming ``lrs`` otherwise)."""
    try:
        grid = np.array(sorted(float(lr) for lr in lrs))
    except (TypeError, ValueError):
        raise ConfigError("lrs", list(lrs), "numbers > 0") from None
    if grid.size == 0 or len(np.unique(grid)) != grid.size:
        raise ConfigError("lrs", list(lrs), "one or more different learning rates")
    if max(n_optimizers, 1) * grid.size > max_runs:
        raise ConfigError("lrs", grid.size, f"at most {max_runs} runs in all")
    return grid


def _step_all(session: Any, steps: int, progress: Callable[[int, int], None] | None,
              cancelled: Callable[[], bool] | None, *, chunk: int = CHUNK,
              each_step: bool = False) -> None:
    """Step ``session`` (2D or network) ``steps`` steps in chunks, reporting progress and
    raising :class:`SweepCancelled` as soon as ``cancelled()`` says so (between chunks, or
    with ``each_step`` between any two steps: a network session stops mid-chunk)."""
    done = 0
    while done < steps:
        if cancelled is not None and cancelled():
            raise SweepCancelled
        n = min(chunk, steps - done)
        done = session.step(n, cancelled) if each_step else session.step(n)
        if progress is not None:
            progress(done, steps)
