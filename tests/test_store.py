"""The review database: creation, pragmas, migrations, and refusing locked, read-only, damaged
or foreign databases with a one-line message and without touching them."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from datetime import UTC
from pathlib import Path

import pytest
from study_support import Clock, make_course

from engine.errors import UserError
from revise.store import StoreError, open_store
from revise.store.schema import CURRENT_VERSION
from revise.study import Study

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "store"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text
    return text


def test_new_database_has_current_schema_and_pragmas(tmp_path: Path) -> None:
    store = open_store(tmp_path / "revise.db", busy_timeout=2.5)
    conn = store.conn
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 2500
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.integrity() == "ok"
    store.close()


def test_foreign_keys_refuse_a_review_of_no_item(tmp_path: Path) -> None:
    store = open_store(tmp_path / "revise.db")
    with pytest.raises(StoreError), store.write() as conn:
        conn.execute("INSERT INTO reviews (item, reviewed_at, rating) VALUES (99, 0, 3)")
    store.close()


def make_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "schema_v1.sql").read_text())
    conn.close()


def test_migrates_schema_1_keeping_every_review_and_a_backup(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    db = home / "revise.db"
    make_v1(db)
    original = sqlite3.connect(db)
    before = list(original.iterdump())
    original.close()
    study = Study(home, make_course(), Clock(), tz=UTC, fuzz=False)
    # a copy of the old database was made first, with the same content
    assert study.backup is not None and study.backup.exists()
    old = sqlite3.connect(study.backup)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert list(old.iterdump()) == before
    old.close()

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    reviews = conn.execute(
        "SELECT r.id, i.id, r.rating, r.reviewed_at, r.duration_ms, r.answer, r.correct "
        "FROM reviews r JOIN items i ON i.num = r.item ORDER BY r.id"
    ).fetchall()
    ms = 1_788_253_200_000  # 2026-09-01T09:00:00Z
    day = 86_400_000
    assert reviews == [
        (1, "t1.c1", 3, ms, 4000, None, None),
        (2, "t1.c1", 3, ms + day, 3500, None, None),
        (3, "t1.c2", 1, ms + day, 9000, "x", 0),
        (4, "gone.card", 3, ms, None, None, None),
    ]
    items = conn.execute(
        "SELECT id, state, stability, due, last_review, lapses, reps, first_review "
        "FROM items ORDER BY num"
    ).fetchall()
    assert items[0] == ("t1.c1", 2, 8.5, ms + 9 * day, ms + day, 0, 2, ms)
    assert items[2][0] == "gone.card" and items[2][5] == 1
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    settings = study.settings
    assert settings.desired_retention == 0.85
    assert settings.new_per_day == 15
    assert (
        settings.exam_at is not None and settings.exam_at.isoformat() == "2027-01-15T09:00:00+00:00"
    )
    # the card gone from the course keeps its history, shown as retired
    assert study.retired() == ["gone.card"]
    assert study.stats().by_state["retired"] == 1
    # and the migrated items schedule on
    study.record("t1.c1", 3, seconds=3)
    study.close()


def test_opening_a_migrated_database_again_makes_no_new_backup(tmp_path: Path) -> None:
    make_v1(tmp_path / "revise.db")
    Study(tmp_path, make_course(), Clock(), tz=UTC).close()
    Study(tmp_path, make_course(), Clock(), tz=UTC).close()
    assert len(list(tmp_path.glob("revise.db.schema1-*.bak"))) == 1


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "revise.db"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {CURRENT_VERSION + 1}")
    conn.close()
    before = digest(db)
    with pytest.raises(StoreError, match="newer revise") as info:
        Study(tmp_path, make_course(), Clock())
    one_line(info.value)
    assert digest(db) == before


def test_a_foreign_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "revise.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE photos (x)")
    conn.commit()
    conn.close()
    before = digest(db)
    with pytest.raises(StoreError, match="not a revise one"):
        Study(tmp_path, make_course(), Clock())
    assert digest(db) == before


def test_garbage_file_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "revise.db"
    db.write_bytes(b"these are my lecture notes, not a database\n" * 100)
    before = digest(db)
    with pytest.raises(StoreError, match="damaged or is not a revise database") as info:
        Study(tmp_path, make_course(), Clock())
    one_line(info.value)
    assert issubclass(StoreError, UserError)
    assert digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["revise.db"]


def test_damaged_pages_are_reported_and_the_file_left_alone(tmp_path: Path) -> None:
    study = Study(tmp_path, make_course(topics=2, cards_per_topic=50), Clock(), tz=UTC)
    for item in study.queue(limit=40):
        study.record(item.id, 3, seconds=1, answer="x" * 500)
    study.close()
    db = tmp_path / "revise.db"
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 4 * page
    data[2 * page : 4 * page] = b"\xa5" * (2 * page)  # scribble over two pages of the tables
    db.write_bytes(bytes(data))
    before = digest(db)
    with pytest.raises(StoreError) as info:
        s = Study(tmp_path, make_course(topics=2, cards_per_topic=50), Clock(), tz=UTC)
        s.stats()
        s.record("t1.c45", 3, seconds=1)
    assert "damaged" in one_line(info.value)
    assert digest(db) == before


def test_read_only_database_is_refused_untouched(tmp_path: Path) -> None:
    Study(tmp_path, make_course(), Clock()).close()
    db = tmp_path / "revise.db"
    before = digest(db)
    db.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        with pytest.raises(StoreError, match="read-only") as info:
            Study(tmp_path, make_course(), Clock())
        one_line(info.value)
        assert digest(db) == before
    finally:
        db.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_read_only_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(StoreError, match="read-only"):
            Study(home, make_course(), Clock())
        assert list(home.iterdir()) == []
    finally:
        home.chmod(stat.S_IRWXU)


def test_locked_database_gives_a_one_line_message_and_loses_nothing(tmp_path: Path) -> None:
    course = make_course()
    study = Study(tmp_path, course, Clock(), tz=UTC, busy_timeout=0.2)
    study.record("t1.c1", 3, seconds=1)
    other = sqlite3.connect(tmp_path / "revise.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    try:
        with pytest.raises(StoreError, match="locked by another program") as info:
            study.record("t1.c2", 3, seconds=1)
        one_line(info.value)
        assert len(study.queue()) > 0  # reading still works
    finally:
        other.execute("ROLLBACK")
        other.close()
    study.record("t1.c2", 3, seconds=1)  # once released, the review goes through
    assert study.stats().reviews_total == 2
    study.close()


def test_exclusive_lock_at_open_is_reported(tmp_path: Path) -> None:
    Study(tmp_path, make_course(), Clock()).close()
    other = sqlite3.connect(tmp_path / "revise.db", isolation_level=None)
    other.execute("PRAGMA locking_mode = EXCLUSIVE")
    other.execute("BEGIN EXCLUSIVE")
    other.execute("COMMIT")  # keeps the exclusive lock in this mode
    try:
        with pytest.raises(StoreError, match="locked"):
            s = Study(tmp_path, make_course(), Clock(), busy_timeout=0.2)
            s.queue()
    finally:
        other.close()


def test_home_dir_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from revise.paths import home_dir

    monkeypatch.setenv("REVISE_HOME", str(tmp_path / "env"))
    assert home_dir() == tmp_path / "env" and (tmp_path / "env").is_dir()
    assert home_dir(tmp_path / "flag") == tmp_path / "flag"
    monkeypatch.delenv("REVISE_HOME")
    monkeypatch.setattr("platformdirs.user_data_dir", lambda *a, **k: str(tmp_path / "plat"))
    assert home_dir() == tmp_path / "plat"


def test_home_that_is_a_file_is_a_user_error(tmp_path: Path) -> None:
    from revise.paths import home_dir

    (tmp_path / "f").write_text("x")
    with pytest.raises(UserError):
        home_dir(tmp_path / "f")


def test_cli_reports_a_damaged_database_in_one_line(tmp_path: Path, cli) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "revise.db").write_bytes(b"\x00garbage" * 64)
    result = cli("--home", str(home), "stats")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "damaged" in result.stderr
    assert "Traceback" not in result.stderr
