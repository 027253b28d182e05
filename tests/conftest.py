"""Test-wide setup: Qt draws offscreen, so the suite runs without a display."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc

import pytest


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    """Once an app test has switched Python's collector to the GUI thread's timer
    (app/gui_collector.py), collect between tests too, as that timer would have."""
    yield
    if not gc.isenabled():
        from app.gui_collector import collect_due

        collect_due()


@pytest.fixture
def one_torch_thread():
    """Small networks train fastest on one torch thread, and do not fight other processes for
    the cores (far faster on a busy machine). Modules ask for it with ``usefixtures``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
