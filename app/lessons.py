"""The lessons: the lecture's points as ready-made experiments, each with what to watch.

Every point of the optimization lecture (shared/reference/curriculum.md) that a 2-D landscape can
show is here as an experiment a student loads with one click (Lessons menu, or the Lessons tab)
and plays. ``watch`` says what to look at and ``try_next`` what to change to see the point turn
around. Where the slides slip, the text gives the correct form and says so.

Each lesson's claim is checked against the engine in ``tests/app/test_lessons.py``: a lesson whose
runs stop showing what its text says fails the tests. Plain data, no Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Lesson:
    """One point of the lecture, as an experiment to play.

    ``panel`` is the right-hand tab to raise (``"adaptive"`` or ``"noise"``), ``loss_x`` the loss
    panel's x axis (one of its choices: ``"steps"``, ``"sample-gradients computed"``…),
    ``log_loss`` its log scale, ``arrows`` the arrow kinds to show.
    """

    key: str
    section: str
    title: str
    watch: str
    try_next: str
    experiment: dict[str, Any]
    panel: str = "adaptive"
    loss_x: str = "steps"
    log_loss: bool = True
    arrows: tuple[str, ...] = ("gradient", "velocity")


#: the ill-conditioned valley of §2 and §3: 50× steeper across than along, turned by 30°
_VALLEY = {"name": "quadratic", "condition": 50, "angle": 30}

LESSONS: tuple[Lesson, ...] = (
    # ------------------------------------------------------------------ 1. batches
    Lesson(
        key="minibatch-noise",
        section="1. Mean, average, batches",
        title="Minibatch gradients are noisy",
        watch=(
            "The loss is a mean over M = 1000 samples. Three SGD runs take steps of the same "
            "lr with gradients averaged over N = 1, N = 16 and all M samples. The full-batch run "
            "glides into the minimum; the others jitter around it, N = 1 the most. The Gradient "
            "noise panel shows, at the selected run's point, minibatch gradients scattered around "
            "the full-batch gradient (black line) with standard error σ/√N — variance σ²/N; the "
            "slide's σ²/√N is a slip."
        ),
        try_next=(
            "Pick another run in the Gradient noise panel and compare the widths. For σ/√N on "
            "log-log axes, open Lab → Batch-size lab."
        ),
        experiment={
            "problem": {"name": "mean_quadratic", "angle": 30},
            "start": [-3, 2], "steps": 200, "batch_size": None,
            "runs": [
                {"optimizer": "SGD", "lr": 0.1, "batch_size": 1, "label": "SGD, N = 1"},
                {"optimizer": "SGD", "lr": 0.1, "batch_size": 16, "label": "SGD, N = 16"},
                {"optimizer": "SGD", "lr": 0.1, "label": "SGD, full batch"},
            ],
        },
        panel="noise",
    ),
    Lesson(
        key="per-computation",
        section="1. Mean, average, batches",
        title="Per iteration or per computation?",
        watch=(
            "Linear regression on M = 1000 points with SGD at batch sizes 1, 8, 64 and M. The loss "
            "is drawn against sample-gradients computed: a step with N samples costs N. Per "
            "computation the small batches get far first — after 2000 sample-gradients N = 8 is "
            "near the floor while the full batch has taken two steps — and then stall at their "
            "noise floor. A 100× larger batch buys only 10× less gradient error."
        ),
        try_next=(
            "Switch the Training loss x axis to steps: per iteration the large batches win."
        ),
        experiment={
            "problem": "linear_regression", "steps": 300, "batch_size": None,
            "runs": [
                {"optimizer": "SGD", "lr": 0.05, "batch_size": 1, "label": "N = 1"},
                {"optimizer": "SGD", "lr": 0.05, "batch_size": 8, "label": "N = 8"},
                {"optimizer": "SGD", "lr": 0.05, "batch_size": 64, "label": "N = 64"},
                {"optimizer": "SGD", "lr": 0.05, "label": "N = M = 1000"},
            ],
        },
        panel="noise",
        loss_x="sample-gradients computed",
    ),
    # ------------------------------------------------------------------ 2. SGD
    Lesson(
        key="narrow-valley",
        section="2. SGD",
        title="SGD zigzags across a narrow valley",
        watch=(
            "The valley is 50× steeper across than along, so the two gradient components differ "
            "by orders of magnitude. At lr 0.038, just under the stability limit 2/50 = 0.04 of "
            "the steep direction, SGD bounces from wall to wall, its gradient flipping sign every "
            "step. At lr 0.01 it is stable across but crawls along the floor. No single lr suits "
            "both directions."
        ),
        try_next="Raise the zigzagging run's lr to 0.041: past 2/50 every bounce grows.",
        experiment={
            "problem": _VALLEY, "start": [-3, 2], "steps": 100,
            "runs": [
                {"optimizer": "SGD", "lr": 0.038, "label": "SGD lr=0.038 (zigzags)"},
                {"optimizer": "SGD", "lr": 0.01, "label": "SGD lr=0.01 (crawls)"},
            ],
        },
        arrows=("gradient",),
    ),
    Lesson(
        key="plateau",
        section="2. SGD",
        title="SGD crawls on a plateau",
        watch=(
            "Fitting σ(w₁·x + w₂) from w₁ = −1, w₂ = 6: the sigmoid is saturated for every "
            "sample, its derivative is tiny and the loss is a plateau. Full-batch gradient "
            "descent at lr 1 barely moves in 400 steps. Momentum accumulates the small gradients, "
            "and Adam divides them by their own size, so both leave the plateau."
        ),
        try_next="Set Steps to 2000: plain SGD does get off the plateau — eventually.",
        experiment={
            "problem": "sigmoid_fit", "steps": 400, "batch_size": None,
            "runs": [
                {"optimizer": "SGD", "lr": 1.0, "label": "SGD"},
                {"optimizer": "SGD", "lr": 1.0, "momentum": 0.9, "label": "SGD+momentum"},
                {"optimizer": "Adam", "lr": 0.1, "label": "Adam"},
            ],
        },
    ),
    Lesson(
        key="saddle-noise",
        section="2. SGD",
        title="Noise escapes a saddle point",
        watch=(
            "f = x² − y² has a saddle at the origin. The run starts exactly on the ridge y = 0, "
            "where the exact gradient has no y component. Here every gradient carries Gaussian "
            "noise (σ = 0.3, like a minibatch's): the noise nudges the run off the ridge and the "
            "descent along y takes over — it escapes (the loss is unbounded below, so it keeps "
            "going)."
        ),
        try_next=(
            "Under Landscape set 'gradient noise σ' to 0: the run slides into the saddle and "
            "stays there."
        ),
        experiment={
            # starts well inside the view; 48 steps: off the ridge, still in sight
            "problem": "saddle", "start": [-1.5, 0], "steps": 48, "grad_noise": 0.3,
            "runs": [{"optimizer": "SGD", "lr": 0.05, "label": "SGD"}],
        },
        arrows=("gradient",),
        log_loss=False,
    ),
    # ------------------------------------------------------------------ 3. momentum
    Lesson(
        key="momentum",
        section="3. Momentum and Nesterov",
        title="Momentum damps the zigzag",
        watch=(
            "The narrow valley again, both runs at lr 0.038, where plain SGD bounces from wall to "
            "wall. With momentum 0.5 the velocity (heavy ball: v ← βv − ∇f, w ← w + lr·v; torch's "
            "momentum_buffer is −v) averages successive gradients: the components across the "
            "valley flip sign and cancel, those along the floor add up. The zigzag dies out "
            "within a few steps and the run moves along the floor faster."
        ),
        try_next=(
            "Set momentum to 0.9: less friction — the run overshoots and swirls, and ends behind "
            "plain SGD."
        ),
        experiment={
            "problem": _VALLEY, "start": [-3, 2], "steps": 100,
            "runs": [
                {"optimizer": "SGD", "lr": 0.038, "label": "SGD"},
                {"optimizer": "SGD", "lr": 0.038, "momentum": 0.5, "label": "momentum 0.5"},
            ],
        },
        arrows=("gradient", "velocity"),
    ),
    Lesson(
        key="nesterov",
        section="3. Momentum and Nesterov",
        title="Nesterov looks ahead",
        watch=(
            "Momentum 0.9 at lr 0.02: the heavy ball swings far past the valley floor before its "
            "velocity turns. Nesterov takes the gradient at the point the velocity is carrying it "
            "to, so it brakes before overshooting: one swing, and it settles. torch.optim's "
            "nesterov=True keeps that look-ahead point as the parameter; the look-ahead arrow "
            "runs from the classical iterate to it."
        ),
        try_next=(
            "Set both lrs to 0.038: Nesterov diverges and the heavy ball does not — looking "
            "ahead makes the steep direction stricter."
        ),
        experiment={
            "problem": _VALLEY, "start": [-3, 2], "steps": 100,
            "runs": [
                {"optimizer": "SGD", "lr": 0.02, "momentum": 0.9, "label": "momentum 0.9"},
                {"optimizer": "SGD", "lr": 0.02, "momentum": 0.9, "nesterov": True,
                 "label": "Nesterov 0.9"},
            ],
        },
        arrows=("velocity", "look-ahead"),
    ),
    Lesson(
        key="momentum-large-lr",
        section="3. Momentum and Nesterov",
        title="Momentum tolerates a larger learning rate",
        watch=(
            "lr 0.05 is past plain SGD's limit 2/50 = 0.04 in the steep direction: SGD diverges "
            "within a few dozen steps (marked in the runs table and the status bar). With "
            "momentum 0.9 the limit becomes 2(1 + 0.9)/50 = 0.076, and the same lr converges."
        ),
        try_next="Raise the momentum run's lr past 0.076 and watch it diverge too.",
        experiment={
            "problem": _VALLEY, "start": [-3, 2], "steps": 100,
            "runs": [
                {"optimizer": "SGD", "lr": 0.05, "label": "SGD lr=0.05"},
                {"optimizer": "SGD", "lr": 0.05, "momentum": 0.9, "label": "momentum, lr=0.05"},
            ],
        },
    ),
    # ------------------------------------------------------------------ 4. Newton
    Lesson(
        key="newton-quadratic",
        section="4. Newton's method",
        title="Newton solves a quadratic in one step",
        watch=(
            "On a quadratic bowl 100× steeper one way than the other, Newton's step −H⁻¹∇f at "
            "lr 1 lands on the minimum in a single step: H⁻¹ shortens the steps along steep "
            "directions and lengthens them along flat ones. SGD needs hundreds. In 2-D the exact "
            "Hessian is cheap; with P parameters it has P² entries and inverting it costs O(P³) — "
            "why nobody uses it to train networks."
        ),
        try_next="Set Newton's lr to 0.5: it halves the distance to the minimum every step.",
        experiment={
            "problem": {"name": "quadratic", "condition": 100, "angle": 30},
            "start": [-3, 2], "steps": 20,
            "runs": [
                {"optimizer": "Newton", "lr": 1.0, "label": "Newton"},
                {"optimizer": "SGD", "lr": 0.019, "label": "SGD"},
            ],
        },
    ),
    Lesson(
        key="newton-maximum",
        section="4. Newton's method",
        title="Newton is drawn to maxima and saddles",
        watch=(
            "Himmelblau's function has four minima around a local maximum. Started near the "
            "maximum, where the Hessian is negative definite, plain Newton's step points uphill: "
            "it climbs to the maximum (loss 181.6) and stays — a zero gradient is all it looks "
            "for. Damped Newton, (H + λI)⁻¹∇f with λ = 50, shifts every eigenvalue of H up by "
            "λ: here that makes the matrix positive definite, the step points downhill, and the "
            "run descends to a minimum."
        ),
        try_next=(
            "Lower the damping to 3: H + λI stays negative definite and the run climbs like "
            "plain Newton."
        ),
        experiment={
            "problem": "himmelblau", "start": [-0.5, -0.5], "steps": 30,
            "runs": [
                {"optimizer": "Newton", "lr": 1.0, "label": "Newton"},
                {"optimizer": "Newton", "lr": 1.0, "damping": 50, "label": "Newton, damping 50"},
                {"optimizer": "SGD", "lr": 0.01, "label": "SGD"},
            ],
        },
        log_loss=False,
    ),
    # ------------------------------------------------------------------ 5. adaptive methods
    Lesson(
        key="adagrad-decay",
        section="5. Adaptive methods",
        title="AdaGrad's steps shrink forever, RMSprop's do not",
        watch=(
            "Minibatches of one sample keep the gradients noisy. The Effective learning rate "
            "panel draws |Δwᵢ / gᵢ|, the step each coordinate actually took per unit of gradient. "
            "SGD's is its lr, flat. AdaGrad divides by the root of the sum of all squared "
            "gradients so far, which only grows: its effective lr falls like 1/√k. RMSprop (and "
            "Adam) divide by a running average instead, which forgets: theirs levels off."
        ),
        try_next="Play on to 3000 steps: AdaGrad's curve keeps falling, RMSprop's stays.",
        experiment={
            "problem": "mean_quadratic", "start": [0.5, 0.5], "steps": 1000, "batch_size": 1,
            "runs": [
                {"optimizer": "SGD", "lr": 0.05, "label": "SGD"},
                {"optimizer": "Adagrad", "lr": 0.5, "label": "AdaGrad"},
                {"optimizer": "RMSprop", "lr": 0.01, "label": "RMSprop"},
            ],
        },
    ),
    Lesson(
        key="per-parameter-lr",
        section="5. Adaptive methods",
        title="A learning rate per parameter",
        watch=(
            "An axis-aligned valley 100× steeper along w₂. SGD uses one lr for both coordinates, "
            "so it must be small enough for w₂ and crawls along w₁. RMSprop and Adam divide each "
            "coordinate by the size of its own gradients: their effective lr for w₁ is about 50× "
            "that for w₂, and both coordinates move at a similar pace. The root of this is "
            "Newton's method with H approximated by √diag(ggᵀ)."
        ),
        try_next="Turn the valley with 'angle' under Landscape: per-coordinate scaling helps less.",
        experiment={
            "problem": {"name": "quadratic", "condition": 100, "angle": 0},
            "start": [-3, 2], "steps": 100,
            "runs": [
                {"optimizer": "SGD", "lr": 0.015, "label": "SGD"},
                {"optimizer": "RMSprop", "lr": 0.03, "label": "RMSprop"},
                {"optimizer": "Adam", "lr": 0.1, "label": "Adam"},
            ],
        },
    ),
    Lesson(
        key="bias-correction",
        section="5. Adaptive methods",
        title="Adam's bias correction",
        watch=(
            "Adam's averages m and v start at zero, so early on both are biased low; dividing by "
            "1 − βᵏ removes the bias (the slide's last line drops these hats: a slip). Turned off, "
            "the first step is not always slower: with the default β = (0.9, 0.999) it is "
            "(1 − β₁)/√(1 − β₂) ≈ 3.16× the corrected one, because v is biased even lower than m. "
            "With β₁ = β₂ = 0.9 it is √(1 − β₁) ≈ 0.32× — the lecture's slow start."
        ),
        try_next="Step (→) a few times and compare the first steps of the four runs.",
        experiment={
            "problem": "rosenbrock", "steps": 100,
            "runs": [
                {"optimizer": "Adam", "lr": 0.05, "label": "Adam"},
                {"optimizer": "Adam", "lr": 0.05, "bias_correction": False,
                 "label": "no correction, β=(0.9, 0.999)"},
                {"optimizer": "Adam", "lr": 0.05, "betas": [0.9, 0.9],
                 "label": "Adam, β=(0.9, 0.9)"},
                {"optimizer": "Adam", "lr": 0.05, "betas": [0.9, 0.9], "bias_correction": False,
                 "label": "no correction, β=(0.9, 0.9)"},
            ],
        },
    ),
    Lesson(
        key="adamw",
        section="5. Adaptive methods",
        title="Adam's weight decay is not AdamW's",
        watch=(
            "Booth's function has its minimum at (1, 3). Adam's weight_decay adds λw to the "
            "gradient, which is then divided by √v like the rest: where gradients are large the "
            "decay is scaled away. AdamW shrinks the weights directly, w ← w − lr·λ·w, before the "
            "Adam step (decoupled). With the same λ = 0.5 the two settle at visibly different "
            "points, AdamW's much nearer the origin."
        ),
        try_next="Set both weight decays to 0: the runs coincide with plain Adam.",
        experiment={
            "problem": "booth", "start": [-3, 2], "steps": 500,
            "runs": [
                {"optimizer": "Adam", "lr": 0.05, "label": "Adam"},
                {"optimizer": "Adam", "lr": 0.05, "weight_decay": 0.5,
                 "label": "Adam, weight_decay 0.5"},
                {"optimizer": "AdamW", "lr": 0.05, "weight_decay": 0.5,
                 "label": "AdamW, weight_decay 0.5"},
            ],
        },
    ),
    # ------------------------------------------------------------------ 6. practice
    Lesson(
        key="clipping",
        section="6. Practice",
        title="Gradient clipping on a cliff",
        watch=(
            "The runs start on a terrace above a steep wall. The step that lands on the wall "
            "meets a gradient of about 100: plain SGD at lr 0.1 is thrown about 10 units, out of "
            "the window. With clip_norm = 1 (torch.nn.utils.clip_grad_norm_) the gradient is "
            "rescaled whenever its norm exceeds 1 — the clipped-gradient arrow shows when it "
            "fires — and the run walks down the wall in steps of at most lr."
        ),
        try_next="Raise the wall's height under Landscape, or clip by value instead.",
        experiment={
            "problem": "cliff", "steps": 60,
            "runs": [
                {"optimizer": "SGD", "lr": 0.1, "label": "SGD"},
                {"optimizer": "SGD", "lr": 0.1, "clip_norm": 1.0, "label": "SGD, clip_norm 1"},
            ],
        },
        arrows=("gradient", "clipped gradient"),
    ),
)

#: the lecture's points that are labs of their own or a file, listed after the lessons
MORE = (
    ("lab:sweep", "Is AdamW insensitive to its learning rate?",
     "Lab → Learning-rate sweep: final loss over a grid of lrs for SGD, Adam and AdamW."),
    ("lab:batch", "σ/√N, and the cost of a batch",
     "Lab → Batch-size lab: averages narrowing, standard error on log-log axes, per-computation "
     "convergence."),
    ("export:script", "The PyTorch training loop",
     "File → Export → PyTorch training script: this experiment as zero_grad → forward → "
     "backward → clip → step."),
)


def lesson(key: str) -> Lesson:
    """The lesson called ``key`` (KeyError if there is none)."""
    for item in LESSONS:
        if item.key == key:
            return item
    raise KeyError(key)
