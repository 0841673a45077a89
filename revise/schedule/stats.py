"""The figures of `revise stats`: reviews per day, true retention, states, curves.

Everything heavy is one indexed query each; the predicted forgetting curve is averaged over at
most `CURVE_SAMPLE` items, taken evenly, so stats stay quick on a large collection.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta, tzinfo

from fsrs import Scheduler, State

from revise.schedule.cards import recalls
from revise.schedule.days import day_bounds, today, utc_offset_ms
from revise.store import queries
from revise.store.rows import ItemRow, to_ms

HISTORY_DAYS = 365
CURVE_DAYS = (0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 60, 90)
CURVE_SAMPLE = 1000
#: observed recall is shown for intervals with at least this many reviews
MIN_BUCKET = 5
STATE_NAMES = {State.Learning: "learning", State.Review: "review", State.Relearning: "relearning"}


def reviews_per_day(conn: sqlite3.Connection, now: datetime, tz: tzinfo | None) -> dict[str, int]:
    """Local date → reviews, over the last year (days without reviews left out)."""
    start, _ = day_bounds(now, tz, -HISTORY_DAYS)
    offset = utc_offset_ms(now, tz)
    epoch = date(1970, 1, 1)
    return {
        (epoch + timedelta(days=day)).isoformat(): n
        for day, n in queries.reviews_per_day(conn, to_ms(start), offset)
    }


def observed_curve(conn: sqlite3.Connection) -> list[tuple[float, float]]:
    """Share of reviews passed by whole days since the item's previous review (items in review)."""
    return [(float(d), p / n) for d, n, p in queries.recall_by_interval(conn) if n >= MIN_BUCKET]


def predicted_curve(
    scheduler: Scheduler, rows: list[ItemRow], now: datetime
) -> list[tuple[float, float]]:
    """Mean predicted recall of the items seen, `d` days from now, for d in CURVE_DAYS."""
    if not rows:
        return []
    step = max(1, len(rows) // CURVE_SAMPLE)
    sample = rows[::step]
    times = [now + timedelta(days=d) for d in CURVE_DAYS]
    sums = [0.0] * len(times)
    for row in sample:
        for i, r in enumerate(recalls(scheduler, row, times)):
            sums[i] += r
    return [(float(d), s / len(sample)) for d, s in zip(CURVE_DAYS, sums)]


def by_state(course_ids: set[str], rows: list[ItemRow], leech_lapses: int) -> dict[str, int]:
    """Items by state: new (never seen), learning, review, relearning; retired; leeches."""
    counts: Counter[str] = Counter()
    for row in rows:
        if row.id in course_ids:
            counts[STATE_NAMES.get(State(row.state), "review")] += 1
            if row.lapses >= leech_lapses:
                counts["leech"] += 1
        else:
            counts["retired"] += 1
    seen = sum(counts[k] for k in ("learning", "review", "relearning"))
    return {
        "new": len(course_ids) - seen,
        "learning": counts["learning"],
        "review": counts["review"],
        "relearning": counts["relearning"],
        "retired": counts["retired"],
        "leech": counts["leech"],
    }


def due_counts(
    course_ids: set[str], rows: list[ItemRow], now: datetime, tz: tzinfo | None
) -> tuple[int, int]:
    """(due by the end of today, due during tomorrow) among the course's items."""
    _, end_today = day_bounds(now, tz)
    _, end_tomorrow = day_bounds(now, tz, 1)
    a, b = to_ms(end_today), to_ms(end_tomorrow)
    due_today = due_tomorrow = 0
    for row in rows:
        if row.id not in course_ids:
            continue
        if row.due <= a:
            due_today += 1
        elif row.due <= b:
            due_tomorrow += 1
    return due_today, due_tomorrow


def local_today(now: datetime, tz: tzinfo | None) -> str:
    return today(now, tz).isoformat()
