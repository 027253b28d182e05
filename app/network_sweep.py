"""The learning-rate sweep of a network experiment: what the sweep window needs to run one.

The network workbench opens :class:`app.lr_sweep.LrSweepWindow` with its current experiment;
the window then offers the optimizers of :data:`OPTIMIZERS` (SGD, Adam + L2 and AdamW checked:
the lecture's comparison) and sends a :class:`NetworkSweepJob` to its worker, which trains every
(optimizer, lr) pair together with :func:`optim_core.sweep.network_lr_sweep` on the experiment's
data set, model, batch size, seed and steps. Each run is judged by its final validation loss
relative to the untrained network's, and :func:`relative` scales a result to that ratio for the
plot. Plain data and functions, no Qt.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from optim_core.sweep import SweepResult, network_lr_sweep, network_variants

#: the weight decay of "Adam + L2" and AdamW: AdamW's default, the same for both
WEIGHT_DECAY = 0.01
#: name shown → (the run it trains, without lr; checked when the window opens)
OPTIMIZERS: dict[str, tuple[dict[str, Any], bool]] = {
    "SGD": ({"optimizer": "SGD"}, True),
    "SGD + momentum": ({"optimizer": "SGD", "momentum": 0.9}, False),
    "Adam": ({"optimizer": "Adam"}, False),
    "Adam + L2": ({"optimizer": "Adam", "weight_decay": WEIGHT_DECAY}, True),
    "AdamW": ({"optimizer": "AdamW", "weight_decay": WEIGHT_DECAY}, True),
    "RMSprop": ({"optimizer": "RMSprop"}, False),
}
#: the check box for the experiment's own runs (each distinct one once, its other settings kept)
EXPERIMENT_RUNS = "the experiment's runs"
#: what each name means, for the check boxes' tooltips
MEANING = {
    "SGD": "torch.optim.SGD, no momentum",
    "SGD + momentum": "torch.optim.SGD(momentum=0.9)",
    "Adam": "torch.optim.Adam, no weight decay",
    "Adam + L2": f"torch.optim.Adam(weight_decay={WEIGHT_DECAY:g}): the decay added to the "
                 "gradient, then divided by √v like it",
    "AdamW": f"torch.optim.AdamW(weight_decay={WEIGHT_DECAY:g}): the decay applied to the "
             "weights, outside the adaptive step",
    "RMSprop": "torch.optim.RMSprop",
    EXPERIMENT_RUNS: "the workbench's runs as they are (momentum, weight decay, clipping, "
                     "schedule), each distinct one once, its lr swept",
}
#: lo, hi, points: three lrs a decade, wide enough that no best lr of the lesson's net lies at
#: the grid's edge (lrs up to 3 left SGD's there on three seeds of four)
DEFAULT_LRS = (1e-4, 10.0, 16)


def chosen_runs(config: Mapping[str, Any], names: Sequence[str]
                ) -> tuple[tuple[str, dict[str, Any]], ...]:
    """``(name, run without lr)`` for the check boxes ``names`` (of :data:`OPTIMIZERS`, and
    :data:`EXPERIMENT_RUNS` for ``config``'s own runs, named as ``sweep --network`` names them).
    A run equal to one chosen already (torch's defaults filled in) is left out; a name taken
    already gets " (its own)"."""
    boxes = [name for name in names if name != EXPERIMENT_RUNS]
    runs = [{**OPTIMIZERS[name][0], "lr": 0.01} for name in boxes]
    if EXPERIMENT_RUNS in names:
        runs += list(config.get("runs", []))
    # network_variants fills in the defaults and keeps each distinct run once, in order: the
    # boxes' runs (all different) come first
    variants = network_variants({**config, "runs": runs}) if runs else []
    out: dict[str, dict[str, Any]] = {}
    for i, (label, run) in enumerate(variants):
        name = boxes[i] if i < len(boxes) else label
        out[f"{name} (its own)" if name in out else name] = run
    return tuple(out.items())


@dataclass(frozen=True)
class NetworkSweepJob:
    """Sweep ``runs`` (``(name, run without lr)``, as :func:`chosen_runs` gives them) over
    ``lrs`` on ``config`` (a network experiment's dict; its runs replaced) for ``steps``."""

    config: Mapping[str, Any]
    runs: tuple[tuple[str, Mapping[str, Any]], ...]
    lrs: tuple[float, ...]
    steps: int

    @property
    def optimizers(self) -> tuple[str, ...]:
        """The names the plot and the verdict give the runs."""
        return tuple(name for name, _ in self.runs)

    def run(self, *, cancelled: Callable[[], bool] | None = None,
            progress: Callable[[int, int], None] | None = None) -> SweepResult:
        """Train every run; the result's optimizers carry the names shown. Raises ConfigError
        naming the field for bad input, SweepCancelled when ``cancelled()`` turns true."""
        placeholder = float(self.lrs[0]) if self.lrs else 0.01  # each run's lr is swept
        runs = [{**run, "lr": placeholder, "label": name} for name, run in self.runs]
        result = network_lr_sweep({**self.config, "runs": runs}, self.lrs, steps=self.steps,
                                  cancelled=cancelled, progress=progress)
        if len(result.optimizers) != len(self.runs):  # runs that differ only in their label
            return result
        return replace(result, optimizers=self.optimizers)


def describe(config: Mapping[str, Any]) -> str:
    """What a sweep of ``config`` trains, in words: data set, model, batch size."""
    data = dict(config.get("network", {}))
    about = ", ".join(f"{k} {data[k]:g}" for k in ("n_samples", "noise")
                      if isinstance(data.get(k), (int, float)))
    model = data.get("model", "mlp")
    hidden = "-".join(str(h) for h in data.get("hidden", ()))
    layers = f", hidden {hidden}" if hidden else ""
    activation = f", {data['activation']}" if data.get("activation") else ""
    batch = config.get("batch_size")
    batch_text = "full batch" if batch is None else f"batch size {batch}"
    return (f"{data.get('dataset', '?')}{f' ({about})' if about else ''}, "
            f"{model.upper()}{layers}{activation}; {batch_text}")


def title(result: SweepResult) -> str:
    """The plot's title (HTML): what was trained, for how long, and with which settings."""
    batch = "full batch" if result.batch_size is None else f"batch size {result.batch_size}"
    decay = [name for name in result.optimizers if name in ("Adam + L2", "AdamW")]
    own = any(name not in OPTIMIZERS for name in result.optimizers)
    settings = ([f"{' and '.join(decay)} with weight_decay {WEIGHT_DECAY:g}"] if decay else [])
    settings.append("the experiment's runs with their own settings" if own else "")
    rest = "everything else at torch.optim's defaults"
    return (f"<b>Final validation loss after {result.steps} steps, relative to the untrained "
            f"net's</b> — {html.escape(str(result.network))}, {batch}, seed {result.seed}; "
            + ", ".join(part for part in (*settings, rest) if part))


def relative(result: SweepResult) -> SweepResult:
    """``result`` with its losses divided by the untrained loss (which becomes 1)."""
    scale = result.start_loss
    if not (math.isfinite(scale) and scale > 0):
        return result
    return replace(result, final_loss=result.final_loss / scale, start_loss=1.0)


def verdict(result: SweepResult, factor: float = 10.0) -> str:
    """One sentence: which optimizer keeps its validation loss within ``factor``× of its best
    over the widest range of lrs, and which got nowhere near ``factor``× below the untrained
    loss."""
    decades = result.tolerant_decades(factor)
    edges = result.range_at_edge(factor)
    judged = [(d, name, edge) for d, name, edge in zip(decades, result.optimizers, edges,
                                                       strict=True) if not math.isnan(d)]
    parts = []
    if judged:
        widest = max(d for d, _, _ in judged)
        names = [f"{name} {'≥ ' if edge else ''}{d:.1f}" for d, name, edge in judged
                 if d >= widest - 1e-9]
        parts.append(f"widest range within {factor:g}× of its best: {' and '.join(names)} "
                     "decades of lr")
    weak = [name for d, name in zip(decades, result.optimizers, strict=True) if math.isnan(d)]
    if weak:
        parts.append(f"never {factor:g}× below the untrained loss (or diverged): "
                     f"{', '.join(weak)}")
    edge_best = [name for name, at in zip(result.optimizers, result.best_at_edge(), strict=True)
                 if at]
    if edge_best:
        parts.append(f"best lr at the grid's edge, widen it: {', '.join(edge_best)}")
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]}." if text else ""
