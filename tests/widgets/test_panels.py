"""The plot panels draw exactly what they are given, survive what diverged runs produce, and
answer the user (clicks, toggles, selectors) with the right signals.

The tests look at the panels' pyqtgraph items (private attributes) on purpose: what a view draws
*is* the data in its items.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import (
    RUN_COLORS,
    AdaptiveLrPanel,
    GradientNoisePanel,
    LandscapePanel,
    LossCurvesPanel,
    configure_pyqtgraph,
    decimate,
)
from widgets import landscape as landscape_module
from widgets.style import MAX_POINTS, TickAxis, nice_number

# the offscreen platform says so whenever a top-level window is shown; harmless
SIZE_HINTS = "does not support propagateSizeHints"
pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore(SIZE_HINTS)]

LEFT = QtCore.Qt.MouseButton.LeftButton
# QTest complains when a view leaves a mouse event "unaccepted"; pyqtgraph's views always do
# (their scene turns presses into its own click/drag events), so it says nothing about us.
# (The closest qt_log_ignore mark wins, so this one repeats the module's.)
IGNORE_UNACCEPTED = pytest.mark.qt_log_ignore(SIZE_HINTS, r'Mouse event "Mouse\w+" not accepted')


# --- realistic data -------------------------------------------------------------------------


def rosenbrock(w1: np.ndarray, w2: np.ndarray) -> np.ndarray:
    return (1 - w1) ** 2 + 100 * (w2 - w1**2) ** 2


def grid(nx: int = 120, ny: int = 90) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A deliberately non-square grid, so a transposed image would be caught."""
    x = np.linspace(-2.0, 2.0, nx)
    y = np.linspace(-1.0, 3.0, ny)
    xx, yy = np.meshgrid(x, y)
    return x, y, rosenbrock(xx, yy)


def spiral_path(n: int, start: tuple[float, float] = (-1.5, 2.0)) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    r = 1.0 - t
    return np.column_stack(
        [1.0 + (start[0] - 1.0) * r * np.cos(6 * t), 1.0 + (start[1] - 1.0) * r * np.cos(4 * t)]
    )


def diverged_path() -> np.ndarray:
    return np.array([[-1.2, 1.0], [0.9, 1.8], [4.6, -0.1], [-400.0, 43.0], [np.inf, np.nan]])


