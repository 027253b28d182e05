"""The words of the Help menu: "What am I looking at?" for the experiment on screen, and About."""

from __future__ import annotations

import html

from app.lessons import Lesson
from app.session_state import SessionState
from optim_core.optimizers import get_rule

PANELS = (
    ("Landscape", "the loss as a filled contour with isolines (a log colour scale when it spans "
     "orders of magnitude), the known minima as stars, each run's path in its colour and its "
     "current point as a dot (a cross once it diverged). The View menu adds arrows at the current "
     "points: −gradient, velocity (momentum), Nesterov's look-ahead and the clipped gradient. "
     "Click the plot to start every run there."),
    ("Training loss", "each run's loss against steps, against sample-gradients computed (what a "
     "step costs on a finite sum: a batch of N costs N) or against wall time."),
    ("Effective learning rate", "the step actually taken per parameter divided by the gradient, "
     "|Δwᵢ / gᵢ|. Constant for SGD, shrinking forever for AdaGrad, different per parameter for "
     "RMSprop and Adam: the quantity that makes the adaptive methods differ."),
    ("Gradient noise", "for problems that are a mean over samples: how minibatch gradients of N "
     "samples scatter around the full-batch gradient, with the normal curve of standard error "
     "σ/√N (variance σ²/N). Change the batch size and watch the spread follow 1/√N."),
    ("Curvature", "the Hessian H at the selected run's point, its eigenvalues λ_min ≤ λ_max and "
     "eigenvectors (drawn as two axes on the landscape, length ∝ curvature; dashed where λ < 0) "
     "and the condition number λ_max/λ_min. Along a direction of curvature λ, gradient descent "
     "is stable iff lr < 2/λ, heavy-ball momentum β iff lr < 2(1 + β)/λ: each run's lr is read "
     "against its limit, and the plot shows λ_min and λ_max over the steps with the lr's limit "
     "dashed — SGD zigzags once λ_max crosses it; Newton heads for a saddle where λ_min < 0."),
)


def what_am_i_looking_at(state: SessionState, lesson: Lesson | None = None) -> str:
    """Rich text explaining the problem, the optimizers and the panels on screen (after what to
    watch, when a lesson is on)."""
    problem = state.problem_object
    parts = []
    if lesson is not None:
        parts += [f"<h3>Lesson: {html.escape(lesson.title)}</h3>",
                  f"<p>{html.escape(lesson.watch)}</p>",
                  f"<p><b>Try:</b> {html.escape(lesson.try_next)}</p>"]
    parts += [f"<h3>{html.escape(problem.title)}</h3>",
             f"<p><code>{html.escape(problem.formula)}</code></p>"]
    about = getattr(problem, "about", "")
    if about:
        parts.append(f"<p>{html.escape(about)}</p>")
    if problem.is_finite_sum:
        parts.append("<p>This loss is a <b>mean over samples</b>: each step uses a minibatch of "
                     "the batch size, so its gradient is noisy.</p>")
    else:
        parts.append("<p>This loss is <b>deterministic</b>: every step uses the exact gradient"
                     + (f", plus synthetic Gaussian noise of σ = {state.grad_noise:g}"
                        if state.grad_noise else "") + ".</p>")
    parts.append("<h3>The optimizers</h3><ul>")
    seen = []
    for run in state.runs:
        if run.optimizer in seen:
            continue
        seen.append(run.optimizer)
        rule = get_rule(run.optimizer)
        parts.append(f"<li><b>{html.escape(rule.title)}</b>: "
                     f"<code>{html.escape(rule.update)}</code></li>")
    parts.append("</ul><h3>The panels</h3><ul>")
    parts += [f"<li><b>{name}</b>: {html.escape(text)}</li>" for name, text in PANELS]
    parts.append("</ul>")
    return "".join(parts)


ABOUT = (
    "<h3>Optimizer Lab</h3>"
    "<p>Watch gradient-based optimizers race on 2-D loss landscapes, with the quantities that "
    "explain why they behave differently drawn live beside their paths.</p>"
    "<p>The optimizers are torch.optim's, with its names and hyperparameters; an experiment "
    "saved here runs unchanged with <code>optimizer-lab-cli</code> and exports as a plain "
    "PyTorch training script.</p>"
)
