"""``basins``: what it prints, the .npz and .png it writes, and how it refuses bad input."""

import json

import imageio.v3 as iio
import numpy as np
import pytest

from optim_core import cli
from optim_core.basin_image import basin_colours, minimum_colour


def run(argv: list[str]) -> int:
    """The command as users run it, through ``python -m optim_core``'s entry point."""
    return cli.main(["basins", *argv])


def test_prints_the_share_of_each_minimum(capsys):
    assert run(["--problem", "himmelblau", "--optimizer", "SGD", "--lr", "0.01", "--grid", "16",
                "--steps", "200"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("himmelblau: SGD (lr=0.01, momentum=0.0")
    assert "16 × 16 starts over x -5…5, y -5…5, 200 steps" in lines[0]
    shares = [float(line.split("%")[0]) for line in lines[1:]]
    assert sum(shares) == pytest.approx(100, abs=0.05)
    assert any("minimum 0 at (3, 2)" in line for line in lines[1:])


def test_npz_holds_the_arrays(tmp_path, capsys):
    out = tmp_path / "basins.npz"
    assert run(["--problem", "six_hump_camel", "--optimizer", "SGD", "--lr", "0.01",
                "--momentum", "0.9", "--grid", "20", "--extent=-2,2,-1,1", "--steps", "300",
                "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"wrote {out}"
    with np.load(out) as data:
        assert data["x"].shape == data["y"].shape == (20,)
        assert data["x"][0] == -2 and data["y"][-1] == 1
        assert data["label"].shape == data["steps_to_converge"].shape == (20, 20)
        assert data["minima"].shape[1] == 2 and len(data["minima"]) >= 4
        assert data["label"].max() < len(data["minima"]) and data["label"].min() >= -2
        about = json.loads(str(data["about"]))
    assert about["optimizer"] == "SGD" and about["hyperparameters"]["momentum"] == 0.9
    assert about["known_minima"] == 2 and about["steps"] == 300


def test_png_is_the_map_with_y_upwards(tmp_path):
    out = tmp_path / "basins.png"
    # the lower half of the extent reaches minimum 3 (3.58, −1.85), the upper half minimum 0
    assert run(["--problem", "himmelblau", "--optimizer", "SGD", "--lr", "0.01", "--grid", "9",
                "--extent=2.6,3.4,-2.2,2.4", "--steps", "300", "--out", str(out)]) == 0
    image = iio.imread(out)
    assert image.shape == (9, 9, 4)
    top, bottom = image[0, 4, :3].astype(float), image[-1, 4, :3].astype(float)
    hue = np.array(minimum_colour(0)) / max(minimum_colour(0))
    assert np.allclose(top / top.max(), hue, atol=0.05)  # minimum 0 is at the top
    hue3 = np.array(minimum_colour(3)) / max(minimum_colour(3))
    assert np.allclose(bottom / bottom.max(), hue3, atol=0.05)


def test_colours_are_shaded_by_steps():
    label = np.array([[0, 0, -1, -2]])
    rgba = basin_colours(label, np.array([[0, 100, -1, -1]]), 100)
    assert tuple(rgba[0, 0, :3]) == minimum_colour(0)
    assert rgba[0, 1, :3].sum() < rgba[0, 0, :3].sum()
    assert tuple(rgba[0, 2, :3]) == minimum_colour(-1)
    assert tuple(rgba[0, 3, :3]) == minimum_colour(-2)
    assert len({minimum_colour(i) for i in range(64)}) == 64


def test_other_hyperparameters_go_by_param(capsys):
    assert run(["--problem", "himmelblau", "--optimizer", "NAdam", "--lr", "0.1",
                "--param", "momentum_decay=0.004", "--betas", "0.9,0.99", "--grid", "4",
                "--steps", "50"]) == 0
    assert "momentum_decay=0.004" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["--optimizer", "SGD", "--grid", "600"], "grid: 600"),
    (["--optimizer", "SGD", "--extent=1,0,0,1"], "extent: "),
    (["--optimizer", "SGD", "--lr", "-1"], "optimizer.lr: -1"),
    (["--optimizer", "SGD", "--nesterov", "maybe"], "optimizer.nesterov"),
    (["--optimizer", "LBFGS"], "optimizer: 'LBFGS'"),
    (["--optimizer", "Nope"], "optimizer: 'Nope'"),
    (["--optimizer", "SGD", "--param", "lr"], "param: 'lr'"),
    (["--optimizer", "SGD", "--steps", "0"], "steps: 0"),
    (["--optimizer", "SGD", "--out", "map.jpg"], "out: "),
])
def test_bad_input_exits_2_naming_the_field(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(["--problem", "himmelblau", "--grid", "4", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
