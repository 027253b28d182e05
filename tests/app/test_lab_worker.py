"""A lab window's worker: whatever its computation raises ends as a message, and the job only."""

from __future__ import annotations

from typing import Any

import pytest

from app.lab_window import LabWorker


class Failing(LabWorker):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def compute(self, job: Any) -> Any:
        raise self.error


@pytest.mark.parametrize("error", [RuntimeError("CUDA out of memory"), MemoryError(),
                                   ValueError("lr: -1 is not allowed")])
def test_a_failing_job_is_reported_not_left_busy(error):
    """A RuntimeError (torch's out of memory) escaped run_job: the window stayed busy, Run
    greyed for good."""
    worker = Failing(error)
    failed: list[str] = []
    finished: list[Any] = []
    worker.failed.connect(failed.append)
    worker.finished.connect(finished.append)
    worker.run_job(object())
    assert len(failed) == 1 and not finished
