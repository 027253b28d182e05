"""Slots that leave nothing behind (app/slots.py): PySide 6.11 keeps one Python object for good
per connection to a Qt method; ``calling`` wraps such a method in a Python function."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QPushButton

from app.slots import calling


class _Sender(QObject):
    fired = Signal(bool)


def blocks_kept_per_time(make: Callable[[], None], times: int = 1000) -> float:
    """Python memory blocks still allocated per call of ``make``, after a warm-up."""
    for _ in range(50):
        make()
    gc.collect()
    before = sys.getallocatedblocks()
    for _ in range(times):
        make()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    return (sys.getallocatedblocks() - before) / times


def test_a_connection_to_a_qt_method_through_calling_keeps_nothing(qapp):
    """Connected directly, each of these kept one block (a button's ``click``, a timer's
    ``deleteLater``; measured 1.00 per connection); through ``calling``, none."""
    def connect_click() -> None:
        sender, button = _Sender(), QPushButton()
        sender.fired.connect(calling(button.click))

    def connect_delete_later() -> None:
        timer = QTimer()
        timer.timeout.connect(calling(timer.deleteLater))

    assert blocks_kept_per_time(connect_click) < 0.5
    assert blocks_kept_per_time(connect_delete_later) < 0.5


def test_calling_calls_the_method_ignoring_the_signal_arguments(qapp):
    sender, button = _Sender(), QPushButton()
    button.setCheckable(True)
    sender.fired.connect(calling(button.click))
    sender.fired.emit(False)
    assert button.isChecked()


def test_calling_keeps_nothing_alive_and_leaves_python_slots_as_they_are(qapp):
    sender, button = _Sender(), QPushButton()
    gone = weakref.ref(button)
    sender.fired.connect(calling(button.click))
    del button
    gc.collect()
    assert gone() is None
    sender.fired.emit(True)  # its object gone: nothing is called, nothing raised

    def python_slot() -> None:
        pass

    assert calling(python_slot) is python_slot
    assert calling(sender.deleteLater) is not sender.deleteLater
