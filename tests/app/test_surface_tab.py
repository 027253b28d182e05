"""The 3D tab beside the contour view: fed the same landscape and paths, and, offscreen, a
sentence instead of a crash."""

import numpy as np
import pytest
from PySide6 import QtGui

from app.scripted import play_to_end

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def test_the_3d_tab_follows_the_contour_view(qtbot, make_window):
    window = make_window()
    assert [window.views.tabText(i) for i in range(window.views.count())] == ["Contour", "3D"]
    assert window.views.currentWidget() is window.landscape
    assert play_to_end(window, 30)
    surface = window.surface
    assert surface._grid is not None  # the landscape arrived while the tab was hidden
    assert len(surface._paths) == len(window.state.runs)
    path = surface._paths[0]
    np.testing.assert_allclose(path[-1], window.feed.progress.snapshot.current_position[0])
    window.views.setCurrentWidget(surface)
    qtbot.waitUntil(surface.isVisible)
    if QtGui.QGuiApplication.platformName() == "offscreen":
        assert surface.gl is None and surface.message.isVisible()
        assert "needs OpenGL" in surface.message.text()
    else:
        assert surface.gl is not None or surface.reason is not None
