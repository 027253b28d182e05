"""Export an experiment as a standalone PyTorch training script (``export-script``).

Each run becomes the training loop the lecture teaches — zero_grad → forward → loss → backward →
clip → step — with one real ``torch.optim`` optimizer built from the run's hyperparameters (and
its ``torch.optim.lr_scheduler``, stepped after each optimizer step, when it has a schedule). What
torch.optim lacks (Adam/AdamW with ``bias_correction=False``, Newton's method) is written out as a
small ``torch.optim.Optimizer`` subclass in the script, with a comment saying so.

The loss is written into the script as plain torch code: the analytic problems' from
:data:`ANALYTIC_LOSSES`, the finite sums' (their seeded data and per-sample losses) from
:mod:`optim_core.script_problems`, so a script needs torch alone. Only a problem added later
without such an entry is loaded from ``optim_core`` with ``make_problem``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from optim_core.experiment import Experiment, RunSpec
from optim_core.script_problems import finite_sum_source
from optim_core.session import DIVERGENCE_BOUND

#: loss bodies, in the engine's own arithmetic, keyed by problem name; ``{param}`` placeholders
#: are filled from the problem's parameters. Each must equal ``problem.loss`` (see the tests).
ANALYTIC_LOSSES: dict[str, str] = {
    "quadratic": """\
    x, y = w[..., 0], w[..., 1]
    c, s = math.cos(math.radians({angle!r})), math.sin(math.radians({angle!r}))
    u = c * x + s * y
    v = -s * x + c * y
    return 0.5 * (u * u + {condition!r} * v * v)
""",
    "rosenbrock": """\
    x, y = w[..., 0], w[..., 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2
""",
    "himmelblau": """\
    x, y = w[..., 0], w[..., 1]
    return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2
""",
    "beale": """\
    x, y = w[..., 0], w[..., 1]
    return (
        (1.5 - x + x * y) ** 2
        + (2.25 - x + x * y * y) ** 2
        + (2.625 - x + x * y * y * y) ** 2
    )
""",
    "booth": """\
    x, y = w[..., 0], w[..., 1]
    return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2
""",
    "rastrigin": """\
    two_pi = 2 * math.pi
    return (w * w - 10 * torch.cos(two_pi * w)).sum(dim=-1) + 20
""",
    "ackley": """\
    x, y = w[..., 0], w[..., 1]
    r = torch.linalg.vector_norm(w, dim=-1) * math.sqrt(0.5)
    two_pi = 2 * math.pi
    ripple = 0.5 * (torch.cos(two_pi * x) + torch.cos(two_pi * y))
    return -20 * torch.exp(-0.2 * r) - torch.exp(ripple) + math.e + 20
""",
    "goldstein_price": """\
    x, y = w[..., 0], w[..., 1]
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x * x - 14 * y + 6 * x * y + 3 * y * y)
    b = 30 + (2 * x - 3 * y) ** 2 * (
        18 - 32 * x + 12 * x * x + 48 * y - 36 * x * y + 27 * y * y
    )
    return a * b
""",
    "six_hump_camel": """\
    x, y = w[..., 0], w[..., 1]
    x2, y2 = x * x, y * y
    return (4 - 2.1 * x2 + x2 * x2 / 3) * x2 + x * y + (4 * y2 - 4) * y2
""",
    "matyas": """\
    x, y = w[..., 0], w[..., 1]
    return 0.26 * (x * x + y * y) - 0.48 * x * y
""",
    "three_hump_camel": """\
    x, y = w[..., 0], w[..., 1]
    x2 = x * x
    return 2 * x2 - 1.05 * x2 * x2 + x2 * x2 * x2 / 6 + x * y + y * y
""",
    "styblinski_tang": """\
    w2 = w * w
    return 0.5 * (w2 * w2 - 16 * w2 + 5 * w).sum(dim=-1)
""",
    "saddle": """\
    x, y = w[..., 0], w[..., 1]
    return x * x - y * y
""",
    "monkey_saddle": """\
    x, y = w[..., 0], w[..., 1]
    return x * x * x - 3 * x * y * y
""",
    "plateau": """\
    return torch.tanh((w * w).sum(dim=-1) / 4)
