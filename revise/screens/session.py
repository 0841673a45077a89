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


@dataclass(frozen=True)
class Source:
    """Which items a session asks: today's queue, one topic, one kind, or the exam drill."""

    topic: str | None = None
    kind: str | None = None
    exam_drill: bool = False

    def describe(self, course: Course) -> str:
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
    return entries(study.queue(topic=source.topic, kind=source.kind, exam_drill=source.exam_drill))


def practice(course: Course, source: Source, limit: int = 12) -> list[Entry]:
    """Extra practice when nothing is due: a topic's questions (its cards if it has none), or
    one question per topic."""
    cards = course.cards_for(source.topic) if source.topic else list(course.cards)
    card_entries = [Entry(c.id, "card", c.topic, c.front) for c in cards[:limit]]
    if source.kind == "card":
        return card_entries
    if source.topic:
        families = course.families_for(source.topic)
        if not families and source.kind is None:
            return card_entries
    else:
        families = [fs[0] for t in course.topics if (fs := course.families_for(t.id))]
    return [Entry(f.id, "family", f.topic, f.title) for f in families[:limit]]
