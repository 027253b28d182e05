"""The effective learning rate of a step, −Δw / g per coordinate, worked out when it is read.

The records keep the position a step started from (``position_before``), the position it reached
and the gradient it was given, and nothing more: the ratio is computed from them on demand (a
snapshot, a run of a result, a column), never in the stepping loop, so a run of 10,000 starts pays
for it only if someone reads it.
"""

from __future__ import annotations

import numpy as np

#: A step of less than this many units of rounding of its weight is left out of the effective
#: learning rate (NaN): Δw is a difference of two weights, so Δw / g would be off by > 0.1 %.
WELL_CONDITIONED_ULPS = 1024


def effective_lr(before: np.ndarray, after: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """``(before − after) / grad`` where the step is well conditioned, NaN elsewhere.

    Elementwise over arrays of one floating dtype (any shape; the arithmetic stays in that
    dtype): NaN where the step is at most :data:`WELL_CONDITIONED_ULPS` roundings of the larger of
    the two weights (or either is NaN), ±inf where a step was taken on a zero gradient.
    """
    before, after, grad = np.asarray(before), np.asarray(after), np.asarray(grad)
    dtype = np.result_type(before, after, grad)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        step = before - after
        rounding = np.finfo(dtype).eps * np.maximum(np.abs(before), np.abs(after))
        well = np.abs(step) > WELL_CONDITIONED_ULPS * rounding
        return np.where(well, step / grad, np.array(np.nan, dtype=dtype))
