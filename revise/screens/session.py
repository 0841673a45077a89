"""What quiz and drill sessions share: the queue's entries and reading them from the Study."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from content import Course
    from revise.study import Item, Study


@dataclass(frozen=True)
class Entry:
    """One item of a session: a flashcard or a question family (from the Study's queue)."""

    id: str
    kind: str  # "card" or "family"
    topic: str
    title: str
    seed: int | None = None  # a fixed variant (a paper sheet's question); None: a fresh one


@dataclass(frozen=True)
class Source:
    """Which items a session asks: today's queue, one topic, one kind, or the exam drill."""

    topic: str | None = None
    kind: str | None = None
    exam_drill: bool = False
    items: tuple[str, ...] = ()  # these items only (the missed ones of a session, again)
    sheet: str | None = None  # a printed sheet's code: its questions, as on the paper

    def describe(self, course: Course) -> str:
        if self.sheet:
            return f"Paper sheet {self.sheet}"
        if self.items:
            return "Missed items again"
        what = {"family": "Quiz", "card": "Drill"}.get(self.kind or "", "Quiz")
        if self.exam_drill:
            what = "Exam drill"
        if self.topic:
            try:
                return f"{what}: {course.topic(self.topic).title}"
            except KeyError:
                return f"{what}: {self.topic}"
        return "Review" if what == "Quiz" else what


def entries(items: list[Item]) -> list[Entry]:
    return [Entry(i.id, i.kind, i.topic, i.title) for i in items]


def read_queue(study: Study, source: Source) -> list[Entry]:
    """Today's queue for a source (runs on the database thread)."""
    if source.sheet and study.course is not None:
        from revise.sheet_marking import sheet_questions

        return [
            Entry(q.family.id, "family", q.family.topic, q.family.title, q.variant.seed)
            for q in sheet_questions(study.course, source.sheet)
        ]
    if source.items:
        known = {i.id: i for i in study.practice(limit=10_000)}
        return entries([known[i] for i in source.items if i in known])
    return entries(study.queue(topic=source.topic, kind=source.kind, exam_drill=source.exam_drill))


def read_practice(study: Study, source: Source, limit: int = 12) -> list[Entry]:
    """Practice beyond today's queue (runs on the database thread): a topic's never-seen items
    first, past the day's allowance, then its seen ones soonest due; a topic without questions
    practises its cards."""
    kind = source.kind
    course = study.course
    if (
        source.topic
        and kind is None
        and course is not None
        and not course.families_for(source.topic)
    ):
        kind = "card"
    return entries(study.practice(topic=source.topic, kind=kind, limit=limit))


def allowance_note(
    allowed: int, introduced: int, *, practising: bool = False, what: str = "answer"
) -> str:
    """What a session records and which allowance its new items use, in one line."""
    left = max(0, allowed - introduced)
    if practising:
        return (
            f"Practice: each {what} is recorded · new items go past today's allowance "
            f"({introduced} of {allowed} used)"
        )
    if left:
        return f"Each {what} is recorded · new items: {left} of today's {allowed} left"
    return f"Each {what} is recorded · today's {allowed} new items are used up"
