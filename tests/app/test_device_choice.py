"""A file saved for a device this PC lacks ("device": "cuda" on a CPU-only lab PC) gets a
choice — run on the CPU instead, or cancel — rather than a refusal."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app import device_choice

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

#: a device no test machine has (cuda:99 is refused even where CUDA is present)
ABSENT = "cuda:99"
CONFIG = {"problem": "booth", "steps": 50, "device": ABSENT,
          "runs": [{"optimizer": "SGD", "lr": 0.01}]}


@pytest.fixture
def gpu_file(tmp_path):
    path = tmp_path / "gpu.json"
    path.write_text(json.dumps(CONFIG), encoding="utf-8")
    return path


@pytest.mark.parametrize(("answer", "opened"), [(True, True), (False, False)])
def test_opening_a_file_for_an_absent_device_asks_to_run_on_the_cpu(
        make_window, monkeypatch, gpu_file, answer, opened):
    window = make_window()
    asked = []
    monkeypatch.setattr(device_choice, "ask_run_on_cpu",
                        lambda parent, name, device, available: asked.append(device) or answer)
    before = window.state
    assert window.open_experiment(gpu_file) is opened
    assert asked == [ABSENT]
    if opened:
        assert window.state.device == "cpu" and window.state.steps == 50
        assert window.isWindowModified()  # differs from the file now
        assert "on the CPU" in window.statusBar().currentMessage()
    else:
        assert window.state is before  # cancelled: the runs on screen go on
    assert not [b for b in window.findChildren(QMessageBox) if b.isVisible()]  # no refusal


def test_other_errors_are_still_refused_without_asking(make_window, monkeypatch, tmp_path):
    window = make_window()
    monkeypatch.setattr(device_choice, "ask_run_on_cpu", pytest.fail)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**CONFIG, "device": "cpu", "steps": -1}), encoding="utf-8")
    assert not window.open_experiment(path)
    assert "steps" in window.statusBar().currentMessage()


@pytest.mark.parametrize(("button", "expected"), [("Run on CPU instead", True), ("Cancel", False)])
def test_the_choice_is_two_buttons(qtbot, button, expected):
    def click():
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox) and ABSENT in box.text()
        (chosen,) = [b for b in box.buttons() if b.text().replace("&", "") == button]
        chosen.click()

    QTimer.singleShot(200, click)
    assert device_choice.ask_run_on_cpu(None, "gpu.json", ABSENT, "cpu") is expected
