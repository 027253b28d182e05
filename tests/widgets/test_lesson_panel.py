"""The Lessons tab: an index by section, one lesson with its links, clicks reported as anchors."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QUrl

from widgets.lesson_panel import LessonPanel, LessonText

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

LESSONS = [
    LessonText("a", "1. Batches", "Noise & more", "Watch the <noise>.", "Try N = 1."),
    LessonText("b", "1. Batches", "Compute", "Watch compute.", "Try steps."),
    LessonText("c", "2. SGD", "Valley", "Watch it zigzag.", "Try lr 0.041."),
]
MORE = [("lab:sweep", "The sweep", "Lab → sweep.")]


@pytest.fixture
def panel(qtbot) -> LessonPanel:
    widget = LessonPanel()
    qtbot.addWidget(widget)
    widget.set_lessons(LESSONS, MORE)
    return widget


def test_the_index_lists_lessons_under_their_sections(panel):
    text = panel.text()
    assert panel.current is None
    order = ["1. Batches", "Noise & more", "Compute", "2. SGD", "Valley", "More", "The sweep"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "Watch" not in text  # the index lists titles, not texts
    html = panel.browser.toHtml()
    assert all(f"lesson:{key}" in html for key in "abc") and "lab:sweep" in html


def test_a_lesson_shows_its_text_escaped_and_links_on(panel):
    panel.show_lesson("a")
    text = panel.text()
    assert panel.current == "a"
    assert "Noise & more" in text and "Watch the <noise>." in text and "Try: Try N = 1." in text
    assert "Next: Compute" in text and "All lessons" in text
    panel.show_lesson("c")
    assert "Next:" not in panel.text()  # the last lesson has no next one


def test_clicks_are_reported_as_anchors(panel, qtbot):
    with qtbot.waitSignal(panel.link_activated) as blocker:
        panel.browser.anchorClicked.emit(QUrl("lesson:b"))
    assert blocker.args == ["lesson:b"]
