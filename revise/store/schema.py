"""The schema, its version (`PRAGMA user_version`) and the migrations from earlier versions.

Version 1 kept times as ISO text and referenced items by their content id; version 2 (current)
keeps times as UTC epoch milliseconds, gives every item an integer number (fsrs's card id), and
stores in each review the item's state before and after it (for undo and consistency checks),
the variant seed and the cram flag. Before any migration the database is copied aside.
"""

from __future__ import annotations

import glob
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from revise.store.errors import StoreError, damaged

CURRENT_VERSION = 2

SCHEMA_V2 = """
CREATE TABLE items (
    num          INTEGER PRIMARY KEY,
    id           TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL CHECK (kind IN ('card', 'family')),
    state        INTEGER NOT NULL CHECK (state IN (1, 2, 3)),
    step         INTEGER,
    stability    REAL,
    difficulty   REAL,
    due          INTEGER NOT NULL,
    last_review  INTEGER,
    lapses       INTEGER NOT NULL DEFAULT 0,
    reps         INTEGER NOT NULL DEFAULT 0,
    first_review INTEGER
);
CREATE INDEX items_due ON items (due);
CREATE TABLE reviews (
    id               INTEGER PRIMARY KEY,
    item             INTEGER NOT NULL REFERENCES items (num),
    reviewed_at      INTEGER NOT NULL,
    rating           INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    duration_ms      INTEGER,
    answer           TEXT,
    correct          INTEGER,
    seed             INTEGER,
    cram             INTEGER NOT NULL DEFAULT 0,
    prev_state       INTEGER,
    prev_step        INTEGER,
    prev_stability   REAL,
    prev_difficulty  REAL,
    prev_due         INTEGER,
    prev_last_review INTEGER,
    prev_lapses      INTEGER,
    state            INTEGER,
    step             INTEGER,
    stability        REAL,
    difficulty       REAL,
    due              INTEGER
);
CREATE INDEX reviews_item ON reviews (item, id);
CREATE INDEX reviews_time ON reviews (reviewed_at);
-- running totals of the log, kept in the review's own transaction, so that stats stay quick
-- on a long history: per quarter hour (local days are summed from them in any time zone)...
CREATE TABLE review_counts (
    bucket  INTEGER PRIMARY KEY,  -- reviewed_at // 900000
    reviews INTEGER NOT NULL,
    cram    INTEGER NOT NULL,
    learnt  INTEGER NOT NULL,     -- reviews of items in the review state
    passed  INTEGER NOT NULL      -- ... of which rated 2-4
);
-- ... and per whole days since the item's previous review (reviews of items in review)
CREATE TABLE interval_counts (
    days    INTEGER PRIMARY KEY,
    reviews INTEGER NOT NULL,
    passed  INTEGER NOT NULL
);
"""
SETTINGS_V2 = """
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


def _statements(script: str) -> list[str]:
    out = []
    for chunk in script.split(";"):
        lines = [ln for ln in chunk.splitlines() if not ln.strip().startswith("--")]
        text = "\n".join(lines).strip()
        if text:
            out.append(text)
    return out


OUR_TABLES = {"items", "reviews", "settings"}


def version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows if not r[0].startswith("sqlite_")}


def _iso_ms(text: str | None) -> int | None:
    """An ISO 8601 time of schema 1 (naive means UTC) as epoch milliseconds."""
    if text is None:
        return None
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    conn.create_function("iso_ms", 1, _iso_ms, deterministic=True)
    conn.execute("ALTER TABLE items RENAME TO items_v1")
    conn.execute("ALTER TABLE reviews RENAME TO reviews_v1")
    # the old tables' indexes keep their names after a rename: drop them so none collides
    old_indexes = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        "AND tbl_name IN ('items_v1', 'reviews_v1')"
    ).fetchall()
    for (name,) in old_indexes:
        conn.execute(f'DROP INDEX "{name}"')
    for statement in _statements(SCHEMA_V2):
        conn.execute(statement)
    conn.execute(
        """
        INSERT INTO items (id, kind, state, step, stability, difficulty, due, last_review,
                           lapses, reps, first_review)
        SELECT i.id, i.kind, i.state, i.step, i.stability, i.difficulty, iso_ms(i.due),
               iso_ms(i.last_review), i.lapses,
               (SELECT count(*) FROM reviews_v1 r WHERE r.item_id = i.id),
               (SELECT min(iso_ms(r.reviewed_at)) FROM reviews_v1 r WHERE r.item_id = i.id)
        FROM items_v1 i ORDER BY i.rowid
        """
    )
    conn.execute(
        """
        INSERT INTO reviews (id, item, reviewed_at, rating, duration_ms, answer, correct)
        SELECT r.id, i.num, iso_ms(r.reviewed_at), r.rating, r.duration_ms, r.answer, r.correct
        FROM reviews_v1 r JOIN items i ON i.id = r.item_id ORDER BY r.id
        """
    )
    conn.execute("DROP TABLE reviews_v1")
    conn.execute("DROP TABLE items_v1")
    rebuild_counts(conn)
    # schema 1 kept settings as plain text; schema 2 keeps JSON
    conn.execute("UPDATE settings SET value = json_quote(value) WHERE key = 'exam_at'")
    conn.execute("DELETE FROM settings WHERE key = 'exam_at' AND value IN ('\"\"', 'null')")


def rebuild_counts(conn: sqlite3.Connection) -> None:
    """Recompute the running totals from the log (after a migration or a bulk import)."""
    conn.execute("DELETE FROM review_counts")
    conn.execute("DELETE FROM interval_counts")
    conn.execute(
        "INSERT INTO review_counts (bucket, reviews, cram, learnt, passed) "
        "SELECT reviewed_at / 900000, count(*), sum(cram), sum(prev_state IS 2), "
        "sum(prev_state IS 2 AND rating > 1) FROM reviews GROUP BY reviewed_at / 900000"
    )
    conn.execute(
        "INSERT INTO interval_counts (days, reviews, passed) "
        "SELECT (reviewed_at - prev_last_review) / 86400000, count(*), sum(rating > 1) "
        "FROM reviews WHERE prev_state = 2 AND prev_last_review IS NOT NULL "
        "GROUP BY (reviewed_at - prev_last_review) / 86400000"
    )


#: from version N to N + 1
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_1_to_2}


def backup(conn: sqlite3.Connection, path: Path, old: int) -> Path:
    """Copy the database (consistently, WAL included) next to it before migrating it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = path.with_name(f"{path.name}.schema{old}-{stamp}.bak")
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    # one copy per old schema is enough: a migration that fails on every start must not leave
    # a new file each time
    for older in path.parent.glob(f"{glob.escape(path.name)}.schema{old}-*.bak"):
        if older != target:
            older.unlink(missing_ok=True)
    return target


