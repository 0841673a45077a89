"""Finding problems by id: every module in `engine.problems` is imported once, on first use."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any

from engine.errors import ProblemError
from engine.problem import Problem, registered


@cache
def _load_all() -> None:
    import engine.problems as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")


def all_problems() -> list[Problem[Any]]:
    """Every problem, sorted by id."""
    _load_all()
    return [cls() for _, cls in sorted(registered().items())]


def get_problem(problem_id: str) -> Problem[Any]:
    _load_all()
    cls = registered().get(problem_id)
    if cls is None:
        import difflib

        close = difflib.get_close_matches(problem_id, registered(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else " (see `revise problems`)"
        raise ProblemError(None, f"unknown problem {problem_id!r}{hint}")
    return cls()
