"""Slots that leave nothing behind: a Qt method wrapped in a Python function before it is
connected.

PySide 6.11 keeps one Python object (~55 B) for good per connection whose slot is a method of
a Qt class — ``window.close``, ``button.click``, ``timer.deleteLater`` — even after both ends are
deleted; a connection to a Python function or method, or from a signal to a signal, keeps
nothing (measured with ``sys.getallocatedblocks`` over 4,000 connections of each kind). A window
made such connections each time it opened (21 for the network workbench); each kept object
pinned a page of the heap among freed ones (``tests/app/test_slots.py``).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import BuiltinMethodType
from typing import Any


def calling(method: Callable[[], Any]) -> Callable[..., None]:
    """``method`` as a slot that PySide keeps nothing of: a Qt method (``widget.close``) becomes
    a Python function that calls it, without keeping its object alive, and ignores the signal's
    arguments; a Python function or method is returned as it is."""
    if not isinstance(method, BuiltinMethodType):
        return method
    owner, name = weakref.ref(method.__self__), method.__name__

    def call(*_signal_arguments: object) -> None:
        target = owner()
        if target is not None:
            getattr(target, name)()

    return call