def precheck(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse, before anything is written, a database this revise must not change."""
    found = version(conn)
    if found > CURRENT_VERSION:
        raise StoreError(
            f"{path} was written by a newer revise (schema {found}; this one reads up to "
            f"{CURRENT_VERSION}); upgrade revise — nothing was changed"
        )
    if found == 0 and _tables(conn):
        raise _foreign(path)
    if found < 0 or (0 < found < CURRENT_VERSION and found not in MIGRATIONS):
        raise StoreError(
            f"{path} has schema version {found}, which no revise wrote; it was left untouched "
            "— restore a backup or use another home with --home"
        )
    # damage is otherwise found only when a damaged page is read, perhaps after writing: look
    # before the first write (quick_check reads every page once; a review history is small)
    verdict = conn.execute("PRAGMA quick_check").fetchone()
    if verdict is None or str(verdict[0]).lower() != "ok":
        detail = " ".join(str(verdict[0]).split())[:200] if verdict else "no verdict"
        raise damaged(path, detail)


def _foreign(path: Path) -> StoreError:
    return StoreError(
        f"{path} is an SQLite database but not a revise one; it was left untouched "
        "— use another home with --home"
    )


def ensure(conn: sqlite3.Connection, path: Path) -> Path | None:
    """Create or migrate the schema to CURRENT_VERSION; the backup's path if one was made.

    The connection must be in autocommit mode. Creating and each migration run in a write
    transaction that checks the version again, so two processes opening an old database at
    once migrate it once.
    """
    found = version(conn)
    if found == CURRENT_VERSION:
        return None
    if found > CURRENT_VERSION:
        raise StoreError(
            f"{path} was written by a newer revise (schema {found}; this one reads up to "
            f"{CURRENT_VERSION}); upgrade revise — nothing was changed"
        )
    if found == 0:
        _create(conn, path)
        return None
    saved = backup(conn, path, found)
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = version(conn)
            while current < CURRENT_VERSION:
                MIGRATIONS[current](conn)
                current += 1
            problems = conn.execute("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise StoreError(
                    f"{path} could not be migrated: {len(problems)} reviews point at no card; "
                    f"it was left as it was (a copy is in {saved.name})"
                )
            conn.execute(f"PRAGMA user_version = {CURRENT_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return saved


def _create(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version(conn) == 0:
            if _tables(conn):
                raise _foreign(path)
            for statement in _statements(SCHEMA_V2 + SETTINGS_V2):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {CURRENT_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
