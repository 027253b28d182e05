"""The engine against torch.optim as the oracle: trajectories and state to float64 rounding.

Every built-in optimizer and option runs batched in one session next to a plain loop of real
torch.optim instances (one per run, on a ``(2,)`` parameter) fed the same problem and minibatches;
positions, losses and every torch-named state tensor must agree to a relative 1e-10.
Options torch.optim lacks (Adam's ``bias_correction=False``, Newton) are checked against a plain,
obviously-correct loop instead.
"""

from __future__ import annotations

import math

import pytest
import torch

from optim_core.experiment import RunSpec
from optim_core.minibatch import MinibatchSampler
from optim_core.optimizers import BUILT_IN, get_rule
from optim_core.problems import FiniteSumProblem, make_problem
from optim_core.session import Session

RTOL, ATOL = 1e-10, 1e-12
STEPS = 40

#: (optimizer, hyperparameters) cases; each list runs batched in one session
CASES: dict[str, list[dict]] = {
    "SGD": [
        {"lr": 1e-3},
        {"lr": 2e-3, "momentum": 0.9},
        {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
        {"lr": 1e-3, "momentum": 0.5, "dampening": 0.3},
        {"lr": 1e-3, "momentum": 0.8, "weight_decay": 0.1},
        {"lr": 0.0, "momentum": 0.9},
        {"lr": 1e-6, "maximize": True},
    ],
    "Adagrad": [
        {"lr": 0.1},
        {"lr": 0.3, "lr_decay": 0.05},
        {"lr": 0.2, "weight_decay": 0.01, "initial_accumulator_value": 0.5},
        {"lr": 0.1, "eps": 1e-3},
    ],
    "RMSprop": [
        {"lr": 1e-2},
        {"lr": 1e-2, "alpha": 0.9, "centered": True},
        {"lr": 3e-3, "momentum": 0.9},
        {"lr": 3e-3, "momentum": 0.5, "centered": True, "weight_decay": 0.05},
        {"lr": 1e-2, "eps": 1e-4},
    ],
    "Adam": [
        {"lr": 1e-2},
        {"lr": 5e-2, "betas": (0.8, 0.99)},
        {"lr": 1e-2, "amsgrad": True},
        {"lr": 1e-2, "weight_decay": 0.1},
        {"lr": 1e-2, "eps": 1e-3, "betas": (0.0, 0.5)},
    ],
    "AdamW": [
        {"lr": 1e-2},
        {"lr": 2e-2, "weight_decay": 0.5},
        {"lr": 1e-2, "amsgrad": True, "betas": (0.95, 0.9)},
    ],
}
PROBLEMS = ["rosenbrock", {"name": "quadratic", "condition": 50.0, "angle": 30.0}]
CLIPS = [{}, {"clip_norm": 1.0}, {"clip_value": 0.5}, {"clip_norm": 2.0, "clip_value": 0.3}]


def _full_hyper(optimizer: str, hyper: dict) -> dict:
    specs = {s.name: s for s in get_rule(optimizer).hyperparameters}
    return {name: hyper.get(name, spec.default) for name, spec in specs.items()}


def _runs(optimizer: str, cases: list[dict], start, clip: dict) -> list[RunSpec]:
    return [
        RunSpec(optimizer, _full_hyper(optimizer, h), tuple(start), f"{optimizer}{i}", **clip)
        for i, h in enumerate(cases)
    ]


def _torch_kwargs(hyper: dict) -> dict:
    return {k: v for k, v in hyper.items() if k != "bias_correction"}


def oracle(problem, runs: list[RunSpec], steps: int, *, batch_size=None, seed=0,
           changes=None):
    """Plain torch.optim loop, one optimizer per run; returns positions and final states."""
    perms = None
    if isinstance(problem, FiniteSumProblem):
        sampler = MinibatchSampler(problem.n_samples, seed)
        perms = [sampler.draw() for _ in range(steps)]
    positions, states = [], []
    for r, run in enumerate(runs):
        p = torch.tensor(run.start, dtype=torch.float64, requires_grad=True)
        opt = getattr(torch.optim, run.optimizer)([p], **_torch_kwargs(run.hyperparameters))
        path = [p.detach().clone()]
        for k in range(steps):
            for (at, row, name, value) in changes or ():
                if at == k and row == r:
                    opt.param_groups[0][name] = value
            opt.zero_grad()
            if perms is None:
                loss = problem.loss(p)
            else:
                n = run.batch_size or batch_size or problem.n_samples
                loss = problem.batch_loss(p, perms[k][:n])
            loss.backward()
            if run.clip_norm is not None:
                torch.nn.utils.clip_grad_norm_([p], run.clip_norm)
            if run.clip_value is not None:
                torch.nn.utils.clip_grad_value_([p], run.clip_value)
            opt.step()
            path.append(p.detach().clone())
        positions.append(torch.stack(path))
        states.append({k: v for k, v in opt.state[p].items() if isinstance(v, torch.Tensor)})
    return torch.stack(positions, dim=1), states


def engine(problem, runs, steps, **kwargs):
    session = Session(problem, runs, expected_steps=steps, **kwargs)
    session.step(steps)
    return session, session.snapshot()


def assert_matches(snapshot, positions, states, runs):
    got = torch.from_numpy(snapshot.position.copy())
    torch.testing.assert_close(got, positions, rtol=RTOL, atol=ATOL)
    for r, (run, state) in enumerate(zip(runs, states, strict=True)):
        for name, value in state.items():
            if value.shape != (2,):
                continue
            mine = torch.from_numpy(snapshot.state[name][-1, r].copy())
            torch.testing.assert_close(mine, value, rtol=RTOL, atol=ATOL,
                                       msg=lambda m, n=name, r=run: f"{r.label} {n}: {m}")


@pytest.mark.parametrize("clip", CLIPS, ids=lambda c: "-".join(c) or "noclip")
@pytest.mark.parametrize("problem_config", PROBLEMS, ids=lambda p: str(p)[:24])
@pytest.mark.parametrize("optimizer", list(CASES))
def test_batched_runs_match_torch_optim(optimizer, problem_config, clip):
    problem = make_problem(problem_config)
    runs = _runs(optimizer, CASES[optimizer], problem.default_start, clip)
    positions, states = oracle(problem, runs, STEPS)
    _, snap = engine(problem, runs, STEPS)
    assert snap.status == ("ok",) * len(runs)
    assert_matches(snap, positions, states, runs)


@pytest.mark.parametrize("optimizer", list(CASES))
def test_each_case_alone_matches_torch_optim(optimizer):
    """One run per session exercises the scalar fast path rather than per-run tensors."""
    problem = make_problem("rosenbrock")
    for case in CASES[optimizer]:
        runs = _runs(optimizer, [case], (-1.2, 1.0), {"clip_norm": 5.0})
        positions, states = oracle(problem, runs, STEPS)
        _, snap = engine(problem, runs, STEPS)
        assert_matches(snap, positions, states, runs)


def test_mixed_optimizers_in_one_session_match():
    problem = make_problem("rosenbrock")
    runs = []
    for optimizer, cases in CASES.items():
        runs += _runs(optimizer, cases[:2], (-1.0, 1.5), {})
    positions, states = oracle(problem, runs, STEPS)
    _, snap = engine(problem, runs, STEPS)
    assert_matches(snap, positions, states, runs)


@pytest.mark.parametrize("optimizer", ["NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD"])
def test_generic_torch_optimizers_match(optimizer):
    problem = make_problem("rosenbrock")
    rule = get_rule(optimizer)
    hyper = {s.name: s.default for s in rule.hyperparameters}
    runs = [RunSpec(optimizer, {**hyper, "lr": lr}, (-1.0, 1.0), f"{optimizer}{i}")
            for i, lr in enumerate([1e-4, 1e-3])]
    positions, states = oracle(problem, runs, 20)
    _, snap = engine(problem, runs, 20)
    assert_matches(snap, positions, states, runs)


def test_lbfgs_uses_closures_like_torch():
    problem = make_problem("rosenbrock")
    hyper = {s.name: s.default for s in get_rule("LBFGS").hyperparameters}
    runs = [RunSpec("LBFGS", {**hyper, "lr": 0.5}, (-1.0, 1.0), "lbfgs")]
    p = torch.tensor([-1.0, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], **runs[0].hyperparameters)

    def closure():
        opt.zero_grad()
        loss = problem.loss(p)
        loss.backward()
        return loss

    path = [p.detach().clone()]
    for _ in range(5):
        opt.step(closure)
        path.append(p.detach().clone())
    _, snap = engine(problem, runs, 5)
    torch.testing.assert_close(torch.from_numpy(snap.position[:, 0].copy()), torch.stack(path),
                               rtol=RTOL, atol=ATOL)


def test_hyperparameter_change_mid_run_matches_torch():
    problem = make_problem("rosenbrock")
    runs = _runs("SGD", [{"lr": 1e-3, "momentum": 0.9}, {"lr": 1e-3}], (-1.0, 1.0), {})
    runs += _runs("Adam", [{"lr": 1e-2}], (-1.0, 1.0), {})
    changes = [(10, 0, "lr", 3e-3), (20, 1, "momentum", 0.5), (15, 2, "betas", (0.5, 0.9))]
    positions, states = oracle(problem, runs, STEPS, changes=changes)
    session = Session(problem, runs, expected_steps=STEPS)
    for k in range(STEPS):
        for at, row, name, value in changes:
            if at == k:
                session.set_hyperparameter(row, name, value)
        session.step()
    assert_matches(session.snapshot(), positions, states, runs)


@pytest.mark.parametrize("batch_size", [1, 7, 64, None])
def test_minibatches_match_torch_on_finite_sum(batch_size):
    problem = _finite_sum_problem()
    runs = _runs("SGD", [{"lr": 0.05}, {"lr": 0.02, "momentum": 0.9}], (3.0, -2.0), {})
    runs += _runs("Adam", [{"lr": 0.05}], (3.0, -2.0), {"clip_norm": 1.0})
    runs += [RunSpec("SGD", _full_hyper("SGD", {"lr": 0.05}), (3.0, -2.0), "own N",
                     batch_size=3)]
    positions, states = oracle(problem, runs, 25, batch_size=batch_size, seed=7)
    _, snap = engine(problem, runs, 25, batch_size=batch_size, seed=7)
    assert_matches(snap, positions, states, runs)
    n = batch_size or problem.n_samples
    assert snap.sample_grads[-1].tolist() == [25 * n] * 3 + [75]


def _finite_sum_problem() -> FiniteSumProblem:
    from optim_core.problems import PROBLEMS

    for name in ("mean_quadratic", "linear_regression"):
        if name in PROBLEMS:
            return make_problem({"name": name, "n_samples": 200})
    pytest.skip("no finite-sum problem registered")


def _plain_adam(problem, start, hyper, steps, correct):
    """Adam written out, with or without bias correction (torch.optim has no switch)."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    m = torch.zeros(2, dtype=torch.float64)
    v = torch.zeros(2, dtype=torch.float64)
    beta1, beta2 = hyper["betas"]
    path = [p.detach().clone()]
    for k in range(1, steps + 1):
        (g,) = torch.autograd.grad(problem.loss(p), p)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**k) if correct else m
        v_hat = v / (1 - beta2**k) if correct else v
        with torch.no_grad():
            p -= hyper["lr"] * m_hat / (v_hat.sqrt() + hyper["eps"])
        path.append(p.detach().clone())
    return torch.stack(path)


@pytest.mark.parametrize("betas", [(0.9, 0.9), (0.9, 0.999)])
def test_bias_correction_off_matches_plain_loop(betas):
    """Without bias correction m is biased low (a slow start) but so is v, which enlarges steps:
    with β₁ = β₂ the start is slow (√(1 − β₁ᵏ)·lr); with β₂ = 0.999 the first step is 3.16·lr."""
    problem = make_problem("rosenbrock")
    hyper = _full_hyper("Adam", {"lr": 0.01, "betas": betas})
    runs = [RunSpec("Adam", {**hyper, "bias_correction": flag}, (-1.0, 1.0), str(flag))
            for flag in (True, False)]
    _, snap = engine(problem, runs, STEPS)
    for r, flag in enumerate((True, False)):
        expected = _plain_adam(problem, (-1.0, 1.0), hyper, STEPS, flag)
        torch.testing.assert_close(torch.from_numpy(snap.position[:, r].copy()), expected,
                                   rtol=1e-9, atol=1e-12)
    first = abs(snap.position[1] - snap.position[0]).max(axis=-1)
    expected_ratio = (1 - betas[0]) / math.sqrt(1 - betas[1])
    assert math.isclose(first[1] / first[0], expected_ratio, rel_tol=1e-6)


def _plain_newton(problem, start, lr, damping, steps):
    p = torch.tensor(start, dtype=torch.float64)
    path = [p.clone()]
    for _ in range(steps):
        g = torch.autograd.functional.jacobian(problem.loss, p)
        h = torch.autograd.functional.hessian(problem.loss, p)
        p = p - lr * torch.linalg.solve(h + damping * torch.eye(2, dtype=torch.float64), g)
        path.append(p.clone())
    return torch.stack(path)


@pytest.mark.parametrize("lr,damping", [(1.0, 0.0), (0.5, 0.0), (1.0, 2.0)])
def test_newton_matches_plain_loop(lr, damping):
    problem = make_problem("rosenbrock")
    runs = [RunSpec("Newton", {"lr": lr, "damping": damping}, (-1.2, 1.0), "newton")]
    _, snap = engine(problem, runs, 10)
    expected = _plain_newton(problem, (-1.2, 1.0), lr, damping, 10)
    torch.testing.assert_close(torch.from_numpy(snap.position[:, 0].copy()), expected,
                               rtol=RTOL, atol=ATOL)


def test_newton_solves_a_quadratic_in_one_step():
    problem = make_problem({"name": "quadratic", "condition": 1000.0, "angle": 20.0})
    runs = [RunSpec("Newton", {"lr": 1.0, "damping": 0.0}, (-3.0, 2.0), "newton")]
    _, snap = engine(problem, runs, 1)
    assert abs(snap.position[1, 0]).max() < 1e-12


def test_float32_agrees_with_float64_loosely():
    problem = make_problem("rosenbrock")
    runs = _runs("Adam", CASES["Adam"], (-1.0, 1.0), {})
    _, snap64 = engine(problem, runs, 20)
    _, snap32 = engine(problem, runs, 20, dtype="float32")
    assert snap32.position.dtype.name == "float32"
    torch.testing.assert_close(torch.from_numpy(snap32.position.astype("float64")),
                               torch.from_numpy(snap64.position.copy()), rtol=1e-4, atol=1e-5)


def test_every_built_in_is_covered():
    assert set(BUILT_IN) == set(CASES) | {"Newton"}
    assert math.isclose(get_rule("AdamW").hyperparameters[3].default, 1e-2)
