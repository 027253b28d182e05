"""Default run labels tell runs apart: the variant, the lr and every setting off its default."""

import pytest

from optim_core import cli
from optim_core.experiment import parse_experiment

RUNS = [
    ({"optimizer": "SGD", "lr": 1e-3}, "SGD lr=0.001"),
    ({"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9}, "SGD+momentum lr=0.001"),
    ({"optimizer": "SGD", "lr": 1e-3, "momentum": 0.5}, "SGD+momentum lr=0.001 momentum=0.5"),
    ({"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9, "nesterov": True},
     "SGD+Nesterov lr=0.001"),
    ({"optimizer": "Adam", "lr": 0.05}, "Adam lr=0.05"),
    ({"optimizer": "Adam", "lr": 0.05, "betas": [0.9, 0.9]}, "Adam lr=0.05 betas=(0.9, 0.9)"),
    ({"optimizer": "SGD", "lr": 1e-3, "clip_norm": 1.0}, "SGD lr=0.001 clip_norm=1"),
    ({"optimizer": "SGD", "lr": 1e-3, "batch_size": 16}, "SGD lr=0.001 N=16"),
]


@pytest.mark.parametrize(("run", "label"), RUNS)
def test_a_run_without_a_label_is_named_by_its_settings(run, label):
    experiment = parse_experiment({"problem": "linear_regression", "runs": [run]})
    assert experiment.runs[0].label == label


def test_every_default_label_differs():
    experiment = parse_experiment({"problem": "linear_regression", "runs": [r for r, _ in RUNS]})
    labels = [run.label for run in experiment.runs]
    assert len(set(labels)) == len(labels)


def test_the_command_line_names_sgd_and_sgd_with_momentum_apart(tmp_path, capsys):
    path = tmp_path / "exp.json"
    path.write_text('{"problem": "rosenbrock", "steps": 5, "runs": ['
                    '{"optimizer": "SGD", "lr": 0.001},'
                    '{"optimizer": "SGD", "lr": 0.001, "momentum": 0.9}]}')
    assert cli.main(["run", str(path)]) == 0
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines()[2:]]
    assert rows == ["SGD", "SGD+momentum"]
