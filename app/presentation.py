"""Presentation mode: the whole lab drawn 1.5× or 2× larger, for a projector at the back of a room.

The scale applies to the application font (every control and label) and to the panels' style
(:func:`widgets.style.set_presentation_scale`: fonts, pens, markers, arrow heads). Plot items take
their look when they are made, so switching builds the window anew on the same experiment
(``main.py`` does it when the window asks); the scale is remembered in the settings.
"""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from widgets import style

SCALES = style.SCALES
_BASE_POINT_SIZE = "optimizer_lab_base_point_size"  #: the app font's size before any scaling


def apply_presentation_scale(app: QApplication, scale: float) -> None:
    """Scale the application font and the panels' style (before the window is built)."""
    style.set_presentation_scale(scale)
    base = app.property(_BASE_POINT_SIZE)
    if base is None:
        base = app.font().pointSizeF()
        app.setProperty(_BASE_POINT_SIZE, base)
    font = app.font()
    font.setPointSizeF(float(base) * scale)
    app.setFont(font)


def scale_name(scale: float) -> str:
    """``"off"`` or ``"1.5×"``."""
    return "off" if scale == 1.0 else f"{scale:g}×"
