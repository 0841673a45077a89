"""Expressions in x and y: evaluating a SymPy tree with a numeric library, and equivalence.

`evaluate(expr, env, lib)` walks a SymPy expression and computes it with the functions of `lib`
(`MATH` for Python floats; a problem may pass torch's functions to differentiate with autograd).
It is a tree walk over known node classes: no code is generated or executed.

`equivalent(a, b)` decides whether a student's expression is the expected one in another form:
1. the difference, expanded, is exactly zero: equivalent;
2. otherwise both are evaluated at pseudo-random points (fixed seed, several ranges): one point
   where both are defined and they differ settles it, not equivalent;
3. where they agree, `sympy.simplify` of the difference is tried within a time bound, to prove
   it; the numeric agreement at every point stands when simplification is slow or inconclusive.
The expansion and the simplification run in stoppable workers (`engine.budget.bounded`) with a
second of CPU each: `(x+y+1)^64·(x+y+2)^64` is short to type and endless to expand, and then
the points decide.
Too few points where both are defined (a narrow domain) leaves the decision to `simplify` alone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

POINTS = 12
SIMPLIFY_SECONDS = 1  # CPU seconds for each of the expansion and the simplification
AGREE = 1e-8


def _math_pow(base: float, exponent: float) -> float:
    if float(exponent).is_integer() and abs(exponent) <= 64:
        return float(base) ** int(exponent)
    return math.pow(base, exponent)


def _sign(t: float) -> float:
    return float((t > 0) - (t < 0))


# Python floats: the functions SymPy's expressions use, by class name
MATH: dict[str, Callable[..., Any]] = {
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "cot": lambda t: 1.0 / math.tan(t),
    "sec": lambda t: 1.0 / math.cos(t),
    "csc": lambda t: 1.0 / math.sin(t),
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "coth": lambda t: 1.0 / math.tanh(t),
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "Abs": abs,
    "sign": _sign,
    "sqrt": math.sqrt,
    "pow": _math_pow,
}


def evaluate(expr: Any, env: Mapping[str, Any], lib: Mapping[str, Callable[..., Any]]) -> Any:
    """The value of a SymPy expression with `env` for its symbols and `lib` for functions.

    Raises ValueError for a node it does not know (and whatever `lib` raises, e.g. a math
    domain error).
    """
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_number:  # a constant such as log(2) or sqrt(3): a plain float for any library
        return float(expr)
    if expr.is_Add:
        args = [evaluate(a, env, lib) for a in expr.args]
        total = args[0]
        for a in args[1:]:
            total = total + a
        return total
    if expr.is_Mul:
        args = [evaluate(a, env, lib) for a in expr.args]
        product = args[0]
        for a in args[1:]:
            product = product * a
        return product
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Rational and exponent.q == 2 and exponent.p == 1:
            return lib["sqrt"](evaluate(base, env, lib))
        if exponent.is_Integer:
            return lib["pow"](evaluate(base, env, lib), int(exponent))
        return lib["pow"](evaluate(base, env, lib), evaluate(exponent, env, lib))
    name = type(expr).__name__
    if name in lib and len(expr.args) == 1:
        return lib[name](evaluate(expr.args[0], env, lib))
    raise ValueError(f"cannot evaluate {name}")


def _at(expr: Any, point: Mapping[str, float]) -> float | None:
    """The float value at a point, or None where it is undefined or not real."""
    try:
        value = evaluate(expr, point, MATH)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError, KeyError):
        return None
    if isinstance(value, complex) or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class Equivalence:
    """The verdict, how it was reached, and a point where the two differ (when they do)."""

    equal: bool
    how: str
    point: dict[str, float] | None = None
    ours: float | None = None
    theirs: float | None = None


def sample_points(names: Sequence[str], count: int = POINTS) -> list[dict[str, float]]:
    """Fixed pseudo-random points: half anywhere in (-2.5, 2.5), half positive (logs, roots)."""
    rng = random.Random(20240917)
    points = []
    for i in range(count):
        low, high = (-2.5, 2.5) if i % 2 == 0 else (0.05, 3.0)
        points.append({n: rng.uniform(low, high) for n in names})
    return points


def equivalent(answer: Any, expected: Any, names: Sequence[str] = ("x", "y")) -> Equivalence:
    """Whether two SymPy expressions are the same function (see the module docstring)."""
    difference = answer - expected
    if _expands_to_zero(difference):
        return Equivalence(True, "the difference simplifies to 0")
    both = 0
    for point in sample_points(names):
        a, b = _at(answer, point), _at(expected, point)
        if a is None or b is None:
            continue
        both += 1
        if abs(a - b) > AGREE * max(1.0, abs(a), abs(b)):
            return Equivalence(False, "they differ at a point", point, a, b)
    proved = simplifies_to_zero(difference)
    if proved:
        return Equivalence(True, "the difference simplifies to 0")
    if both >= 3:
        return Equivalence(True, f"they agree at {both} random points")
    return Equivalence(False, "they could not be shown equal")


def simplifies_to_zero(expr: Any, seconds: int = SIMPLIFY_SECONDS) -> bool | None:
    """`simplify(expr) == 0`, or None when it takes longer than `seconds` (never hangs)."""
    from engine.budget import OverBudget, bounded

    try:
        return bounded(_is_zero, expr, "simplify", seconds=seconds)
    except OverBudget:
        return None


def _expands_to_zero(expr: Any, seconds: int = SIMPLIFY_SECONDS) -> bool:
    """`expand(expr) == 0`; False when expanding takes longer than `seconds`."""
    from engine.budget import OverBudget, bounded

    try:
        return bounded(_is_zero, expr, "expand", seconds=seconds)
    except OverBudget:
        return False


def _is_zero(expr: Any, how: str) -> bool:
    import sympy

    try:
        done = sympy.simplify(expr) if how == "simplify" else sympy.expand(expr)
        return bool(done == 0)
    except (TypeError, ValueError, RecursionError, NotImplementedError, AttributeError):
        return False
