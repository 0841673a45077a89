"""The variants a question bank holds: N per family, each with its question, solution and blanks.

Both exporters (Moodle XML, QTI) take the same variants, drawn exactly as the Anki deck draws
them (variant k of a family is `variant_for(family, k)`), so a lecturer's bank, a student's deck
and the app agree on what "variant 2 of cnn.conv-output.strided" is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from content import Course, Family
from engine.errors import UserError
from revise.lms.fields import Blank, blanks
from revise.printout.model import Question, question_from_variant, variant_for
from revise.printout.select import Selection, eligible


@dataclass(frozen=True)
class BankQuestion:
    family: Family
    question: Question
    blanks: list[Blank]


@dataclass(frozen=True)
class Bank:
    questions: list[BankQuestion]
    left_out: list[str]  # families whose answers an LMS cannot mark (expressions)


def families_for(course: Course, topics: Sequence[str], families: Sequence[str]) -> list[Family]:
    """The families the filters name (all when none), in course order."""
    if not topics and not families:
        return list(course.families)
    return eligible(course, Selection(topics=tuple(topics), families=tuple(families)))


def build_bank(
    course: Course,
    families: Sequence[Family],
    variants: int,
    verify: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> Bank:
    if not 1 <= variants <= 50:
        raise UserError("--variants must be between 1 and 50")
    out: list[BankQuestion] = []
    left_out: list[str] = []
    total = len(families) * variants
    done = 0
    for family in families:
        for k in range(variants):
            variant = variant_for(family, k)
            q = question_from_variant(k + 1, course, family, variant, verify=verify)
            found = blanks(family.problem, dict(variant.params), variant.part, q.expected)
            done += 1
            if progress is not None:
                progress(done, total)
            if found is None or not found:
                if family.id not in left_out:
                    left_out.append(family.id)
                continue
            out.append(BankQuestion(family, q, found))
    return Bank(out, left_out)
