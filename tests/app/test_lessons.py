"""Every lesson shows what its text says: each claim checked by running the lesson in the engine.

A lesson is a promise to a student ("momentum reaches the minimum long before plain SGD", "Newton
climbs to the maximum"); these tests run each lesson's experiment with ``run_experiment`` and
check the promise, and where its "try next" suggestion claims an outcome, that one too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from app.arrows import ARROW_KINDS
from app.lessons import LESSONS, MORE, Lesson, lesson
from app.panel_feed import X_AXES
from app.session_state import SessionState
from optim_core import run_experiment
from optim_core.problems import make_problem

Runs = dict[str, dict[str, Any]]


def play(config: dict[str, Any]) -> Runs:
    """The lesson's runs by label, each with numpy arrays."""
    result = run_experiment(copy.deepcopy(config))
    return {run["label"]: {k: np.asarray(v) if isinstance(v, list) else v
                           for k, v in run.items()} for run in result["runs"]}


def variant(key: str, *, run: int | None = None, problem: dict[str, Any] | None = None,
            **changes: Any) -> Runs:
    """Play lesson ``key`` with the change its "try next" suggests."""
    config = copy.deepcopy(lesson(key).experiment)
    if run is not None:
        config["runs"][run].update(changes)
    else:
        config.update(changes)
    if problem is not None:
        base = config["problem"]
        config["problem"] = {**(base if isinstance(base, dict) else {"name": base}), **problem}
    return play(config)


def step_lengths(run: dict[str, Any]) -> np.ndarray:
    return np.linalg.norm(np.diff(run["trajectory"], axis=0), axis=1)


def geo_mean_lr(run: dict[str, Any], first: int, last: int) -> np.ndarray:
    """The geometric mean of |effective lr| over steps ``first`` to ``last``, per coordinate."""
    return np.exp(np.nanmean(np.log(np.abs(run["effective_lr"][first:last])), axis=0))


def steep_direction(problem: dict[str, Any]) -> np.ndarray:
    """The unit eigenvector of the Hessian's largest eigenvalue (a quadratic's steep axis)."""
    loss = make_problem(problem).loss
    hessian = torch.autograd.functional.hessian(loss, torch.zeros(2, dtype=torch.float64))
    return torch.linalg.eigh(hessian).eigenvectors[:, -1].numpy()


def sign_flips(run: dict[str, Any], direction: np.ndarray) -> float:
    """The share of steps whose component along ``direction`` turns back from the step before
    (of the steps where that component is still above rounding)."""
    along = np.diff(run["trajectory"], axis=0) @ direction
    along = along[np.abs(along) > 1e-9 * np.abs(along).max()]
    return float(np.mean(along[1:] * along[:-1] < 0))


# ------------------------------------------------------------------ the claims, one per lesson


def minibatch_noise(r: Runs) -> None:
    spread = [r[label]["loss"][-100:].std()
              for label in ("SGD, N = 1", "SGD, N = 16", "SGD, full batch")]
    assert spread[0] > 5 * spread[1] > 0, spread  # N = 1 jitters most
    assert spread[2] < 1e-6, spread  # the full batch glides


def per_computation(r: Runs) -> None:
    def loss_after(label: str, sample_grads: int) -> float:
        run = r[label]
        k = int(np.searchsorted(run["sample_grads"], sample_grads))  # row k + 1 is after step k
        return float(run["loss"][k + 1])

    at_2000 = [loss_after(label, 2000) for label in ("N = 8", "N = 64", "N = M = 1000")]
    assert at_2000[0] < at_2000[1] < at_2000[2], at_2000  # per computation: small first
    assert at_2000[2] > 10 * at_2000[0], at_2000
    final = [r[label]["loss"][-1] for label in ("N = 1", "N = 8", "N = M = 1000")]
    assert final[0] > final[1] > final[2], final  # per iteration: large batches win


