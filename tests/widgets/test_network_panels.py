"""The network workbench's curve panels: drawn plain while training and with their own pens when
still, axis ranges that move only when the data leave them, one plot drawn at a time, keys that
wrap between entries rather than being cut (presentation mode), and the runs table's statuses
fitted once a drawing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6 import QtCore, QtGui, QtWidgets

from widgets import style
from widgets.finite_curve import FiniteCurve
from widgets.layer_stats import LayerStatsPanel
from widgets.live_drawing import plain_pen, set_live
from widgets.probe_curves import ProbeCurvesPanel
from widgets.run_table import STATUS, RunTable
from widgets.training_curves import TrainingCurvesPanel

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")
COLORS = ["#0072b2", "#d55e00", "#009e73"]
LAYERS = ["linear 1 (2→64)", "linear 2 (64→64)", "linear 3 (64→2)"]


def _series(steps: int, runs: int = 3) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(steps)
    step_x = np.arange(steps, dtype=float)
    eval_x = step_x[::5]
    loss = np.exp(-step_x / 50)[:, None] * (1 + 0.3 * rng.random((steps, runs)))
    smooth = np.exp(-eval_x / 50)[:, None] * np.ones((1, runs))
    return step_x, eval_x, {"minibatch_loss": loss, "train_loss": smooth, "val_loss": smooth,
                            "train_accuracy": 1 - smooth / 2, "val_accuracy": 1 - smooth / 2}


def _curves(steps: int = 100, **kw: object) -> TrainingCurvesPanel:
    panel = TrainingCurvesPanel()
    panel.set_runs(COLORS)
    panel.set_data(*_series(steps), **kw)
    return panel


def _fill_curves(panel: TrainingCurvesPanel, steps: int) -> None:
    panel.set_data(*_series(steps))


def _layers() -> LayerStatsPanel:
    panel = LayerStatsPanel()
    panel.set_runs(["a", "b", "c"], COLORS, LAYERS)
    return panel


def _fill_layers(panel: LayerStatsPanel, steps: int) -> None:
    rows = steps // 10
    rng = np.random.default_rng(steps)
    edges = np.logspace(-8, 2, 41)
    panel.set_data(np.arange(rows) * 10.0, 10 ** rng.normal(-2.5, 0.3, (rows, 3, 3)), edges,
                   rng.random((rows, 3, 3, 40)))


def _sharpness() -> ProbeCurvesPanel:
    panel = ProbeCurvesPanel("Sharpness", "λ_max", "")
    panel.set_runs(COLORS)
    return panel


def _fill_sharpness(panel: ProbeCurvesPanel, steps: int) -> None:
    x = np.arange(0, steps, 10, dtype=float)
    values = 1 + np.outer(np.sqrt(x + 1), [1, 2, 3])
    panel.set_data(x, values, [(x, np.full(len(x), 40.0), color) for color in COLORS])


#: each network panel, how it is made and how a drawing fills it
PANELS: dict[str, tuple[Callable[[], QtWidgets.QWidget], Callable[..., None]]] = {
    "curves": (lambda: _curves(1), _fill_curves),
    "layers": (_layers, _fill_layers),
    "sharpness": (_sharpness, _fill_sharpness),
}


@pytest.fixture
def show(qtbot) -> Callable[..., QtWidgets.QWidget]:
    style.configure_pyqtgraph()

    def _show(panel: QtWidgets.QWidget, size: tuple[int, int] = (640, 360)) -> QtWidgets.QWidget:
        qtbot.addWidget(panel)
        panel.resize(*size)
        panel.show()
        qtbot.waitExposed(panel)
        QtWidgets.QApplication.processEvents()
        return panel

    return _show


@pytest.fixture
def scale() -> Iterator[Callable[[float], None]]:
    yield style.set_presentation_scale
    style.set_presentation_scale(1.0)


def _drawn_curves(panel: QtWidgets.QWidget) -> list[pg.PlotCurveItem]:
    return [item for item in panel.view.items()
            if isinstance(item, pg.PlotCurveItem) and item.isVisible()]


@pytest.mark.parametrize("name", PANELS)
def test_live_curves_are_plain_and_a_still_picture_gets_its_own_pens_back(show, name):
    """Qt draws a one-pixel cosmetic pen, not antialiased, about seven times faster than a wide
    or antialiased one. Antialiasing was switched off on the curves only: the next setData
    handed the PlotDataItem's own antialias (on) back to them, and the pens stayed wide."""
    make, fill = PANELS[name]
    panel = show(make())
    fill(panel, 100)
    still = {id(c): c.opts["pen"].widthF() for c in _drawn_curves(panel)}
    assert max(still.values()) > 1  # the panel has wide pens to begin with
    set_live(panel, True)
    fill(panel, 200)  # drawings while training
    fill(panel, 300)
    for curve in _drawn_curves(panel):
        pen = curve.opts["pen"]
        assert not curve.opts["antialias"], curve
        assert pen.isCosmetic() and pen.widthF() <= 1, (curve, pen.widthF())
    set_live(panel, False)
    fill(panel, 400)
    for curve in _drawn_curves(panel):
        assert curve.opts["antialias"]
        assert curve.opts["pen"].widthF() == still[id(curve)]


