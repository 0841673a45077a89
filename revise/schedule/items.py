"""The schedulable items of a course, in course order: topic order, then file order.

A flashcard is an item; a question family is one item too (each review draws a new variant).
Within a topic the flashcards come first (the ideas), then the question families (using them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import content

TITLE_LENGTH = 80


@dataclass(frozen=True)
class CourseItem:
    """One card or family of the course, with its place in course order."""

    id: str
    kind: Literal["card", "family"]
    topic: str
    title: str
    position: int
    difficulty: int | None = None


@dataclass(frozen=True)
class CourseIndex:
    """What scheduling needs of a course: its topics (id, title) in order and its items.

    Plain data, so that it is read back quickly (the app's home screen opens on it while the
    course itself is still being read)."""

    topics: tuple[tuple[str, str], ...]
    items: tuple[CourseItem, ...]


def course_index(course: content.Course) -> CourseIndex:
    return CourseIndex(
        topics=tuple((t.id, t.title) for t in course.topics), items=tuple(course_items(course))
    )


def _short(text: str) -> str:
    line = " ".join(text.strip().split())
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"


def course_items(course: content.Course) -> list[CourseItem]:
    """Every card and family, in the order new ones are introduced."""
    rank = {t.id: (t.order, i) for i, t in enumerate(course.topics)}
    last = (len(rank) + 1, 0)
    keyed: list[tuple[tuple[int, int], int, int, CourseItem]] = []
    for i, card in enumerate(course.cards):
        item = CourseItem(card.id, "card", card.topic, _short(card.front), 0)
        keyed.append((rank.get(card.topic, last), 0, i, item))
    for i, family in enumerate(course.families):
        item = CourseItem(
            family.id, "family", family.topic, _short(family.title), 0, family.difficulty
        )
        keyed.append((rank.get(family.topic, last), 1, i, item))
    keyed.sort(key=lambda k: k[:3])
    return [
        CourseItem(it.id, it.kind, it.topic, it.title, pos, it.difficulty)
        for pos, (*_, it) in enumerate(keyed)
    ]
