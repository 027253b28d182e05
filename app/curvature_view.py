"""Wiring the curvature panel: the engine's Hessians (computed in the worker thread) to the panel
and to the eigenvector axes on the landscape, for the selected run.

While the panel is shown the engine computes the curvature along the paths
(:class:`optim_core.curvature_path.CurvaturePath`); here each run's lr is read against its
stability limit (:func:`optim_core.curvature.lr_limit`, plain arithmetic) and the selected run's
facts are handed to the views.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject

from widgets.curvature import CurvaturePanel, StabilityRow
from widgets.curvature_axes import CurvatureAxes

if TYPE_CHECKING:
    from optim_core.curvature_path import CurvaturePath


def limit_rule(optimizer: str, hyperparameters: Mapping[str, Any]) -> tuple[str, str]:
    """How ``optimizer``'s lr limit reads: (on the limit, on the curvature line)."""
    if optimizer == "SGD":
        momentum = float(hyperparameters.get("momentum", 0.0) or 0.0)
        if not momentum:
            return "2/λ_max", "2/lr"
        if hyperparameters.get("nesterov"):
            return "2(1+β)/((1+2β)λ_max)", "2(1+β)/((1+2β)lr)"
        return "2(1+β)/λ_max", "2(1+β)/lr"
    if optimizer == "Newton":
        return "Newton: no lr limit (needs λ_min > 0)", ""
    return "adaptive: no fixed limit", ""


class CurvatureView(QObject):
    """Feeds ``panel`` and the landscape's eigen-axes from the engine's curvature messages.

    ``generation`` gives the engine's current generation (older messages are dropped);
    ``colors`` the colour of each session run.
    """

    def __init__(self, panel: CurvaturePanel, landscape_plot: pg.PlotItem | None,
                 generation: Callable[[], int], colors: Callable[[], list[str]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.axes = CurvatureAxes(landscape_plot) if landscape_plot is not None else None
        self._generation = generation
        self._colors = colors
        self._run = 0
        self._path: CurvaturePath | None = None
        self._shown = False

    def set_shown(self, shown: bool) -> None:
        """The panel is (not) on screen: axes only while it is."""
        self._shown = shown
        if not shown and self.axes is not None:
            self.axes.hide()
        elif shown:
            self._draw()

    def set_run(self, run: int) -> None:
        """Show the session's run ``run``."""
        self._run = max(0, run)
        self._draw()

    def clear(self) -> None:
        """A new session: nothing known yet."""
        self._path = None
        self.panel.clear()
        if self.axes is not None:
            self.axes.hide()

    def on_curvature(self, generation: int, path: CurvaturePath) -> None:
        """A message from the engine."""
        if generation != self._generation():
            return
        self._path = path
        self._draw()

    def _draw(self) -> None:
        from optim_core.curvature import lr_limit  # loaded with the engine, which sent the path

        path = self._path
        if path is None or path.n_runs == 0:
            return
        r = min(self._run, path.n_runs - 1)
        colors = self._colors()
        color = colors[r] if r < len(colors) else "#000000"
        c = path.current
        rows = []
        for k in range(path.n_runs):
            hyper = path.hyperparameters[k]
            lr = float(hyper.get("lr", math.nan))
            rows.append(StabilityRow(
                label=path.labels[k], color=colors[k] if k < len(colors) else "#000000", lr=lr,
                limit=lr_limit(path.optimizers[k], hyper, float(c.eigenvalues[k, 1])),
                rule=limit_rule(path.optimizers[k], hyper)[0],
                lambda_min=float(c.eigenvalues[k, 0])))
        self.panel.set_point(path.labels[r], color, c.points[r], c.hessian[r], c.eigenvalues[r],
                             c.eigenvectors[r], float(c.condition[r]), rows)
        hyper = path.hyperparameters[r]
        lr = float(hyper.get("lr", math.nan))
        unit = lr_limit(path.optimizers[r], hyper, 1.0)  # the limit is unit/λ
        threshold = unit / lr if lr > 0 and np.isfinite(unit) else math.nan
        self.panel.set_path(path.steps, path.eigenvalues[:, r, 0], path.eigenvalues[:, r, 1],
                            threshold, limit_rule(path.optimizers[r], hyper)[1])
        if self.axes is not None and self._shown:
            self.axes.set_axes(c.points[r], c.eigenvalues[r], c.eigenvectors[r])


def landscape_plot(landscape: Any) -> pg.PlotItem | None:
    """The landscape panel's plot (the item at row 1, column 0 of its graphics layout)."""
    view = landscape.findChild(pg.GraphicsLayoutWidget)
    if view is None:
        return None
    item = view.ci.getItem(1, 0)
    return item if isinstance(item, pg.PlotItem) else None


def install(window: Any) -> CurvatureView:
    """Connect ``window``'s curvature panel and dock to its engine, run table and landscape."""
    panel, dock = window.curvature_panel, window.curvature_dock

    def colors() -> list[str]:
        state = window.state
        return [state.runs[row].color for row in state.session_rows()]

    view = CurvatureView(panel, landscape_plot(window.landscape),
                         lambda: window.engine.generation, colors, window)
    window.engine.curvature.connect(view.on_curvature)

    def shown(visible: bool) -> None:
        on = bool(visible) and not dock.isHidden()
        window.engine.set_curvature(on)
        view.set_shown(on)

    def selected(row: int) -> None:
        runs = window.state.session_runs_of(row) if row >= 0 else []
        if runs:
            view.set_run(runs[0])

    dock.visibilityChanged.connect(shown)
    window.controls.runs.run_selected.connect(selected)
    return view
