"""The computation engine: problems, worked traces, and cross-checks against PyTorch or SymPy.

Importing this package is cheap: names load on first use (so `engine.errors` costs nothing),
and torch, numpy and sympy load only when a problem is solved. Solve with
`from engine.solve import solve` (the submodule shares the function's name).
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "ProblemError": "engine.errors",
    "UserError": "engine.errors",
    "VerificationError": "engine.errors",
    "all_problems": "engine.registry",
    "get_problem": "engine.registry",
    "Solution": "engine.solve",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
