"""Scripted runs: the offscreen platform's notices are dropped, every other Qt message is kept."""

from PySide6.QtCore import QMessageLogContext, QtMsgType

from app.offscreen import _without_notices


def test_offscreen_notices_are_dropped_and_other_messages_kept(capsys):
    context = QMessageLogContext()
    _without_notices(QtMsgType.QtWarningMsg, context,
                     "This plugin does not support propagateSizeHints()")
    assert capsys.readouterr().err == ""
    _without_notices(QtMsgType.QtWarningMsg, context, "QThread: Destroyed while running")
    assert "QThread: Destroyed while running" in capsys.readouterr().err