@pytest.mark.parametrize("style_, width, pattern", [
    (QtCore.Qt.PenStyle.DashLine, 2.0, [8.0, 4.0]),  # Qt's 4, 2 in pen widths
    (QtCore.Qt.PenStyle.DotLine, 1.6, [1.6, 3.2]),
    (QtCore.Qt.PenStyle.SolidLine, 2.0, []),
])
def test_a_plain_pen_keeps_its_dashes_as_long_on_screen(style_, width, pattern):
    pen = pg.mkPen("#d55e00", width=width)
    pen.setStyle(style_)
    plain = plain_pen(pen)
    assert plain.widthF() == 1 and plain.isCosmetic()
    assert plain.dashPattern() == pytest.approx(pattern)
    assert plain.color() == pen.color()


def test_curve_ranges_move_only_when_the_data_leave_them(show):
    """Each drawing re-fitted the ranges (pyqtgraph's autorange): the axes, their ticks, labels
    and grid were laid out anew five times a second, a third of a drawing's paint."""
    panel = show(_curves(100))
    ranges = {name: plot.viewRange() for name, plot in panel.plots.items()}
    _fill_curves(panel, 104)
    assert {name: plot.viewRange() for name, plot in panel.plots.items()} == ranges
    _fill_curves(panel, 1000)
    for plot in panel.plots.values():
        x0, x1 = plot.viewRange()[0]
        assert x0 <= 0 and 999 <= x1 < 1300  # grown to hold the data, with some room
    assert panel.plots["accuracy"].viewRange()[1] == pytest.approx([-0.02, 1.02])


def test_a_drawing_can_set_one_plot_alone(show):
    panel = show(_curves(1, plots=("loss",)))
    x, _ = panel.curves[0]["train_loss"].getData()
    assert x is not None and len(x) == 1
    for name in ("train_accuracy", "val_accuracy"):
        x, _ = panel.curves[0][name].getData()
        assert x is None or len(x) == 0


def _lines(label: QtWidgets.QLabel) -> list[str]:
    """The lines ``label``'s rich text is laid out in at its width."""
    doc = QtGui.QTextDocument()
    doc.setDefaultFont(label.font())
    doc.setDocumentMargin(0)
    doc.setHtml(label.text())
    doc.setTextWidth(label.contentsRect().width())
    doc.documentLayout().documentSize()  # lays the text out
    block, lines = doc.begin(), []
    while block.isValid():
        layout = block.layout()
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            lines.append(block.text()[line.textStart():line.textStart() + line.textLength()])
        block = block.next()
    return lines


