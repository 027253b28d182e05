"""Every built-in landscape shows its structure: its colour image spreads over a good part of the
colour map's lightness (Styblinski–Tang was one white square under a scale set by its corners)."""

import numpy as np
import pytest

from app.landscape_grid import landscape_grid
from optim_core.problems import make_problem
from optim_core.problems.registry import PROBLEMS
from widgets import LandscapePanel, style

#: the plateau's flat top is its point: three quarters of its view lie within 1 % of the top
FLAT_BY_DESIGN = {"plateau"}


def lightness(name: str) -> np.ndarray:
    """Each grid pixel's lightness as the landscape panel colours it: 0 the colour map's
    lightest, 1 its darkest."""
    grid = landscape_grid(make_problem(name))
    panel = LandscapePanel()
    try:
        panel.set_landscape(grid.x, grid.y, grid.z, log_scale=grid.log_scale, minima=grid.minima,
                            view=grid.view, title=grid.title, isolines=grid.isolines)
        image, (lo, hi) = panel._image.image, panel._image.levels  # what the panel draws
    finally:
        panel.deleteLater()
    t = np.clip((np.asarray(image, dtype=float) - lo) / (hi - lo), 0.0, 1.0).ravel()
    cmap = style.landscape_colormap()
    rgb = cmap.map(np.concatenate([t, [0.0, 1.0]]), mode="float")[:, :3]
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722])
    lightest, darkest = luma[-2], luma[-1]
    return (lightest - luma[:-2]) / (lightest - darkest)


@pytest.fixture(autouse=True)
def _qt(qapp):
    """The panel needs a QApplication."""


@pytest.mark.parametrize("name", [n for n in PROBLEMS if n not in FLAT_BY_DESIGN])
def test_a_landscape_uses_a_good_part_of_the_colour_map(name):
    shade = lightness(name)
    p5, median, p95 = np.percentile(shade, [5, 50, 95])
    assert p95 - p5 >= 0.55, f"{name}: the middle 90 % of pixels span {p95 - p5:.2f}"
    assert 0.1 <= median <= 0.9, f"{name}: half the pixels are within {median:.2f} of one end"


@pytest.mark.parametrize("name", sorted(FLAT_BY_DESIGN))
def test_a_plateau_shows_its_basin_across_the_colour_map(name):
    shade = lightness(name)
    basin = shade[shade < 0.95]
    assert basin.size >= 0.1 * shade.size
    assert np.ptp(basin) >= 0.8
