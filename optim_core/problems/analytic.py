"""Classic 2D test functions, written as torch functions on ``(..., 2)`` tensors."""

from __future__ import annotations

import math

import torch

from optim_core.params import ParamSpec
from optim_core.problems.base import Minimum, Problem, View
from optim_core.problems.registry import register


def _xy(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return w[..., 0], w[..., 1]


@register
class Quadratic(Problem):
    """An elongated bowl: the narrow valley in which plain SGD oscillates."""

    name = "quadratic"
    title = "Quadratic bowl"
    formula = "f(w) = ½ wᵀ Rᵀ diag(1, κ) R w"
    about = (
        "Curvature 1 along one axis and κ (the condition number) along the other, rotated by "
        "`angle` degrees. With large κ the two gradient components differ by orders of magnitude: "
        "a learning rate small enough for the steep axis crawls along the flat one."
    )
    parameters = (
        ParamSpec("condition", 10.0, low=1.0, high=1e6, log_scale=True, doc="condition number κ"),
        ParamSpec("angle", 0.0, low=-180.0, high=180.0, doc="rotation in degrees"),
    )

    def __init__(self, condition: float = 10.0, angle: float = 0.0) -> None:
        super().__init__(condition=condition, angle=angle)
        self.condition = condition
        self.angle = angle
    view = View(-4.0, 4.0, -4.0, 4.0)
    default_start = (-3.0, 2.0)
    minima = (Minimum((0.0, 0.0), 0.0),)
    #: log colours: nested ellipses down to the minimum, the valley visible at any κ (a linear
    #: scale leaves all but the far corners white)
    log_scale = True

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        c, s = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        u = c * x + s * y
        v = -s * x + c * y
        return 0.5 * (u * u + self.condition * v * v)


@register
class Rosenbrock(Problem):
    """A curved, flat-bottomed valley; the minimum at (1, 1) is easy to see and hard to reach."""

    name = "rosenbrock"
    title = "Rosenbrock"
    formula = "f(x, y) = (1 − x)² + 100 (y − x²)²"
    about = (
        "A banana-shaped valley with steep walls and an almost flat floor. Gradient descent "
        "drops into the valley quickly, then crawls along its floor toward (1, 1); a learning "
        "rate large enough to go faster bounces between the walls and diverges."
    )
    log_scale = True
    view = View(-2.0, 2.0, -1.0, 3.0)
    default_start = (-1.5, 2.0)
    minima = (Minimum((1.0, 1.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@register
class Himmelblau(Problem):
    """Four global minima of equal depth: which one a run finds depends on how it moves."""

    name = "himmelblau"
    title = "Himmelblau"
    formula = "f(x, y) = (x² + y − 11)² + (x + y² − 7)²"
    about = (
        "Four global minima, all with loss 0, around a local maximum near (−0.27, −0.92). "
        "Which one a run reaches depends on the optimizer: from the default start plain SGD, "
        "SGD with momentum 0.9 (lr 0.01) and Adam end in three different minima."
    )
    log_scale = True
    view = View(-5.0, 5.0, -5.0, 5.0)
    default_start = (0.0, -3.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        # Published to 6 decimals; the points are refined to float64 precision (zero gradient).
        return (
            Minimum((3.0, 2.0), 0.0),
            Minimum((-2.805118086952745, 3.131312518250573), 0.0),
            Minimum((-3.779310253377747, -3.2831859912861696), 0.0),
            Minimum((3.5844283403304917, -1.8481265269644036), 0.0),
        )

    @property
    def maxima(self) -> tuple[Minimum, ...]:
        """The local maximum the minima surround (refined by Newton's method to float64)."""
        return (Minimum((-0.2708445906673476, -0.9230385564799815), 181.6165215225827),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2


@register
class Beale(Problem):
    """Flat plateaus between steep ridges in the corners; values span many orders of magnitude."""

    name = "beale"
    title = "Beale"
    formula = "f(x, y) = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²"
    about = (
        "A nearly flat basin bordered by ridges that rise steeply toward the corners. Gradients "
        "range over many orders of magnitude, so one learning rate is too small on the flats and "
        "too large near the ridges; adaptive methods cope better."
    )
    log_scale = True
    view = View(-4.5, 4.5, -4.5, 4.5)
    default_start = (1.0, 1.5)
    minima = (Minimum((3.0, 0.5), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return (
            (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2
        )


@register
class Booth(Problem):
    """A convex quadratic whose two variables are coupled: the bowl is tilted by 45°."""

    name = "booth"
    title = "Booth"
    formula = "f(x, y) = (x + 2y − 7)² + (2x + y − 5)²"
    about = (
        "A quadratic bowl with Hessian [[10, 8], [8, 10]]: curvature 18 along the diagonal and 2 "
        "across it. Coupled variables make plain gradient descent zig-zag; Newton's method "
        "reaches the minimum in one step."
    )
    log_scale = True
    view = View(-10.0, 10.0, -10.0, 10.0)
    default_start = (-7.0, 5.0)
    minima = (Minimum((1.0, 3.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2


@register
class Rastrigin(Problem):
    """A bowl covered in a regular grid of local minima (Rastrigin's function, A = 10)."""

    name = "rastrigin"
    title = "Rastrigin"
    formula = "f(x, y) = 20 + x² − 10 cos(2πx) + y² − 10 cos(2πy)"
    about = (
        "A parabola with a cosine ripple: a local minimum near every integer point. Small steps "
        "stop in the nearest dip; only large steps, noise or momentum can get out of it."
    )
    view = View(-5.12, 5.12, -5.12, 5.12)
    default_start = (2.2, 2.8)
    minima = (Minimum((0.0, 0.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        two_pi = 2 * math.pi
        return (w * w - 10 * torch.cos(two_pi * w)).sum(dim=-1) + 20


@register
class Ackley(Problem):
    """A nearly flat, rippled plain with a deep funnel at the centre (a = 20, b = 0.2, c = 2π)."""

    name = "ackley"
    title = "Ackley"
    formula = "f(x, y) = −20 exp(−0.2 √(½(x² + y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20"
    about = (
        "Far from the centre the surface is almost flat and full of shallow local minima; near "
        "it a funnel drops to 0. The funnel's tip is a cone: the gradient does not vanish "
        "approaching the minimum, so fixed-step methods oscillate around it."
    )
    view = View(-5.0, 5.0, -5.0, 5.0)
    default_start = (3.5, -2.5)
    minima = (Minimum((0.0, 0.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        # vector_norm's gradient at 0 is 0 (a subgradient), where sqrt(x² + y²) would give NaN
        r = torch.linalg.vector_norm(w, dim=-1) * math.sqrt(0.5)
        two_pi = 2 * math.pi
        ripple = 0.5 * (torch.cos(two_pi * x) + torch.cos(two_pi * y))
        return -20 * torch.exp(-0.2 * r) - torch.exp(ripple) + math.e + 20


@register
class GoldsteinPrice(Problem):
    """A global minimum of 3 among local minima, with values up to 10⁶ in the default window."""

    name = "goldstein_price"
    title = "Goldstein–Price"
    formula = (
        "f(x, y) = [1 + (x + y + 1)² (19 − 14x + 3x² − 14y + 6xy + 3y²)] · "
        "[30 + (2x − 3y)² (18 − 32x + 12x² + 48y − 36xy + 27y²)]"
    )
    about = (
        "The global minimum 3 at (0, −1) competes with local minima at (−0.6, −0.4) (30), "
        "(1.8, 0.2) (84) and (1.2, 0.8) (840). The loss spans six orders of magnitude: from the "
        "default start SGD diverges unless lr ≲ 1e-4, and then settles in the local minimum 30."
    )
    log_scale = True
    view = View(-2.0, 2.0, -2.0, 2.0)
    default_start = (0.0, 0.0)
    minima = (Minimum((0.0, -1.0), 3.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y)
        b = 30 + (2 * x - 3 * y) ** 2 * (
            18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
        )
        return a * b


@register
class SixHumpCamel(Problem):
    """Two symmetric global minima, four local minima and a saddle at the origin."""

    name = "six_hump_camel"
    title = "Six-hump camel"
    formula = "f(x, y) = (4 − 2.1x² + x⁴/3) x² + xy + (4y² − 4) y²"
    about = (
        "Two global minima mirror each other through the origin, which is a saddle point; four "
        "more local minima sit further out. The default start lies near a basin boundary: "
        "SGD and Adam find a global minimum, SGD with momentum 0.9 at lr 0.01 a local one."
    )
    view = View(-2.0, 2.0, -1.2, 1.2)
    default_start = (-1.3, -1.0)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        # Published as (±0.0898, ∓0.7126) with f = −1.0316; the points are refined to float64
        # precision (the gradient vanishes there) and the value is f at those points in float64.
        return (
            Minimum((0.08984201310031806, -0.7126564030207396), -1.0316284534898774),
            Minimum((-0.08984201310031806, 0.7126564030207396), -1.0316284534898774),
        )

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        x2, y2 = x * x, y * y
        return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (4 * y2 - 4) * y2


@register
class Matyas(Problem):
    """A shallow quadratic valley along the diagonal: gradients are tiny along its floor."""

    name = "matyas"
    title = "Matyas"
    formula = "f(x, y) = 0.26 (x² + y²) − 0.48 xy"
    about = (
        "A quadratic with curvature 1 across the diagonal valley and only 0.04 along it "
        "(condition number 25). Gradient descent drops into the valley at once, then crawls "
        "along its nearly flat floor; momentum speeds up the crawl."
    )
    view = View(-10.0, 10.0, -10.0, 10.0)
    default_start = (-8.0, -3.0)
    minima = (Minimum((0.0, 0.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return 0.26 * (x * x + y * y) - 0.48 * x * y


@register
class ThreeHumpCamel(Problem):
    """One global minimum at the origin flanked by two shallower local minima."""

    name = "three_hump_camel"
    title = "Three-hump camel"
    formula = "f(x, y) = 2x² − 1.05x⁴ + x⁶/6 + xy + y²"
    about = (
        "The global minimum 0 at the origin lies between two local minima near (±1.75, ∓0.87) "
        "with loss 0.2986. From the default start plain gradient descent settles in a local "
        "one; momentum (0.9 at lr 0.001) or Adam at lr 0.1 carries the run over the ridge."
    )
    log_scale = True
    view = View(-2.5, 2.5, -2.5, 2.5)
    default_start = (2.3, 2.3)
    minima = (Minimum((0.0, 0.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        x2 = x * x
        return 2 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6 + x * y + y * y


@register
class StyblinskiTang(Problem):
    """Four basins of different depth; the deepest is at (−2.9035, −2.9035)."""

    name = "styblinski_tang"
    title = "Styblinski–Tang"
    formula = "f(x, y) = ½ (x⁴ − 16x² + 5x + y⁴ − 16y² + 5y)"
    about = (
        "Each coordinate has a deep and a shallow well, giving four basins: the global minimum "
        "−78.33 and local minima −64.2 (twice) and −50.1. From the default start gradient "
        "descent ends in the shallowest basin; momentum (0.9 at lr 0.01) carries it to −64.2."
    )
    view = View(-5.0, 5.0, -5.0, 5.0)
    default_start = (0.5, 4.5)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        # Published as (−2.903534, −2.903534) with f = −78.33234 (to that precision); the point
        # is the root of 4x³ − 32x + 5 in float64 and the value is f there in float64.
        x = -2.903534027771177
        return (Minimum((x, x), -78.33233140754282),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        w2 = w * w
        return 0.5 * (w2 * w2 - 16 * w2 + 5 * w).sum(dim=-1)


@register
class Saddle(Problem):
    """The simplest saddle point: up along x, down along y; there is no minimum."""

    name = "saddle"
    title = "Saddle"
    formula = "f(x, y) = x² − y²"
    about = (
        "The origin is a saddle point: a minimum along x, a maximum along y. Started almost on "
        "the x axis, gradient descent slows down near the saddle before escaping; Newton's "
        "method jumps straight onto it, while damped Newton and momentum move away."
    )
    view = View(-2.0, 2.0, -2.0, 2.0)
    default_start = (-1.8, 0.001)
    minima = ()

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return x * x - y * y


@register
class MonkeySaddle(Problem):
    """A degenerate saddle with three valleys: gradient and Hessian both vanish at the origin."""

    name = "monkey_saddle"
    title = "Monkey saddle"
    formula = "f(x, y) = x³ − 3xy²"
    about = (
        "Three valleys and three ridges meet at the origin, where the gradient and the Hessian "
        "both vanish. A run coming down a ridge crawls ever more slowly toward the origin before "
        "it slides into a valley; Newton's method is drawn to the origin, halving the distance "
        "each step. There is no minimum: the valleys fall forever."
    )
    view = View(-2.0, 2.0, -2.0, 2.0)
    default_start = (1.2, 0.001)
    minima = ()

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        return x * x * x - 3 * x * y * y


@register
class Plateau(Problem):
    """A bowl flattened by tanh: away from the centre the gradient almost vanishes."""

    name = "plateau"
    title = "Plateau"
    formula = "f(x, y) = tanh((x² + y²) / 4)"
    about = (
        "Near the origin a bowl; beyond a radius of about 3 the loss saturates at 1 and the "
        "gradient shrinks like exp(−r²/2). At lr 0.1 plain SGD needs about 370 steps to reach "
        "the bottom, SGD with momentum 0.9 about 60, and Adam, which divides by the gradient's "
        "size and so crosses the plateau at full speed, about 30."
    )
    view = View(-5.0, 5.0, -5.0, 5.0)
    default_start = (-3.0, 2.0)
    minima = (Minimum((0.0, 0.0), 0.0),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        return torch.tanh((w * w).sum(dim=-1) / 4)


@register
class Cliff(Problem):
    """A gentle bowl below a steep wall: the exploding-gradient step that clipping prevents."""

    name = "cliff"
    title = "Cliff"
    formula = "f(x, y) = 0.1 ((x − 2.5)² + y²) + h · σ(−s x)"
    about = (
        "Runs start on a high terrace and must step down a wall of height h with slope up to "
        "h·s/4 (100 by default) to reach the bowl below. The step that lands on the wall is "
        "huge: plain gradient descent at lr 0.1 is thrown about 10 units, out of the window. "
        "With clip_norm = 1 the same run walks down the wall in steps of at most lr."
    )
    parameters = (
        ParamSpec("height", 100.0, low=0.0, high=1000.0, low_open=True, doc="height h of the wall"),
        ParamSpec(
            "steepness",
            4.0,
            low=1.0,
            high=100.0,
            log_scale=True,
            doc="steepness s of the sigmoid; the wall is about 4/s wide",
        ),
    )
    log_scale = True

    def __init__(self, height: float = 100.0, steepness: float = 4.0) -> None:
        super().__init__(height=height, steepness=steepness)
        self.height = height
        self.steepness = steepness
        self._min_x = _cliff_minimum(height, steepness)

    @property
    def view(self) -> View:
        return View(-4.0, max(4.0, self._min_x + 1.0), -3.0, 3.0)

    @property
    def default_start(self) -> tuple[float, float]:
        # Gradient descent's x dynamics do not depend on y. From x = −2.55 a run with the default
        # wall lands near its steepest point at lr 0.01, 0.1, 0.3 and 1 (thrown about lr × 100).
        return (-2.55, 1.5)

    @property
    def minima(self) -> tuple[Minimum, ...]:
        x = self._min_x
        value = 0.1 * (x - 2.5) ** 2 + self.height * _sigmoid(-self.steepness * x)
        return (Minimum((x, 0.0), value),)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        x, y = _xy(w)
        bowl = 0.1 * ((x - 2.5) ** 2 + y * y)
        return bowl + self.height * torch.sigmoid(-self.steepness * x)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _cliff_minimum(height: float, steepness: float) -> float:
    """x of the cliff's minimum (on y = 0), found by bisection on the derivative in float64.

    For x > 0 the wall term is convex, so the derivative increases and has one root; on the
    terrace (x < 0) the loss exceeds h/2, above the bowl's value at x = 2.5 for s ≥ 1.
    """

    def slope(x: float) -> float:
        sig = _sigmoid(-steepness * x)
        return 0.2 * (x - 2.5) - height * steepness * sig * (1.0 - sig)

    lo, hi = 0.0, 2.5
    while slope(hi) <= 0:
        hi *= 2
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if slope(mid) < 0 else (lo, mid)
    return lo if abs(slope(lo)) <= abs(slope(hi)) else hi