""",
    "cliff": """\
    x, y = w[..., 0], w[..., 1]
    bowl = 0.1 * ((x - 2.5) ** 2 + y * y)
    return bowl + {height!r} * torch.sigmoid(-{steepness!r} * x)
""",
}

def training_script(experiment: Experiment) -> str:
    """The experiment as a runnable Python script: one training loop per run and start."""
    problem = experiment.problem
    needs_batches = problem.is_finite_sum
    written = finite_sum_source(problem) if needs_batches else None
    standalone = written is not None or (problem.name in ANALYTIC_LOSSES and not needs_batches)
    loss = (written if written is not None else _analytic_loss(experiment) if standalone
            else _engine_loss(experiment))
    parts = [
        _header(experiment, standalone, uses_math="math." in loss) + "\n\n"
        + _settings(experiment, needs_batches),
        loss,
    ]
    if any(_needs_adam_written_out(run) for run in experiment.runs):
        parts.append(_ADAM_WITHOUT_BIAS_CORRECTION)
    if any(run.optimizer == "Newton" for run in experiment.runs):
        parts.append(_NEWTON)
    parts.append(_train_function(experiment, needs_batches))
    parts.append(_main(experiment))
    return "\n\n\n".join(part.rstrip("\n") for part in parts) + "\n"


# ---------------------------------------------------------------------------------- sections
def _header(experiment: Experiment, standalone: bool, uses_math: bool) -> str:
    problem = experiment.problem
    runs = len(experiment.runs)
    lines = [
        f'"""{problem.title}: {runs} run{"s" if runs != 1 else ""} of {experiment.steps} steps, '
        "exported from Optimizer Lab.",
        "",
        "Each run is the PyTorch training loop: zero_grad → forward → loss → backward → clip →",
        "step, with a torch.optim optimizer built from the run's hyperparameters. It prints where",
        "each run ends; `python -m optim_core run` on the same experiment ends at the same points",
        "(up to floating-point rounding).",
        '"""',
        "",
        *(["import math", ""] if uses_math else []),
        "import torch",
    ]
    if _has_schedules(experiment):
        lines.append("from torch.optim import lr_scheduler")
    if not standalone:
        lines += [
            "",
            "# This problem has no standalone torch form in the exporter yet: its loss comes from",
            "# Optimizer Lab's engine, so the `optim_core` package must be importable.",
            "from optim_core.problems import make_problem",
        ]
    return "\n".join(lines)


def _settings(experiment: Experiment, needs_batches: bool) -> str:
    lines = [
        f"DTYPE = torch.{experiment.dtype}",
        f"DEVICE = {_py(experiment.device)}",
        f"STEPS = {experiment.steps}",
        "# like the lab, a run stops (diverged) when its loss or gradient is not finite or a",
        "# coordinate leaves ±DIVERGENCE_BOUND",
        f"DIVERGENCE_BOUND = {_py(DIVERGENCE_BOUND)}",
    ]
    if needs_batches or experiment.grad_noise:
        lines.append(f"SEED = {experiment.seed}")
    if needs_batches:
        lines.append(f"BATCH_SIZE = {experiment.batch_size!r}  # None: the full batch")
    if experiment.grad_noise:
        lines += [
            f"GRAD_NOISE = {_py(experiment.grad_noise)}  # std of the noise added to gradients",
            f"N_RUNS = {len(experiment.runs)}  # the lab draws the noise of all runs at once",
        ]
    return "\n".join(lines)


def _analytic_loss(experiment: Experiment) -> str:
    problem = experiment.problem
    body = ANALYTIC_LOSSES[problem.name].format(**problem.params)
    return (
        "def loss_fn(w: torch.Tensor) -> torch.Tensor:\n"
        f'    """{problem.title}: {problem.formula}"""\n'
        f"{body}"
    )


