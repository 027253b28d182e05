"""Loss landscapes: analytic 2D functions and finite-sum problems with minibatches."""

from optim_core.problems import analytic, custom, finite_sum  # noqa: F401  (they register problems)
from optim_core.problems.base import FiniteSumProblem, Minimum, Problem, View
from optim_core.problems.registry import PROBLEMS, make_problem, problem_from_argument, register

__all__ = [
    "PROBLEMS",
    "FiniteSumProblem",
    "Minimum",
    "Problem",
    "View",
    "make_problem",
    "problem_from_argument",
    "register",
]
