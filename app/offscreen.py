"""Scripted runs without a screen: Qt's offscreen platform, minus its notices.

The offscreen platform says "This plugin does not support propagateSizeHints()" (and ``raise()``)
whenever a window is shown or raised; for ``--self-test`` and ``--screenshot`` those lines are
noise on the terminal of a lab PC's installer check. Every other Qt message still goes to stderr.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qFormatLogMessage, qInstallMessageHandler

NOTICE = "This plugin does not support"


def use_offscreen() -> None:
    """Draw offscreen (call before the QApplication is made) and drop the platform's notices."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    qInstallMessageHandler(_without_notices)


def _without_notices(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    if not message.startswith(NOTICE):
        print(qFormatLogMessage(kind, context, message), file=sys.stderr)
