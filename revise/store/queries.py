"""The SQL of the review history: items, the review log, settings and the figures for stats.

Every function takes an open connection (inside a transaction of `Store.read`/`Store.write`)
and returns rows as dataclasses or plain values; nothing here knows about fsrs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from revise.store.rows import ItemRow, ReviewRow

ITEM_COLUMNS = (
    "num, id, kind, state, step, stability, difficulty, due, last_review, lapses, reps, "
    "first_review"
)
REVIEW_COLUMNS = (
    "id, item, reviewed_at, rating, duration_ms, answer, correct, seed, cram, prev_state, "
    "prev_step, prev_stability, prev_difficulty, prev_due, prev_last_review, prev_lapses, "
    "state, step, stability, difficulty, due"
)
STATE_REVIEW = 2


def _item(row: tuple[Any, ...]) -> ItemRow:
    return ItemRow(*row)


def _review(row: tuple[Any, ...]) -> ReviewRow:
    values = list(row)
    values[6] = None if values[6] is None else bool(values[6])
    values[8] = bool(values[8])
    return ReviewRow(*values)


# --- items ----------------------------------------------------------------------------------
def item(conn: sqlite3.Connection, item_id: str) -> ItemRow | None:
    row = conn.execute(f"SELECT {ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,)).fetchone()
    return None if row is None else _item(row)


def items(conn: sqlite3.Connection) -> list[ItemRow]:
    return [_item(r) for r in conn.execute(f"SELECT {ITEM_COLUMNS} FROM items ORDER BY num")]


def items_due_by(conn: sqlite3.Connection, until_ms: int) -> list[ItemRow]:
    rows = conn.execute(
        f"SELECT {ITEM_COLUMNS} FROM items WHERE due <= ? ORDER BY due, num", (until_ms,)
    )
    return [_item(r) for r in rows]


def item_ids(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT id FROM items")}


def insert_item(conn: sqlite3.Connection, item_id: str, kind: str, now_ms: int) -> int:
    """A new item, in the learning state and due now; its number."""
    cur = conn.execute(
        "INSERT INTO items (id, kind, state, step, due, first_review) VALUES (?, ?, 1, 0, ?, ?)",
        (item_id, kind, now_ms, now_ms),
    )
    assert cur.lastrowid is not None
    return cur.lastrowid


def update_item(
    conn: sqlite3.Connection,
    num: int,
    *,
    state: int,
    step: int | None,
    stability: float | None,
    difficulty: float | None,
    due: int,
    last_review: int | None,
    lapses: int,
    reps: int,
) -> None:
    conn.execute(
        "UPDATE items SET state = ?, step = ?, stability = ?, difficulty = ?, due = ?, "
        "last_review = ?, lapses = ?, reps = ? WHERE num = ?",
        (state, step, stability, difficulty, due, last_review, lapses, reps, num),
    )


def delete_item(conn: sqlite3.Connection, num: int) -> None:
    conn.execute("DELETE FROM items WHERE num = ?", (num,))


# --- the review log -------------------------------------------------------------------------
def insert_review(conn: sqlite3.Connection, **values: Any) -> int:
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cur = conn.execute(f"INSERT INTO reviews ({names}) VALUES ({marks})", tuple(values.values()))
    assert cur.lastrowid is not None
    return cur.lastrowid


BUCKET_MS = 900_000
DAY_MS = 86_400_000


def bump_counts(
    conn: sqlite3.Connection,
    *,
    reviewed_at: int,
    rating: int,
    cram: bool,
    prev_state: int | None,
    prev_last_review: int | None,
    sign: int = 1,
) -> None:
    """Add (sign 1) or take back (sign -1) one review in the running totals."""
    learnt = prev_state == STATE_REVIEW
    passed = learnt and rating > 1
    conn.execute(
        "INSERT INTO review_counts (bucket, reviews, cram, learnt, passed) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (bucket) DO UPDATE SET "
        "reviews = reviews + excluded.reviews, cram = cram + excluded.cram, "
        "learnt = learnt + excluded.learnt, passed = passed + excluded.passed",
        (reviewed_at // BUCKET_MS, sign, sign * int(cram), sign * int(learnt), sign * int(passed)),
    )
    if learnt and prev_last_review is not None:
        conn.execute(
            "INSERT INTO interval_counts (days, reviews, passed) VALUES (?, ?, ?) "
            "ON CONFLICT (days) DO UPDATE SET reviews = reviews + excluded.reviews, "
            "passed = passed + excluded.passed",
            ((reviewed_at - prev_last_review) // DAY_MS, sign, sign * int(passed)),
        )


def review(conn: sqlite3.Connection, review_id: int) -> ReviewRow | None:
    row = conn.execute(
        f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = ?", (review_id,)
    ).fetchone()
    return None if row is None else _review(row)


def last_review_id(conn: sqlite3.Connection, num: int) -> int | None:
    row = conn.execute("SELECT max(id) FROM reviews WHERE item = ?", (num,)).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def delete_review(conn: sqlite3.Connection, review_id: int) -> None:
    conn.execute("DELETE FROM reviews WHERE id = ?", (review_id,))


def reviews_of(conn: sqlite3.Connection, num: int) -> list[ReviewRow]:
    rows = conn.execute(f"SELECT {REVIEW_COLUMNS} FROM reviews WHERE item = ? ORDER BY id", (num,))
    return [_review(r) for r in rows]


def all_reviews(conn: sqlite3.Connection) -> Iterator[ReviewRow]:
    for r in conn.execute(f"SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id"):
        yield _review(r)


def review_ids(conn: sqlite3.Connection) -> set[int]:
    return {r[0] for r in conn.execute("SELECT id FROM reviews")}


def seeds_of(conn: sqlite3.Connection, num: int) -> set[int]:
    rows = conn.execute("SELECT seed FROM reviews WHERE item = ? AND seed IS NOT NULL", (num,))
    return {int(r[0]) for r in rows}


def recent_seeds(conn: sqlite3.Connection, num: int, limit: int) -> list[int]:
    """The variant seeds of the item's latest reviews (newest first)."""
    rows = conn.execute(
        "SELECT seed FROM reviews WHERE item = ? AND seed IS NOT NULL ORDER BY id DESC LIMIT ?",
        (num, limit),
    )
    return [int(r[0]) for r in rows]


