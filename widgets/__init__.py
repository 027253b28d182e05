"""Plot panels of Optimizer Lab: views that draw the arrays, strings and colours they are given."""

from widgets.adaptive_lr import AdaptiveLrPanel
from widgets.gradient_noise import GradientNoisePanel
from widgets.landscape import LandscapePanel
from widgets.lesson_panel import LessonPanel, LessonText
from widgets.loss_curves import LossCurvesPanel
from widgets.style import RUN_COLORS, configure_pyqtgraph, decimate

__all__ = [
    "RUN_COLORS",
    "AdaptiveLrPanel",
    "GradientNoisePanel",
    "LandscapePanel",
    "LessonPanel",
    "LessonText",
    "LossCurvesPanel",
    "configure_pyqtgraph",
    "decimate",
]
