"""The Lessons tab: the list of lessons by lecture section, or the lesson being played.

A view: it shows the titles and texts it is given and reports which link was clicked
(``lesson:<key>``, ``index``, or any other anchor the caller put in) through ``link_activated``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6 import QtCore, QtWidgets

from widgets.style import FOREGROUND, MUTED, TEXT_PT, make_panel_layout, presentation_scale

_CSS = (f"body {{ color: {FOREGROUND}; }} "
        f"h3 {{ margin: 10px 0 4px 0; }} "
        f"p {{ margin: 0 0 6px 0; }} "
        f".muted {{ color: {MUTED}; }} "
        f"a {{ text-decoration: none; }}")


@dataclass(frozen=True)
class LessonText:
    """What the panel shows of one lesson."""

    key: str
    section: str
    title: str
    watch: str
    try_next: str


class LessonPanel(QtWidgets.QWidget):
    """Index of lessons, or one lesson with links back to the index and on to the next."""

    link_activated = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        layout = make_panel_layout(self)
        self.browser = QtWidgets.QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.browser.document().setDefaultStyleSheet(_CSS)
        font = self.browser.font()
        font.setPointSizeF(TEXT_PT * presentation_scale())
        self.browser.setFont(font)
        self.browser.anchorClicked.connect(lambda url: self.link_activated.emit(url.toString()))
        layout.addWidget(self.browser)
        self._lessons: list[LessonText] = []
        self._more: list[tuple[str, str, str]] = []
        self.current: str | None = None

    def set_lessons(self, lessons: Sequence[LessonText],
                    more: Sequence[tuple[str, str, str]] = ()) -> None:
        """The lessons in order (grouped by their sections), and extra ``(anchor, title, text)``
        links listed after them."""
        self._lessons, self._more = list(lessons), list(more)
        self.show_index()

    def show_index(self) -> None:
        """The list of lessons."""
        self.current = None
        parts = ["<p class='muted'>The lecture's points as experiments. Click one, then press "
                 "Play (Space).</p>"]
        section = None
        for item in self._lessons:
            if item.section != section:
                if section is not None:
                    parts.append("</ul>")
                section = item.section
                parts.append(f"<h3>{html.escape(section)}</h3><ul>")
            parts.append(f"<li><a href='lesson:{item.key}'>{html.escape(item.title)}</a></li>")
        if section is not None:
            parts.append("</ul>")
        if self._more:
            parts.append("<h3>More</h3><ul>")
            parts += [f"<li><a href='{anchor}'>{html.escape(title)}</a><br>"
                      f"<span class='muted'>{html.escape(text)}</span></li>"
                      for anchor, title, text in self._more]
            parts.append("</ul>")
        self._set_html("".join(parts))

    def show_lesson(self, key: str) -> None:
        """Lesson ``key``: what to watch, what to try, and where to go next."""
        index = next(i for i, item in enumerate(self._lessons) if item.key == key)
        item = self._lessons[index]
        self.current = key
        after = self._lessons[index + 1] if index + 1 < len(self._lessons) else None
        parts = [f"<p class='muted'>{html.escape(item.section)}</p>",
                 f"<h3>{html.escape(item.title)}</h3>",
                 f"<p>{html.escape(item.watch)}</p>",
                 f"<p><b>Try:</b> {html.escape(item.try_next)}</p>",
                 "<p><a href='index'>← All lessons</a>"]
        if after is not None:
            parts.append(f" &nbsp;·&nbsp; <a href='lesson:{after.key}'>Next: "
                         f"{html.escape(after.title)} →</a>")
        parts.append("</p>")
        self._set_html("".join(parts))

    def text(self) -> str:
        """The text on show (for tests and screen readers)."""
        return self.browser.toPlainText()

    def _set_html(self, text: str) -> None:
        self.browser.setHtml(f"<body>{text}</body>")
