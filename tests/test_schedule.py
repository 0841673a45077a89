"""Scheduling with fsrs through the study API: course order, daily limits, undo, leeches,
variant seeds, rating suggestions, card identity and settings."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from study_support import Clock, check_consistent, make_course

import content
from content import Card, Topic
from engine.errors import UserError
from revise.study import Settings, Study


@pytest.fixture
def clock() -> Clock:
    return Clock()


def study_on(tmp_path: Path, clock: Clock, course: content.Course | None = None) -> Study:
    return Study(tmp_path, course or make_course(), clock, tz=UTC, fuzz=False)


def test_new_items_follow_course_order_topic_order_then_file_order(
    tmp_path: Path, clock: Clock
) -> None:
    topics = (
        Topic(id="late", title="Late", order=2, summary="s", notes=["002"]),
        Topic(id="early", title="Early", order=1, summary="s", notes=["002"]),
    )
    cards = tuple(
        Card(id=cid, topic=t, kind="fact", front=cid, back="b", source="002")
        for cid, t in [
            ("late.b", "late"),
            ("early.z", "early"),
            ("late.a", "late"),
            ("early.a", "early"),
        ]
    )
    course = content.Course(topics=topics, cards=cards, families=())
    study = study_on(tmp_path, clock, course)
    assert [i.id for i in study.queue()] == ["early.z", "early.a", "late.b", "late.a"]
    assert all(i.is_new and i.due is None and i.exam_recall is None for i in study.queue())


def test_families_follow_the_cards_of_their_topic() -> None:
    course = content.load(Path(__file__).resolve().parent / "fixtures" / "course")
    from revise.schedule.items import course_items

    assert [(i.id, i.kind) for i in course_items(course)] == [
        ("cnn.kernel.def", "card"),
        ("cnn.pooling.def", "card"),
        ("cnn.conv-output.fixed", "family"),
    ]


def test_daily_new_limit_and_the_next_day(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock, make_course(topics=2, cards_per_topic=5))
    study.save_settings(replace(study.settings, new_per_day=3))
    first = study.queue()
    assert [i.id for i in first] == ["t1.c1", "t1.c2", "t1.c3"]
    for item in first:
        study.record(item.id, 4, seconds=2)  # Easy: straight to review, due in days
    assert [i.id for i in study.queue() if i.is_new] == []
    clock.advance(days=1)
    assert [i.id for i in study.queue() if i.is_new] == ["t1.c4", "t1.c5", "t2.c1"]


def test_daily_review_limit(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock, make_course(topics=1, cards_per_topic=6))
    for item in study.queue():
        study.record(item.id, 4, seconds=2)
    study.save_settings(replace(study.settings, reviews_per_day=4, new_per_day=0))
    clock.advance(days=60)
    due = study.queue()
    assert len(due) == 4 and not any(i.is_new for i in due)
    for item in due[:3]:
        study.record(item.id, 3, seconds=2)
    assert len([i for i in study.queue() if i.due and i.due <= clock.now]) == 1


def test_filters_and_limit(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    assert {i.topic for i in study.queue(topic="t2")} == {"t2"}
    assert len(study.queue(limit=2)) == 2
    assert study.queue(kind="family") == []
    with pytest.raises(UserError, match="no topic"):
        study.queue(topic="nope")
    with pytest.raises(UserError):
        study.queue(kind="poster")


def test_learning_steps_come_back_after_new_items(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock, make_course(topics=1, cards_per_topic=3))
    study.record("t1.c1", 1, seconds=2)  # Again: due again in a minute
    order = [i.id for i in study.queue()]
    assert order == ["t1.c2", "t1.c3", "t1.c1"]  # waiting a minute is not needed: shown last
    clock.advance(minutes=2)
    assert [i.id for i in study.queue()][0] == "t1.c1"  # due now: first


def test_record_writes_log_and_schedule_together(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    study.record("t1.c1", 3, seconds=4.25, answer="my answer", correct=True, seed=7)
    clock.advance(minutes=11)
    study.record("t1.c1", 3, seconds=3)
    conn = sqlite3.connect(tmp_path / "revise.db")
    rows = conn.execute(
        "SELECT rating, duration_ms, answer, correct, seed, cram, prev_state FROM reviews"
    ).fetchall()
    assert rows == [(3, 4250, "my answer", 1, 7, 0, None), (3, 3000, None, None, None, 0, 1)]
    conn.close()
    assert check_consistent(tmp_path / "revise.db") == 2


def test_bad_reviews_are_refused_and_nothing_is_saved(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    with pytest.raises(UserError, match="no card or question family"):
        study.record("nope", 3, seconds=1)
    for bad in (0, 5, True, "3"):
        with pytest.raises(UserError, match="rating"):
            study.record("t1.c1", bad, seconds=1)  # type: ignore[arg-type]
    assert study.stats().reviews_total == 0


def test_undo_restores_the_previous_state(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    assert study.undo_last() is None
    study.record("t1.c1", 3, seconds=1)
    clock.advance(minutes=15)
    before = study.next_due("t1.c1")
    study.record("t1.c1", 1, seconds=1)
    assert study.undo_last() == "t1.c1"
    assert study.next_due("t1.c1") == before
    assert study.undo_last() == "t1.c1"
    assert study.next_due("t1.c1") is None  # new again
    assert [i.id for i in study.queue()][0] == "t1.c1"
    assert study.undo_last() is None
    assert study.stats().reviews_total == 0


def test_undo_by_review_id_and_the_learning_steps_of_a_session(
    tmp_path: Path, clock: Clock
) -> None:
    study = study_on(tmp_path, clock)
    first = study.record("t1.c1", 1, seconds=1)  # Again on a new item: fsrs's first step
    due = study.learning_due("t1.c1")
    assert due is not None and due - study.now() <= timedelta(minutes=5)
    clock.advance(minutes=2)
    second = study.record("t1.c1", 4, seconds=1)  # Easy: a review on another day
    assert study.learning_due("t1.c1") is None
    assert study.undo(first) is None  # not the item's latest review: kept
    assert study.undo(second) == "t1.c1"
    assert study.learning_due("t1.c1") == due  # back in its step
    assert study.undo(first) == "t1.c1"
    assert study.next_due("t1.c1") is None
    assert study.stats().reviews_total == 0


def test_allowance_and_practice_past_it(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    study.save_settings(replace(study.settings, new_per_day=1))
    assert study.allowance() == (1, 0)
    first = study.queue()[0].id
    study.record(first, 4, seconds=1)
    assert study.allowance() == (1, 1)
    assert not [i for i in study.queue() if i.is_new]  # the day's new items are used up
    practice = study.practice()
    assert practice and practice[0].is_new and practice[0].id != first  # past the allowance
    assert practice[-1].id == first  # the seen one after the new ones


def test_leeches_after_eight_lapses(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    lapses = 0
    for _ in range(200):
        due = study.next_due("t1.c1")
        if due is not None and due > clock.now:
            clock.now = due
        state = study._rows().get("t1.c1")
        if state is not None and state.state == 2:
            study.record("t1.c1", 1, seconds=1)
            lapses += 1
            if lapses == 8:
                break
        else:
            study.record("t1.c1", 4, seconds=1)
    assert lapses == 8
    assert study.leeches() == ["t1.c1"]
    stats = study.stats()
    assert stats.leeches == ["t1.c1"] and stats.by_state["leech"] == 1


def test_new_seed_is_fresh(tmp_path: Path, clock: Clock) -> None:
    course = content.load(Path(__file__).resolve().parent / "fixtures" / "course")
    study = study_on(tmp_path, clock, course)
    fid = "cnn.conv-output.fixed"
    seeds = []
    for _ in range(20):
        seed = study.new_seed(fid)
        assert seed not in seeds
        study.record(fid, 3, seconds=5, answer="32", correct=True, seed=seed)
        seeds.append(seed)
        clock.advance(days=1)
    a, b = study.new_seed(fid), study.new_seed(fid)
    assert a != b and a not in seeds and b not in seeds
    with pytest.raises(UserError):
        study.new_seed("nope")


@pytest.mark.parametrize(
    ("correct", "attempts", "hint", "seconds", "rating"),
    [
        (False, 1, False, 5, 1),
        (True, 1, False, 5, 4),  # quicker than the typical 45 s of a difficulty-1 family
        (True, 1, False, 60, 3),
        (True, 2, False, 5, 2),
        (True, 1, True, 5, 2),
        (True, 1, False, 500, 2),  # much slower than usual
    ],
)
def test_suggested_rating(
    tmp_path: Path,
    clock: Clock,
    correct: bool,
    attempts: int,
    hint: bool,
    seconds: float,
    rating: int,
) -> None:
    course = content.load(Path(__file__).resolve().parent / "fixtures" / "course")
    study = study_on(tmp_path, clock, course)
    got = study.suggest_rating(
        "cnn.conv-output.fixed", correct=correct, attempts=attempts, used_hint=hint, seconds=seconds
    )
    assert got.rating == rating and got.reason


def test_typical_time_comes_from_own_history(tmp_path: Path, clock: Clock) -> None:
    course = content.load(Path(__file__).resolve().parent / "fixtures" / "course")
    study = study_on(tmp_path, clock, course)
    fid = "cnn.conv-output.fixed"
    for _ in range(3):
        study.record(fid, 3, seconds=10, correct=True)
        clock.advance(days=1)
    # 20 s is quick against the default 45 s, but slow against this student's own 10 s
    assert (
        study.suggest_rating(fid, correct=True, attempts=1, used_hint=False, seconds=20).rating == 3
    )
    assert (
        study.suggest_rating(fid, correct=True, attempts=1, used_hint=False, seconds=8).rating == 4
    )


def test_editing_a_card_keeps_its_history_and_removing_retires_it(
    tmp_path: Path, clock: Clock
) -> None:
    study = study_on(tmp_path, clock)
    study.record("t1.c1", 4, seconds=1)
    study.close()
    edited = make_course()
    cards = tuple(
        c.model_copy(update={"front": "Reworded"}) if c.id == "t1.c1" else c
        for c in edited.cards
        if c.id != "t1.c2"
    )
    study = study_on(tmp_path, clock, content.Course(edited.topics, cards, ()))
    assert study.next_due("t1.c1") is not None  # the reworded card kept its schedule
    assert "t1.c1" not in [i.id for i in study.queue() if i.is_new]
    study.close()
    # a card whose id left the course is retired, its history kept
    study = study_on(tmp_path, clock)
    study.record("t1.c2", 3, seconds=1)
    study.close()
    study = study_on(tmp_path, clock, content.Course(edited.topics, cards, ()))
    assert study.retired() == ["t1.c2"]
    assert study.stats().by_state["retired"] == 1
    assert "t1.c2" not in [i.id for i in study.queue()]
    assert study.stats().reviews_total == 2
    with pytest.raises(UserError):
        study.record("t1.c2", 3, seconds=1)


def test_settings_round_trip_and_validation(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    assert study.settings == Settings()
    new = Settings(desired_retention=0.85, new_per_day=5, reviews_per_day=50, device="cpu",
                   theme="nord", exam_at=clock.now + timedelta(days=30))  # fmt: skip
    study.save_settings(new)
    assert study_on(tmp_path, clock).settings == new
    for bad in (
        replace(new, desired_retention=1.5),
        replace(new, desired_retention=0.2),
        replace(new, new_per_day=-1),
        replace(new, reviews_per_day=2.5),  # type: ignore[arg-type]
        replace(new, device="tpu"),
    ):
        with pytest.raises(UserError):
            study.save_settings(bad)
    assert study.settings == new


def test_desired_retention_changes_the_intervals(tmp_path: Path, clock: Clock) -> None:
    a = study_on(tmp_path / "a", clock)
    b = study_on(tmp_path / "b", clock)
    b.save_settings(replace(b.settings, desired_retention=0.8))
    for s in (a, b):
        s.record("t1.c1", 4, seconds=1)
    due_a, due_b = a.next_due("t1.c1"), b.next_due("t1.c1")
    assert due_a is not None and due_b is not None and due_b > due_a


def test_counts_per_topic(tmp_path: Path, clock: Clock) -> None:
    study = study_on(tmp_path, clock)
    study.record("t1.c1", 3, seconds=1)
    counts = study.counts()
    assert counts["t1"] == {"due": 1, "new": 3, "total": 4, "seen": 1}
    assert counts["t2"] == {"due": 0, "new": 4, "total": 4, "seen": 0}