def _engine_loss(experiment: Experiment) -> str:
    problem = experiment.problem
    items = [f"{_py(name)}: {_py(value)}" for name, value in problem.config().items()]
    lines = ["PROBLEM = make_problem({", *_wrap(items, "    ", _SCRIPT_WIDTH),
             "}).to(DEVICE, DTYPE)", "", ""]
    if problem.is_finite_sum:
        lines += [
            "N_SAMPLES = PROBLEM.n_samples",
            "",
            "",
            "def loss_fn(w: torch.Tensor, batch: torch.Tensor | None = None) -> torch.Tensor:",
            f'    """{problem.title}: {problem.formula}',
            "",
            "    The mean of the per-sample losses over `batch` (indices), or over all samples.",
            '    """',
            "    if batch is None:",
            "        return PROBLEM.loss(w)",
            "    return PROBLEM.batch_loss(w, batch)",
        ]
    else:
        lines += [
            "def loss_fn(w: torch.Tensor) -> torch.Tensor:",
            f'    """{problem.title}: {problem.formula}"""',
            "    return PROBLEM.loss(w)",
        ]
    return "\n".join(lines)


def _train_function(experiment: Experiment, needs_batches: bool) -> str:
    noise = bool(experiment.grad_noise)
    uses_lbfgs = any(run.optimizer == "LBFGS" for run in experiment.runs)
    schedules = _has_schedules(experiment)
    lines = [*_train_setup(noise, needs_batches, schedules),
             "    for step in range(1, STEPS + 1):"]
    if needs_batches:
        lines += _DRAW_BATCH
    lines += [
        "        optimizer.zero_grad()",
        "        loss = forward(w)  # forward pass: the loss at w",
        "        loss.backward()  # backward pass: w.grad is the gradient",
    ]
    if noise:
        lines += [
            "        draw = torch.randn((N_RUNS, 2), generator=noise, dtype=DTYPE)[run_index]",
            "        w.grad += GRAD_NOISE * draw.to(DEVICE)",
        ]
    lines += _CHECK_AND_CLIP + (_LBFGS_STEP if uses_lbfgs else ["        optimizer.step()"])
    if schedules:
        lines += ["        if scheduler is not None:",
                  "            scheduler.step()  # the learning rate of the next step"]
    return "\n".join(lines + _TRAIN_END)


def _train_setup(noise: bool, needs_batches: bool, schedules: bool = False) -> list[str]:
    extra = (", run_index=0" if noise else "") + (", batch_size=None" if needs_batches else "")
    extra += ", make_scheduler=None" if schedules else ""
    lines = [
        f"def train(label, start, make_optimizer, *, clip_norm=None, clip_value=None{extra}):",
        '    """One run: the training loop, then a line saying where it ended.',
        "",
        "    `make_optimizer(params, forward)` builds the optimizer; `forward(w)` is this step's",
        "    loss as a function of w (only the hand-written Newton optimizer needs it).",
        '    """',
        "    w = torch.tensor(start, dtype=DTYPE, device=DEVICE, requires_grad=True)",
    ]
    if needs_batches:
        lines += [
            "    draws = torch.Generator().manual_seed(SEED)  # a new permutation every step",
            "    batch = None",
            "",
            "    def forward(w):",
            "        return loss_fn(w, batch)",
            "",
        ]
    else:
        lines.append("    forward = loss_fn")
    if noise:
        lines.append("    noise = torch.Generator().manual_seed(SEED + 1)")
    lines.append("    optimizer = make_optimizer([w], forward)")
    if schedules:
        lines.append("    # the learning-rate schedule, stepped once after each optimizer step")
        lines.append("    scheduler = make_scheduler(optimizer) if make_scheduler else None")
    return lines


_DRAW_BATCH = [
    "        permutation = torch.randperm(N_SAMPLES, generator=draws)",
    "        size = batch_size or BATCH_SIZE",
    "        batch = None if size in (None, N_SAMPLES) else permutation[:size].to(DEVICE)",
]

_CHECK_AND_CLIP = [
    "        if diverged(w, loss, w.grad):",
    '            print(f"{label}: diverged at step {step - 1}")',
    "            return",
    "        if clip_norm is not None:  # rescale the gradient if its norm exceeds clip_norm",
    "            torch.nn.utils.clip_grad_norm_([w], clip_norm)",
    "        if clip_value is not None:  # clamp each component to ±clip_value",
    "            torch.nn.utils.clip_grad_value_([w], clip_value)",
]

