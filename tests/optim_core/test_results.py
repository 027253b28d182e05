"""run_experiment's records (shapes, order, divergence, thinning to a budget, columns) and the
result writers (streamed, atomic)."""

from __future__ import annotations

import csv
import gc
import json
import math
import weakref

import numpy as np
import pytest
import torch

from optim_core import ConfigError, run_experiment
from optim_core import files as files_module
from optim_core import results as results_module
from optim_core.experiment import parse_experiment
from optim_core.optimizers import BUILT_IN, get_rule
from optim_core.problems import PROBLEMS, make_problem
from optim_core.results import (
    CSV_COLUMNS,
    CSV_FINITE_SUM_COLUMNS,
    check_record_size,
    to_jsonable,
    write_result,
)
from optim_core.session import Session


def _finite_sum_name() -> str | None:
    names = [n for n, cls in PROBLEMS.items() if cls.is_finite_sum]
    preferred = [n for n in ("mean_quadratic", "linear_regression") if n in names]
    return (preferred or names or [None])[0]


FINITE_SUM = _finite_sum_name()
needs_finite_sum = pytest.mark.skipif(FINITE_SUM is None,
                                      reason="no finite-sum problem is registered in PROBLEMS")

ROSENBROCK = {
    "problem": "rosenbrock",
    "steps": 12,
    "runs": [
        {"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9},
        {"optimizer": "Adam", "lr": 0.05, "clip_norm": 1.0},
        {"optimizer": "RMSprop", "lr": 0.01},
    ],
}


def _finite_sum_config(steps: int = 6) -> dict:
    return {
        "problem": {"name": FINITE_SUM, "n_samples": 40},
        "steps": steps,
        "batch_size": 4,
        "runs": [
            {"optimizer": "SGD", "lr": 0.05},
            {"optimizer": "Adam", "lr": 0.05, "batch_size": None},
            {"optimizer": "SGD", "lr": 0.05, "batch_size": 40, "label": "full batch"},
        ],
    }


# ---------------------------------------------------------------------------------- shapes
def test_deterministic_run_has_every_array_with_its_documented_shape():
    steps = ROSENBROCK["steps"]
    result = run_experiment(ROSENBROCK)
    assert result["problem"] == "rosenbrock"
    assert [run["optimizer"] for run in result["runs"]] == ["SGD", "Adam", "RMSprop"]
    for run in result["runs"]:
        assert run["trajectory"].shape == (steps + 1, 2)
        assert run["loss"].shape == (steps + 1,)
        assert run["grad"].shape == (steps, 2)
        assert run["clipped"].shape == (steps,) and run["clipped"].dtype == bool
        assert run["effective_lr"].shape == (steps, 2)
        in_use = get_rule(run["optimizer"]).state_in_use([run["hyperparameters"]])
        assert set(run["state"]) == set(in_use) and in_use
        assert all(v.shape == (steps, 2) for v in run["state"].values())
        assert "full_grad" not in run and "sample_grads" not in run
        assert run["status"] == "ok" and run["diverged_at"] is None
        assert tuple(run["trajectory"][0]) == run["start"] == (-1.5, 2.0)
        assert np.isfinite(run["grad"]).all()  # row 0 (the start, NaN) was sliced off


def test_records_agree_with_the_problem_and_the_update():
    result = run_experiment(ROSENBROCK)
    problem = make_problem("rosenbrock")
    for run in result["runs"]:
        w = torch.tensor(run["trajectory"], requires_grad=True)
        loss = problem.loss(w)
        (grad,) = torch.autograd.grad(loss.sum(), w)
        np.testing.assert_allclose(run["loss"], loss.detach().numpy(), rtol=1e-12)
        # grad[t] is the (unclipped) gradient at the point step t+1 started from
        np.testing.assert_allclose(run["grad"], grad[:-1].numpy(), rtol=1e-12)
    adam = result["runs"][1]
    norms = np.linalg.norm(adam["grad"], axis=1)
    np.testing.assert_array_equal(adam["clipped"], norms > 1.0)
    assert adam["clipped"].any()
    sgd = result["runs"][0]
    buffer = sgd["state"]["momentum_buffer"]
    np.testing.assert_allclose(buffer[0], sgd["grad"][0])  # torch copies g on the first step
    np.testing.assert_allclose(buffer[1], 0.9 * buffer[0] + sgd["grad"][1], rtol=1e-12)


def test_effective_lr_of_plain_sgd_is_the_learning_rate():
    config = {"problem": "booth", "steps": 5, "runs": [{"optimizer": "SGD", "lr": 0.01}]}
    (run,) = run_experiment(config)["runs"]
    np.testing.assert_allclose(run["effective_lr"], 0.01, rtol=1e-9)
    step = run["trajectory"][1:] - run["trajectory"][:-1]
    np.testing.assert_allclose(step, -0.01 * run["grad"], rtol=1e-12)


@needs_finite_sum
def test_finite_sum_run_adds_full_grad_and_cumulative_sample_grads():
    steps = 6
    result = run_experiment(_finite_sum_config(steps))
    minibatch, default_full, full = result["runs"]
    counted = np.arange(1, steps + 1)
    np.testing.assert_array_equal(minibatch["sample_grads"], 4 * counted)
    np.testing.assert_array_equal(default_full["sample_grads"], 4 * counted)  # the experiment's
    np.testing.assert_array_equal(full["sample_grads"], 40 * counted)
    for run in result["runs"]:
        assert run["full_grad"].shape == (steps, 2)
        assert run["sample_grads"].shape == (steps,)
        assert run["trajectory"].shape == (steps + 1, 2)
    np.testing.assert_allclose(full["full_grad"], full["grad"], rtol=1e-12)
    assert not np.allclose(minibatch["full_grad"], minibatch["grad"])  # a minibatch is noisy


def test_multiple_starts_are_run_major_in_the_experiment_order():
    starts = [[-1.0, 1.0], [0.5, 0.5], [1.5, -0.5]]
    config = {"problem": "himmelblau", "steps": 3, "starts": starts,
              "runs": [{"optimizer": "SGD", "lr": 0.01}, {"optimizer": "Adam", "lr": 0.1}]}
    runs = run_experiment(config)["runs"]
    assert [(r["optimizer"], list(r["start"])) for r in runs] == [
        (name, start) for name in ("SGD", "Adam") for start in starts]
    for run in runs:
        assert list(run["trajectory"][0]) == list(run["start"])


class _FrugalSession(Session):
    """A session whose default memory budget thins its records after about 1024 rows."""

    def __init__(self, *args, history_budget: int = 4096, **kwargs):
        super().__init__(*args, history_budget=history_budget, **kwargs)


def test_long_runs_keep_every_row(monkeypatch):
    monkeypatch.setattr(results_module, "Session", _FrugalSession)
    steps = 3000  # beyond what _FrugalSession keeps unless run_experiment sizes its records
    config = {"problem": "quadratic", "steps": steps, "runs": [{"optimizer": "SGD", "lr": 0.01}]}
    (run,) = run_experiment(config)["runs"]
    assert run["trajectory"].shape == (steps + 1, 2)
    step = run["trajectory"][1:] - run["trajectory"][:-1]
    np.testing.assert_allclose(step, -0.01 * run["grad"], rtol=1e-9, atol=1e-300)


def test_records_beyond_the_memory_limit_are_refused_on_steps_when_not_thinned():
    config = {"problem": "rosenbrock", "steps": 10_000_000,
              "runs": [{"optimizer": "Adam"} for _ in range(8)]}
    with pytest.raises(ConfigError) as info:
        run_experiment(config, thin=False)
    assert info.value.field == "steps" and info.value.value == 10_000_000
    assert "GiB" in info.value.allowed and "MiB" in info.value.allowed
    small = parse_experiment({"problem": "rosenbrock", "steps": 100,
                              "runs": [{"optimizer": "SGD"}]})
    check_record_size(small)
    with pytest.raises(ConfigError, match="steps"):
        check_record_size(small, limit=1000)


THINNED = {"problem": "rosenbrock", "steps": 1000, "starts": [[-1.5, 2.0], [0.0, 0.0]],
           "runs": [{"optimizer": "Adam", "lr": 0.05},
                    {"optimizer": "SGD", "lr": 1e-3, "momentum": 0.9}]}


def _budget_for(config: dict, rows: int) -> int:
    return rows * results_module.row_bytes(parse_experiment(config))


@pytest.mark.parametrize("rows", [3, 4, 50, 101, 1000])
def test_long_runs_are_thinned_to_the_budget_keeping_the_first_and_last_step(rows):
    budget = _budget_for(THINNED, rows)
    thinned = run_experiment(THINNED, record_budget=budget)
    full = run_experiment(THINNED)
    steps = thinned["recorded_steps"]
    assert steps[0] == 0 and steps[-1] == 1000 and len(steps) <= rows
    assert np.all(np.diff(steps) > 0)
    every = thinned["thinning"]["every"]
    np.testing.assert_array_equal(steps[:-1], np.arange(0, 1001, every)[:len(steps) - 1])
    assert thinned["thinning"] == {"every": every, "rows": len(steps), "steps": 1001,
                                   "budget_bytes": budget}
    assert full["thinning"] is None and len(full["recorded_steps"]) == 1001
    for a, b in zip(thinned["runs"], full["runs"], strict=True):
        np.testing.assert_array_equal(a["trajectory"], b["trajectory"][steps])
        np.testing.assert_array_equal(a["loss"], b["loss"][steps])
        for name in ("grad", "clipped", "effective_lr"):  # the step that reached each row
            np.testing.assert_array_equal(a[name], b[name][steps[1:] - 1])
        assert set(a["state"]) == set(b["state"])
        for name, values in a["state"].items():
            np.testing.assert_array_equal(values, b["state"][name][steps[1:] - 1])


def test_a_thinned_diverging_run_ends_on_its_last_recorded_row():
    config = {"problem": "rosenbrock", "steps": 400,
              "runs": [{"optimizer": "SGD", "lr": 1.0}, {"optimizer": "Adam", "lr": 0.01}]}
    result = run_experiment(config, record_budget=_budget_for(config, 40))
    sgd, adam = result["runs"]
    d = sgd["diverged_at"]
    row = results_module.final_index(sgd)
    assert result["recorded_steps"][row] <= d < result["recorded_steps"][row + 1]
    assert results_module.final_index(adam) == len(result["recorded_steps"]) - 1


@pytest.mark.parametrize(("config", "field"), [
    ({"problem": "rosenbrock", "steps": 10, "runs": [{"optimizer": "Adam"}] * 8}, "runs"),
    ({"problem": "rosenbrock", "steps": 10, "starts": [[0, 0], [1, 1]],
      "runs": [{"optimizer": "Adam"}] * 4}, "starts"),
])
def test_runs_that_do_not_fit_even_thinned_are_refused_up_front(config, field):
    budget = _budget_for(config, 2)
    with pytest.raises(ConfigError) as info:
        run_experiment(config, record_budget=budget)
    assert info.value.field == field
    assert "at most 5 runs" in info.value.allowed and "limit" in info.value.allowed
    run_experiment(config, record_budget=_budget_for(config, 3))  # three rows fit


def test_the_default_budget_thins_an_experiment_too_long_to_keep():
    config = {"problem": "rosenbrock", "steps": 10_000_000,
              "runs": [{"optimizer": "Adam"} for _ in range(8)]}
    every = results_module.record_stride(parse_experiment(config))
    size = results_module.record_bytes(parse_experiment(config))
    assert size > results_module.RECORD_BUDGET_BYTES
    rows = 10_000_000 // every + 2
    assert rows * size / 10_000_001 <= results_module.RECORD_BUDGET_BYTES


def test_the_default_budget_thins_a_grid_it_cannot_keep_three_rows_of_instead_of_refusing():
    # 2 × 10⁵ float64 Adam starts: three rows take more than the 32 MiB default (runs the
    # 256 MiB default before it ran), so the start and the end are kept, and said
    starts = [[i / 1000, 0.5] for i in range(200_000)]
    experiment = parse_experiment({"problem": "rosenbrock", "steps": 4, "starts": starts,
                                   "runs": [{"optimizer": "Adam"}]})
    three = results_module.MIN_RECORDED_STEPS * results_module.row_bytes(experiment)
    assert results_module.RECORD_BUDGET_BYTES < three <= results_module.RECORD_LIMIT_BYTES
    assert results_module.record_stride(experiment) == 4
    with pytest.raises(ConfigError):  # a budget the caller sets is the limit too
        results_module.record_stride(experiment, results_module.RECORD_BUDGET_BYTES + 1)


# ---------------------------------------------------------------------------------- columns
def test_columns_hold_every_run_along_the_first_axis_and_runs_are_views_of_them():
    result = run_experiment(ROSENBROCK)
    assert result.column("trajectory").shape == (3, 13, 2)
    assert result.column("loss").shape == (3, 13)
    assert result.column("grad").shape == (3, 12, 2)
    assert result.column("state.exp_avg").shape == (3, 12, 2)
    assert np.isnan(result.column("state.exp_avg")[0]).all()  # SGD keeps no exp_avg
    for r, run in enumerate(result["runs"]):
        assert np.shares_memory(run["trajectory"], result.column("trajectory"))
        np.testing.assert_array_equal(run["trajectory"], result.column("trajectory")[r])
        assert not run["trajectory"].flags.writeable
    lrs = result.column("effective_lr")  # worked out when read, for all runs or for one
    assert lrs.shape == (3, 12, 2) and not lrs.flags.writeable
    for r, run in enumerate(result["runs"]):
        np.testing.assert_array_equal(run["effective_lr"], lrs[r])
    assert result["runs"][-1]["optimizer"] == "RMSprop"
    assert [r["optimizer"] for r in result["runs"][1:]] == ["Adam", "RMSprop"]
    with pytest.raises(IndexError):
        result["runs"][3]
    assert dict(result["runs"][0])["label"] == result["runs"][0]["label"]


# ---------------------------------------------------------------------------------- divergence
def test_a_diverging_run_is_marked_and_the_others_go_on():
    config = {"problem": "rosenbrock", "steps": 40,
              "runs": [{"optimizer": "SGD", "lr": 1.0}, {"optimizer": "Adam", "lr": 0.01}]}
    sgd, adam = run_experiment(config)["runs"]
    assert sgd["status"] == "diverged"
    assert isinstance(sgd["diverged_at"], int) and 0 < sgd["diverged_at"] < 40
    d = sgd["diverged_at"]
    assert np.isfinite(sgd["trajectory"][:d]).all()
    assert np.isnan(sgd["trajectory"][d + 1:]).all()  # frozen: nothing recorded after
    assert adam["status"] == "ok" and adam["diverged_at"] is None
    assert np.isfinite(adam["trajectory"]).all()


# ---------------------------------------------------------------------------------- JSON form
def test_to_jsonable_gives_valid_json_with_null_for_non_finite_values():
    value = {"a": np.array([1.0, np.nan, np.inf]), "b": (1, -math.inf), "c": np.float64(2.5),
             "d": np.int64(3), "e": {"f": [np.bool_(True)]}}
    out = to_jsonable(value)
    assert out == {"a": [1.0, None, None], "b": [1, None], "c": 2.5, "d": 3, "e": {"f": [True]}}
    json.dumps(out, allow_nan=False)


def test_a_diverged_result_serialises_to_strict_json():
    config = {"problem": "rosenbrock", "steps": 10, "runs": [{"optimizer": "SGD", "lr": 1.0}]}
    text = json.dumps(to_jsonable(run_experiment(config)), allow_nan=False)
    (run,) = json.loads(text)["runs"]
    assert run["trajectory"][-1] == [None, None]
    assert run["hyperparameters"]["lr"] == 1.0


# ---------------------------------------------------------------------------------- writers
@pytest.fixture(scope="module")
def diverging_result():
    return run_experiment({"problem": "rosenbrock", "steps": 8, "starts": [[0, 0], [-1.5, 2]],
                           "runs": [{"optimizer": "SGD", "lr": 1.0},
                                    {"optimizer": "Adam", "lr": 0.05}]})


def test_json_writer(tmp_path, diverging_result):
    path = tmp_path / "result.json"
    write_result(diverging_result, path)
    loaded = json.loads(path.read_text(encoding="utf-8"))
    assert loaded["experiment"] == to_jsonable(diverging_result["experiment"])
    assert [r["status"] for r in loaded["runs"]] == ["diverged", "diverged", "ok", "ok"]
    np.testing.assert_array_equal(np.array(loaded["runs"][2]["trajectory"]),
                                  diverging_result["runs"][2]["trajectory"])
    assert set(loaded["runs"][3]["state"]) == {"exp_avg", "exp_avg_sq"}


def test_csv_writer_long_format(tmp_path, diverging_result):
    path = tmp_path / "result.csv"
    write_result(diverging_result, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [*CSV_COLUMNS, "status"]
    assert len(rows) == 4 * 9
    for row in rows:
        run = diverging_result["runs"][int(row["run"])]
        step = int(row["step"])
        assert row["label"] == run["label"] and row["status"] == run["status"]
        np.testing.assert_array_equal([float(row["x"]), float(row["y"])], run["trajectory"][step])
        if step == 0:
            assert row["grad_x"] == row["clipped"] == row["effective_lr_x"] == ""
        else:
            assert float(row["grad_x"]) == run["grad"][step - 1][0] or (
                math.isnan(float(row["grad_x"])) and math.isnan(run["grad"][step - 1][0]))
            assert row["clipped"] == str(int(run["clipped"][step - 1]))


@needs_finite_sum
def test_csv_writer_adds_full_grad_columns_for_finite_sum_problems(tmp_path):
    result = run_experiment(_finite_sum_config(3))
    path = tmp_path / "result.csv"
    write_result(result, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [*CSV_COLUMNS, *CSV_FINITE_SUM_COLUMNS, "status"]
    last = [r for r in rows if r["run"] == "0"][-1]
    assert int(last["sample_grads"]) == 12
    assert float(last["full_grad_x"]) == result["runs"][0]["full_grad"][-1][0]


def test_npz_writer(tmp_path, diverging_result):
    path = tmp_path / "result.npz"
    write_result(diverging_result, path)
    with np.load(path) as data:  # no pickles: loads with allow_pickle=False
        metadata = json.loads(str(data["metadata"]))
        assert [r["label"] for r in metadata["runs"]] == [
            r["label"] for r in diverging_result["runs"]]
        assert metadata["runs"][0]["diverged_at"] == diverging_result["runs"][0]["diverged_at"]
        assert metadata["experiment"]["steps"] == 8 and metadata["thinning"] is None
        np.testing.assert_array_equal(data["steps"], np.arange(9))
        assert data["trajectory"].shape == (4, 9, 2)
        for r, run in enumerate(diverging_result["runs"]):
            for name in ("trajectory", "loss", "grad", "clipped", "effective_lr"):
                np.testing.assert_array_equal(data[name][r], run[name])
            for name, values in run["state"].items():
                np.testing.assert_array_equal(data[f"state/{name}"][r], values)


def test_the_streamed_json_is_the_result_as_json(tmp_path, diverging_result):
    path = tmp_path / "result.json"
    write_result(diverging_result, path)
    expected = to_jsonable(diverging_result)
    for run in expected["runs"]:
        del run["steps"]  # written once, as recorded_steps
    assert json.loads(path.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize("suffix", [".json", ".csv", ".npz"])
def test_writers_stream_in_chunks_and_keep_the_recorded_steps(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(results_module, "WRITE_CHUNK_ROWS", 7)
    result = run_experiment(THINNED, record_budget=_budget_for(THINNED, 30))
    steps = result["recorded_steps"]
    path = tmp_path / f"result{suffix}"
    write_result(result, path)
    if suffix == ".json":
        loaded = json.loads(path.read_text(encoding="utf-8"))
        assert loaded["recorded_steps"] == steps.tolist()
        assert loaded["thinning"]["every"] == result["thinning"]["every"]
        for a, b in zip(loaded["runs"], result["runs"], strict=True):
            np.testing.assert_array_equal(np.array(a["trajectory"]), b["trajectory"])
            np.testing.assert_array_equal(np.array(a["grad"]), b["grad"])
    elif suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == 4 * len(steps)
        assert [int(row["step"]) for row in rows[:len(steps)]] == steps.tolist()
        for row in rows:
            run = result["runs"][int(row["run"])]
            i = int(np.searchsorted(steps, int(row["step"])))
            assert float(row["loss"]) == run["loss"][i]
            if i:
                assert float(row["grad_y"]) == run["grad"][i - 1][1]
    else:
        with np.load(path) as data:
            np.testing.assert_array_equal(data["steps"], steps)
            np.testing.assert_array_equal(data["trajectory"], result.column("trajectory"))


def test_an_unknown_extension_is_a_config_error_on_out(tmp_path, diverging_result):
    path = tmp_path / "result.txt"
    with pytest.raises(ConfigError) as info:
        write_result(diverging_result, path)
    assert info.value.field == "out"
    assert list(tmp_path.iterdir()) == []


def test_a_missing_folder_is_a_config_error_on_out(tmp_path, diverging_result):
    with pytest.raises(ConfigError) as info:
        write_result(diverging_result, tmp_path / "nowhere" / "result.json")
    assert info.value.field == "out"


# ---------------------------------------------------------------------------------- atomicity
_REAL_CSV_WRITER = csv.writer


class _FailingWriter:
    """A csv writer that writes two rows, then fails as a full disk would."""

    def __init__(self, stream, *args, **kwargs):
        self.inner = _REAL_CSV_WRITER(stream)
        self.rows = 0

    def writerow(self, row):
        self.rows += 1
        if self.rows > 2:
            raise RuntimeError("disk full")
        return self.inner.writerow(row)

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


@pytest.mark.parametrize("existing", [None, "old result\n"])
def test_a_failure_mid_write_leaves_no_file_and_keeps_an_old_one(
        tmp_path, monkeypatch, diverging_result, existing):
    path = tmp_path / "result.csv"
    if existing is not None:
        path.write_text(existing, encoding="utf-8")
    monkeypatch.setattr(results_module.csv, "writer", _FailingWriter)
    with pytest.raises(RuntimeError, match="disk full"):
        write_result(diverging_result, path)
    if existing is None:
        assert not path.exists()
    else:
        assert path.read_text(encoding="utf-8") == existing
    assert [p.name for p in tmp_path.iterdir()] == ([] if existing is None else ["result.csv"])


def test_a_failing_npz_write_leaves_the_old_file(tmp_path, monkeypatch, diverging_result):
    path = tmp_path / "result.npz"
    path.write_bytes(b"old")

    def half_write(stream, **arrays):
        stream.write(b"PK\x03\x04 half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(results_module.np, "savez", half_write)
    with pytest.raises(ConfigError) as info:
        write_result(diverging_result, path)
    assert info.value.field == "out" and "No space left" in info.value.allowed
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.npz"]


def test_a_failing_replace_leaves_the_old_file(tmp_path, monkeypatch, diverging_result):
    path = tmp_path / "result.json"
    path.write_text("{}", encoding="utf-8")

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files_module.os, "replace", refuse)
    with pytest.raises(ConfigError, match="out"):
        write_result(diverging_result, path)
    assert path.read_text(encoding="utf-8") == "{}"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


@pytest.fixture(autouse=True)
def _collector_as_found():
    """Each test leaves Python's cyclic collector as it found it (the app's tests hand it to a
    timer in the GUI thread; a test here turning it back on would change every later test)."""
    was_on = gc.isenabled()
    yield
    (gc.enable if was_on else gc.disable)()


def test_a_result_dropped_is_freed_at_once_with_its_records():
    gc.disable()  # freed by reference counting alone: the result is in no reference cycle
    try:
        result = run_experiment(ROSENBROCK)
        result["runs"][0]["trajectory"]
        alive = weakref.ref(result)
        del result
        assert alive() is None
    finally:
        gc.enable()


CYCLE_FREE = {  # what run_experiment steps with the cyclic collector held off
    "every built-in rule, clipping, a schedule, divergence": {
        "problem": "rosenbrock", "steps": 30, "starts": [[-1.5, 2.0], [0.5, 0.5]],
        "runs": [{"optimizer": name} for name in BUILT_IN] + [
            {"optimizer": "SGD", "lr": 1.0, "clip_value": 0.5},
            {"optimizer": "Adam", "lr": 0.05, "clip_norm": 1.0,
             "schedule": {"name": "StepLR", "step_size": 5}},
            {"optimizer": "SGD", "lr": 1.0}]},
    "minibatches and gradient noise": {**_finite_sum_config(30), "grad_noise": 0.1},
    "torch.optim's own classes (a closure too)": {
        **_finite_sum_config(30), "runs": [{"optimizer": "NAdam"}, {"optimizer": "LBFGS"},
                                           {"optimizer": "ASGD", "clip_norm": 1.0}]},
    "your own function": {"problem": {"name": "custom", "expression": "sin(x) * y**2 + x**2",
                                      "view": [-2, 2, -2, 2]},
                          "steps": 30, "runs": [{"optimizer": "Newton"}, {"optimizer": "AdamW"}]},
}


def _cyclic_garbage(config: dict) -> int:
    gc.collect()
    gc.disable()
    try:
        result = run_experiment(config)
        assert not gc.isenabled()  # left as it was found
        assert result["runs"][0]["effective_lr"].shape[0] == config["steps"]
        del result
        return gc.collect()
    finally:
        gc.enable()


@pytest.mark.parametrize("config", CYCLE_FREE.values(), ids=CYCLE_FREE)
def test_built_in_rules_step_without_cyclic_garbage_for_the_collector_held_off(config):
    run_experiment(config)  # first uses (imports, caches) aside
    # a few objects per session at most (a problem moved to its dtype), none per step
    assert _cyclic_garbage(config) == _cyclic_garbage({**config, "steps": 300}) <= 10


def test_the_collector_is_held_off_while_stepping_and_runs_again_after(monkeypatch):
    seen = []
    real_step = Session.step

    def step(self, k=1):
        seen.append(gc.isenabled())
        return real_step(self, k)

    monkeypatch.setattr(Session, "step", step)
    gc.enable()  # on, as in a plain script (restored after the test)
    run_experiment(ROSENBROCK)
    with pytest.raises(ConfigError):
        run_experiment({**ROSENBROCK, "steps": -1})
    assert seen == [False] and gc.isenabled()
