"""Runs drawn on top of one another are said to be: "identical to run 1" in the runs table and
"(= run 1)" in the legends; a batch size a deterministic problem ignores is marked as ignored."""

import pytest

from app import SessionState

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")

SGD = {"optimizer": "SGD", "lr": 0.1}


def state(problem: str, runs: list[dict], **top) -> SessionState:
    return SessionState.from_dict({"problem": problem, "runs": runs, **top})


@pytest.mark.parametrize(("problem", "runs", "top", "twins"), [
    # the minibatch lesson's runs on a deterministic problem: one path, three times
    ("quadratic", [{**SGD, "batch_size": 1}, {**SGD, "batch_size": 16}, SGD], {},
     [None, 0, 0]),
    # on a mean over samples the batch sizes make them differ...
    ("mean_quadratic", [{**SGD, "batch_size": 1}, {**SGD, "batch_size": 16}, SGD], {},
     [None, None, None]),
    # ...unless a run's own batch size is the session's
    ("mean_quadratic", [{**SGD, "batch_size": 16}, SGD], {"batch_size": 16}, [None, 0]),
    # label and colour change nothing; another hyperparameter does
    ("quadratic", [SGD, {**SGD, "label": "mine", "color": "#123456"}, {**SGD, "momentum": 0.5}],
     {}, [None, 0, None]),
    # synthetic gradient noise is drawn per run
    ("quadratic", [SGD, SGD], {"grad_noise": 0.1}, [None, None]),
    # a run that is off hides nothing
    ("quadratic", [{**SGD, "enabled": False}, SGD, SGD], {}, [None, None, 1]),
])
def test_runs_that_run_alike_are_found(problem, runs, top, twins):
    assert state(problem, runs, **top).twins() == twins


def test_the_table_and_the_legend_say_which_runs_are_one(make_window):
    window = make_window({"problem": "quadratic", "runs": [
        {**SGD, "batch_size": 1}, {**SGD, "batch_size": 16}, {"optimizer": "Adam", "lr": 0.1}]})
    rows = window.controls.runs.rows()
    assert rows[0]["summary"] == "lr=0.1 batch_size=1 (ignored: exact gradients)"
    assert rows[1]["summary"].endswith("(ignored: exact gradients) · identical to run 1")
    assert "identical" not in rows[2]["summary"]
    legend = window.landscape._legend.plain_text()
    assert "SGD lr=0.1 N=16 (= run 1)" in legend and "N=1 (= run" not in legend


def test_a_run_on_top_of_another_is_drawn_dashed(make_window):
    window = make_window({"problem": "quadratic", "runs": [
        SGD, {**SGD, "label": "again"}, {"optimizer": "Adam", "lr": 0.1}]})
    tracks = window.landscape._tracks
    assert [t.dashed for t in tracks] == [False, True, False]
    style = tracks[1].path.opts["pen"].style()
    assert style == style.DashLine and tracks[0].path.opts["pen"].style() == style.SolidLine