def losses(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 10.0 * np.exp(-np.arange(n) / (n / 5)) * (1 + 0.1 * rng.random(n))


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture
def show(qtbot) -> Callable[..., QtWidgets.QWidget]:
    configure_pyqtgraph()

    def _show(panel: QtWidgets.QWidget, size: tuple[int, int] = (640, 480)) -> QtWidgets.QWidget:
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        QtWidgets.QApplication.processEvents()  # finish layout, so repaint() really paints
        return panel

    return _show


class PaintCounter(QtCore.QObject):
    """Counts the paint events a widget receives."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        if event.type() == QtCore.QEvent.Type.Paint:
            self.count += 1
        return False


def curve_xy(item: pg.GraphicsObject) -> tuple[np.ndarray, np.ndarray]:
    x, y = item.getData()
    return (np.asarray([]), np.asarray([])) if x is None else (np.asarray(x), np.asarray(y))


def original_xy(item: pg.PlotDataItem) -> tuple[np.ndarray, np.ndarray]:
    """The data handed to a PlotDataItem, before its log mapping."""
    x, y = item.getOriginalDataset()
    return (np.asarray([]), np.asarray([])) if x is None else (np.asarray(x), np.asarray(y))


def scatter_points(item: pg.ScatterPlotItem) -> np.ndarray:
    return np.column_stack(item.getData()) if len(item.data) else np.empty((0, 2))


def run_marker(item: pg.ScatterPlotItem, run: int) -> tuple[np.ndarray, np.ndarray]:
    """Run ``run``'s rows of a merged marker item: its points and its per-point records."""
    rows = np.flatnonzero(item.data["data"] == run) if len(item.data) else np.empty(0, int)
    return scatter_points(item)[rows].reshape(-1, 2), item.data[rows]


def view_pos(plot: pg.PlotItem, view: pg.GraphicsView, x: float, y: float) -> QtCore.QPoint:
    """The viewport pixel showing data point (x, y)."""
    scene = plot.getViewBox().mapViewToScene(QtCore.QPointF(x, y))
    return view.mapFromScene(scene)


def landscape_panel(show) -> LandscapePanel:
    panel = show(LandscapePanel())
    x, y, z = grid()
    panel.set_landscape(
        x, y, z, log_scale=True, minima=[(1.0, 1.0)], view=(-2.0, 2.0, -1.0, 3.0),
        title="Rosenbrock",
    )
    panel.set_runs(["SGD", "Momentum", "Adam"], RUN_COLORS[:3])
    return panel


# --- fill / check / clear, for every panel (the registry the table-driven tests use) --------


def fill_landscape(panel: LandscapePanel, k: int = 0) -> None:
    if not panel._tracks:
        x, y, z = grid()
        panel.set_landscape(
            x, y, z, log_scale=True, minima=[(1.0, 1.0)], view=(-2, 2, -1, 3), title="R"
        )
        panel.set_runs(["a", "b", "c"], RUN_COLORS[:3])
    path = spiral_path(50 + k)
    panel.set_trajectories([path, path[: 10 + k % 7], diverged_path()])
    panel.set_arrows("gradient", path[-1:].repeat(3, 0), np.array([[1.0, 0.5]] * 3) * (1 + k))


def fill_loss(panel: LossCurvesPanel, k: int = 0) -> None:
    if not panel._curves:
        panel.set_runs(["a", "b"], RUN_COLORS[:2])
    n = 100 + k
    panel.set_curves([np.arange(n), np.arange(n)], [losses(n), losses(n, 1) * 2])


def fill_noise(panel: GradientNoisePanel, k: int = 0) -> None:
    rng = np.random.default_rng(k)
    se = np.array([0.3, 0.1])
    g = np.array([1.0, -0.5])
    panel.show_noise(g + rng.standard_normal((500, 2)) * se, g, se, 32, 1000, "SGD", RUN_COLORS[0])


def fill_lr(panel: AdaptiveLrPanel, k: int = 0) -> None:
    if not panel._curves[0]:
        panel.set_runs(["a", "b"], RUN_COLORS[:2])
    n = 100 + k
    lr = np.column_stack([np.full(n, 0.01), np.geomspace(0.1, 0.001, n)])
    panel.set_curves([np.arange(n), np.arange(n)], [lr, lr * 2])


def drawn_points(panel: QtWidgets.QWidget) -> int:
    """How many data points the panel currently draws, over all its curves."""
    if isinstance(panel, LandscapePanel):
        return sum(t.drawn()[0].size for t in panel._tracks) + int(
            panel._image.image is not None
        )
    if isinstance(panel, LossCurvesPanel):
        return sum(curve_xy(c.curve)[0].size for c in panel._curves)
    if isinstance(panel, GradientNoisePanel):
        return sum(curve_xy(c.hist)[1].size for c in panel._coords)
    return sum(curve_xy(c.curve)[0].size for curves in panel._curves for c in curves)


PANELS = {
    "landscape": (LandscapePanel, fill_landscape),
    "loss": (LossCurvesPanel, fill_loss),
    "noise": (GradientNoisePanel, fill_noise),
    "lr": (AdaptiveLrPanel, fill_lr),
}


@pytest.mark.parametrize("name", PANELS)
def test_panel_shows_draws_and_clears(show, name):
    cls, fill = PANELS[name]
    panel = show(cls())
    fill(panel)
    assert drawn_points(panel) > 0
    panel.clear()
    assert drawn_points(panel) == 0


@pytest.mark.parametrize("size", [(640, 480), (400, 300)])
@pytest.mark.parametrize("name", PANELS)
def test_export_writes_png_and_svg(show, tmp_path, name, size):
    cls, fill = PANELS[name]
    panel = show(cls(), size)
    fill(panel)
    panel.export_image(str(tmp_path / "p.png"))
    panel.export_image(str(tmp_path / "p.svg"))
    image = QtGui.QImage(str(tmp_path / "p.png"))
    assert not image.isNull() and image.width() >= size[0]  # rendered at 2×, panel minus header
    svg = (tmp_path / "p.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and len(svg) > 1000


def test_export_rejects_unknown_format(show, tmp_path):
    panel = show(LossCurvesPanel())
    with pytest.raises(ValueError, match=r"png or \.svg"):
        panel.export_image(str(tmp_path / "p.jpg"))


@pytest.mark.parametrize("name", PANELS)
def test_repaints_hundreds_of_times_without_crashing(show, name):
    """Guards the PySide6 6.12.0 crash (a None leak per void Qt call kills Python after a few
    dozen repaints of a pyqtgraph widget): every panel repaints 300 times with new data."""
    cls, fill = PANELS[name]
    panel = show(cls(), (400, 300))
    viewport = panel._view.viewport()  # the plots are painted in the view's viewport
    paints = PaintCounter()
    viewport.installEventFilter(paints)
    for k in range(300):
        fill(panel, k)
        panel.repaint()  # the header and frame; the view's viewport repaints on its own:
        viewport.repaint()
    viewport.removeEventFilter(paints)
    assert drawn_points(panel) > 0
    assert paints.count >= 300  # really painted, every time


# --- decimate -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["stride", "peak"])
@pytest.mark.parametrize("n", [0, 1, 5, 4000, 4001, 10_007, 100_000])
def test_decimate_bounds_points_and_keeps_the_last(method, n):
    x = np.arange(n, dtype=float)
    y = np.sin(x / 50.0)
    dx, dy = decimate(x, y, 4000, method=method)
    assert dx.size == dy.size <= max(4000, 0)
    if n <= 4000:
        assert dx is x and dy is y
    if n:
        assert dx[-1] == x[-1] and dy[-1] == y[-1]
        assert np.all(np.diff(dx) >= 0)


def test_decimate_stride_keeps_first_point_and_takes_every_kth():
    x = np.arange(10_001.0)
    dx, dy = decimate(x, x * 2, 1001)
    assert dx[0] == 0 and dx[-1] == 10_000
    assert np.all(dy == 2 * dx)
    assert np.all(np.diff(dx[:-1]) == 10)


def test_decimate_peak_keeps_spikes_and_ignores_nan():
    y = np.ones(100_000)
    y[12_345], y[67_890] = 50.0, -7.0
    y[20_000:20_100] = np.nan
    _, dy = decimate(np.arange(y.size), y, 1000, method="peak")
    assert np.nanmax(dy) == 50.0 and np.nanmin(dy) == -7.0


def test_decimate_refuses_bad_input():
    with pytest.raises(ValueError, match="differ in length"):
        decimate(np.arange(3), np.arange(4))
    with pytest.raises(ValueError, match="max_points"):
        decimate(np.arange(10), np.arange(10), 2)
    with pytest.raises(ValueError, match="method"):
        decimate(np.arange(10), np.arange(10), 4, method="mean")


def test_nice_number_and_tick_labels(qapp):
    assert [nice_number(v) for v in (0.0183, 7.0, 1.0, 260.0)] == [0.01, 5.0, 1.0, 200.0]
    axis = TickAxis("left")
    assert axis.tickStrings([0.0, 2.5e12], 1.0, 2.5e12) == ["0", "2.5×10¹²"]
    assert axis.tickStrings([-0.5, 0.5], 1.0, 0.5) == ["−0.5", "0.5"]
    axis.setLogMode(y=True)
    assert axis.tickStrings([-3.0, 0.0, 1.0, 2.0], 1.0, 1.0) == ["10⁻³", "1", "10", "10²"]
    axis.logTickValues(-0.5, 0.8, 200, [(1.0, [0.0])])  # a short axis labels minor ticks
    # minor ticks over most of a decade: only 2× and 5× are labelled, 0.9 would overprint 1
    minor = list(np.log10([0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 2.0, 3.0, 4.0, 5.0]))
    assert axis.tickStrings(minor, 1.0, None) == ["", "0.5", "", "", "", "", "2", "", "", "5"]
    few = list(np.log10([3.0, 4.0, 5.0]))
    axis.logTickValues(0.4, 0.75, 800, [(1.0, [])])  # room for every minor label
    assert axis.tickStrings(few, 1.0, None) == ["3", "4", "5"]
    axis.logTickValues(0.0, 0.9, 40, [(1.0, [0.0])])  # a short, empty panel: no room at all
    assert axis.tickStrings(few, 1.0, None) == ["", "", ""]
    # beside labelled minor ticks the decades are plain decimals too: 0.05, 0.1, 0.2
    axis.logTickValues(-1.5, -0.2, 200, [(1.0, [-1.0])])
    assert axis.tickStrings([-1.0], 1.0, 1.0) == ["0.1"]
    axis.logTickValues(-6.0, 2.0, 200, [(2.0, [-6.0, -4.0, -2.0, 0.0, 2.0]),
                                         (1.0, [-5.0, -3.0, -1.0, 1.0]), (0.5, [])])
    assert axis.tickStrings([-2.0], 1.0, 2.0) == ["10⁻²"]
    assert axis.tickStrings(list(np.log10([0.2, 0.5])), 1.0, None) == ["", ""]


# --- landscape ------------------------------------------------------------------------------


def test_landscape_image_is_the_log_loss_on_the_grid(show):
    panel = landscape_panel(show)
    x, y, z = grid()
    image = panel._image.image
    assert image.shape == z.shape == (90, 120)
    eps = landscape_module.LOG_EPS_REL * (z.max() - z.min())
    np.testing.assert_allclose(image, np.log10(z - z.min() + eps))
    # the image covers the grid, samples at pixel centres; row 0 is y[0]
    rect = panel._image.mapRectToParent(panel._image.boundingRect())
    dx, dy = x[1] - x[0], y[1] - y[0]
    assert rect.left() == pytest.approx(x[0] - dx / 2) and rect.right() == pytest.approx(
        x[-1] + dx / 2
    )
    assert rect.top() == pytest.approx(y[0] - dy / 2) and rect.bottom() == pytest.approx(
        y[-1] + dy / 2
    )
    centre = panel._image.mapToParent(QtCore.QPointF(0.5, 0.5))
    assert (centre.x(), centre.y()) == pytest.approx((x[0], y[0]))
    # colours from robust statistics: a few pixels at a minimum or in a corner do not set them
    assert tuple(panel._image.getLevels()) == pytest.approx(
        (np.percentile(image, 2), np.percentile(image, 99)))


def test_landscape_linear_scale_shows_the_loss_and_tames_overflow(show):
    panel = landscape_panel(show)
    x, y, z = grid(40, 30)
    z[3, 4], z[5, 6] = np.inf, np.nan
    panel.set_landscape(x, y, z, log_scale=False, minima=[], view=(-2, 2, -1, 3))
    image = panel._image.image
    finite = np.isfinite(z)
    np.testing.assert_array_equal(image[finite], z[finite])
    assert image[3, 4] == image[5, 6] == z[finite].max()
    assert len(panel._minima.data) == 0


def test_landscape_isolines_are_one_curve_at_increasing_levels(show):
    panel = landscape_panel(show)
    levels = panel.isoline_levels
    assert len(levels) == landscape_module.N_ISOLINES
    assert np.all(np.diff(levels) > 0)
    image = panel._image.image
    assert levels[0] > np.percentile(image, 1.0) and levels[-1] < image.max()
    x, y = curve_xy(panel._isolines)
    finite = np.isfinite(x)
    assert finite.sum() > 100 and (~finite).any()  # many lines, NaN between them
    assert x[finite].min() >= -2.0 and x[finite].max() <= 2.0
    assert y[finite].min() >= -1.0 and y[finite].max() <= 3.0


def test_landscape_draws_isolines_it_is_given_without_tracing_its_own(show, monkeypatch):
    panel = landscape_panel(show)
    monkeypatch.setattr(landscape_module, "isoline_polylines",
                        lambda *_: pytest.fail("traced on the GUI thread"))
    x, y, z = grid()
    lines = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, np.nan], [0.0, 1.0], [1.0, 2.0]])
    panel.set_landscape(x, y, z, log_scale=True, minima=[], view=(-2.0, 2.0, -1.0, 3.0),
                        isolines=(np.array([1.0, 2.0]), lines))
    np.testing.assert_array_equal(np.column_stack(curve_xy(panel._isolines)), lines)
    np.testing.assert_array_equal(panel.isoline_levels, [1.0, 2.0])