@pytest.mark.parametrize("factor", [1.0, 2.0])
@pytest.mark.parametrize("name, entries", [
    ("curves", ["—\xa0training\xa0set", "\u2011\xa0\u2011\xa0validation", "faint:\xa0minibatches"]),
    ("layers", [f"▬\xa0{glyph}\xa0{layer.replace(' ', chr(0xa0))}"
                for glyph, layer in zip(("—", "\u2011\xa0\u2011", "···"), LAYERS, strict=True)]),
])
def test_keys_wrap_between_entries_and_are_never_cut(show, scale, factor, name, entries):
    """At 2× the keys sat in the header row beside its controls, cut at the panel's edge."""
    scale(factor)
    panel = show(PANELS[name][0](), size=(380, 360))  # a narrow panel in presentation mode
    key = panel.key
    QtWidgets.QApplication.processEvents()
    assert key.isVisible() and key.wordWrap()
    assert key.height() >= key.heightForWidth(key.width())  # all its lines are shown
    lines = _lines(key)
    for entry in entries:  # each entry whole on one line
        assert any(entry in line for line in lines), (entry, lines)
    if factor == 2.0:
        assert len(lines) > 1  # it wrapped rather than ran off the panel


def test_a_drawing_s_run_statuses_fit_the_table_s_columns_once(qtbot, monkeypatch):
    """Each status fitted the columns anew (5–15 ms each here): eight runs' statuses held the
    window for up to 100 ms twice a second while training."""
    table = RunTable()
    qtbot.addWidget(table)
    table.set_rows([{"label": f"run {i}", "optimizer": "SGD", "color": COLORS[i % 3],
                     "summary": "lr=0.1", "status": "ready"} for i in range(8)])
    fits = []
    monkeypatch.setattr(table, "_fit_columns", lambda: fits.append(1))
    table.set_statuses({i: f"val acc {90 + i}%" for i in range(8)} | {9: "no such row"})
    assert len(fits) == 1
    assert [table.table().item(i, STATUS).text() for i in range(8)] == [
        f"val acc {90 + i}%" for i in range(8)]
    table.set_statuses({})
    assert len(fits) == 1


@pytest.mark.parametrize("frac, ortho", [(1.0, None), (0.9, None), (1.0, (10.0, 50.0))])
def test_a_finite_curve_s_bounds_are_pyqtgraph_s(qapp, frac, ortho):
    """A live curve's bounds were half of its plot's paint (pyqtgraph's NaN-proof path); a
    FiniteCurve's are the plain minimum and maximum, the same numbers."""
    x = np.arange(100.0)
    y = np.log10(np.exp(-x / 30) + 0.01)
    mine, theirs = FiniteCurve(), pg.PlotCurveItem()
    for item in (mine, theirs):
        item.setData(x, y)
    for ax in (0, 1):
        assert mine.dataBounds(ax, frac, ortho) == pytest.approx(theirs.dataBounds(ax, frac, ortho))
    mine.setData(np.zeros(0), np.zeros(0))
    assert mine.dataBounds(1) == (None, None)


@pytest.mark.parametrize("factor, size", [(1.0, 150), (1.0, 294), (2.0, 260), (2.0, 294),
                                          (2.0, 400)])
def test_the_histogram_s_log_axis_labels_do_not_overprint(show, scale, factor, size):
    """At 2× the effective-lr axis (eleven decades in 294 px in the workbench) was labelled
    every second decade: "10⁻⁶10⁻⁴10⁻²" printed as one word."""
    scale(factor)
    panel = show(_layers(), size=(740, 360))
    _fill_layers(panel, 300)
    axis = panel.hist_plot.getAxis("bottom")
    x0, x1 = -8.61, 2.61
    major = axis.tickSpacing(x0, x1, size)[0][0]
    labels = [t for t in axis.logTickStrings(list(np.arange(np.ceil(x0), x1, major)), 1.0,
                                            major) if t]
    widest = max(QtGui.QFontMetricsF(axis.style["tickFont"]).horizontalAdvance(t)
                 for t in labels)
    assert major * size / (x1 - x0) >= widest  # a label's room between two labelled ticks
    assert len(labels) >= 2
