"""A lesson shows its runs: every start lies well inside the landscape's view (a start dot on
the edge was cut in half), and a lesson whose point is an escape keeps the run in sight."""

import numpy as np
import pytest
import torch

from app.lessons import LESSONS, lesson
from optim_core.experiment import parse_experiment
from optim_core.problems import make_problem
from optim_core.session import Session

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

MARGIN = 0.05  #: of the view's width or height


@pytest.mark.parametrize("key", [item.key for item in LESSONS])
def test_every_start_lies_well_inside_the_view(key):
    experiment = parse_experiment(lesson(key).experiment)
    v = experiment.problem.view
    for x, y in experiment.starts:
        assert v.xmin + MARGIN * (v.xmax - v.xmin) <= x <= v.xmax - MARGIN * (v.xmax - v.xmin)
        assert v.ymin + MARGIN * (v.ymax - v.ymin) <= y <= v.ymax - MARGIN * (v.ymax - v.ymin)


def test_the_saddle_escape_stays_in_sight():
    experiment = parse_experiment(lesson("saddle-noise").experiment)
    session = Session.from_experiment(experiment)
    session.step(experiment.steps)
    path = session.snapshot().position[:, 0]
    v = experiment.problem.view
    assert np.all((v.xmin <= path[:, 0]) & (path[:, 0] <= v.xmax))
    assert np.all((v.ymin <= path[:, 1]) & (path[:, 1] <= v.ymax))


def test_himmelblau_s_local_maximum_is_a_stationary_point():
    problem = make_problem("himmelblau")
    (top,) = problem.maxima
    w = torch.tensor([top.point], dtype=torch.float64, requires_grad=True)
    loss = problem.loss(w).sum()
    (grad,) = torch.autograd.grad(loss, w)
    assert float(grad.abs().max()) < 1e-9 and loss.detach().item() == pytest.approx(top.value)


def test_the_newton_maximum_lesson_marks_the_maximum(make_window, qtbot):
    window = make_window()
    window.open_lesson("newton-maximum")
    maxima = window.landscape._maxima
    qtbot.waitUntil(lambda: len(maxima.data) == 1, timeout=10_000)
    x, y = maxima.getData()
    assert (x[0], y[0]) == pytest.approx((-0.2708, -0.9230), abs=1e-4)
    assert "local maximum" in window.landscape._legend.plain_text()
    window.open_lesson("momentum")  # a landscape without one
    qtbot.waitUntil(lambda: len(maxima.data) == 0, timeout=10_000)
