"""The quality rules a drawn variant must meet before anyone is asked it.

A question is only worth answering if the method it names is needed to get it right. A drawn
variant is kept only when:

- its asked answer is not trivial: finite, not all zero (typing 0 would not score), not a given
  typed back (unless the family allows it with `may_equal`), and made of magnitudes a person
  writes (no real number below `SMALLEST` or above `LARGEST` in size, and no residue of an ε
  next to entries a million times larger);
- every misconception rule of the problem that gives another answer at the asked part gives
  one the checker marks wrong at the contract's tolerance (a wrong method cannot score; a rule
  that changes only other parts of the answer does not apply to this one);
- every misconception the family names in `tests` (the part of the method it is about: for BPTT
  `no_recurrent_term`, the recurrent contribution) gives an answer there, marked wrong.

`judge(family, params)` returns the flaws of one draw; `Family.draw` redraws until there are
none, at most `QUALITY_ATTEMPTS` times, so each variant costs one solve of the engine (without
the PyTorch cross-check) plus its misconception rules — milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from engine.errors import ProblemError

if TYPE_CHECKING:
    from content.models import Family

__all__ = [
    "Flaw",
    "FlawKind",
    "LARGEST",
    "RESIDUE",
    "QUALITY_ATTEMPTS",
    "SMALLEST",
    "judge",
]

#: draws that fail the rules before a variant gives up (the loader reports such a family)
QUALITY_ATTEMPTS = 60
#: the smallest and largest sizes of a real number a person is asked to write
SMALLEST = 1e-9
LARGEST = 1e7
#: an entry this much smaller than the answer's largest is a residue (0 but for an ε)
RESIDUE = 1e-6

FlawKind = Literal["trivial", "undistinguished", "untested"]


@dataclass(frozen=True)
class Flaw:
    """Why a draw is not kept: its kind, a sentence, and the family key to report it at."""

    kind: FlawKind
    message: str
    key: str = "params"
    tag: str | None = None


def judge(family: Family, params: Mapping[str, Any]) -> list[Flaw]:
    """The flaws of one draw of `family` (empty: keep it).

    A draw the problem refuses, or that the engine fails on, has no flaws here: the loader's
    own checks report those with their cause.
    """
    from engine.checking.distinct import accepted, expected_answer, told_apart

    try:
        expected = expected_answer(family.problem, params, family.part)
    except ProblemError:
        return []
    except Exception:  # noqa: BLE001 - a bug in a problem is reported by the loader's deep check
        return []
    flaws = _trivial(family, params, expected, accepted)
    if flaws:
        return flaws  # a trivial answer needs no further look
    return _misconceptions(family, told_apart(family.problem, params, family.part))


def _trivial(family: Family, params: Mapping[str, Any], expected: Any, accepted: Any) -> list[Flaw]:
    numbers = list(_numbers(expected))
    if not numbers:
        return []  # a word or an expression: nothing to be trivial about
    if any(not math.isfinite(x) for x in numbers):
        return [Flaw("trivial", "the answer is not finite")]
    if accepted(family.problem, params, family.part, _zeros(expected)):
        return [Flaw("trivial", "the answer is zero: typing 0 would score")]
    largest = max(abs(x) for x in numbers)
    for x in numbers:
        if not isinstance(x, float) or x == 0:
            continue
        if not SMALLEST <= abs(x) <= LARGEST:
            return [Flaw("trivial", f"the answer holds {x:.3g}, too small or large to write")]
        if abs(x) < RESIDUE * largest:  # e.g. θ − η·g/(√G + ε) that is 0 but for ε
            return [Flaw("trivial", f"the answer holds {x:.3g}, a residue a person writes as 0")]
    for name, value in params.items():
        if name in family.may_equal or not _comparable(value, expected):
            continue
        if accepted(family.problem, params, family.part, value):
            return [Flaw("trivial", f"the answer equals the given {name}: copying it would score")]
    return []


def _misconceptions(family: Family, status: Mapping[str, str]) -> list[Flaw]:
    flaws: list[Flaw] = []
    for tag, how in status.items():
        tested = tag in family.tests
        if how == "scores" or (how == "same" and tested):
            flaws.append(
                Flaw(
                    "undistinguished",
                    f"the wrong rule {tag} gives an answer the checker marks right",
                    "tests" if tested else "params",
                    tag,
                )
            )
        elif how == "none" and tested:
            flaws.append(
                Flaw(
                    "untested",
                    f"the wrong rule {tag} gives no other answer: these numbers do not test it",
                    "tests",
                    tag,
                )
            )
    return flaws


def _numbers(value: Any) -> list[float | int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        return [value]
    if isinstance(value, list):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, dict):
        return [x for v in value.values() for x in _numbers(v)]
    return []


def _zeros(value: Any) -> Any:
    """The answer with every number replaced by 0 (words and expressions kept)."""
    if isinstance(value, bool) or not isinstance(value, int | float | list | dict):
        return value
    if isinstance(value, int | float):
        return 0
    if isinstance(value, list):
        return [_zeros(v) for v in value]
    return {k: _zeros(v) for k, v in value.items()}


def _shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a number, vector or matrix; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return ()
    if isinstance(value, list) and value:
        inner = {_shape(v) for v in value}
        if len(inner) == 1 and (s := inner.pop()) is not None:
            return (len(value), *s)
    return None


def _comparable(given: Any, expected: Any) -> bool:
    """A given that could be typed back as the answer: same shape, more than one number, or a
    real number (a whole number equal to a given size is often the point: same padding)."""
    shape = _shape(expected)
    if shape is None or _shape(given) != shape:
        return False
    if shape == ():
        return isinstance(expected, float) and isinstance(given, float)
    return True


def declaration_problems(family: Family, problem: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(location in the family, message) for each `tests` tag the problem has no rule for and
    each `may_equal` name that is not one of the family's parameters."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    tags = [m.tag for m in problem.misconceptions]
    for i, tag in enumerate(family.tests):
        if tag not in tags:
            known = ", ".join(tags) or "none"
            found.append(
                (("tests", i), f"{problem.id} has no misconception {tag!r} (it has: {known})")
            )
    for i, name in enumerate(family.may_equal):
        if name not in family.params:
            found.append((("may_equal", i), f"{name!r} is not one of the family's params"))
    return found
