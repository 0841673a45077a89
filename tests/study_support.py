"""Helpers for the scheduling and storage tests: a small synthetic course and a settable clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import content
from content import Card, Topic

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def make_course(
    topics: int = 3, cards_per_topic: int = 4, families: bool = False
) -> content.Course:
    """A course of plain flashcards (`t1.c1` …), topics `t1` … in order."""
    topic_list = tuple(
        Topic(id=f"t{i}", title=f"Topic {i}", order=i, summary="s", notes=["002"])
        for i in range(1, topics + 1)
    )
    cards = tuple(
        Card(
            id=f"t{i}.c{j}",
            topic=f"t{i}",
            kind="fact",
            front=f"Front {i}.{j}",
            back=f"Back {i}.{j}",
            source="002",
        )
        for i in range(1, topics + 1)
        for j in range(1, cards_per_topic + 1)
    )
    return content.Course(topics=topic_list, cards=cards, families=())


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def check_consistent(db: Path) -> int:
    """Assert the database is sound and every item's schedule follows from its log; reviews."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        after: dict[int, tuple] = {}
        times: dict[int, list[int]] = {}
        count = 0
        for row in conn.execute(
            "SELECT item, reviewed_at, prev_state, prev_step, prev_stability, prev_difficulty, "
            "prev_due, state, step, stability, difficulty, due FROM reviews ORDER BY id"
        ):
            item, at, prev, now = row[0], row[1], row[2:7], row[7:12]
            # each review starts from the state the previous one left (or from new)
            assert prev == after.get(item, (None,) * 5), (item, prev, after.get(item))
            after[item] = now
            times.setdefault(item, []).append(at)
            count += 1
        items = conn.execute(
            "SELECT num, state, step, stability, difficulty, due, last_review, reps, "
            "first_review FROM items"
        ).fetchall()
        assert {i[0] for i in items} == set(after), "every item has reviews and vice versa"
        for num, *state, last_review, reps, first_review in items:
            assert tuple(state) == after[num]
            assert reps == len(times[num])
            assert last_review == times[num][-1]
            assert first_review == times[num][0]
        # the running totals match the log
        totals = "SELECT * FROM {} ORDER BY 1"
        got = {
            t: conn.execute(totals.format(t)).fetchall()
            for t in ("review_counts", "interval_counts")
        }
        got = {t: [r for r in rows if r[1] != 0] for t, rows in got.items()}
        from revise.store.schema import rebuild_counts

        conn.execute("BEGIN")
        rebuild_counts(conn)
        want = {t: conn.execute(totals.format(t)).fetchall() for t in got}
        conn.rollback()
        assert got == want
        return count
    finally:
        conn.close()
