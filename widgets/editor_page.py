"""A page of editors stacked top to bottom that scrolls rather than squeezes them on a short
screen, and the bold headings between its sections (the main window's and the network
workbench's left-hand controls)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

MIN_WIDTH = 280  #: narrowest a page gets, in pixels


class EditorPage(QScrollArea):
    """A scrolling page; ``width`` (if given) is the width it asks for."""

    def __init__(self, width: int | None = None) -> None:
        super().__init__()
        self._width = width

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return hint if self._width is None else QSize(self._width, hint.height())


def editor_page(*widgets: QWidget, stretch: bool = True, side_margin: int = 8,
                width: int | None = None) -> EditorPage:
    """``widgets`` one above the other on a page that scrolls vertically. With ``stretch`` they
    sit at the top of a taller page; without, the page is as tall as they are, no taller."""
    body = QWidget()
    layout = QVBoxLayout(body)
    layout.setContentsMargins(side_margin, 6, side_margin, 6)
    layout.setSpacing(6)
    for widget in widgets:
        layout.addWidget(widget)
    if stretch:
        layout.addStretch(1)
    page = EditorPage(width)
    page.setWidget(body)
    page.setWidgetResizable(True)
    page.setFrameShape(QFrame.Shape.NoFrame)
    page.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    page.setMinimumWidth(MIN_WIDTH)
    if not stretch:
        page.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        page.setMaximumHeight(body.sizeHint().height() + 4)
    return page


def section_heading(text: str, space_above: int = 8) -> QLabel:
    """``text`` in bold, with ``space_above`` pixels above it."""
    label = QLabel(f"<b>{text}</b>")
    label.setContentsMargins(0, space_above, 0, 0)
    return label
