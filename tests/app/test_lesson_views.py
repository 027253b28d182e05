"""A lesson shows its runs: every start lies well inside the landscape's view (a start dot on
the edge was cut in half), and a lesson whose point is an escape keeps the run in sight."""

import numpy as np
import pytest

from app.lessons import LESSONS, lesson
from optim_core.experiment import parse_experiment
from optim_core.session import Session

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
