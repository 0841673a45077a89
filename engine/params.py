"""Parameter types shared by problems: each check gives a one-line message a student understands.

Problems declare their parameters as a `ParamModel`; its fields use these annotated types so
that `size=-3` says "must be a positive integer" rather than a pydantic error dump.

The types carry revise's general limits (`engine.budget`), checked before anything is
computed: the largest whole number, the most numbers in one list or tensor, the deepest nesting.
A problem declares tighter ones beside its own fields (`at_most` on a field).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

if TYPE_CHECKING:
    import numpy as np


# far beyond any course question; the errors name them
MAX_WHOLE = 100_000_000  # a whole-number parameter (size, count, channels, steps)
MAX_NUMBERS = 10_000  # numbers in one vector, matrix or tensor parameter
MAX_DEPTH = 6  # nesting of a tensor parameter (lists of lists ...)


class ParamModel(BaseModel):
    """Base of every problem's parameters: unknown names refused, built lazily for fast listing."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _positive_int(v: Any) -> int:
    if not _is_int(v) or v <= 0:
        raise ValueError("must be a positive integer")
    return _not_huge(v)


def _non_negative_int(v: Any) -> int:
    if not _is_int(v) or v < 0:
        raise ValueError("must be a whole number ≥ 0")
    return _not_huge(v)


def _not_huge(v: int) -> int:
    if v > MAX_WHOLE:
        raise ValueError(f"must be at most {MAX_WHOLE:,} (revise's limit for a whole number)")
    return int(v)


def _count_numbers(v: Any) -> None:
    """Refuse a list of lists with more than MAX_NUMBERS numbers or MAX_DEPTH levels."""
    level, count = [v], 0
    for _level in range(MAX_DEPTH + 1):
        nested = [x for item in level if isinstance(item, list | tuple) for x in item]
        count += sum(1 for item in level if not isinstance(item, list | tuple))
        if count + len(nested) > MAX_NUMBERS:
            raise ValueError(f"has more than {MAX_NUMBERS:,} numbers (revise's limit)")
        if not nested:
            return
        level = nested
    raise ValueError(f"is nested more than {MAX_DEPTH} deep (revise's limit)")


def _int_or_pair(check: Any, what: str) -> Any:
    def validate(v: Any) -> int | tuple[int, int]:
        if isinstance(v, list | tuple):
            if len(v) != 2:
                raise ValueError(f"must be {what} or a pair [h, w]")
            return (check(v[0]), check(v[1]))
        if not _is_int(v):
            raise ValueError(f"must be {what} or a pair [h, w]")
        return int(check(v))

    return validate


def parse_real(v: Any) -> float:
    """A finite number (bools refused: `true` is not a number to a student)."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError("must be a number")
    if isinstance(v, int) and abs(v) > 2**1023:  # beyond any float: math.isfinite would raise
        raise ValueError("must be a finite number")
    if not math.isfinite(v):
        raise ValueError("must be a finite number")
    return float(v)


def parse_vector(v: Any) -> list[float]:
    """A non-empty list of finite numbers."""
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a non-empty list of numbers")
    _count_numbers(v)
    try:
        return [parse_real(x) for x in v]
    except ValueError:
        raise ValueError("must be a list of numbers") from None


def parse_matrix(v: Any) -> list[list[float]]:
    """A list of rows of finite numbers, every row non-empty and of the same length."""
    if not isinstance(v, list | tuple) or not v or not all(isinstance(r, list | tuple) for r in v):
        raise ValueError("must be a matrix written as a list of rows, e.g. [[1, 2], [3, 4]]")
    _count_numbers(v)
    width = len(v[0])
    if width == 0 or any(len(r) != width for r in v):
        raise ValueError("must be a matrix: every row non-empty and of the same length")
    try:
        return [[parse_real(x) for x in row] for row in v]
    except ValueError:
        raise ValueError("must be a matrix of numbers") from None


def parse_tensor(v: Any) -> Any:
    """A rectangular nested list of numbers of any depth ≥ 1."""

    def shape(x: Any) -> tuple[int, ...]:
        if isinstance(x, list | tuple):
            if not x:
                raise ValueError("must not contain empty lists")
            inner = [shape(e) for e in x]
            if any(s != inner[0] for s in inner):
                raise ValueError("must be rectangular: every row the same length")
            return (len(x), *inner[0])
        parse_real(x)
        return ()

    if not isinstance(v, list | tuple):
        raise ValueError("must be a list (or nested lists) of numbers")
    _count_numbers(v)
    shape(v)

    def floats(x: Any) -> Any:
        return [floats(e) for e in x] if isinstance(x, list | tuple) else float(x)

    return floats(v)


def real_or_vector(
    message: str = "must be a number or a list of numbers",
) -> Callable[[Any], float | list[float]]:
    """Validator of a number-or-list parameter (a bias given once for all units, or per unit).

    `message` is what every failure says, so a problem can add what the list is one per.
    """

    def validate(v: Any) -> float | list[float]:
        try:
            return parse_vector(v) if isinstance(v, list | tuple) else parse_real(v)
        except ValueError:
            raise ValueError(message) from None

    return validate


def optional_vector(message: str | None = None) -> Callable[[Any], list[float] | None]:
    """Validator of a `Vector` that may be left out (null); `message` replaces the list's own."""

    def validate(v: Any) -> list[float] | None:
        if v is None:
            return None
        try:
            return parse_vector(v)
        except ValueError:
            if message is None:
                raise
            raise ValueError(message) from None

    return validate


PositiveInt = Annotated[int, BeforeValidator(_positive_int)]
NonNegativeInt = Annotated[int, BeforeValidator(_non_negative_int)]
PositiveIntOrPair = Annotated[
    int | tuple[int, int], BeforeValidator(_int_or_pair(_positive_int, "a positive integer"))
]
NonNegativeIntOrPair = Annotated[
    int | tuple[int, int], BeforeValidator(_int_or_pair(_non_negative_int, "a whole number ≥ 0"))
]
Real = Annotated[float, BeforeValidator(parse_real)]
Vector = Annotated[list[float], BeforeValidator(parse_vector)]
Matrix = Annotated[list[list[float]], BeforeValidator(parse_matrix)]
Tensor = Annotated[list[Any], BeforeValidator(parse_tensor)]
RealOrVector = Annotated[float | list[float], BeforeValidator(real_or_vector())]
OptionalVector = Annotated[list[float] | None, BeforeValidator(optional_vector())]


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


def as_array(value: float | list[float], n: int) -> np.ndarray:
    """A `RealOrVector` value as a float64 vector of length n (a number fills it)."""
    import numpy as np

    if isinstance(value, list):
        return np.array(value, dtype=np.float64)
    return np.full(n, float(value), dtype=np.float64)


def is_zero(value: float | list[float]) -> bool:
    """Whether a `RealOrVector` value is 0 everywhere (a bias that changes nothing)."""
    return all(x == 0 for x in value) if isinstance(value, list) else value == 0