def narrow_valley(r: Runs) -> None:
    zigzag, crawl = r["SGD lr=0.038 (zigzags)"], r["SGD lr=0.01 (crawls)"]
    steep = steep_direction(lesson("narrow-valley").experiment["problem"])
    assert sign_flips(zigzag, steep) == 1.0  # across the valley: 1 − 0.038·50 = −0.9 per step
    assert sign_flips(crawl, steep) == 0.0  # 1 − 0.01·50 = 0.5: no flips
    assert crawl["loss"][-1] > 0.1  # still far along the floor after 100 steps
    grown = variant("narrow-valley", run=0, lr=0.041)["SGD lr=0.038 (zigzags)"]
    assert grown["loss"][-1] > grown["loss"][0]  # past 2/50 every bounce grows


def plateau(r: Runs) -> None:
    sgd = r["SGD"]["loss"]
    assert sgd[-1] > 0.95 * sgd[0]  # 400 steps and still on the plateau
    assert r["SGD+momentum"]["loss"][-1] < 0.01
    assert r["Adam"]["loss"][-1] < 0.01
    assert variant("plateau", steps=2000)["SGD"]["loss"][-1] < 0.01  # eventually


def saddle_noise(r: Runs) -> None:
    assert abs(r["SGD"]["trajectory"][-1][1]) > 1.0  # off the ridge and away
    exact = variant("saddle-noise", grad_noise=0.0)["SGD"]
    assert np.linalg.norm(exact["trajectory"][-1]) < 0.01  # into the saddle, and stays


def momentum(r: Runs) -> None:
    sgd, heavy = r["SGD"]["loss"], r["momentum 0.5"]["loss"]
    assert heavy[20] < sgd[20] / 50  # the zigzag has died out
    assert heavy[-1] < sgd[-1] / 100  # and it got further along the floor
    swirl = variant("momentum", run=1, momentum=0.9)["momentum 0.5"]["loss"]
    assert swirl[-1] > sgd[-1]  # too little friction: behind plain SGD


def nesterov(r: Runs) -> None:
    heavy, ahead = r["momentum 0.9"], r["Nesterov 0.9"]
    assert ahead["loss"][50] < heavy["loss"][50] / 100
    assert step_lengths(ahead).sum() < step_lengths(heavy).sum() / 3  # one swing, not many
    faster = play({**lesson("nesterov").experiment,
                   "runs": [{**run, "lr": 0.038} for run in lesson("nesterov").experiment["runs"]]})
    assert faster["Nesterov 0.9"]["status"] == "diverged"
    assert faster["momentum 0.9"]["status"] == "ok"


def momentum_large_lr(r: Runs) -> None:
    assert r["SGD lr=0.05"]["status"] == "diverged"
    assert r["momentum, lr=0.05"]["status"] == "ok"
    assert r["momentum, lr=0.05"]["loss"][-1] < 1e-2
    past = variant("momentum-large-lr", run=1, lr=0.08)["momentum, lr=0.05"]
    assert past["status"] == "diverged"  # past 2(1 + μ)/50 = 0.076


def newton_quadratic(r: Runs) -> None:
    assert np.abs(r["Newton"]["trajectory"][1]).max() < 1e-9  # the minimum (0, 0), one step
    assert r["SGD"]["loss"][-1] > 1.0
    halving = variant("newton-quadratic", run=0, lr=0.5)["Newton"]["trajectory"]
    np.testing.assert_allclose(halving[1:4], halving[0:3] / 2, rtol=1e-9)


HIMMELBLAU_MAXIMUM = (-0.270845, -0.923039)


def newton_maximum(r: Runs) -> None:
    np.testing.assert_allclose(r["Newton"]["trajectory"][-1], HIMMELBLAU_MAXIMUM, atol=1e-5)
    assert r["Newton"]["loss"][-1] > 181.6
    assert r["Newton, damping 50"]["loss"][-1] < 1e-8  # a minimum (all four have loss 0)
    weak = variant("newton-maximum", run=1, damping=3)["Newton, damping 50"]
    np.testing.assert_allclose(weak["trajectory"][-1], HIMMELBLAU_MAXIMUM, atol=1e-5)


def adagrad_decay(r: Runs) -> None:
    np.testing.assert_allclose(np.abs(r["SGD"]["effective_lr"][1:]), 0.05, rtol=1e-9)
    adagrad = r["AdaGrad"]
    assert (geo_mean_lr(adagrad, 900, 1000) < 0.4 * geo_mean_lr(adagrad, 20, 50)).all()
    rmsprop = r["RMSprop"]
    late, later = geo_mean_lr(rmsprop, 200, 300), geo_mean_lr(rmsprop, 900, 1000)
    assert (later > 0.5 * late).all() and (later < 2 * late).all()


