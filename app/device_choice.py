"""An experiment asks for a device this computer lacks (a file saved with ``"device": "cuda"``
opened on a CPU-only lab PC): offer to run it on the CPU instead of refusing the file."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from optim_core.errors import ConfigError


def missing_device(config: Any, error: ConfigError) -> bool:
    """Whether ``error`` refused only ``config``'s device (so the CPU could run it)."""
    return (error.field == "device" and isinstance(config, Mapping)
            and config.get("device", "cpu") != "cpu")


def on_cpu(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with ``"device": "cpu"``."""
    return {**config, "device": "cpu"}


def ask_run_on_cpu(parent: QWidget | None, name: str, device: Any, available: str) -> bool:
    """Ask whether to run ``name`` on the CPU instead of ``device``: True for "Run on CPU"."""
    box = QMessageBox(QMessageBox.Icon.Question, "Device not available",
                      f"{name} asks for the device {device!r}, which this computer does not "
                      f"have (available here: {available}).\n\nRun it on the CPU instead? The "
                      "optimizers take the same steps up to rounding; only the speed differs.",
                      QMessageBox.StandardButton.Cancel, parent)
    run = box.addButton("Run on CPU instead", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(run)
    box.setObjectName("device choice")
    box.exec()
    return box.clickedButton() is run
