"""The finite-sum problems written out as plain torch for exported training scripts.

A script a student runs without the lab must make the same samples and the same loss as the lab.
Each problem's data come from a ``torch.Generator`` seeded by ``data_seed``, drawn in float64 on
the CPU in the engine's order (``optim_core/problems/finite_sum.py``), so the script's data are
the lab's bit for bit; the loss is the mean of the per-sample losses over the minibatch or over
every sample, as the engine's steps compute it. ``{param!r}`` placeholders are filled from the
problem's parameters. The tests run every entry against the engine.
"""

from __future__ import annotations

from optim_core.problems.base import Problem

#: per problem: the body of ``make_data()`` (returns the dict of float64 CPU tensors) and of
#: ``sample_losses(w, data)`` (per-sample losses, ``(..., K)`` for ``data`` of K samples)
FINITE_SUM_SOURCES: dict[str, tuple[str, str]] = {
    "mean_quadratic": (
        """\
    points = {spread!r} * torch.randn({n_samples!r}, 2, generator=gen, dtype=torch.float64)
    return {{"points": points}}
""",
        """\
    d = w[..., None, :] - data["points"]  # w − wᵢ
    c, s = math.cos(math.radians({angle!r})), math.sin(math.radians({angle!r}))
    u = c * d[..., 0] + s * d[..., 1]
    v = -s * d[..., 0] + c * d[..., 1]
    return 0.5 * (u * u + {condition!r} * v * v)  # ½ (w − wᵢ)ᵀ A (w − wᵢ)
""",
    ),
    "linear_regression": (
        """\
    x = 4.0 * torch.rand({n_samples!r}, generator=gen, dtype=torch.float64)
    eps = torch.randn({n_samples!r}, generator=gen, dtype=torch.float64)
    y = 2.0 * x + -1.0 + {noise!r} * eps  # the line y = 2x − 1, plus noise
    return {{"x": x, "y": y}}
""",
        """\
    residual = w[..., 0:1] * data["x"] + w[..., 1:2] - data["y"]
    return 0.5 * residual * residual
""",
    ),
    "sigmoid_fit": (
        """\
    x = 6.0 * torch.rand({n_samples!r}, generator=gen, dtype=torch.float64) - 3.0
    eps = torch.randn({n_samples!r}, generator=gen, dtype=torch.float64)
    y = torch.sigmoid(2.0 * x + 1.0) + {noise!r} * eps  # σ(2x + 1), plus noise
    return {{"x": x, "y": y}}
""",
        """\
    r = torch.sigmoid(w[..., 0:1] * data["x"] + w[..., 1:2]) - data["y"]
    return 0.5 * r * r
""",
    ),
}


def finite_sum_source(problem: Problem) -> str | None:
    """``N_SAMPLES``, ``make_data``, ``DATA``, ``sample_losses`` and ``loss_fn(w, batch=None)``
    of ``problem`` as script source (after DEVICE and DTYPE); None when it has no entry."""
    if problem.name not in FINITE_SUM_SOURCES:
        return None
    data_body, losses_body = (body.format(**problem.params)
                              for body in FINITE_SUM_SOURCES[problem.name])
    return "\n".join([
        f"N_SAMPLES = {problem.params['n_samples']!r}",
        "",
        "",
        "def make_data():",
        '    """The samples, as the lab makes them: float64 on the CPU from a seeded generator',
        '    (the same numbers on every machine)."""',
        "    gen = torch.Generator(device=\"cpu\")",
        f"    gen.manual_seed({problem.params['data_seed']!r})",
        data_body.rstrip("\n"),
        "",
        "",
        "DATA = {name: values.to(DEVICE, DTYPE) for name, values in make_data().items()}",
        "",
        "",
        "def sample_losses(w: torch.Tensor, data: dict) -> torch.Tensor:",
        '    """The per-sample losses at w (..., 2), one per sample of `data`."""',
        losses_body.rstrip("\n"),
        "",
        "",
        "def loss_fn(w: torch.Tensor, batch: torch.Tensor | None = None) -> torch.Tensor:",
        f'    """{problem.title}: {problem.formula}',
        "",
        "    The mean of the per-sample losses over `batch` (indices), or over all samples.",
        '    """',
        "    data = DATA if batch is None else {name: v[batch] for name, v in DATA.items()}",
        "    return sample_losses(w, data).mean(dim=-1)",
    ])
