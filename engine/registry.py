"""Finding problems by id: the catalogue names each problem's module, so one solve imports one
module; listing every problem imports every module in `engine.problems` once."""

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


@cache
def _modules_by_id() -> dict[str, str]:
    from engine.catalog import load_catalog

    return {row["id"]: row["module"] for row in load_catalog()}


def get_problem(problem_id: str) -> Problem[Any]:
    cls = registered().get(problem_id)
    if cls is None and problem_id in _modules_by_id():
        importlib.import_module(_modules_by_id()[problem_id])
        cls = registered().get(problem_id)
    if cls is None:  # not in the shipped catalogue (a test keeps it in step with the code)
        _load_all()
        cls = registered().get(problem_id)
    if cls is None:
        import difflib

        close = difflib.get_close_matches(problem_id, registered(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else " (see `revise problems`)"
        raise ProblemError(None, f"unknown problem {problem_id!r}{hint}")
    return cls()
