"""Merged cards keep their history: `replaces:` moves a replaced card's reviews to its survivor."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC
from pathlib import Path

from study_support import Clock, check_consistent, make_course

import content
from revise.study import Study


def merged(course: content.Course, survivor: str, *old: str) -> content.Course:
    """The course with the `old` cards merged into `survivor` (which lists them in replaces)."""
    cards = tuple(
        c.model_copy(update={"replaces": list(old)}) if c.id == survivor else c
        for c in course.cards
        if c.id not in old
    )
    return replace(course, cards=cards)


def reviews_by_item(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT items.id, count(*) FROM reviews JOIN items ON items.num = reviews.item "
            "GROUP BY items.id"
        )
        return {str(i): int(n) for i, n in rows}
    finally:
        conn.close()


def test_a_replaced_card_alone_is_renamed(tmp_path: Path) -> None:
    clock = Clock()
    course = make_course()
    study = Study(tmp_path, course, clock, tz=UTC, fuzz=False)
    for _ in range(3):
        study.record("t1.c2", 3, seconds=4)
        clock.advance(days=2)
    due = study.next_due("t1.c2")
    study.close()
    again = Study(tmp_path, merged(course, "t1.c1", "t1.c2"), clock, tz=UTC, fuzz=False)
    assert again.next_due("t1.c1") == due
    assert again.next_due("t1.c2") is None
    again.close()
    assert reviews_by_item(tmp_path / "revise.db") == {"t1.c1": 3}
    check_consistent(tmp_path / "revise.db")


def test_both_reviewed_keeps_every_review_and_the_latest_schedule(tmp_path: Path) -> None:
    clock = Clock()
    course = make_course()
    study = Study(tmp_path, course, clock, tz=UTC, fuzz=False)
    study.record("t1.c1", 3, seconds=4)
    clock.advance(days=1)
    for _ in range(2):
        study.record("t1.c2", 4, seconds=4)
        clock.advance(days=3)
    latest_due = study.next_due("t1.c2")
    study.close()
    combined = merged(course, "t1.c1", "t1.c2")
    again = Study(tmp_path, combined, clock, tz=UTC, fuzz=False)
    assert again.next_due("t1.c1") == latest_due
    assert again.stats().reviews_total == 3
    again.close()
    assert reviews_by_item(tmp_path / "revise.db") == {"t1.c1": 3}
    # opening again changes nothing
    Study(tmp_path, combined, clock, tz=UTC, fuzz=False).close()
    assert reviews_by_item(tmp_path / "revise.db") == {"t1.c1": 3}


def test_a_replaced_id_cannot_be_another_cards_id(tmp_path: Path) -> None:
    bad = tmp_path / "cards.yaml"
    bad.write_text(
        "cards:\n"
        "  - {id: a.one, topic: cnn, kind: fact, front: F, back: B, source: '000'}\n"
        "  - {id: a.two, topic: cnn, kind: fact, front: F, back: B, source: '000',\n"
        "     replaces: [a.one]}\n",
        encoding="utf-8",
    )
    (problem,) = content.check(bad)[1]
    assert problem.key == "cards[1].replaces[0]" and "duplicate card id 'a.one'" in problem.message


def test_the_shipped_replaced_ids_are_no_cards() -> None:
    course = content.load(seeds=0)
    ids = {c.id for c in course.cards}
    replaced = [old for c in course.cards for old in c.replaces]
    assert replaced, "the merged cards name the ids they replace"
    assert not ids & set(replaced)
    assert len(replaced) == len(set(replaced))


def test_cards_are_focused() -> None:
    course = content.load(seeds=0)
    long = [(len(c.back), c.id) for c in course.cards if c.kind != "glossary" and len(c.back) > 350]
    assert long == []


def test_corrected_cards_read_right() -> None:
    course = content.load(seeds=0)
    gru = course.card("rnn.gru.formula").back
    assert r"h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}" in gru  # the questions' convention
    other = course.card("rnn.gru-conventions.fact").back
    assert r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot n_t" in other
    lenet = course.card("cnn.lenet.fact").back
    assert "three convolution layers" in lenet and all(c in lenet for c in ("C1", "C3", "C5"))
    bptt = course.card("rnn.bptt.formula").back
    assert r"\delta_t = \frac{\partial L}{\partial a_t}" in bptt  # as the engine's BPTT trace
    running = course.card("normalisation.running.formula").back
    assert r"\rho" in running and "momentum $m" not in running
    critical = course.card("optimisation.critical-points.fact").back
    assert "Both signs" in critical and "rest of one sign" in critical
