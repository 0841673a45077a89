"""Parameter types shared by problems: each check gives a one-line message a student understands.

Problems declare their parameters as a `ParamModel`; its fields use these annotated types so
that `size=-3` says "must be a positive integer" rather than a pydantic error dump.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class ParamModel(BaseModel):
    """Base of every problem's parameters: unknown names refused, built lazily for fast listing."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _positive_int(v: Any) -> int:
    if not _is_int(v) or v <= 0:
        raise ValueError("must be a positive integer")
    return int(v)


def _non_negative_int(v: Any) -> int:
    if not _is_int(v) or v < 0:
        raise ValueError("must be a whole number ≥ 0")
    return int(v)


def _int_or_pair(check: Any, what: str) -> Any:
    def validate(v: Any) -> int | tuple[int, int]:
        if isinstance(v, list | tuple):
            if len(v) != 2:
                raise ValueError(f"must be {what} or a pair [h, w]")
            return (check(v[0]), check(v[1]))
        try:
            return int(check(v))
        except ValueError:
            raise ValueError(f"must be {what} or a pair [h, w]") from None

    return validate


def _real(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError("must be a number")
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return float(v)


def _vector(v: Any) -> list[float]:
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a non-empty list of numbers")
    try:
        return [_real(x) for x in v]
    except ValueError:
        raise ValueError("must be a list of numbers") from None


def _matrix(v: Any) -> list[list[float]]:
    if not isinstance(v, list | tuple) or not v or not all(isinstance(r, list | tuple) for r in v):
        raise ValueError("must be a matrix written as a list of rows, e.g. [[1, 2], [3, 4]]")
    width = len(v[0])
    if width == 0 or any(len(r) != width for r in v):
        raise ValueError("must be a matrix: every row non-empty and of the same length")
    try:
        return [[_real(x) for x in row] for row in v]
    except ValueError:
        raise ValueError("must be a matrix of numbers") from None


def _tensor(v: Any) -> Any:
    """A rectangular nested list of numbers of any depth ≥ 1."""

    def shape(x: Any) -> tuple[int, ...]:
        if isinstance(x, list | tuple):
            if not x:
                raise ValueError("must not contain empty lists")
            inner = [shape(e) for e in x]
            if any(s != inner[0] for s in inner):
                raise ValueError("must be rectangular: every row the same length")
            return (len(x), *inner[0])
        _real(x)
        return ()

    if not isinstance(v, list | tuple):
        raise ValueError("must be a list (or nested lists) of numbers")
    shape(v)

    def floats(x: Any) -> Any:
        return [floats(e) for e in x] if isinstance(x, list | tuple) else float(x)

    return floats(v)


PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
NonNegativeInt = Annotated[int, BeforeValidator(_non_negative_int)]
PositiveIntOrPair = Annotated[
    int | tuple[int, int], BeforeValidator(_int_or_pair(_positive_int, "a positive integer"))
]
NonNegativeIntOrPair = Annotated[
    int | tuple[int, int], BeforeValidator(_int_or_pair(_non_negative_int, "a whole number ≥ 0"))
]
Real = Annotated[float, BeforeValidator(_real)]
Vector = Annotated[list[float], BeforeValidator(_vector)]
Matrix = Annotated[list[list[float]], BeforeValidator(_matrix)]
Tensor = Annotated[list[Any], BeforeValidator(_tensor)]


def pair(v: int | tuple[int, int]) -> tuple[int, int]:
    """An int|pair parameter as (h, w)."""
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def shape_of(v: Any) -> tuple[int, ...]:
    """The shape of a nested list (already validated rectangular)."""
    dims: list[int] = []
    while isinstance(v, list):
        dims.append(len(v))
        v = v[0]
    return tuple(dims)
