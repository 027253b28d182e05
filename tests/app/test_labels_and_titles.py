"""Labels and titles that stay true: leaving a lesson drops its title and run names, plain SGD is
not headed "with momentum", and File → New starts an untitled experiment with one run."""

import pytest

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def pick_problem(window, name: str) -> None:
    window.controls.problem.problem_changed.emit(name, {})


def test_switching_problems_after_a_lesson_leaves_the_lesson(make_window):
    window = make_window()
    window.open_lesson("minibatch-noise")
    assert "Minibatch gradients are noisy" in window.windowTitle()
    assert window.state.runs[2].display_label == "SGD, full batch"
    pick_problem(window, "rosenbrock")
    pick_problem(window, "linear_regression")  # the session now draws minibatches of 32
    assert window.state.batch_size == 32
    labels = [run.display_label for run in window.state.runs]
    assert "SGD, full batch" not in labels and "SGD, N = 1" not in labels
    assert labels == ["SGD lr=0.1 N=1", "SGD lr=0.1 N=16", "SGD lr=0.1"]
    assert all("label" not in run for run in window.state.to_dict()["runs"])
    assert "Lesson" not in window.windowTitle()
    assert "Untitled experiment" in window.windowTitle()


def test_a_label_the_user_gave_after_the_lesson_stays(make_window):
    window = make_window()
    window.open_lesson("minibatch-noise")
    window._label_changed(0, "my run")
    pick_problem(window, "linear_regression")
    assert window.state.runs[0].display_label == "my run"


@pytest.mark.parametrize(("momentum", "nesterov", "title"), [
    (0.0, False, "· SGD"),
    (0.9, False, "· SGD with momentum"),
    (0.9, True, "· SGD with Nesterov momentum"),
])
def test_the_run_editor_heads_sgd_by_its_variant(make_window, momentum, nesterov, title):
    window = make_window({"problem": "rosenbrock", "runs": [
        {"optimizer": "SGD", "lr": 0.001, "momentum": momentum, "nesterov": nesterov}]})
    heading = window.controls.run_title.text()
    assert heading.endswith(title) and "(momentum, Nesterov)" not in heading


def test_file_new_is_an_untitled_experiment_with_one_run(make_window):
    window = make_window()
    window.open_lesson("minibatch-noise")
    window.new_experiment()
    assert len(window.state.runs) == 1
    assert window.state.problem["name"] == "rosenbrock"
    assert "Untitled experiment" in window.windowTitle() and not window.isWindowModified()
    new = [a for a in window.menuBar().actions()[0].menu().actions() if a.text() == "&New"]
    assert len(new) == 1 and not new[0].shortcut().isEmpty()