_TRAIN_END = [
    "    with torch.no_grad():",
    "        final = loss_fn(w)",
    "    if diverged(w, final):",
    '        print(f"{label}: diverged at step {STEPS}")',
    "        return",
    "    x, y = w.tolist()",
    '    print(f"{label}: ok, loss {final.item()!r} at w = ({x!r}, {y!r})")',
    "",
    "",
    "def diverged(w, loss, grad=None):",
    '    """Whether the run left the finite numbers or the ±DIVERGENCE_BOUND box."""',
    "    finite = bool(torch.isfinite(loss))",
    "    if grad is not None:",
    "        finite = finite and bool(torch.isfinite(grad).all())",
    "    return not finite or bool((w.abs() > DIVERGENCE_BOUND).any())",
]

_LBFGS_STEP = [
    "        if isinstance(optimizer, torch.optim.LBFGS):",
    "            # LBFGS evaluates the loss several times per step: it takes a closure that",
    "            # repeats zero_grad → forward → backward → clip (its first call finds the",
    "            # gradient at w already in w.grad)",
    "            first = True",
    "",
    "            def closure(loss=loss):  # LBFGS calls it during this step only",
    "                nonlocal first",
    "                if first:",
    "                    first = False",
    "                    return loss.detach()",
    "                optimizer.zero_grad()",
    "                value = forward(w)",
    "                value.backward()",
    "                if clip_norm is not None:",
    "                    torch.nn.utils.clip_grad_norm_([w], clip_norm)",
    "                if clip_value is not None:",
    "                    torch.nn.utils.clip_grad_value_([w], clip_value)",
    "                return value",
    "",
    "            optimizer.step(closure)",
    "        else:",
    "            optimizer.step()",
]


def _main(experiment: Experiment) -> str:
    lines = ["def main():"]
    for r, run in enumerate(experiment.runs):
        label = run.label
        if len(experiment.starts) > 1:
            label = f"{label} from ({run.start[0]:g}, {run.start[1]:g})"
        options = [f"run_index={r}"] if experiment.grad_noise else []
        options += [f"{name}={_py(getattr(run, name))}"
                    for name in ("clip_norm", "clip_value", "batch_size")
                    if getattr(run, name) is not None]
        lines.append(f"    train({_py(label)}, {_py(tuple(run.start))},")
        lines += [f"          {option}," for option in options]
        if run.schedule is not None:
            lines += _scheduler_lines(run.schedule)
        constructor, arguments = _optimizer_call(run)
        lines.append(f"          make_optimizer=lambda params, forward: {constructor}(")
        lines += _wrap(arguments, indent=" " * 14, width=_SCRIPT_WIDTH)
        lines[-1] += "))"
    lines += ["", "", 'if __name__ == "__main__":', "    main()"]
    return "\n".join(lines)


_SCRIPT_WIDTH = 99


def _wrap(items: list[str], indent: str, width: int) -> list[str]:
    """``items`` joined by ``", "`` into lines of at most ``width`` (an item is never split)."""
    lines = [indent]
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if lines[-1] != indent and len(lines[-1]) + 1 + len(piece) > width:
            lines.append(indent)
        lines[-1] += (" " if lines[-1] != indent else "") + piece
    return lines


# ---------------------------------------------------------------------------------- schedules
def _has_schedules(experiment: Experiment) -> bool:
    return any(run.schedule is not None for run in experiment.runs)


def _scheduler_lines(schedule: Mapping[str, Any]) -> list[str]:
    """``make_scheduler=lambda optimizer: lr_scheduler.Name(optimizer, …),`` as script lines;
    a SequentialLR's schedulers one per line."""
    indent = " " * 14
    lines = [f"          make_scheduler=lambda optimizer: lr_scheduler.{schedule['name']}("]
    if schedule["name"] == "SequentialLR":
        lines += [f"{indent}optimizer,", f"{indent}schedulers=["]
        lines += [f"{indent}    {_scheduler_call(part)}," for part in schedule["schedulers"]]
        lines += [f"{indent}],", f"{indent}milestones={_list(schedule['milestones'])}),"]
        return lines
    lines += _wrap(_scheduler_arguments(schedule), indent=indent, width=_SCRIPT_WIDTH)
    lines[-1] += "),"
    return lines


def _scheduler_call(schedule: Mapping[str, Any]) -> str:
    """``lr_scheduler.Name(optimizer, arg=value, …)``."""
    return f"lr_scheduler.{schedule['name']}({', '.join(_scheduler_arguments(schedule))})"