def test_the_gradient_arrow_is_named_for_the_descent_direction(show):
    panel = landscape_panel(show)
    panel.set_arrows("gradient", np.zeros((3, 2)), np.ones((3, 2)))
    panel.set_arrows("look-ahead", np.zeros((3, 2)), np.full((3, 2), 0.5))
    assert "−gradient" in panel._legend.plain_text()
    tip = panel._view.toolTip()
    gradient, look_ahead = tip.splitlines()
    assert "descent direction" in gradient and "ends there" in look_ahead


def test_landscape_marks_minima_and_refuses_a_transposed_grid(show):
    panel = landscape_panel(show)
    np.testing.assert_array_equal(scatter_points(panel._minima), [[1.0, 1.0]])
    x, y, z = grid()
    with pytest.raises(ValueError, match="shape"):
        panel.set_landscape(x, y, z.T, log_scale=False, minima=[], view=(-2, 2, -1, 3))


def test_trajectories_draw_finite_rows_and_mark_the_current_point(show):
    panel = landscape_panel(show)
    gap = spiral_path(20)
    gap[7] = np.nan  # a hole inside a path stays a hole
    single = np.array([[0.5, 0.5]])
    panel.set_trajectories([gap, single, np.empty((0, 2))])
    px, py = panel._tracks[0].drawn()
    np.testing.assert_array_equal(px[~np.isnan(px)], np.delete(gap[:, 0], 7))
    assert np.isnan(px[7]) and np.isnan(py[7])
    heads, starts = panel._markers.heads, panel._markers.starts
    np.testing.assert_array_equal(run_marker(heads, 0)[0], gap[-1:])
    np.testing.assert_array_equal(run_marker(starts, 0)[0], gap[:1])
    np.testing.assert_array_equal(run_marker(heads, 1)[0], single)
    assert panel._tracks[2].drawn()[0].size == 0
    assert run_marker(heads, 2)[0].size == 0 and run_marker(starts, 2)[0].size == 0
    # each run's markers in its colour: a filled dot at the current point, a hollow start
    for run in (0, 1):
        (head,) = run_marker(heads, run)[1]
        (start,) = run_marker(starts, run)[1]
        assert head["symbol"] == "o" and head["brush"].color().name() == RUN_COLORS[run]
        assert start["pen"].color().name() == RUN_COLORS[run]