def per_parameter_lr(r: Runs) -> None:
    def ratio(label: str) -> float:
        lr = np.abs(r[label]["effective_lr"][1:21])
        return float(np.median(lr[:, 0] / lr[:, 1]))

    assert ratio("SGD") == pytest.approx(1.0)
    assert ratio("RMSprop") > 20 and ratio("Adam") > 20
    turned = variant("per-parameter-lr", problem={"angle": 45})
    assert turned["Adam"]["loss"][-1] > r["Adam"]["loss"][-1]  # helps less when turned


def bias_correction(r: Runs) -> None:
    def first_step(label: str) -> float:
        return float(step_lengths(r[label])[0])

    assert first_step("no correction, β=(0.9, 0.999)") / first_step("Adam") == pytest.approx(
        0.1 / np.sqrt(0.001), rel=1e-4)  # (1 − β₁)/√(1 − β₂) ≈ 3.16
    assert first_step("no correction, β=(0.9, 0.9)") / first_step(
        "Adam, β=(0.9, 0.9)") == pytest.approx(np.sqrt(0.1), rel=1e-4)  # √(1 − β₁) ≈ 0.32


def adamw(r: Runs) -> None:
    coupled = r["Adam, weight_decay 0.5"]["trajectory"][-1]
    decoupled = r["AdamW, weight_decay 0.5"]["trajectory"][-1]
    assert np.linalg.norm(decoupled - coupled) > 0.5
    assert np.linalg.norm(decoupled) < np.linalg.norm(coupled)
    plain = variant("adamw", run=1, weight_decay=0.0)
    np.testing.assert_array_equal(plain["Adam, weight_decay 0.5"]["trajectory"],
                                  plain["Adam"]["trajectory"])


def clipping(r: Runs) -> None:
    thrown, walked = r["SGD"], r["SGD, clip_norm 1"]
    assert step_lengths(thrown).max() > 5  # thrown out of the window
    assert step_lengths(walked).max() <= 0.1 + 1e-9  # never more than lr × max_norm
    assert walked["clipped"].sum() > 10 and not thrown["clipped"].any()


CLAIMS: dict[str, Callable[[Runs], None]] = {
    "minibatch-noise": minibatch_noise,
    "per-computation": per_computation,
    "narrow-valley": narrow_valley,
    "plateau": plateau,
    "saddle-noise": saddle_noise,
    "momentum": momentum,
    "nesterov": nesterov,
    "momentum-large-lr": momentum_large_lr,
    "newton-quadratic": newton_quadratic,
    "newton-maximum": newton_maximum,
    "adagrad-decay": adagrad_decay,
    "per-parameter-lr": per_parameter_lr,
    "bias-correction": bias_correction,
    "adamw": adamw,
    "clipping": clipping,
}


def test_every_lesson_has_a_checked_claim() -> None:
    keys = [item.key for item in LESSONS]
    assert len(set(keys)) == len(keys)
    assert set(keys) == set(CLAIMS)


@pytest.mark.parametrize("item", LESSONS, ids=lambda item: item.key)
def test_lesson_shows_what_it_says(item: Lesson) -> None:
    CLAIMS[item.key](play(item.experiment))


@pytest.mark.parametrize("item", LESSONS, ids=lambda item: item.key)
def test_lesson_is_a_valid_experiment_for_the_window(item: Lesson) -> None:
    state = SessionState.from_dict(item.experiment)
    assert SessionState.from_dict(state.to_dict()).to_dict() == state.to_dict()
    assert item.panel in ("adaptive", "noise")
    assert item.loss_x in X_AXES
    assert item.panel != "noise" or state.is_finite_sum
    assert item.loss_x == "steps" or state.is_finite_sum
    assert set(item.arrows) <= set(ARROW_KINDS)
    assert item.watch.endswith(".") and item.try_next.endswith(".")


def test_more_links_name_what_the_window_opens() -> None:
    assert [anchor for anchor, _, _ in MORE] == ["lab:sweep", "lab:batch", "export:script"]
    with pytest.raises(KeyError):
        lesson("no-such-lesson")
