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


def test_with_exam_the_queue_is_the_planners(history: tuple[Study, Clock]) -> None:
    """45 days out, an unseen item is worth most at the exam, so new items lead; then the
    reviews that raise exam-day recall most per second, due or not."""
    from revise.schedule.exam_plan import budget_for, deck_state, exam_day, todays_items
    from revise.schedule.memory import Memory

    study, clock = history
    study.set_exam("2026-10-30")
    queue = study.queue()
    assert [i.id for i in queue if i.is_new] == ["t1.c3", "t2.c2", "t2.c3"]
    assert queue[0].is_new
    # the same choice as the planner makes from the same history, in the same order
    rows = study._rows()
    state = deck_state(study._items, rows, clock.now)
    planned = todays_items(
        study._items, state, Memory(), budget_for(60, {}), exam_day(clock.now, at(30, month=10)), 0
    )
    assert [i.id for i in queue] == [it.id for it in planned]
    assert queue[0].exam_recall == 0.0


def test_the_daily_minutes_bound_the_plan(history: tuple[Study, Clock]) -> None:
    from dataclasses import replace

    study, _ = history
    study.set_exam("2026-10-30")
    full = study.queue()
    study.save_settings(replace(study.settings, minutes_per_day=1))
    short = study.queue()
    assert 0 < len(short) < len(full)
    assert [i.id for i in short] == [i.id for i in full][: len(short)]


def test_set_exam_with_minutes(history: tuple[Study, Clock]) -> None:
    study, _ = history
    study.set_exam("2026-10-30", minutes_per_day=45)
    assert study.settings.minutes_per_day == 45
    outlook = study.exam_outlook()
    assert outlook is not None and outlook.minutes == 45
    assert sorted(outlook.recall) == [35, 45, 70]
    assert outlook.recall[35] <= outlook.recall[45] + 0.02 <= outlook.recall[70] + 0.04
    days = study.exam_plan()
    assert days[0].day == 0 and len(days) == 45
    assert all(d.minutes <= 45 + 1e-9 for d in days)


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
    # the planner introduces as many new items as fit today's minutes, past the daily limit
    new = [i for i in study.queue() if i.is_new]
    assert len(new) == 40
    study.save_settings(replace(study.settings, minutes_per_day=5))
    few = [i for i in study.queue() if i.is_new]
    assert 0 < len(few) < 14
    for item in few:
        study.record(item.id, 3, seconds=30)
    assert len([i for i in study.queue() if i.is_new]) < len(few)  # the minutes are spent
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
    now = ["--now", "2027-01-01T18:00"]
    r = cli("--home", home, "exam", "set", "2027-01-15", "14:30", "--minutes", "45", *now)
    assert r.returncode == 0, r.stderr
    assert "Exam set: Fri 15 Jan 2027 14:30, 45 minutes of study a day." in r.stdout
    assert "Predicted recall on exam day if you stopped today: 0% " in r.stdout
    assert "At 45 min a day: predicted exam-day recall " in r.stdout
    assert "(35 min: " in r.stdout and ", 70 min: " in r.stdout
    r = cli("--home", home, "exam", "--json", *now)
    data = json.loads(r.stdout)
    assert data["exam_at"] == "2027-01-15T14:30:00+00:00" and data["overall"] == 0.0
    assert data["outlook"]["minutes_per_day"] == 45
    assert 0.3 < data["outlook"]["recall"]["45"] <= 1.0
    r = cli("--home", home, "exam", "plan", "--json", *now)
    days = json.loads(r.stdout)["days"]
    assert len(days) == 14 and all(d["minutes"] <= 45 for d in days)
    r = cli("--home", home, "exam", "plan", *now)
    assert r.stdout.splitlines()[3].startswith("today ")
    r = cli("--home", home, "exam", "set", "2099-02-30")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a day" in r.stderr
    r = cli("--home", home, "exam", "--now", "next tuesday")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "ISO 8601" in r.stderr
    r = cli("--home", home, "exam", "clear")
    assert r.returncode == 0 and "cleared" in r.stdout


def test_a_study_period_played_through_the_command_line(cli, tmp_path: Path) -> None:
    """A script moves the clock a day at a time: reviews land on those days, stats agree."""
    import json

    home = str(tmp_path / "h")
    cli("--home", home, "exam", "set", "2027-01-08", "--minutes", "10", "--now", "2027-01-01T18:00")
    for day in (1, 2, 3):
        moment = f"2027-01-0{day}T18:00"
        r = cli(
            "--home",
            home,
            "review",
            "--plain",
            "--kind",
            "card",
            "--limit",
            "3",
            "--now",
            moment,
            input="\n3\n" * 3,
        )
        assert r.returncode == 0, r.stderr
    r = cli("--home", home, "stats", "--json", "--now", "2027-01-04T09:00")
    stats = json.loads(r.stdout)
    per_day = stats["reviews_per_day"]
    assert [per_day.get(f"2027-01-0{d}", 0) > 0 for d in (1, 2, 3)] == [True, True, True]


def test_exam_day_message(tmp_path: Path) -> None:
    from revise.study_text import exam_lines

    clock = Clock(at(1))
    study = Study(tmp_path, make_course(), clock, tz=UTC)
    study.set_exam("2026-09-03")
    clock.now = at(3, 7)
    lines = exam_lines(study.forecast(), None, UTC)
    assert "is today" in lines[0] and "revise exam clear" in lines[1]
    clock.now = at(5)
    assert "has passed" in exam_lines(study.forecast(), None, UTC)[0]