def recent_correct_durations(conn: sqlite3.Connection, num: int, limit: int = 10) -> list[int]:
    """Milliseconds of the item's latest right answers (newest first)."""
    rows = conn.execute(
        "SELECT duration_ms FROM reviews WHERE item = ? AND correct = 1 "
        "AND duration_ms IS NOT NULL ORDER BY id DESC LIMIT ?",
        (num, limit),
    )
    return [int(r[0]) for r in rows]


def today_counts(conn: sqlite3.Connection, start_ms: int, end_ms: int) -> tuple[int, int]:
    """(items first reviewed, reviews of items that were not new) in [start, end)."""
    new = conn.execute(
        "SELECT count(*) FROM items WHERE first_review >= ? AND first_review < ?",
        (start_ms, end_ms),
    ).fetchone()[0]
    done = conn.execute(
        "SELECT count(*) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ? "
        "AND prev_state IS NOT NULL",
        (start_ms, end_ms),
    ).fetchone()[0]
    return int(new), int(done)


def optimizer_logs(conn: sqlite3.Connection) -> Iterator[tuple[int, int, int, int | None]]:
    """(item number, rating, reviewed_at, duration) of every review not made as cramming."""
    yield from conn.execute(
        "SELECT item, rating, reviewed_at, duration_ms FROM reviews WHERE cram = 0 ORDER BY id"
    )


