"""Exam mode with a fixed clock: reading the date, weakest-at-the-exam ordering, the forecast
(golden figures from fsrs's default parameters, fuzzing off), pacing, cramming, the exam day."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from study_support import Clock, make_course

from engine.errors import UserError
from revise.schedule.exam import pace, parse_exam
from revise.study import Study


def at(day: int, hour: int = 9, minute: int = 0, month: int = 9) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_parse_exam_date_and_time() -> None:
    now = at(1)
    assert parse_exam("2027-01-15", None, now, UTC) == datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    assert parse_exam("2027-01-15", "14:30", now, UTC) == datetime(2027, 1, 15, 14, 30, tzinfo=UTC)
    shanghai = ZoneInfo("Asia/Shanghai")
    assert parse_exam("2027-01-15", "14:30", now, shanghai) == datetime(
        2027, 1, 15, 6, 30, tzinfo=UTC
    )
    assert parse_exam("2026-09-01", None, now, UTC) == at(1)  # today is still allowed
    for day, time_, message in [
        ("15/01/2027", None, "YYYY-MM-DD"),
        ("2027-02-30", None, "not a day"),
        ("2027-01-15", "25:00", "HH:MM"),
        ("2027-01-15", "noon", "HH:MM"),
        ("2026-08-31", None, "has passed"),
    ]:
        with pytest.raises(UserError, match=message):
            parse_exam(day, time_, now, UTC)


@pytest.fixture
def history(tmp_path: Path) -> tuple[Study, Clock]:
    """t1.c2 learnt Easy on 1 Sep (due 9 Sep); t2.c1 Easy on 10 Sep (due 18 Sep); t1.c1 Good,
    Good on 12 Sep (due 14 Sep, low stability). Now: 15 Sep 10:00 UTC."""
    clock = Clock(at(1))
    study = Study(tmp_path, make_course(topics=2, cards_per_topic=3), clock, tz=UTC, fuzz=False)
    study.record("t1.c2", 4, seconds=1)
    clock.now = at(10)
    study.record("t2.c1", 4, seconds=1)
    clock.now = at(12)
    study.record("t1.c1", 3, seconds=1)
    clock.advance(minutes=10)
    study.record("t1.c1", 3, seconds=1)
    clock.now = at(15, 10)
    return study, clock


def test_without_exam_reviews_go_by_due_date(history: tuple[Study, Clock]) -> None:
    study, _ = history
    assert [(i.id, i.is_new) for i in study.queue()] == [
        ("t1.c2", False),  # due 9 Sep
        ("t1.c1", False),  # due 14 Sep
        ("t1.c3", True),
        ("t2.c2", True),
        ("t2.c3", True),
    ]


def test_with_exam_reviews_go_weakest_on_exam_day_first(history: tuple[Study, Clock]) -> None:
    study, _ = history
    study.set_exam("2026-10-30")
    queue = study.queue()
    assert [(i.id, i.is_new, round(i.exam_recall or 0, 4)) for i in queue] == [
        ("t1.c1", False, 0.6254),  # due later, but weaker on exam day: low stability
        ("t1.c2", False, 0.7261),
        ("t1.c3", True, 0.0),
        ("t2.c2", True, 0.0),
        ("t2.c3", True, 0.0),
    ]
    assert queue[0].due == datetime(2026, 9, 14, 9, 10, tzinfo=UTC)


def test_review_limit_keeps_the_weakest(history: tuple[Study, Clock]) -> None:
    from dataclasses import replace

    study, _ = history
    study.set_exam("2026-10-30")
    study.save_settings(replace(study.settings, reviews_per_day=1))
    assert [i.id for i in study.queue() if not i.is_new] == ["t1.c1"]


def test_forecast_golden(history: tuple[Study, Clock]) -> None:
    study, _ = history
    assert study.forecast().exam_at is None and study.forecast().overall is None
    study.set_exam("2026-10-30")
    f = study.forecast().to_json()
    assert f == {
        "exam_at": "2026-10-30T09:00:00+00:00",
        "days_left": 44.96,
        "overall": 0.349,
        "passed": False,
        "new_per_day": 20,
        "unseen": 3,
        "topics": [
            {"topic": "t1", "title": "Topic 1", "cards": 3, "seen": 2, "due": 2,
             "mastery": 0.5804, "exam_recall": 0.4505},
            {"topic": "t2", "title": "Topic 2", "cards": 3, "seen": 1, "due": 0,
             "mastery": 0.3103, "exam_recall": 0.2474},
        ],
    }  # fmt: skip


def test_exam_drill_and_cram_flag(history: tuple[Study, Clock], tmp_path: Path) -> None:
    study, _ = history
    study.set_exam("2026-10-30")
    drill = study.queue(exam_drill=True)
    seen = [(i.id, round(i.exam_recall or 0, 4)) for i in drill if not i.is_new]
    assert seen == [("t1.c1", 0.6254), ("t1.c2", 0.7261), ("t2.c1", 0.7423)]
    study.record("t2.c1", 3, seconds=1)  # due 18 Sep: reviewed ahead of time, cramming
    study.record("t1.c1", 3, seconds=1)  # due: a normal review
    conn = sqlite3.connect(tmp_path / "revise.db")
    flags = conn.execute(
        "SELECT i.id, r.cram FROM reviews r JOIN items i ON i.num = r.item "
        "WHERE r.reviewed_at >= ? ORDER BY r.id",
        (int(at(15).timestamp() * 1000),),
    ).fetchall()
    conn.close()
    assert flags == [("t2.c1", 1), ("t1.c1", 0)]
    stats = study.stats()
    assert stats.cram_reviews == 1
    # cram reviews are left out of what the optimiser sees
    from revise.store import queries

    with study._store.read() as c:  # the optimiser's own query
        logs = list(queries.optimizer_logs(c))
    assert len(logs) == stats.reviews_total - 1


def test_pacing_new_items_before_the_exam(tmp_path: Path) -> None:
    from dataclasses import replace

    clock = Clock(at(1))
    study = Study(tmp_path, make_course(topics=1, cards_per_topic=40), clock, tz=UTC, fuzz=False)
    study.save_settings(replace(study.settings, new_per_day=5))
    assert len(study.queue()) == 5
    study.set_exam("2026-09-06")  # 5 days: 3 for new items, 2 kept for reviews
    assert study.forecast().new_per_day == 14
    new = [i for i in study.queue() if i.is_new]
    assert len(new) == 14
    for item in new:
        study.record(item.id, 3, seconds=1)
    assert not [i for i in study.queue() if i.is_new]
    clock.now = at(2)
    assert len([i for i in study.queue() if i.is_new]) == 13  # 26 left over 2 days
    assert pace(5, 100, at(1), at(30), UTC) == 5  # far off: the student's own limit suffices
    assert pace(5, 10, at(1), at(2), UTC) == 10  # tomorrow: everything today


def test_exam_day_and_after(history: tuple[Study, Clock]) -> None:
    study, clock = history
    study.set_exam("2026-09-20", "14:00")
    clock.now = at(20, 8)
    f = study.forecast()
    assert f.passed and study.exam_passed() and f.new_per_day is None
    assert 0 < (f.days_left or 0) < 1
    # the exam is today: the queue goes back to ordinary scheduling
    assert all(i.exam_recall is None for i in study.queue())
    clock.now = at(25)
    assert study.forecast().passed
    assert study.clear_exam() is True
    assert study.forecast().exam_at is None and study.clear_exam() is False


def test_optimize_needs_enough_history(history: tuple[Study, Clock]) -> None:
    study, _ = history
    result = study.optimize()
    assert result.parameters is None and result.needed == 400 - result.usable
    assert study.parameters is None


def test_optimize_fits_and_keeps_parameters(tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    import random

    clock = Clock(at(1))
    study = Study(tmp_path, make_course(topics=3, cards_per_topic=20), clock, tz=UTC, fuzz=False)
    study.record("t1.c1", 3, seconds=1)
    rng = random.Random(3)
    rows = []
    start = int(at(1).timestamp() * 1000)
    for num in range(1, 61):
        t = start + num * 1000
        for k in range(8):
            rows.append((num, rng.choice([1, 2, 3, 3, 3, 4]), t, 4000))
            t += (k + 1) * 86_400_000
    conn = sqlite3.connect(tmp_path / "revise.db")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.executemany(
        "INSERT INTO reviews (item, rating, reviewed_at, duration_ms) VALUES (?, ?, ?, ?)", rows
    )
    conn.commit()
    conn.close()
    result = study.optimize()
    assert result.parameters is not None and len(result.parameters) == 21
    assert study.parameters == result.parameters
    study.reset_parameters()
    assert study.parameters is None


def test_exam_cli(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    home = str(tmp_path / "h")
    monkeypatch.setenv("TZ", "UTC")
    r = cli("--home", home, "exam", "set", "2099-01-15", "14:30")
    assert r.returncode == 0, r.stderr
    assert "Exam set: Thu 15 Jan 2099 14:30." in r.stdout
    assert "Predicted recall on exam day: 0% overall" in r.stdout
    r = cli("--home", home, "exam", "--json")
    data = json.loads(r.stdout)
    assert data["exam_at"] == "2099-01-15T14:30:00+00:00" and data["overall"] == 0.0
    r = cli("--home", home, "exam", "set", "2099-02-30")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a day" in r.stderr
    r = cli("--home", home, "exam", "clear")
    assert r.returncode == 0 and "cleared" in r.stdout


def test_exam_day_message(tmp_path: Path) -> None:
    from revise.study_text import exam_lines

    clock = Clock(at(1))
    study = Study(tmp_path, make_course(), clock, tz=UTC)
    study.set_exam("2026-09-03")
    clock.now = at(3, 7)
    lines = exam_lines(study.forecast(), 20, UTC)
    assert "is today" in lines[0] and "revise exam clear" in lines[1]
    clock.now = at(5)
    assert "has passed" in exam_lines(study.forecast(), 20, UTC)[0]
