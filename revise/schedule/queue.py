"""Today's queue: learning steps due now, reviews due today, new items, then learning ahead.

Reviews are ordered by due date, and new items come in course order within the day's
allowance. With an exam date, the exam planner (`schedule.planner`) chooses the day's reviews
and new items instead, within the daily time budget, most exam-day recall per second first. An exam drill takes every item
already seen, weakest at the exam first, due or not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Scheduler, State

from revise.schedule.cards import retrievability
from revise.schedule.items import CourseItem
from revise.store.rows import ItemRow, to_ms

#: learning steps due within this much time close the queue rather than making the student wait
LEARN_AHEAD = timedelta(minutes=20)


@dataclass(frozen=True)
class Entry:
    """One item of the queue, with its row (None when new) and predicted exam-day recall."""

    item: CourseItem
    row: ItemRow | None
    exam_recall: float | None


@dataclass(frozen=True)
class Window:
    """What a queue is built for: now, the end of today, and the day's remaining allowances."""

    now: datetime
    end_of_today: datetime
    new_allowed: int
    reviews_allowed: int


def keep(item: CourseItem, topic: str | None, kind: str | None) -> bool:
    """Whether an item belongs to a queue of this topic and kind (None: any)."""
    return (topic is None or item.topic == topic) and (kind is None or item.kind == kind)


def build(
    items: list[CourseItem],
    due_rows: Iterable[ItemRow],
    seen: set[str],
    window: Window,
    scheduler: Scheduler,
    *,
    exam_at: datetime | None = None,
    topic: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    drill_rows: Iterable[ItemRow] | None = None,
    by_id: dict[str, CourseItem] | None = None,
    planned: list[Entry] | None = None,
) -> list[Entry]:
    """The queue. `due_rows`: rows due by the end of today; `drill_rows`: every row, to drill.
    `by_id` (the items by id) may be passed in when the caller keeps it. `planned`: the exam
    planner's choice for today, which then replaces the due reviews and the new items."""
    if by_id is None:
        by_id = {it.id: it for it in items}
    learn_by = to_ms(window.now + LEARN_AHEAD)
    end_ms = to_ms(window.end_of_today)

    def exam_recall(row: ItemRow) -> float | None:
        return None if exam_at is None else retrievability(scheduler, row, exam_at)

    learning: list[Entry] = []
    ahead: list[Entry] = []
    now_ms = to_ms(window.now)
    reviews: list[Entry] = []
    source = drill_rows if drill_rows is not None else due_rows
    for row in source:
        item = by_id.get(row.id)
        if item is None or not keep(item, topic, kind):
            continue  # retired, or filtered out
        if planned is not None and row.state not in (State.Learning, State.Relearning):
            continue  # the planner has chosen today's reviews already
        entry = Entry(item, row, exam_recall(row))
        if drill_rows is not None:
            reviews.append(entry)
        elif row.state in (State.Learning, State.Relearning):
            if row.due <= now_ms:
                learning.append(entry)
            elif row.due <= learn_by:
                ahead.append(entry)
        elif row.due <= end_ms:
            reviews.append(entry)

    if drill_rows is not None:
        at = exam_at or window.now
        reviews.sort(key=lambda e: (_recall_at(scheduler, e, at), e.item.position))
    elif exam_at is not None:
        reviews.sort(key=lambda e: (e.exam_recall or 0.0, e.item.position))
        reviews = reviews[: max(0, window.reviews_allowed)]
    else:
        reviews = reviews[: max(0, window.reviews_allowed)]
    learning.sort(key=lambda e: (e.row.due if e.row else 0, e.item.position))
    ahead.sort(key=lambda e: (e.row.due if e.row else 0, e.item.position))

    new: list[Entry] = []
    allowance = max(0, window.new_allowed)
    if planned is not None:
        reviews = [e for e in planned if keep(e.item, topic, kind)]
        allowance = 0
    if allowance:
        for item in items:
            if item.id in seen or not keep(item, topic, kind):
                continue
            new.append(Entry(item, None, 0.0 if exam_at is not None else None))
            if len(new) >= allowance:
                break

    queue = learning + reviews + new + ahead
    return queue if limit is None else queue[: max(0, limit)]


def _recall_at(scheduler: Scheduler, entry: Entry, at: datetime) -> float:
    if entry.exam_recall is not None:
        return entry.exam_recall
    return retrievability(scheduler, entry.row, at)