def test_a_diverged_run_ends_in_a_cross_at_its_last_finite_point(show):
    panel = landscape_panel(show)
    path = diverged_path()
    panel.set_trajectories([spiral_path(10), spiral_path(10), path])
    track = panel._tracks[2]
    points, (head,) = run_marker(panel._markers.heads, 2)
    np.testing.assert_array_equal(points, path[3:4])
    assert head["symbol"] == "x" and track.diverged
    assert head["pen"].color().name() == RUN_COLORS[2]
    assert "Adam (diverged)" in panel._legend.plain_text()
    assert run_marker(panel._markers.heads, 0)[1]["symbol"].tolist() == ["o"]


def test_a_path_flying_off_is_cut_at_the_far_box(show):
    """Qt drops a whole path once a coordinate is ~1e17 px away; the panel must cut it first."""
    panel = landscape_panel(show)
    path = np.array([[0.0, 0.0], [0.5, 0.2], [-1e30, 1e29], [1e200, 1e200]])
    panel.set_trajectories([path, path, path])
    x, y = panel._tracks[0].drawn()
    x0, x1, y0, y1 = landscape_module.far_box((-2.0, 2.0, -1.0, 3.0))
    assert x.size == 3 and x[-1] == pytest.approx(x0)  # leaves through the left edge
    assert np.all((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
    assert panel._tracks[0].diverged


def test_long_paths_are_decimated_keeping_the_current_point(show):
    panel = landscape_panel(show)
    path = spiral_path(100_000)
    panel.set_trajectories([path])
    x, y = panel._tracks[0].drawn()
    assert 100 < x.size <= MAX_POINTS
    assert (x[0], y[0]) == tuple(path[0]) and (x[-1], y[-1]) == tuple(path[-1])
    assert curve_xy(panel._tracks[0].history)[0].size == 0  # a smooth path is all bold


def test_a_noisy_scribble_keeps_only_its_latest_points_bold(show):
    panel = landscape_panel(show)
    rng = np.random.default_rng(1)
    path = spiral_path(20_000) + rng.normal(0.0, 0.05, (20_000, 2))
    panel.set_trajectories([path])
    track = panel._tracks[0]
    bx, by = curve_xy(track.path)
    hx, _ = curve_xy(track.history)
    assert bx.size == landscape_module.BOLD_POINTS and hx.size > 1000
    assert hx[-1] == bx[0]  # the thin history runs into the bold part
    assert (bx[-1], by[-1]) == tuple(path[-1])


def test_sub_pixel_steps_are_drawn_as_one_and_redrawn_on_zoom(show):
    panel = landscape_panel(show)
    creep = np.column_stack([np.linspace(0.0, 0.01, 1000), np.zeros(1000)])  # ~1.6 px long
    panel.set_trajectories([creep])
    assert panel._tracks[0].drawn()[0].size < 5
    panel._plot.getViewBox().setRange(xRange=(0.0, 0.01), yRange=(-0.005, 0.005), padding=0)
    assert panel._tracks[0].drawn()[0].size > 300  # zoomed in, the detail comes back


def test_set_runs_reuses_items_and_removes_extras(show):
    panel = landscape_panel(show)
    first = list(panel._tracks)
    panel.set_runs(["SGD", "Momentum", "Adam"], RUN_COLORS[3:6])
    assert panel._tracks == first
    assert panel._tracks[0].path.opts["pen"].color().name() == RUN_COLORS[3]
    panel.set_runs(["SGD"], RUN_COLORS[:1])
    assert len(panel._tracks) == 1
    assert first[2].path not in panel._plot.items
    assert "Momentum" not in panel._legend.plain_text()


def test_gradient_arrows_are_rescaled_and_say_so(show):
    panel = landscape_panel(show)
    origins = np.array([[0.0, 0.0], [1.0, 1.0], [np.nan, 0.0]])
    vectors = np.array([[300.0, 0.0], [0.0, -100.0], [1.0, 1.0]])
    panel.set_arrows("gradient", origins, vectors)
    arrows = panel._arrows["gradient"]
    s = arrows.scale
    diag = math.hypot(4.0, 4.0)
    assert s == nice_number(s) and 0.04 * diag <= 300 * s <= 0.3 * diag
    np.testing.assert_allclose(arrows.layer.shaft(0), [[0, 0], [300 * s, 0]])
    assert arrows.layer.head(1).size and not arrows.layer.head(2).size
    assert arrows.layer.shaft(2).size == 0
    assert f"gradient ×{s:g}" in panel._legend.plain_text()
    assert f"{s:g}×" in panel._view.toolTip()
    # the head of a rightward arrow points right on screen: its body lies to the left of the tip
    tip, *barbs = arrows.layer.head(0)
    assert np.mean(barbs, axis=0)[0] < tip[0]
    tip, *barbs = arrows.layer.head(1)
    assert np.mean(barbs, axis=0)[1] < tip[1]  # downward: body above (screen y grows down)


def test_vanishing_arrows_are_not_magnified_without_bound(show):
    """Converged runs have velocities near 0: rounding noise must not be blown up to fill
    the view."""
    panel = landscape_panel(show)
    panel.set_arrows("velocity", np.array([[0.0, 0.0]]), np.array([[1e-22, 0.0]]))
    assert panel._arrows["velocity"].scale == landscape_module.MAX_ARROW_SCALE
    assert "velocity ×10000" in panel._legend.plain_text()


def test_look_ahead_arrows_keep_their_true_length_and_can_be_hidden(show):
    panel = landscape_panel(show)
    panel.set_arrows("look-ahead", np.array([[0.0, 0.0]]), np.array([[0.3, 0.4]]))
    arrows = panel._arrows["look-ahead"]
    np.testing.assert_allclose(arrows.layer.shaft(0), [[0, 0], [0.3, 0.4]])
    assert "look-ahead" in panel._legend.plain_text()
    panel.set_arrow_visible("look-ahead", False)
    assert arrows.layer.shaft(0).size == 0 and not arrows.layer.head(0).size
    assert "look-ahead" not in panel._legend.plain_text()
    panel.set_arrows("look-ahead", None, None)
    assert len(arrows.layer.runs) == 0
    with pytest.raises(ValueError, match="arrow kind"):
        panel.set_arrows("hessian", None, None)


@IGNORE_UNACCEPTED
def test_a_plain_click_requests_a_start_at_the_data_point(show, qtbot):
    panel = landscape_panel(show)
    vb = panel._plot.getViewBox()
    pos = view_pos(panel._plot, panel._view, 0.5, 1.5)
    with qtbot.waitSignal(panel.start_requested, timeout=1000) as blocker:
        qtbot.mouseClick(panel._view.viewport(), LEFT, pos=pos)
    px, py = vb.viewPixelSize()
    assert blocker.args[0] == pytest.approx(0.5, abs=1.5 * px)
    assert blocker.args[1] == pytest.approx(1.5, abs=1.5 * py)


@IGNORE_UNACCEPTED
def test_drags_other_buttons_and_the_colour_bar_do_not_request_a_start(show, qtbot):
    panel = landscape_panel(show)
    seen = []
    panel.start_requested.connect(lambda *a: seen.append(a))
    viewport = panel._view.viewport()
    a = view_pos(panel._plot, panel._view, 0.0, 1.0)
    b = view_pos(panel._plot, panel._view, 1.0, 2.0)
    before = panel._plot.getViewBox().viewRange()
    qtbot.mousePress(viewport, LEFT, pos=a)
    for t in np.linspace(0, 1, 6)[1:]:
        qtbot.mouseMove(viewport, QtCore.QPoint(int(a.x() + t * (b.x() - a.x())),
                                                int(a.y() + t * (b.y() - a.y()))))
    qtbot.mouseRelease(viewport, LEFT, pos=b)
    assert panel._plot.getViewBox().viewRange() != before  # the drag panned the view
    qtbot.mouseClick(viewport, QtCore.Qt.MouseButton.RightButton, pos=a)
    qtbot.mouseClick(viewport, LEFT, QtCore.Qt.KeyboardModifier.ControlModifier, pos=a)
    bar = panel._colorbar.sceneBoundingRect().center()
    qtbot.mouseClick(viewport, LEFT, pos=panel._view.mapFromScene(bar))
    assert seen == []


def test_reset_view_returns_to_the_problem_window(show):
    panel = landscape_panel(show)
    vb = panel._plot.getViewBox()
    vb.setRange(xRange=(0.2, 0.4), yRange=(0.1, 0.3), padding=0)
    panel.reset_view()
    (x0, x1), (y0, y1) = vb.viewRange()
    assert (x0, x1, y0, y1) == pytest.approx((-2.0, 2.0, -1.0, 3.0))


def test_the_reset_button_resets(show, qtbot):
    panel = landscape_panel(show)
    vb = panel._plot.getViewBox()
    vb.setRange(xRange=(0.2, 0.4), yRange=(0.1, 0.3), padding=0)
    qtbot.mouseClick(panel._reset_button, LEFT)
    assert vb.viewRange()[0] == pytest.approx([-2.0, 2.0])


# --- loss curves ----------------------------------------------------------------------------


def loss_panel(show) -> LossCurvesPanel:
    panel = show(LossCurvesPanel())
    panel.set_runs(["SGD", "Adam", "diverging"], RUN_COLORS[:3])
    return panel


def test_loss_curves_skip_non_finite_points_and_mark_divergence(show):
    panel = loss_panel(show)
    steps = np.arange(6.0)
    good = np.array([5.0, 4.0, np.nan, 2.0, 1.5, 1.0])
    bad = np.array([5.0, 50.0, 5e3, 5e8, np.inf, np.nan])
    panel.set_curves([steps, steps[:1], steps], [good, good[:1], bad])
    x, y = curve_xy(panel._curves[0].curve)
    np.testing.assert_array_equal(x, [0, 1, 3, 4, 5])
    np.testing.assert_array_equal(y, [5, 4, 2, 1.5, 1])
    assert curve_xy(panel._curves[1].curve)[1].tolist() == [5.0]
    np.testing.assert_array_equal(curve_xy(panel._curves[2].marker), ([3.0], [5e8]))
    assert panel._curves[2].marker.opts["symbol"] == "x"
    assert panel._curves[0].marker.opts["symbol"] == "o"
    assert "diverging (diverged)" in panel._legend.plain_text()


def test_loss_runs_keep_their_curves_until_the_runs_change(show):
    panel = loss_panel(show)
    fill = [np.arange(3.0)] * 3, [np.array([3.0, 2.0, 1.0])] * 3
    panel.set_curves(*fill)
    first = list(panel._curves)
    panel.set_runs(["SGD", "Adam", "diverging"], RUN_COLORS[:3])  # every frame, say
    assert panel._curves == first and curve_xy(first[0].curve)[1].tolist() == [3.0, 2.0, 1.0]
    panel.set_runs(["SGD", "AdamW"], RUN_COLORS[:2])
    assert len(panel._curves) == 2 and first[2].curve not in panel._plot.items
    assert curve_xy(panel._curves[0].curve)[1].size == 0
    assert "AdamW" in panel._legend.plain_text() and "diverging" not in panel._legend.plain_text()


def test_curve_ranges_grow_only_when_the_data_leave_them(show):
    panel = loss_panel(show)
    vb = panel._plot.getViewBox()
    panel.set_curves([np.arange(100.0)] * 3, [np.linspace(10.0, 1.0, 100)] * 3)
    (x0, x1), (y0, y1) = vb.viewRange()
    assert x0 == 0 and x1 > 99 and y0 < 1.0 and y1 > 10.0
    for n in range(101, int(x1) + 1):  # more steps, still inside: the range stays put
        panel.set_curves([np.arange(float(n))] * 3, [np.linspace(10.0, 1.0, n)] * 3)
        assert vb.viewRange() == [[x0, x1], [y0, y1]]
    panel.set_curves([np.arange(x1 + 10)] * 3, [np.linspace(10.0, 1.0, int(x1) + 10)] * 3)
    (_, grown), _ = vb.viewRange()
    assert grown > x1 + 9  # left the range: it grows, with room to spare
    panel.set_curves([np.arange(10.0)] * 3, [np.linspace(10.0, 1.0, 10)] * 3)
    assert vb.viewRange()[0][1] < 20  # the data shrank to a corner: it refits


def test_at_step_0_the_axes_span_a_readable_range(show):
    """One point at step 0 (a window just opened): not an axis of 5×10⁻¹⁴ steps."""
    panel = loss_panel(show)
    panel.set_curves([np.zeros(1)] * 3, [np.array([5.0])] * 3)
    (x0, x1), (y0, y1) = panel._plot.getViewBox().viewRange()
    assert x0 == 0 and x1 >= 0.5
    assert y0 < 5.0 < y1 and y1 - y0 > 0.1


def test_a_diverged_run_does_not_flatten_the_others(show):
    panel = loss_panel(show)
    panel.set_log_y(True)
    steps = np.arange(5.0)
    healthy = np.array([6.0, 5.0, 4.0, 3.0, 2.0])
    exploding = np.array([6.0, 1e10, 1e25, 1e40, np.inf])
    panel.set_curves([steps] * 3, [healthy, healthy / 2, exploding])
    assert panel._curves[2].diverged
    _, (y0, y1) = panel._plot.getViewBox().viewRange()  # log10 units
    assert y0 < np.log10(1.0) and np.log10(6.0) < y1 < 3, "the healthy runs fill the plot"
    panel.set_curves([steps] * 3, [exploding] * 3)  # nothing healthy left: show the explosion
    assert panel._plot.getViewBox().viewRange()[1][1] > 39


def test_loss_values_too_large_to_draw_linearly_count_as_diverged(show):
    panel = loss_panel(show)
    panel.set_curves([np.arange(4.0)] * 3, [np.array([1.0, 1e3, 1e20, 1e200])] * 3)
    assert curve_xy(panel._curves[0].curve)[1].tolist() == [1.0, 1e3]
    assert panel._curves[0].diverged


def test_log_toggle_switches_the_axis_and_drops_non_positive_losses(show, qtbot):
    panel = loss_panel(show)
    steps = np.arange(5.0)
    loss = np.array([4.0, 1.0, 0.0, -1e-3, 0.5])
    panel.set_curves([steps] * 3, [loss] * 3)
    with qtbot.waitSignal(panel.log_y_changed) as blocker:
        box = QtCore.QPoint(8, panel._log_check.height() // 2)  # on the check box itself
        qtbot.mouseClick(panel._log_check, LEFT, pos=box)
    assert blocker.args == [True] and panel.log_y()
    assert panel._plot.getAxis("left").logMode
    assert panel._curves[0].curve.opts["logMode"] == [False, True]
    x, y = original_xy(panel._curves[0].curve)
    np.testing.assert_array_equal(x, [0, 1, 4])
    np.testing.assert_array_equal(y, [4.0, 1.0, 0.5])
    np.testing.assert_allclose(curve_xy(panel._curves[0].curve)[1], np.log10([4.0, 1.0, 0.5]))
    assert "6 point(s) ≤ 0 not shown" in panel._legend.plain_text()
    panel.set_log_y(False)
    assert not panel._plot.getAxis("left").logMode
    assert original_xy(panel._curves[0].curve)[1].size == 5
    assert "not shown" not in panel._legend.plain_text()


def test_log_scale_plots_the_gap_to_f_min_when_given(show):
    panel = loss_panel(show)
    panel.set_log_y(True)
    steps = np.arange(4.0)
    panel.set_curves([steps] * 3, [np.array([3.0, 2.5, 2.01, 2.0])] * 3, f_min=2.0)
    x, y = original_xy(panel._curves[0].curve)
    np.testing.assert_allclose(y, [1.0, 0.5, 0.01])
    assert x.tolist() == [0, 1, 2]
    assert "f<sub>min</sub>" in panel._plot.getAxis("left").labelText


def test_x_axis_selector_emits_only_for_the_user(show, qtbot):
    panel = loss_panel(show)
    seen = []
    panel.x_axis_changed.connect(seen.append)
    choices = ["steps", "sample-gradients computed", "wall time (s)"]
    panel.set_x_axis_choices(choices)
    panel.set_x_axis_choices(choices, current="wall time (s)")
    assert seen == [] and panel.x_axis() == "wall time (s)"
    panel._x_combo.setCurrentIndex(1)  # what a user's pick does
    assert seen == ["sample-gradients computed"]
    panel.set_x_label("sample-gradients computed")
    assert panel._plot.getAxis("bottom").labelText == "sample-gradients computed"


def test_long_loss_curves_are_decimated_keeping_spikes_and_the_last_point(show):
    panel = loss_panel(show)
    n = 200_000
    loss = losses(n)
    loss[123_456] = 1e3
    panel.set_curves([np.arange(n)] * 3, [loss] * 3)
    x, y = curve_xy(panel._curves[0].curve)
    assert x.size <= MAX_POINTS and y.max() == 1e3
    assert (x[-1], y[-1]) == (n - 1, loss[-1])


# --- gradient noise -------------------------------------------------------------------------


def test_noise_histograms_count_every_finite_draw(show):
    panel = show(GradientNoisePanel())
    rng = np.random.default_rng(3)
    g, se = np.array([1.0, -0.5]), np.array([0.3, 0.1])
    draws = g + rng.standard_normal((2000, 2)) * se
    draws[5, 0] = np.nan
    draws[6, 1] = np.inf
    panel.show_noise(draws, g, se, 32, 1000, "SGD (α=0.1)", RUN_COLORS[1])
    for j, coord in enumerate(panel._coords):
        edges, counts = curve_xy(coord.hist)
        assert edges.size == counts.size + 1  # stepMode="center"
        assert counts.sum() == 1999
        assert edges[0] <= np.nanmin(draws[np.isfinite(draws[:, j]), j])
        assert coord.full.value() == g[j] and coord.full.isVisible()
        bw = edges[1] - edges[0]
        _, density = curve_xy(coord.normal)
        peak = 1999 * bw / (se[j] * math.sqrt(2 * math.pi))
        assert density.max() == pytest.approx(peak, rel=1e-3)
    caption = panel._caption.plain_text()
    assert "N = 32" in caption and "M = 1000" in caption and "σ²/N" in caption
    assert "0.3" in caption and "0.1" in caption
    legend = panel._legend.plain_text()
    assert "SGD (α=0.1)" in legend and "2000 minibatch gradients (2 not finite)" in legend


def test_noise_copes_with_zero_spread_and_no_draws(show):
    panel = show(GradientNoisePanel())
    g = np.array([2.0, 0.0])
    panel.show_noise(np.tile(g, (50, 1)), g, np.zeros(2), 1000, 1000, "GD", RUN_COLORS[0])
    edges, counts = curve_xy(panel._coords[0].hist)
    assert counts.sum() == 50 and edges[0] < 2.0 < edges[-1]
    assert curve_xy(panel._coords[0].normal)[0].size == 0
    panel.show_noise(np.empty((0, 2)), g, np.ones(2), 1, 10, "GD", RUN_COLORS[0])
    assert curve_xy(panel._coords[1].hist)[1].sum() == 0


def test_noise_message_replaces_the_plots_and_goes_away_again(show):
    panel = show(GradientNoisePanel())
    text = "This problem is deterministic: every step sees the exact gradient."
    panel.show_message(text)
    assert panel.message() == text and panel._stack.currentWidget() is panel._message
    assert panel._message.isVisible() and not panel._view.isVisible()
    fill_noise(panel)
    assert panel.message() is None and panel._view.isVisible()


def test_noise_message_exports(show, tmp_path):
    panel = show(GradientNoisePanel())
    panel.show_message("This problem is deterministic.")
    panel.export_image(str(tmp_path / "m.png"))
    panel.export_image(str(tmp_path / "m.svg"))
    assert not QtGui.QImage(str(tmp_path / "m.png")).isNull()
    assert "deterministic" in (tmp_path / "m.svg").read_text(encoding="utf-8")


def test_run_selector_emits_only_for_the_user(show):
    panel = show(GradientNoisePanel())
    seen = []
    panel.run_selected.connect(seen.append)
    panel.set_run_choices(["SGD", "Adam", "AdamW"], current=1)
    panel.set_current_run(2)
    assert seen == [] and panel.current_run() == 2
    panel._run_combo.setCurrentIndex(0)  # what a user's pick does
    assert seen == [0]


# --- effective learning rate ----------------------------------------------------------------


def test_effective_lr_plots_magnitudes_and_drops_zero_and_non_finite(show):
    panel = show(AdaptiveLrPanel())
    panel.set_runs(["Momentum", "Adam"], RUN_COLORS[:2])
    steps = np.arange(1.0, 7.0)
    lr = np.array([[0.1, 0.2], [-0.05, np.nan], [0.0, np.inf], [0.02, 0.3], [1e-4, -0.1],
                   [np.nan, 0.05]])
    panel.set_curves([steps, steps[:2]], [lr, lr[:2]])
    top, bottom = (curves[0].curve for curves in panel._curves)
    x1, y1 = original_xy(top)
    np.testing.assert_array_equal(x1, [1, 2, 4, 5])
    np.testing.assert_allclose(y1, [0.1, 0.05, 0.02, 1e-4])
    x2, y2 = original_xy(bottom)
    np.testing.assert_array_equal(x2, [1, 4, 5, 6])
    np.testing.assert_allclose(y2, [0.2, 0.3, 0.1, 0.05])
    assert original_xy(panel._curves[1][1].curve)[0].tolist() == [1.0]
    assert all(p.getAxis("left").logMode for p in panel._plots)
    assert panel._plots[0].getAxis("left").labelText == "|Δw₁ / g₁|"
    assert panel._plots[1].getAxis("left").labelText == "|Δw₂ / g₂|"
    assert panel._plots[1].getViewBox().linkedView(0) is panel._plots[0].getViewBox()


def test_effective_lr_plots_have_equal_heights(show, qtbot):
    panel = show(AdaptiveLrPanel(), (640, 480))
    fill_lr(panel)
    qtbot.wait(10)
    heights = [p.getViewBox().size().height() for p in panel._plots]
    assert heights[0] == pytest.approx(heights[1], abs=2) and heights[0] > 100
