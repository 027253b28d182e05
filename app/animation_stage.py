"""The stage an animation is filmed on: the window's own panels, laid out for a 16:9 slide.

The stage holds fresh panels of the window's kinds and feeds them through a
:class:`~app.panel_feed.PanelFeed`, exactly as the window does, so a frame is the window's drawing
at that step. It is never shown on screen (``WA_DontShowOnScreen``), and it is sized so a frame
fits a slide: the landscape as a square on the left, the other panels stacked beside it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

from app.animation_frames import AnimationSpec
from app.animation_writer import MAX_WIDTH
from app.landscape_grid import LandscapeGrid
from app.noise_draws import NoiseDraws
from app.panel_feed import PanelFeed
from app.worker import Progress
from optim_core.snapshot import Snapshot
from widgets import AdaptiveLrPanel, GradientNoisePanel, LandscapePanel, LossCurvesPanel, style

HEIGHT = 720  #: frame height in pixels (a 720p slide)
LANDSCAPE_WIDTH = 720  #: the landscape's square
SIDE_WIDTH = 560  #: the column of the other panels beside the landscape (720 + 560 = 1280)
ROW_WIDTH = 640  #: each panel's width in a row without the landscape


def stage_size(panels: tuple[str, ...]) -> tuple[int, int]:
    """Width and height of a frame showing ``panels`` (multiples of 16, at most 1280 wide)."""
    others = [p for p in panels if p != "landscape"]
    if "landscape" in panels:
        return LANDSCAPE_WIDTH + (SIDE_WIDTH if others else 0), HEIGHT
    return min(MAX_WIDTH, ROW_WIDTH * len(others)), HEIGHT


class AnimationStage(QWidget):
    """The chosen panels, fed like the window's; :meth:`frame` draws one step as RGB pixels."""

    def __init__(self, spec: AnimationSpec) -> None:
        super().__init__(None)
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.spec = spec
        self.landscape = LandscapePanel()
        self.loss = LossCurvesPanel()
        self.adaptive = AdaptiveLrPanel()
        self.noise = GradientNoisePanel()
        self.feed = PanelFeed(self.landscape, self.loss, self.noise, self.adaptive, self)
        self._layout(spec.panels)
        self.setFixedSize(*stage_size(spec.panels))
        problem = spec.experiment.problem
        self.feed.set_roster(spec.roster)
        self.feed.set_problem(problem.name, problem.is_finite_sum)  # log loss axis: with the grid
        if spec.log_loss is not None:
            self.feed.set_log_loss(spec.log_loss)
        self.loss.set_x_axis(spec.loss_x)
        for kind in spec.arrows:
            self.feed.set_arrow_visible(kind, True)
        labels = list(spec.roster.labels)
        self.noise.set_run_choices(labels, min(spec.noise_run, max(0, len(labels) - 1)))
        if not problem.is_finite_sum:
            self.noise.show_message(f"{problem.title} is deterministic: every step uses the "
                                    "exact gradient, so there is no minibatch noise to show.")
        for header in self.findChildren(style.PanelHeader):
            header.hide()  # a slide has no buttons to press: the plots get the room
        self.show()  # not on screen, but "visible": the feed draws only visible panels

    def _layout(self, panels: tuple[str, ...]) -> None:
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        others = [p for p in panels if p != "landscape"]
        column = QVBoxLayout()
        column.setSpacing(0)
        for name in ("landscape", "loss", "adaptive", "noise"):
            panel = getattr(self, name)
            if name not in panels:
                panel.setParent(self)
                panel.hide()
            elif name == "landscape":
                row.addWidget(panel, LANDSCAPE_WIDTH)
            elif "landscape" in panels:
                column.addWidget(panel, 1)
            else:
                row.addWidget(panel, 1)
        if others and "landscape" in panels:
            row.addLayout(column, SIDE_WIDTH)

    def set_landscape(self, grid: LandscapeGrid) -> None:
        self.feed.set_landscape(grid)

    def frame(self, snapshot: Snapshot, draws: NoiseDraws | None) -> np.ndarray:
        """Draw ``snapshot`` (and the noise ``draws``) into the panels; the stage's pixels,
        H × W × 3 uint8."""
        self.feed.set_progress(Progress(generation=0, snapshot=snapshot,
                                        target_steps=self.spec.steps, steps_per_second=0.0,
                                        playing=False, play_command=0))
        if draws is not None:
            self.feed.show_noise(draws)
        self.feed.draw_all()
        QApplication.processEvents()  # layouts and ranges settle as they would on screen
        self.feed.draw_all()
        return image_pixels(self.grab().toImage())


def image_pixels(image: QImage) -> np.ndarray:
    """A QImage as an H × W × 3 uint8 array (a copy), at most MAX_WIDTH wide."""
    if image.width() > MAX_WIDTH:  # a high-DPI screen grabs at 2×
        image = image.scaledToWidth(MAX_WIDTH, Qt.TransformationMode.SmoothTransformation)
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    rows = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, :w * 3].reshape(h, w, 3).copy()
