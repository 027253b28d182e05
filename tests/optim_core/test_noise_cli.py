"""``noise``: the table it prints, the files it writes, and how it refuses bad input."""

import csv
import json

import pytest

from optim_core import cli


def run(argv: list[str]) -> int:
    """The command as users run it, through ``python -m optim_core``'s entry point."""
    return cli.main(["noise", *argv])


def test_prints_measured_theoretical_and_ratio(capsys):
    assert run(["--problem", "mean_quadratic", "--at=-3,2", "--batch-sizes", "1,4,1000",
                "--draws", "2000", "--no-timing"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("mean_quadratic (M = 1000) at w = (-3, 2); 2000 draws per N")
    rows = {int(line.split()[0]): line.split() for line in lines if line.split()[0].isdigit()}
    assert sorted(rows) == [1, 4, 1000]
    for n in (1, 4):
        assert abs(float(rows[n][3]) - 1) < 0.15 and abs(float(rows[n][6]) - 1) < 0.15
    assert rows[1000][2] == "0" and rows[1000][3] == "n/a"
    assert "slope" in lines[-1]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_out_writes_the_table(tmp_path, capsys, suffix):
    out = tmp_path / f"noise{suffix}"
    assert run(["--problem", '{"name": "sigmoid_fit", "n_samples": 200}', "--batch-sizes",
                "1,2,200", "--draws", "100", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    if suffix == ".csv":
        rows = list(csv.DictReader(out.read_text().splitlines()))
        assert [r["batch_size"] for r in rows] == ["1", "2", "200"]
        assert float(rows[0]["seconds_per_gradient"]) > 0
    else:
        data = json.loads(out.read_text())
        assert data["problem"]["n_samples"] == 200 and data["rows"][-1]["ratio_g1"] is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--problem", "rosenbrock"], "a finite-sum problem"),
        (["--problem", "nope"], "known problems"),
        (["--problem", "{bad json"], "valid JSON"),
        (["--problem", "linear_regression", "--at", "1"], "two numbers"),
        (["--problem", "linear_regression", "--batch-sizes", "1,5000"], "from 1 to M = 1000"),
        (["--problem", "linear_regression", "--batch-sizes", "a"], "comma-separated"),
        (["--problem", "linear_regression", "--draws", "1"], "from 2 to"),
        (["--problem", "linear_regression", "--out", "x.npz"], ".csv or .json"),
        (["--problem", "linear_regression", "--seed", str(2**64)], "seed: "),
        (["--problem", "linear_regression", "--seed", "-1"], "seed: "),
    ],
)
def test_bad_input_exits_2_with_one_error_line(capsys, argv, message):
    assert run(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert captured.out == ""


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_out_is_written_where_sigma_overflows(tmp_path, capsys, suffix):
    out = tmp_path / f"noise{suffix}"
    assert run(["--problem", "linear_regression", "--at=1e300,2", "--batch-sizes", "1,2",
                "--draws", "10", "--no-timing", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    if suffix == ".json":
        data = json.loads(out.read_text())  # strict JSON: the infinite σ is null
        assert data["sigma"] == [None, None] and data["full_grad"][0] > 1e300