def _scheduler_arguments(schedule: Mapping[str, Any]) -> list[str]:
    """A (non-sequential) schedule's constructor arguments, as Python source."""
    arguments = ["optimizer"]
    for arg, value in schedule.items():
        if arg != "name":
            arguments.append(f"{arg}={_list(value) if isinstance(value, list) else _py(value)}")
    return arguments


def _list(values: list[Any]) -> str:
    return "[" + ", ".join(_py(v) for v in values) + "]"


# ---------------------------------------------------------------------------------- optimizers
def _needs_adam_written_out(run: RunSpec) -> bool:
    return run.optimizer in ("Adam", "AdamW") and not run.hyperparameters["bias_correction"]


def _optimizer_call(run: RunSpec) -> tuple[str, list[str]]:
    """The optimizer class for one run and its constructor arguments, as Python source."""
    hyper = dict(run.hyperparameters)
    if run.optimizer == "Newton":
        return "Newton", ["params", "forward", *_kwargs(hyper)]
    if run.optimizer in ("Adam", "AdamW") and not hyper.pop("bias_correction"):
        decoupled = f"decoupled_weight_decay={run.optimizer == 'AdamW'}"
        return "AdamWithoutBiasCorrection", ["params", *_kwargs(hyper), decoupled]
    return f"torch.optim.{run.optimizer}", ["params", *_kwargs(hyper)]


def _kwargs(hyper: Mapping[str, Any]) -> list[str]:
    return [f"{name}={_py(value)}" for name, value in hyper.items()]


def _py(value: Any) -> str:
    """``value`` as a Python literal (tuples stay tuples, non-finite floats spelled out)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, tuple | list):
        items = ", ".join(_py(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python literal
    return repr(value)


_ADAM_WITHOUT_BIAS_CORRECTION = '''\
class AdamWithoutBiasCorrection(torch.optim.Optimizer):
    """Adam (or AdamW) without bias correction, written out: torch.optim has no switch for it.

    g ← ∇f(w) (+ weight_decay·w for Adam; AdamW instead shrinks w ← w − lr·weight_decay·w);
    m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  w ← w − lr · m / (√v + eps).
    torch.optim.Adam divides m by 1 − β₁ᵏ and v by 1 − β₂ᵏ; without that division the
    zero-initialised averages start too small, and the first steps crawl (the "slow start").
    """

    def __init__(self, params, lr, betas, eps, weight_decay, amsgrad, maximize,
                 decoupled_weight_decay):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                    state["max_exp_avg_sq"] = torch.zeros_like(p)
                if weight_decay != 0:
                    if group["decoupled_weight_decay"]:
                        p.mul_(1 - lr * weight_decay)
                    else:
                        g = g.add(p, alpha=weight_decay)
                state["exp_avg"].lerp_(g, 1 - beta1)
                state["exp_avg_sq"].mul_(beta2).add_(g * (1 - beta2) * g)
                second = state["exp_avg_sq"]
                if group["amsgrad"]:
                    torch.maximum(state["max_exp_avg_sq"], second, out=state["max_exp_avg_sq"])
                    second = state["max_exp_avg_sq"]
                p.addcdiv_(state["exp_avg"], second.sqrt().add_(group["eps"]), value=-lr)
'''

_NEWTON = '''\
class Newton(torch.optim.Optimizer):
    """Damped Newton's method, written out: torch.optim has no second-order optimizer.

    w ← w − lr · (H + damping·I)⁻¹ g, with H the exact Hessian of `forward` at w (by autograd)
    and g the (clipped) gradient in w.grad. A singular H + damping·I gives a non-finite step.
    """

    def __init__(self, params, forward, lr, damping):
        super().__init__(params, dict(lr=lr, damping=damping))
        self.forward = forward

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                with torch.enable_grad():
                    hessian = torch.autograd.functional.hessian(self.forward, p.detach())
                eye = torch.eye(p.numel(), dtype=p.dtype, device=p.device)
                direction, _info = torch.linalg.solve_ex(hessian + group["damping"] * eye, p.grad)
                p.sub_(direction * group["lr"])
'''