def totals(conn: sqlite3.Connection) -> tuple[int, int, int, int]:
    """(reviews, cram reviews, reviews of items in review, of which passed), from the totals."""
    row = conn.execute(
        "SELECT coalesce(sum(reviews), 0), coalesce(sum(cram), 0), coalesce(sum(learnt), 0), "
        "coalesce(sum(passed), 0) FROM review_counts"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


# --- figures for stats ----------------------------------------------------------------------
def reviews_per_day(
    conn: sqlite3.Connection, since_ms: int, offset_ms: int
) -> list[tuple[int, int]]:
    """(local day number since the epoch, reviews) from `since_ms`, days shifted by offset."""
    rows = conn.execute(
        "SELECT (bucket * ? + ?) / ? AS day, sum(reviews) FROM review_counts "
        "WHERE bucket >= ? GROUP BY day HAVING sum(reviews) > 0 ORDER BY day",
        (BUCKET_MS, offset_ms, DAY_MS, since_ms // BUCKET_MS),
    )
    return [(int(d), int(n)) for d, n in rows]


def recall_by_interval(conn: sqlite3.Connection) -> list[tuple[int, int, int]]:
    """(whole days since the previous review, reviews, passed) for reviews of review cards."""
    rows = conn.execute(
        "SELECT days, reviews, passed FROM interval_counts WHERE reviews > 0 ORDER BY days"
    )
    return [(int(d), int(n), int(p)) for d, n, p in rows]


def state_rows(
    conn: sqlite3.Connection,
) -> list[tuple[str, int, int, int, float | None, int | None]]:
    """(id, state, due, lapses, stability, last_review) of every item: all stats needs."""
    return list(conn.execute("SELECT id, state, due, lapses, stability, last_review FROM items"))


# --- settings -------------------------------------------------------------------------------
def settings(conn: sqlite3.Connection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in conn.execute("SELECT key, value FROM settings"):
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def put_settings(conn: sqlite3.Connection, values: Iterable[tuple[str, Any]]) -> None:
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [(k, json.dumps(v)) for k, v in values],
    )


def delete_setting(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM settings WHERE key = ?", (key,))


def seconds_studied(conn: sqlite3.Connection, start_ms: int, end_ms: int) -> float:
    """Seconds of recorded answering time between two moments."""
    row = conn.execute(
        "SELECT COALESCE(SUM(duration_ms), 0) FROM reviews WHERE reviewed_at >= ? AND reviewed_at < ?",
        (start_ms, end_ms),
    ).fetchone()
    return float(row[0]) / 1000.0


def success_durations(conn: sqlite3.Connection, limit: int = 200) -> dict[str, list[int]]:
    """The answering times (ms) of the latest successful reviews, per kind of item."""
    out: dict[str, list[int]] = {}
    for kind in ("card", "family"):
        rows = conn.execute(
            "SELECT r.duration_ms FROM reviews r JOIN items i ON i.num = r.item "
            "WHERE i.kind = ? AND r.rating > 1 AND r.duration_ms IS NOT NULL "
            "ORDER BY r.id DESC LIMIT ?",
            (kind, limit),
        )
        out[kind] = [int(r[0]) for r in rows]
    return out


def revert_review(conn: sqlite3.Connection, review_id: int) -> str | None:
    """Take a review out of the log and put its item back as it was before it (a new item is
    forgotten); the item's id, or None if the review is unknown or not the item's latest."""
    found = review(conn, review_id)
    if found is None or last_review_id(conn, found.item) != review_id:
        return None
    item_id = str(conn.execute("SELECT id FROM items WHERE num = ?", (found.item,)).fetchone()[0])
    delete_review(conn, review_id)
    bump_counts(
        conn,
        reviewed_at=found.reviewed_at,
        rating=found.rating,
        cram=found.cram,
        prev_state=found.prev_state,
        prev_last_review=found.prev_last_review,
        sign=-1,
    )
    if found.prev_state is None:
        delete_item(conn, found.item)
        return item_id
    row = item(conn, item_id)
    assert row is not None and found.prev_due is not None
    update_item(
        conn,
        found.item,
        state=found.prev_state,
        step=found.prev_step,
        stability=found.prev_stability,
        difficulty=found.prev_difficulty,
        due=found.prev_due,
        last_review=found.prev_last_review,
        lapses=found.prev_lapses or 0,
        reps=max(0, row.reps - 1),
    )
    return item_id
