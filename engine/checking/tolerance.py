"""When a number is right: the contract's tolerances, and telling a rounded answer from a wrong one.

- An integer answer (a size, a count) must be exact: 55.0 is 55, 55.4 is not.
- A real answer is right when its relative error is at most 0.5 %, or, when |expected| ≥ 0.1,
  when it is within 0.005 (two decimal places are enough there).
- An expected 0 accepts |answer| ≤ 1e-6.
- Exact forms (`3/14`, `sqrt(2)/2`) are evaluated exactly before comparing.

An answer that is not accepted but agrees with the expected value to the precision it was typed
with (0.0007 for 0.000676; 0 for 0.000676; 3 for 3.4) is *imprecise*, not wrong: the student did
the right thing and rounded too far. `figures_needed` says how many significant figures would do.
"""

from __future__ import annotations

import math

from engine.checking.build import Num

RELATIVE = 0.005
ABSOLUTE = 0.005
ABSOLUTE_FROM = 0.1
ZERO = 1e-6
# floats that print as 0.13 and 0.125 differ by a hair more than 0.005
_SLACK = 1e-12


def close(answer: float, expected: float, relative: float | None = None) -> bool:
    """The contract's rule for a real number; `relative` is a problem's tighter rule, if any."""
    if not (math.isfinite(answer) and math.isfinite(expected)):
        return answer == expected
    diff = abs(answer - expected)
    if expected == 0:
        return abs(answer) <= ZERO
    slack = _SLACK * max(1.0, abs(expected))
    if relative is not None:
        return diff <= relative * abs(expected) + slack
    if diff <= RELATIVE * abs(expected) + slack:
        return True
    return abs(expected) >= ABSOLUTE_FROM and diff <= ABSOLUTE + slack


def accepts(expected: int | float, answer: Num, relative: float | None = None) -> bool:
    """Whether `answer` is right for `expected` (an int must be matched exactly)."""
    if isinstance(expected, int) and not isinstance(expected, bool):
        whole = answer.integer
        return whole is not None and whole == expected
    return close(answer.value, float(expected), relative)


def rounded_right(expected: int | float, answer: Num) -> bool:
    """A plain number that equals `expected` rounded at its own last digit (but is not accepted)."""
    if answer.rounded_at is None or isinstance(expected, bool):
        return False
    if isinstance(expected, int):
        return False  # sizes and counts are whole numbers: there is nothing to round
    half_unit = 0.5 * 10.0**answer.rounded_at
    return abs(answer.value - float(expected)) <= half_unit * (1 + 1e-9)


def figures_needed(expected: float, relative: float | None = None) -> int:
    """The fewest significant figures that make a rounded `expected` acceptable."""
    if expected == 0 or not math.isfinite(expected):
        return 1
    for figures in range(1, 16):
        if close(float(f"{expected:.{figures - 1}e}"), expected, relative):
            return figures
    return 16
