"""``sweep``: the table it prints, the files it writes, and how it refuses bad input."""

import csv
import json
import math

import numpy as np
import pytest

from optim_core import cli, sweep_cli


def run(argv: list[str]) -> int:
    """The command as users run it, through ``python -m optim_core``'s entry point."""
    return cli.main(["sweep", *argv])


def test_prints_lr_rows_and_optimizer_columns(capsys):
    assert run(["--problem", '{"name": "quadratic", "condition": 10}', "--lrs", "1e-3:1:4",
                "--steps", "200"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("quadratic: final loss after 200 steps from (-3, 2)")
    assert lines[1].split() == ["lr", "SGD", "Adam", "AdamW"]
    rows = [line.split() for line in lines[2:6]]
    assert [float(r[0]) for r in rows] == pytest.approx([1e-3, 1e-2, 1e-1, 1])
    assert rows[3][1] == "diverged" and rows[2][1] != "diverged"  # SGD: lr > 2/κ
    assert all(math.isfinite(float(cell)) for r in rows for cell in r[2:])
    assert lines[6].startswith("SGD: best lr 0.1 (final loss ")
    assert "within 10× of its best: " in lines[6] and lines[8].startswith("AdamW: best lr")
    assert len(lines) == 9


def test_registered_in_the_main_command_line(capsys):
    assert cli.main(["sweep", "--problem", "booth", "--optimizers", "Adam", "--lrs",
                     "0.01,0.1", "--steps", "20"]) == 0
    assert capsys.readouterr().out.splitlines()[1].split() == ["lr", "Adam"]


def test_out_csv_holds_every_run(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    assert run(["--problem", "quadratic", "--lrs", "0.01,0.1,1", "--steps", "50",
                "--optimizers", "SGD,AdamW", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert [(r["optimizer"], float(r["lr"])) for r in rows] == [
        ("SGD", 0.01), ("SGD", 0.1), ("SGD", 1.0), ("AdamW", 0.01), ("AdamW", 0.1),
        ("AdamW", 1.0)]
    assert rows[2]["diverged"] == "True" and rows[2]["final_loss"] == ""
    assert rows[1]["diverged"] == "False" and float(rows[1]["final_loss"]) >= 0


def test_out_json_has_the_summary(tmp_path, capsys):
    out = tmp_path / "sweep.json"
    assert run(["--problem", "quadratic", "--lrs", "0.01,0.1,1", "--steps", "50",
                "--out", str(out)]) == 0
    payload = json.loads(out.read_text())
    assert payload["problem"] == {"name": "quadratic", "condition": 10.0, "angle": 0.0}
    assert [s["optimizer"] for s in payload["summary"]] == ["SGD", "Adam", "AdamW"]
    assert len(payload["rows"]) == 9


@pytest.mark.parametrize("argv, field", [
    (["--problem", "nope"], "problem"),
    (["--problem", "{bad json"], "problem"),
    (["--problem", "quadratic", "--lrs", "1e-4:x:13"], "lrs"),
    (["--problem", "quadratic", "--lrs", "0.1,-1"], "lrs"),
    (["--problem", "quadratic", "--lrs", "1:1e-4:5"], "lrs"),
    (["--problem", "quadratic", "--optimizers", "SGD,Foo"], "optimizers[1]"),
    (["--problem", "quadratic", "--steps", "0"], "steps"),
    (["--problem", "linear_regression", "--batch-size", "100000"], "batch_size"),
    (["--problem", "quadratic", "--out", "x.txt"], "out"),
])
def test_bad_input_exits_2_naming_the_field(tmp_path, capsys, argv, field):
    assert run(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {field}: ")
    assert not list(tmp_path.iterdir())


def test_parse_lrs():
    np.testing.assert_allclose(sweep_cli.parse_lrs("1e-4:1:5"), [1e-4, 1e-3, 1e-2, 0.1, 1])
    assert sweep_cli.parse_lrs("0.1, 0.01").tolist() == [0.1, 0.01]


def test_the_verdict_says_when_nothing_improved_and_when_a_best_lr_is_at_the_edge(capsys):
    assert run(["--problem", "rosenbrock", "--lrs", "1e-5:1:13", "--steps", "300"]) == 0
    verdicts = {line.split(":")[0]: line for line in capsys.readouterr().out.splitlines()[-3:]}
    assert "2.82× below the start" in verdicts["SGD"]
    assert verdicts["SGD"].endswith("n/a (no lr got 10× below the start loss)")
    assert "at the grid's edge" in verdicts["Adam"] and "≥ 0.0 decades" in verdicts["Adam"]
    assert "at the grid's edge" not in verdicts["AdamW"]
