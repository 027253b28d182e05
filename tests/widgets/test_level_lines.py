"""Level lines by vectorised marching squares: the same crossing points as pyqtgraph's isocurve,
saddles split by the centre value, in data units."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from widgets.level_lines import level_segments


def _segments(points: np.ndarray) -> set[frozenset]:
    rounded = [tuple(np.round(p, 9)) for p in points]
    return {frozenset(rounded[i:i + 2]) for i in range(0, len(rounded), 2)}


def test_away_from_saddles_the_segments_are_pyqtgraphs() -> None:
    rng = np.random.default_rng(0)
    f = rng.random((20, 30))
    x, y = np.linspace(-1.0, 2.0, 30), np.linspace(0.0, 1.0, 20)
    ours = level_segments(x, y, f, 0.5)
    theirs = np.array([p for seg in pg.functions.isocurve(f.T, 0.5) for p in seg], float)
    # isocurve puts sample i at i + 0.5
    theirs = np.column_stack([x[0] + (theirs[:, 0] - 0.5) * (x[1] - x[0]),
                              y[0] + (theirs[:, 1] - 0.5) * (y[1] - y[0])])
    above = f > 0.5
    corners = (above[:-1, :-1], above[:-1, 1:], above[1:, 1:], above[1:, :-1])
    saddles = int(((corners[0] != corners[1]).astype(int) + (corners[1] != corners[2])
                   + (corners[3] != corners[2]) + (corners[0] != corners[3]) == 4).sum())
    assert saddles > 0 and len(ours) == len(theirs)
    assert {tuple(np.round(p, 9)) for p in ours} == {tuple(np.round(p, 9)) for p in theirs}
    # pyqtgraph splits every saddle the same way; the two may differ only there
    assert len(_segments(ours) - _segments(theirs)) <= 2 * saddles


def test_a_saddle_is_split_by_its_centre() -> None:
    x = y = np.array([0.0, 1.0])
    high_centre = np.array([[1.0, 0.0], [0.4, 1.0]])  # (0,0) and (1,1) high; centre 0.6
    cut = _segments(level_segments(x, y, high_centre, 0.5))
    # the low corners (1, 0) and (0, 1) are cut off (the line from (0, 0.4) to (1, 1) crosses
    # 0.5 at x = 1/6)
    assert cut == _segments(np.array([(1.0, 0.5), (0.5, 0.0), (0.1 / 0.6, 1.0), (0.0, 0.5 / 0.6)]))
    low_centre = np.array([[1.0, 0.0], [0.0, 0.6]])  # centre 0.4: the high corners are cut off
    cut = _segments(level_segments(x, y, low_centre, 0.5))
    assert cut == _segments(np.array([(0.5, 0.0), (0.0, 0.5), (1.0, 0.5 / 0.6), (0.5 / 0.6, 1.0)]))


def test_a_circle_is_found_where_it_is() -> None:
    x = y = np.linspace(-2.0, 2.0, 81)
    f = x[None, :] ** 2 + y[:, None] ** 2
    points = level_segments(x, y, f, 1.0)
    radius = np.hypot(points[:, 0], points[:, 1])
    assert len(points) > 100 and np.allclose(radius, 1.0, atol=2e-3)


def test_nothing_to_draw() -> None:
    x = y = np.arange(3.0)
    assert level_segments(x, y, np.zeros((3, 3)), 0.5).shape == (0, 2)
    assert level_segments(x[:1], y, np.zeros((3, 1)), 0.5).shape == (0, 2)
