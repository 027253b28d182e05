"""The problem catalogue: every registered problem, table-driven, against published values,
hand-derived gradients and the lessons each default start is meant to show."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
import torch

from optim_core.errors import ConfigError
from optim_core.problems import PROBLEMS, FiniteSumProblem, Problem, make_problem

NAMES = sorted(PROBLEMS)
FINITE_SUM = [name for name in NAMES if PROBLEMS[name].is_finite_sum]
LISTED = {
    "quadratic",
    "rosenbrock",
    "himmelblau",
    "beale",
    "booth",
    "rastrigin",
    "ackley",
    "goldstein_price",
    "six_hump_camel",
    "matyas",
    "three_hump_camel",
    "styblinski_tang",
    "saddle",
    "monkey_saddle",
    "plateau",
    "cliff",
    "mean_quadratic",
    "linear_regression",
    "sigmoid_fit",
}
WITHOUT_MINIMA = {"saddle", "monkey_saddle"}
F64 = torch.float64

# Global minima as published (point, value, how many decimals the point is given to, and how
# closely the value is). The catalogue stores points refined to float64 precision.
PUBLISHED: dict[str, list[tuple[tuple[float, float], float, float, float]]] = {
    "quadratic": [((0.0, 0.0), 0.0, 0.0, 0.0)],
    "rosenbrock": [((1.0, 1.0), 0.0, 0.0, 0.0)],
    "himmelblau": [
        ((3.0, 2.0), 0.0, 0.0, 0.0),
        ((-2.805118, 3.131312), 0.0, 1e-6, 0.0),
        ((-3.779310, -3.283186), 0.0, 1e-6, 0.0),
        ((3.584428, -1.848126), 0.0, 1e-6, 0.0),
    ],
    "beale": [((3.0, 0.5), 0.0, 0.0, 0.0)],
    "booth": [((1.0, 3.0), 0.0, 0.0, 0.0)],
    "rastrigin": [((0.0, 0.0), 0.0, 0.0, 0.0)],
    "ackley": [((0.0, 0.0), 0.0, 0.0, 0.0)],
    "goldstein_price": [((0.0, -1.0), 3.0, 0.0, 0.0)],
    "six_hump_camel": [
        ((0.0898, -0.7126), -1.0316284534898774, 1e-4, 1e-15),
        ((-0.0898, 0.7126), -1.0316284534898774, 1e-4, 1e-15),
    ],
    "matyas": [((0.0, 0.0), 0.0, 0.0, 0.0)],
    "three_hump_camel": [((0.0, 0.0), 0.0, 0.0, 0.0)],
    "styblinski_tang": [((-2.903534, -2.903534), -78.33234, 1e-6, 1e-5)],
}


@cache
def problem(name: str) -> Problem:
    return make_problem(name)


def grad_at(p: Problem, point: tuple[float, float], finite: bool = False) -> torch.Tensor:
    """Autograd gradient in float64; ``finite`` goes through the mean of sample_losses."""
    w = torch.tensor(point, dtype=F64, requires_grad=True)
    loss = p.sample_losses(w).mean() if finite else p.loss(w)
    return torch.autograd.grad(loss, w)[0]


def points_in_view(p: Problem, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    v = p.view
    gen = torch.Generator().manual_seed(1)
    u = torch.rand(*shape, 2, generator=gen, dtype=F64)
    low, high = torch.tensor([v.xmin, v.ymin], dtype=F64), torch.tensor([v.xmax, v.ymax], dtype=F64)
    return (low + u * (high - low)).to(dtype)


def in_view(p: Problem, point: tuple[float, float]) -> bool:
    v = p.view
    return v.xmin <= point[0] <= v.xmax and v.ymin <= point[1] <= v.ymax


# ------------------------------------------------------------------ the catalogue


def test_catalogue_holds_every_listed_problem() -> None:
    assert set(PROBLEMS) >= LISTED


@pytest.mark.parametrize("name", NAMES)
def test_descriptions(name: str) -> None:
    cls = PROBLEMS[name]
    assert cls.name == name == name.lower()
    for text in (cls.title, cls.formula, cls.about):
        assert isinstance(text, str) and text.strip()
    assert problem(name).config()["name"] == name


EXTREMES = [
    {"name": "cliff", "height": 1000.0, "steepness": 1.0},
    {"name": "mean_quadratic", "n_samples": 2, "spread": 10.0, "data_seed": 1},
    {"name": "linear_regression", "n_samples": 2, "noise": 10.0},
    {"name": "sigmoid_fit", "n_samples": 2, "data_seed": 7},
]


@pytest.mark.parametrize("config", [{"name": name} for name in NAMES] + EXTREMES)
def test_default_start_and_minima_lie_in_the_view(config: dict[str, object]) -> None:
    p = make_problem(config)
    v = p.view
    assert v.xmin < v.xmax and v.ymin < v.ymax
    assert in_view(p, p.default_start)
    for m in p.minima:
        assert in_view(p, m.point), m


@pytest.mark.parametrize("name", NAMES)
def test_minima_are_listed_exactly_where_expected(name: str) -> None:
    assert (len(problem(name).minima) == 0) == (name in WITHOUT_MINIMA)


# ------------------------------------------------------------------ minima


@pytest.mark.parametrize("name", NAMES)
def test_loss_at_each_minimum_is_its_value_and_the_gradient_vanishes(name: str) -> None:
    # For ackley (a cone at the origin) this checks the subgradient 0, i.e. no NaN there.
    p = problem(name)
    for m in p.minima:
        value = float(p.loss(torch.tensor(m.point, dtype=F64)))
        assert value == pytest.approx(m.value, rel=1e-12, abs=1e-12)
        assert float(grad_at(p, m.point).abs().max()) <= 1e-9
        if p.is_finite_sum:
            sample_mean = float(p.sample_losses(torch.tensor(m.point, dtype=F64)).mean())
            assert sample_mean == pytest.approx(m.value, rel=1e-12, abs=1e-12)
            assert float(grad_at(p, m.point, finite=True).abs().max()) <= 1e-9


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_minima_match_the_published_ones(name: str) -> None:
    minima = problem(name).minima
    assert len(minima) == len(PUBLISHED[name])
    for (point, value, point_tol, value_tol), m in zip(PUBLISHED[name], minima, strict=True):
        assert m.point == pytest.approx(point, abs=point_tol)
        assert m.value == pytest.approx(value, abs=value_tol)


@pytest.mark.parametrize("name", sorted(set(NAMES) - WITHOUT_MINIMA))
def test_no_point_of_the_view_is_below_the_listed_global_minimum(name: str) -> None:
    p = problem(name)
    v = p.view
    xs = torch.linspace(v.xmin, v.xmax, 161, dtype=F64)
    ys = torch.linspace(v.ymin, v.ymax, 161, dtype=F64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="ij"), dim=-1)
    lowest = min(m.value for m in p.minima)
    assert float(p.loss(grid).min()) >= lowest - 1e-12 * max(1.0, abs(lowest))


@pytest.mark.parametrize("name", sorted(set(NAMES) - WITHOUT_MINIMA))
def test_minima_are_strict_local_minima(name: str) -> None:
    p = problem(name)
    angles = torch.linspace(0, 2 * math.pi, 16, dtype=F64)[:-1]
    ring = 1e-3 * torch.stack([angles.cos(), angles.sin()], dim=-1)
    for m in p.minima:
        around = p.loss(torch.tensor(m.point, dtype=F64) + ring)
        assert bool((around > m.value).all())


def _camel6(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


def _goldstein_price(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
    return a * b


def _ackley(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ripple = np.exp(0.5 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y)))
    return -20 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2))) - ripple + np.e + 20


# The published definitions, written out independently in numpy.
REFERENCE = {
    "rosenbrock": lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
    "himmelblau": lambda x, y: (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2,
    "beale": lambda x, y: (
        (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    ),
    "booth": lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2,
    "rastrigin": lambda x, y: (
        20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y)
    ),
    "ackley": _ackley,
    "goldstein_price": _goldstein_price,
    "six_hump_camel": _camel6,
    "matyas": lambda x, y: 0.26 * (x**2 + y**2) - 0.48 * x * y,
    "three_hump_camel": lambda x, y: 2 * x**2 - 1.05 * x**4 + x**6 / 6 + x * y + y**2,
    "styblinski_tang": lambda x, y: 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y),
    "saddle": lambda x, y: x**2 - y**2,
    "monkey_saddle": lambda x, y: x**3 - 3 * x * y**2,
    "plateau": lambda x, y: np.tanh((x**2 + y**2) / 4),
    "cliff": lambda x, y: 0.1 * ((x - 2.5) ** 2 + y**2) + 100 / (1 + np.exp(4 * x)),
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_loss_follows_the_published_formula(name: str) -> None:
    p = problem(name)
    w = points_in_view(p, (50,), F64)
    x, y = w[:, 0].numpy(), w[:, 1].numpy()
    np.testing.assert_allclose(p.loss(w).numpy(), REFERENCE[name](x, y), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ shapes, dtypes, devices


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4)])
@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes(name: str, shape: tuple[int, ...], dtype: torch.dtype) -> None:
    p = problem(name).to("cpu", dtype)
    w = points_in_view(p, shape, dtype)
    loss = p.loss(w)
    assert loss.shape == shape and loss.dtype == dtype
    assert bool(torch.isfinite(loss).all())
    if isinstance(p, FiniteSumProblem):
        per_sample = p.sample_losses(w)
        assert per_sample.shape == (*shape, p.n_samples) and per_sample.dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_float32_agrees_with_float64(name: str) -> None:
    p = problem(name)
    w = points_in_view(p, (64,), F64)
    exact = p.loss(w)
    single = p.to("cpu", torch.float32).loss(w.float())
    scale = float(exact.abs().max())
    torch.testing.assert_close(single.double(), exact, rtol=1e-5, atol=1e-6 * scale)


DEVICES = ["meta"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", NAMES)
def test_any_device(name: str, device: str) -> None:
    p = problem(name)
    w = points_in_view(p, (3, 4), torch.float32)
    on_device = p.to(device, torch.float32)
    loss = on_device.loss(w.to(device))
    assert loss.shape == (3, 4) and loss.device.type == device
    if isinstance(on_device, FiniteSumProblem):
        assert on_device.sample_losses(w.to(device)).shape == (3, 4, on_device.n_samples)
    if device != "meta":
        torch.testing.assert_close(loss.cpu(), p.to("cpu", torch.float32).loss(w))


# ------------------------------------------------------------------ hand-derived gradients


def random_points(n: int = 6) -> list[tuple[float, float]]:
    gen = np.random.default_rng(3)
    return [tuple(float(v) for v in gen.uniform(-2.0, 2.0, 2)) for _ in range(n)]


def quadratic_grad(condition: float, angle: float, d: np.ndarray) -> np.ndarray:
    c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    rot = np.array([[c, s], [-s, c]])
    return rot.T @ np.diag([1.0, condition]) @ rot @ d


def test_quadratic_gradient() -> None:
    p = make_problem({"name": "quadratic", "condition": 7.0, "angle": 30.0})
    for point in random_points():
        expected = quadratic_grad(7.0, 30.0, np.array(point))
        np.testing.assert_allclose(grad_at(p, point).numpy(), expected, rtol=1e-12, atol=1e-12)


def test_rosenbrock_gradient() -> None:
    p = problem("rosenbrock")
    for x, y in random_points():
        expected = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)]
        np.testing.assert_allclose(grad_at(p, (x, y)).numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("finite", [False, True])
def test_mean_quadratic_gradient_is_a_times_w_minus_mean(finite: bool) -> None:
    config = {"name": "mean_quadratic", "condition": 5.0, "angle": -40.0, "spread": 2.0}
    p = make_problem({**config, "n_samples": 50, "data_seed": 4})
    mean = p.data()["points"].mean(axis=0)
    for point in random_points():
        expected = quadratic_grad(5.0, -40.0, np.array(point) - mean)
        got = grad_at(p, point, finite=finite).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("finite", [False, True])
def test_linear_regression_gradient(finite: bool) -> None:
    p = make_problem({"name": "linear_regression", "n_samples": 40, "noise": 0.7})
    x, y = p.data()["x"], p.data()["y"]
    for slope, intercept in random_points():
        residual = slope * x + intercept - y
        expected = [np.mean(residual * x), np.mean(residual)]
        got = grad_at(p, (slope, intercept), finite=finite).numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_finite_differences_agree_with_autograd_everywhere() -> None:
    # A cross-check of every loss's autograd graph (the engine never uses finite differences).
    h = 1e-6
    for name in NAMES:
        p = problem(name)
        for point in points_in_view(p, (4,), F64).tolist():
            w = torch.tensor(point, dtype=F64)
            steps = torch.eye(2, dtype=F64) * h
            fd = (p.loss(w + steps) - p.loss(w - steps)) / (2 * h)
            grad = grad_at(p, tuple(point))
            torch.testing.assert_close(grad, fd, rtol=1e-5, atol=1e-5 * (1 + float(fd.abs().max())))


# ------------------------------------------------------------------ finite sums


@pytest.mark.parametrize("name", FINITE_SUM)
def test_loss_is_the_mean_of_sample_losses(name: str) -> None:
    p = problem(name)
    w = points_in_view(p, (3, 4), F64)
    torch.testing.assert_close(p.loss(w), p.sample_losses(w).mean(dim=-1), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", FINITE_SUM)
def test_batch_loss(name: str) -> None:
    p = problem(name)
    assert isinstance(p, FiniteSumProblem)
    w = points_in_view(p, (5,), F64)
    everything = torch.arange(p.n_samples)
    torch.testing.assert_close(p.batch_loss(w, everything), p.loss(w), rtol=1e-12, atol=1e-14)
    some = torch.tensor([3, 3, 17, 998])
    expected = p.sample_losses(w)[..., some].mean(dim=-1)
    torch.testing.assert_close(p.batch_loss(w, some), expected, rtol=1e-14, atol=0.0)


@pytest.mark.parametrize("name", FINITE_SUM)
def test_data_depends_only_on_the_seed(name: str) -> None:
    first = make_problem({"name": name, "data_seed": 7}).data()
    again = make_problem({"name": name, "data_seed": 7}).data()
    other = make_problem({"name": name, "data_seed": 8}).data()
    assert first.keys() == again.keys() == other.keys()
    for key in first:
        assert first[key].dtype == np.float64 and len(first[key]) == 1000
        assert np.array_equal(first[key], again[key])
        assert not np.array_equal(first[key], other[key])


@pytest.mark.parametrize("name", FINITE_SUM)
def test_to_moves_and_casts_the_data_and_caches_the_copy(name: str) -> None:
    p = make_problem({"name": name, "n_samples": 64})
    single = p.to("cpu", torch.float32)
    assert single is not p and single is p.to(torch.device("cpu"), torch.float32)
    assert p.to("cpu", F64) is p and single.to("cpu", F64) is p
    assert all(v.dtype == np.float64 for v in single.data().values())
    w = points_in_view(p, (7,), F64)
    per_sample = single.sample_losses(w.float())
    assert per_sample.dtype == torch.float32
    torch.testing.assert_close(per_sample.double(), p.sample_losses(w), rtol=1e-5, atol=1e-6)
    assert single.minima == p.minima and single.n_samples == 64


def test_data_shapes() -> None:
    assert problem("mean_quadratic").data()["points"].shape == (1000, 2)
    for name in ("linear_regression", "sigmoid_fit"):
        data = problem(name).data()
        assert data["x"].shape == data["y"].shape == (1000,)


def test_data_is_a_copy() -> None:
    p = make_problem({"name": "linear_regression", "n_samples": 10})
    p.data()["x"][:] = 0.0
    assert not np.all(p.data()["x"] == 0.0)


def test_mean_quadratic_minimum_is_the_sample_mean() -> None:
    p = make_problem({"name": "mean_quadratic", "condition": 3.0, "angle": 25.0})
    points = p.data()["points"]
    mean = points.mean(axis=0)
    d = mean - points
    expected = 0.5 * np.mean(np.einsum("mi,ij,mj->m", d, _a_matrix(3.0, 25.0), d))
    (m,) = p.minima
    np.testing.assert_allclose(m.point, mean, rtol=0, atol=1e-15)
    assert m.value == pytest.approx(expected, rel=1e-12)


def _a_matrix(condition: float, angle: float) -> np.ndarray:
    return np.column_stack([quadratic_grad(condition, angle, e) for e in np.eye(2)])


def test_linear_regression_minimum_is_least_squares() -> None:
    p = make_problem({"name": "linear_regression", "noise": 1.5, "data_seed": 2})
    x, y = p.data()["x"], p.data()["y"]
    slope, intercept = np.polyfit(x, y, 1)
    (m,) = p.minima
    np.testing.assert_allclose(m.point, (slope, intercept), rtol=1e-10)
    assert m.value == pytest.approx(0.5 * np.mean((slope * x + intercept - y) ** 2), rel=1e-10)


def test_sigmoid_fit_without_noise_recovers_the_true_parameters() -> None:
    (m,) = make_problem({"name": "sigmoid_fit", "noise": 0.0}).minima
    assert m.point == pytest.approx((2.0, 1.0), abs=1e-10)
    assert m.value == pytest.approx(0.0, abs=1e-20)


def test_sigmoid_fit_reports_no_minimum_when_the_fit_runs_off_to_infinity() -> None:
    # Two samples with a target above 1: σ can only approach it, so no finite minimum exists.
    p = make_problem({"name": "sigmoid_fit", "n_samples": 2, "noise": 1.0})
    assert p.data()["y"].max() > 1.0
    assert p.minima == ()


def test_large_finite_sum() -> None:
    p = make_problem({"name": "linear_regression", "n_samples": 1_000_000})
    w = torch.zeros(4, 2, dtype=F64)
    assert p.sample_losses(w).shape == (4, 1_000_000)
    torch.testing.assert_close(p.loss(w), p.sample_losses(w).mean(dim=-1))


# ------------------------------------------------------------------ validation


def test_a_bad_parameter_names_its_field() -> None:
    with pytest.raises(ConfigError) as info:
        make_problem({"name": "quadratic", "condition": 0})
    assert info.value.field == "problem.condition"
    assert "problem.condition" in str(info.value)


def test_an_unknown_problem_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError) as info:
        make_problem("nope")
    assert all(name in str(info.value) for name in PROBLEMS)


@pytest.mark.parametrize(
    ("name", "param"),
    [(name, spec.name) for name in NAMES for spec in PROBLEMS[name].parameters],
)
def test_every_parameter_is_validated(name: str, param: str) -> None:
    with pytest.raises(ConfigError) as info:
        make_problem({"name": name, param: "not a number"})
    assert info.value.field == f"problem.{param}"


@pytest.mark.parametrize("name", FINITE_SUM)
@pytest.mark.parametrize("n_samples", [1, 1_000_001, 2.5, True])
def test_n_samples_range(name: str, n_samples: object) -> None:
    with pytest.raises(ConfigError, match=r"problem\.n_samples"):
        make_problem({"name": name, "n_samples": n_samples})


@pytest.mark.parametrize("name", FINITE_SUM)
def test_two_samples_are_enough(name: str) -> None:
    p = make_problem({"name": name, "n_samples": 2})
    assert p.sample_losses(torch.zeros(2, dtype=F64)).shape == (2,)


def test_an_unknown_parameter_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"problem\.wobble"):
        make_problem({"name": "cliff", "wobble": 1.0})


# ------------------------------------------------------------------ the lessons


def descend(
    p: Problem, lr: float, steps: int, clip_norm: float | None = None
) -> tuple[torch.Tensor, float]:
    """Plain gradient descent from the default start: the end point and the longest step."""
    w = torch.tensor(p.default_start, dtype=F64)
    longest = 0.0
    for _ in range(steps):
        g = grad_at(p, tuple(w.tolist()))
        if clip_norm is not None:
            g = g * min(1.0, clip_norm / float(g.norm()))
        w = w - lr * g
        longest = max(longest, lr * float(g.norm()))
    return w, longest


def test_cliff_throws_an_unclipped_step_out_of_the_view_and_clipping_prevents_it() -> None:
    p = problem("cliff")
    (m,) = p.minima
    _, longest = descend(p, lr=0.1, steps=120)
    assert longest > 5.0
    end, longest = descend(p, lr=0.1, steps=400, clip_norm=1.0)
    assert longest <= 0.1 + 1e-12
    assert float((end - torch.tensor(m.point, dtype=F64)).norm()) < 1e-3


def test_plateau_start_is_flat_but_far_above_the_minimum() -> None:
    p = problem("plateau")
    assert float(grad_at(p, p.default_start).norm()) < 0.02
    assert float(p.loss(torch.tensor(p.default_start, dtype=F64))) > 0.99
    assert float(grad_at(p, (1.0, 1.0)).norm()) > 0.5


def test_sigmoid_fit_default_start_is_on_a_plateau() -> None:
    p = problem("sigmoid_fit")
    (m,) = p.minima
    start_loss = float(p.loss(torch.tensor(p.default_start, dtype=F64)))
    assert start_loss - m.value > 0.1
    assert float(grad_at(p, p.default_start).norm()) < 1e-3


def hessian(p: Problem, point: tuple[float, float]) -> torch.Tensor:
    return torch.autograd.functional.hessian(p.loss, torch.tensor(point, dtype=F64))


def test_saddle_is_indefinite_and_monkey_saddle_degenerate() -> None:
    eigenvalues = torch.linalg.eigvalsh(hessian(problem("saddle"), (0.0, 0.0)))
    assert float(eigenvalues.min()) < 0 < float(eigenvalues.max())
    monkey = problem("monkey_saddle")
    assert float(grad_at(monkey, (0.0, 0.0)).abs().max()) == 0.0
    assert float(hessian(monkey, (0.0, 0.0)).abs().max()) == 0.0


@pytest.mark.parametrize(("name", "lr"), [("styblinski_tang", 0.01), ("three_hump_camel", 0.01)])
def test_gradient_descent_from_the_default_start_ends_in_a_local_minimum(
    name: str, lr: float
) -> None:
    p = problem(name)
    end, _ = descend(p, lr=lr, steps=2000)
    assert float(grad_at(p, tuple(end.tolist())).norm()) < 1e-6
    assert float(p.loss(end)) > min(m.value for m in p.minima) + 0.1
