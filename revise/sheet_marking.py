"""Marking a printed sheet: its questions rebuilt from the sheet code, answers checked, reviews kept.

The code fixes the sheet's (family, seed) pairs, so the questions here are exactly the ones on
paper, numbered the same. Each answer is marked by the checker the app uses; a question left
blank is skipped and not recorded. Each answered question becomes a review of its family in the
history — Good when right, Again when wrong, its seed and answer kept — so practice on paper
counts towards the schedule as practice in the app does. The time spent on paper is unknown and
is left out of the review (the planner then uses its own estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from content import Course, Family, Variant
from revise.printout.model import sheet_variants
from revise.printout.sheet_code import decode

if TYPE_CHECKING:
    from revise.study import Study

RIGHT, WRONG = 3, 1  # Good, Again


@dataclass(frozen=True)
class SheetQuestion:
    number: int
    family: Family
    variant: Variant


@dataclass(frozen=True)
class Marked:
    question: SheetQuestion
    answer: str
    correct: bool
    feedback: str


def sheet_questions(course: Course, code: str) -> list[SheetQuestion]:
    """The worked questions of the sheet with this code, numbered as printed."""
    _, chosen, _ = sheet_variants(course, decode(course, code))
    return [
        SheetQuestion(number, family, variant)
        for number, (family, variant) in enumerate(chosen, start=1)
    ]


def mark(question: SheetQuestion, answer: str) -> Marked | None:
    """The answer marked; None when it cannot be read (the student is asked again)."""
    from engine.checking import check

    v = question.variant
    result = check(v.problem, v.params, answer, v.part)
    if result.verdict == "unreadable":
        return None
    return Marked(question, answer, result.correct, result.feedback)


def record(study: Study, marked: Marked) -> None:
    """The marked answer as a review of its family."""
    study.record(
        marked.question.family.id,
        RIGHT if marked.correct else WRONG,
        seconds=math.nan,
        answer=marked.answer,
        correct=marked.correct,
        seed=marked.question.variant.seed,
    )
