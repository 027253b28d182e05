"""How a landscape's values map to colours, chosen from robust statistics of its grid.

A linear scale from the grid's minimum to its maximum is ruled by the few largest values: x⁴
terms in Styblinski–Tang's corners leave its four basins one white square. So the colour levels
run from a low percentile to a high one (:data:`LOW_PERCENTILE` … :data:`HIGH_PERCENTILE`; the
few values beyond them take the end colours), and the scale is logarithmic where that spreads the
grid's values over the colour map clearly better than the problem's own choice (the range of
values is wide). :func:`colour_use` measures the spread: the normalised entropy of the values'
histogram over :data:`BINS` bands of the colour map, 1 when every band holds as many pixels.
"""

from __future__ import annotations

import numpy as np

__all__ = ["choose_log_scale", "colour_levels", "colour_use", "display_field"]

#: log10(z − z_min + eps) with eps this share of the grid's range, so the minimum is finite
LOG_EPS_REL = 1e-6
#: colour levels, in percentiles of the displayed field (linear scales start at the minimum)
LOW_PERCENTILE = 2.0
HIGH_PERCENTILE = 99.0
#: bands of the colour map counted by :func:`colour_use`
BINS = 16
#: the other scale is taken only when it uses the colour map this much better
SWITCH_MARGIN = 0.1


def display_field(z: np.ndarray, log_scale: bool) -> np.ndarray:
    """The values the panel colours: ``z`` itself, or log10(z − z_min + eps) on a log scale.

    ``eps`` is ``LOG_EPS_REL`` times the finite range of ``z`` (1 if that range is 0). Entries
    that are not finite (overflow) are shown as the highest finite value.
    """
    z = np.asarray(z, dtype=float)
    finite = np.isfinite(z)
    if not finite.any():
        return np.zeros(z.shape)
    lo, hi = float(z[finite].min()), float(z[finite].max())
    if log_scale:
        eps = (hi - lo) * LOG_EPS_REL or 1.0
        return np.log10(np.where(finite, z, hi) - lo + eps)
    return np.where(finite, z, hi)


def colour_levels(field: np.ndarray, log_scale: bool) -> tuple[float, float]:
    """The field values of the colour map's two ends: a high percentile at the top; at the
    bottom the minimum on a linear scale, a low percentile on a log one (a log scale would
    otherwise spend half its colours on the few pixels nearest a minimum)."""
    field = np.asarray(field, dtype=float)
    lo = float(np.percentile(field, LOW_PERCENTILE)) if log_scale else float(field.min())
    hi = float(np.percentile(field, HIGH_PERCENTILE))
    if not hi > lo:
        lo, hi = float(field.min()), float(field.max())
    return lo, (hi if hi > lo else lo + 1.0)


def colour_use(field: np.ndarray, levels: tuple[float, float]) -> float:
    """How evenly ``field``'s values spread over the colour map between ``levels`` (0 … 1)."""
    lo, hi = levels
    t = np.clip((np.asarray(field, dtype=float) - lo) / (hi - lo), 0.0, 1.0)
    counts = np.histogram(t, bins=BINS, range=(0.0, 1.0))[0]
    p = counts[counts > 0] / t.size
    return float(-(p * np.log(p)).sum() / np.log(BINS))


def choose_log_scale(z: np.ndarray, preferred: bool) -> bool:
    """Log or linear colours for ``z``: the ``preferred`` scale unless the other one uses the
    colour map clearly (:data:`SWITCH_MARGIN`) better."""
    use = {}
    for log in (False, True):
        field = display_field(z, log)
        use[log] = colour_use(field, colour_levels(field, log))
    return (not preferred) if use[not preferred] > use[preferred] + SWITCH_MARGIN else preferred
