"""Whether two answers are the same: up to float rounding, and up to what a checker accepts.

Two questions, two rules (and a third, older one):
- `differs`: the answers are not the same number up to float64 rounding. It is the rule the
  engine checks its reference computation with (`engine.solve`), and the one a misconception
  rule uses to stand aside when, for these parameters, it gives the right answer after all.
- `distinct`: a checker tells the answers apart under the contract's default tolerance
  (`engine.checking.tolerance`: 0.5 % relative, 0.005 absolute from 0.1 up, exact integers),
  or under the tighter relative tolerance of a problem that has one.
  A misconception whose answer would be accepted as right cannot be recognised, so its rule
  stands aside then.
- `agrees_to_6_digits`: two numbers equal to a relative 1e-6 (absolute 1e-9 near zero); the
  gradient and reinforcement-learning misconceptions stand aside by it.
"""

from __future__ import annotations

import math
from typing import Any

from engine.values import max_abs_diff, relative_scale

# float64 on any device agrees far better than this; a larger gap is a bug, not rounding.
AGREEMENT = 1e-9


def differs(wrong: Any, right: Any) -> bool:
    """Whether two JSON answers differ by more than rounding (or differ in structure)."""
    try:
        return max_abs_diff(wrong, right) > AGREEMENT * relative_scale(right)
    except ValueError:
        return True


def distinct(wrong: Any, right: Any, relative: float | None = None) -> bool:
    """Whether a checker would tell `wrong` from `right`, entry by entry.

    `relative` is the tighter relative tolerance of a problem that has one.
    """
    if isinstance(wrong, dict) and isinstance(right, dict):
        if set(wrong) != set(right):
            return True
        return any(distinct(wrong[k], right[k], relative) for k in right)
    if isinstance(wrong, list) and isinstance(right, list):
        if len(wrong) != len(right):
            return True
        return any(distinct(a, b, relative) for a, b in zip(wrong, right))
    if _is_number(wrong) and _is_number(right):
        if isinstance(right, int):
            return bool(wrong != right)  # sizes and counts must be exact
        # imported here: the checker's package (its answer parser) is not needed to solve
        from engine.checking.tolerance import close

        return not close(float(wrong), float(right), relative)
    return bool(wrong != right)


def agrees_to_6_digits(a: float, b: float) -> bool:
    """Whether two numbers agree to a relative 1e-6 (1e-9 absolute near zero).

    Looser than `differs`, tighter than `distinct`: the rule gradients and rl were written with,
    kept as it is so that their misconceptions stand aside for exactly the same parameters.
    """
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
