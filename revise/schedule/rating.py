"""The rating a typed answer suggests (the student may change it before it is saved).

Wrong → Again. Right after a hint, after a wrong first try, or much slower than usual → Hard.
Right at the first try and quicker than the family's typical time → Easy. Otherwise → Good.
A family's typical time is the median of the student's own right answers to it (once there
are a few), else a default from the family's difficulty.
"""

from __future__ import annotations

from statistics import median

from revise.study_types import SuggestedRating

#: seconds a right answer usually takes, by family difficulty (1–3), before there is history
DEFAULT_SECONDS = {1: 45.0, 2: 90.0, 3: 180.0}
#: right answers of the student's own needed before their median replaces the default
MIN_HISTORY = 3
#: a right answer this many times slower than typical is rated Hard
SLOW_FACTOR = 3.0


def typical_seconds(durations_ms: list[int], difficulty: int | None) -> float:
    """The family's typical answering time: the student's median, or the default."""
    if len(durations_ms) >= MIN_HISTORY:
        return median(durations_ms) / 1000
    return DEFAULT_SECONDS.get(difficulty or 2, DEFAULT_SECONDS[2])


def suggest(
    *, correct: bool, attempts: int, used_hint: bool, seconds: float, typical: float
) -> SuggestedRating:
    if not correct:
        return SuggestedRating(1, "wrong answer")
    if used_hint:
        return SuggestedRating(2, "right after a hint")
    if attempts > 1:
        return SuggestedRating(2, "right after a wrong first try")
    if seconds > SLOW_FACTOR * typical:
        return SuggestedRating(
            2, f"right, but slow ({seconds:.0f} s; usually about {typical:.0f} s)"
        )
    if seconds < typical:
        return SuggestedRating(
            4, f"right at the first try and quick ({seconds:.0f} s; usually {typical:.0f} s)"
        )
    return SuggestedRating(3, "right at the first try")
