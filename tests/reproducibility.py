"""Recomputing a trace step from its printed numbers, as a student redoing it by hand would.

`recheck(step)` evaluates the step's printed substituted formula with the small interval
evaluator of `tests/latex_eval.py` and says whether the result meets the printed value. Steps
whose formula is not plain arithmetic on numbers (symbols, matrices, words) are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from latex_eval import Interval, Unevaluable, evaluate


@dataclass(frozen=True)
class Recheck:
    checked: bool
    agrees: bool = True
    recomputed: Any = None
    shown: Any = None


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _flat(value: Any) -> list[Interval]:
    return value if isinstance(value, list) else [value]


def recheck(step: Any) -> Recheck:
    """Whether the step's printed result can be recomputed from its printed inputs."""
    from revise.render.steps import value_of

    if not step.substituted or not _numeric(step.value) or "=" in step.substituted:
        return Recheck(checked=False)
    try:
        recomputed = _flat(evaluate(step.substituted))
        shown = _flat(evaluate(value_of(step)))
    except Unevaluable:
        return Recheck(checked=False)
    if len(recomputed) != len(shown):
        return Recheck(checked=False)
    agrees = all(a.meets(b) for a, b in zip(recomputed, shown))
    return Recheck(True, agrees, recomputed, shown)
