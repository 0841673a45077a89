"""The computation engine: problems, worked traces, and cross-checks against PyTorch or SymPy.

Importing this package is cheap: torch, numpy and sympy load only when a problem is solved.
"""

from engine.errors import ProblemError, UserError, VerificationError
from engine.registry import all_problems, get_problem
from engine.solve import Solution, solve

__all__ = [
    "ProblemError",
    "Solution",
    "UserError",
    "VerificationError",
    "all_problems",
    "get_problem",
    "solve",
]
