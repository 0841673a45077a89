"""Rated sessions as a student relies on them: undo, leaving with an unrated answer, practice
past the day's allowance, and missed items coming back with new numbers."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import pytest
from app_support import (
    SIZE,
    T0,
    make_app,
    ready,
    sample_course,
    screen_text,
    settings,
    text_of,
    until,
    utc_zone,
)

from revise.app import ReviseApp
from revise.screens.quiz import QuizScreen, State
from revise.screens.rated import LeaveScreen
from revise.screens.session import Source
from revise.screens.summary import SummaryScreen
from revise.study import Study

utc = pytest.fixture(autouse=True)(utc_zone)

CONV = "app.conv-output"  # the cnn topic's first question: the answer is 32
GCN = "app.gcn"


def build(home: Path, **changes: Any) -> ReviseApp:
    """The test app (as `make_app`), with some constructor arguments changed."""
    args: dict[str, Any] = dict(
        home=home,
        course=sample_course(),
        settings=settings(),
        clock=lambda: T0,
        ticks=lambda: 0.0,
        seeds=lambda family_id: 1,
        steady=True,
    )
    return ReviseApp(**{**args, **changes})


def review_log(home: Path) -> list[tuple[str, int]]:
    """(item, rating) of every review in the log, oldest first."""
    with Study(home, sample_course()) as study, study._store.read() as conn:
        rows = conn.execute(
            "SELECT items.id, reviews.rating FROM reviews JOIN items ON items.num = reviews.item"
            " ORDER BY reviews.id"
        ).fetchall()
    return [(r[0], r[1]) for r in rows]


async def quiz_on(pilot: Any, topic: str) -> QuizScreen:
    app = pilot.app
    await ready(pilot)
    app.go(QuizScreen(Source(topic=topic, kind="family")))
    await until(
        pilot,
        lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.ASKING,
        "a question",
    )
    return app.screen


async def answer(pilot: Any, screen: QuizScreen, text: str) -> None:
    await pilot.press(*text, "enter")
    await until(pilot, lambda: screen.state is State.RATING, "the verdict")


async def rate(pilot: Any, screen: QuizScreen, key: str) -> None:
    index = screen.index
    await pilot.press(key)
    await until(
        pilot,
        lambda: (
            not isinstance(pilot.app.screen, QuizScreen)
            or (screen.index == index + 1 and screen.state in (State.ASKING, State.FRONT))
        ),
        "the next item",
    )


def test_undo_restores_the_database_and_the_place_several_steps_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            assert [e.id for e in screen.entries] == [CONV, GCN]
            assert "u Undo" not in screen_text(app)  # nothing to undo yet
            assert not app.screen.check_action("undo", ())
            await answer(pilot, screen, "28")
            await rate(pilot, screen, "1")
            row = await app.backend.call(lambda s: s.next_due(CONV))
            assert row is not None
            # the empty answer is not called a wrong answer
            await pilot.press("enter")
            await until(pilot, lambda: screen.state is State.RATING, "the solution")
            assert "no answer given" in text_of(app, "#rating-reason")
            assert "wrong answer" not in text_of(app, "#rating-reason")
            await rate(pilot, screen, "4")
            assert review_log(tmp_path) == [(CONV, 1), (GCN, 4)]
            # ctrl+z from the answer box of the question that came back, then u
            assert screen.index == 2 and screen.query_one("#answer-input").has_focus
            await pilot.press("ctrl+z")
            await until(
                pilot,
                lambda: screen.index == 1 and screen.state is State.RATING,
                "the GCN question, to rate again",
            )
            assert review_log(tmp_path) == [(CONV, 1)]
            assert "No answer given" in text_of(app, "#verdict")
            await pilot.press("u")
            await until(
                pilot,
                lambda: screen.index == 0 and screen.state is State.RATING,
                "the first question, to rate again",
            )
            assert review_log(tmp_path) == []
            assert await app.backend.call(lambda s: s.next_due(CONV)) is None  # new again
            assert [e.id for e in screen.entries] == [CONV, GCN]  # its return is gone too
            assert screen.session.entries == []
            assert text_of(app, "#verdict").startswith("✗")
            assert screen.query_one("#answer-input").value == "28"
            await rate(pilot, screen, "2")
            assert review_log(tmp_path) == [(CONV, 2)]

    asyncio.run(scenario())


def test_undo_is_in_the_footer_and_the_palette(tmp_path: Path) -> None:
    async def scenario() -> None:
        from revise.palette import screen_commands

        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            await answer(pilot, screen, "32")
            await rate(pilot, screen, "4")
            names = [name for name, _, _ in screen_commands(screen)]
            assert "Undo the last rating" in names
            # the answer box has the focus: the footer offers ctrl+z (u is a letter here)
            shown = app.active_bindings["ctrl+z"]
            assert shown.binding.action.endswith("undo") and shown.binding.show and shown.enabled

    asyncio.run(scenario())


def test_quitting_with_an_unrated_answer_asks_first(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            # while an answer is typed, q is a letter of it and Quit is not offered
            assert app.check_action("quit", ()) is False
            assert "quit" not in {b.binding.action for b in app.active_bindings.values()}
            await answer(pilot, screen, "32")
            assert app.check_action("quit", ()) is True
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, LeaveScreen), "the question")
            assert "not rated yet" in screen_text(app)
            await pilot.press("escape")  # stay
            await until(pilot, lambda: app.screen is screen, "back to the question")
            assert screen.state is State.RATING and review_log(tmp_path) == []
            await pilot.press("escape")  # end the session: asks too
            await until(pilot, lambda: isinstance(app.screen, LeaveScreen), "the question")
            await pilot.press("s")  # record the suggested rating, then end
            await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
            assert "Recorded" in " ".join(str(n.message) for n in app._notifications)

    asyncio.run(scenario())
    suggested = review_log(tmp_path)
    assert len(suggested) == 1 and suggested[0][0] == CONV


def test_quitting_without_recording(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            await answer(pilot, screen, "32")
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, LeaveScreen), "the question")
            await pilot.press("d")
            await pilot.pause(0.3)

    asyncio.run(scenario())
    assert review_log(tmp_path) == []


def test_a_topic_can_be_practised_past_the_daily_allowance(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = build(tmp_path, settings=settings(new_per_day=1))
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            assert "1 of today's 1 left" in text_of(app, "#session-note")
            assert [e.id for e in screen.entries] == [CONV]
            await answer(pilot, screen, "32")
            await rate(pilot, screen, "4")
            await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
            app.go(QuizScreen(Source(topic="cnn", kind="family")))
            await until(
                pilot,
                lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.EMPTY,
                "the empty quiz",
            )
            shown = screen_text(app)
            assert "new items are used up (1 of 1" in shown
            assert "Press p to practise anyway" in shown
            await pilot.press("p")
            screen = app.screen
            await until(pilot, lambda: screen.state is State.ASKING, "a question past the limit")
            assert screen.entries[0].id == GCN  # never seen before: past the allowance
            assert "past today's allowance" in text_of(app, "#session-note")
            await pilot.press("enter")
            await until(pilot, lambda: screen.state is State.RATING, "the solution")
            await rate(pilot, screen, "4")

    asyncio.run(scenario())
    assert review_log(tmp_path) == [(CONV, 4), (GCN, 4)]


def test_a_missed_question_comes_back_with_new_numbers(tmp_path: Path) -> None:
    counter = itertools.count(1)

    async def scenario() -> None:
        app = build(tmp_path, seeds=lambda family_id: next(counter))
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            first_seed = screen.seed
            await answer(pilot, screen, "28")
            await rate(pilot, screen, "1")
            assert [e.id for e in screen.entries] == [CONV, GCN, CONV]
            await pilot.press("enter")  # the GCN question: show the solution
            await until(pilot, lambda: screen.state is State.RATING, "the solution")
            await rate(pilot, screen, "4")
            assert screen.entries[screen.index].id == CONV
            assert screen.seed != first_seed
            assert "again, with new numbers" in text_of(app, "#session-label")
            await answer(pilot, screen, "32")
            await rate(pilot, screen, "4")
            await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
            summary = screen_text(app)
            assert "Missed" in summary and "Convolution output size" in summary
            assert "One GCN layer" in summary
            assert "ask these again, questions with new numbers" in summary
            assert "3 reviews" in summary
            await pilot.press("a")
            await until(
                pilot,
                lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.ASKING,
                "the missed question again",
            )
            # the GCN question went unanswered: missed too
            assert [e.id for e in app.screen.entries] == [CONV, GCN]

    asyncio.run(scenario())


def test_a_matrix_answer_is_typed_a_row_per_line(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = build(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            assert screen.query_one("#answer-input").display  # a number: one line
            await answer(pilot, screen, "32")
            await rate(pilot, screen, "4")
            rows = screen.query_one("#answer-lines")
            assert rows.display and rows.has_focus  # the GCN layer's output is a matrix
            assert not screen.query_one("#answer-input").display
            # ctrl+z in the box of rows undoes the last rating too (not the typing)
            await pilot.press("ctrl+z")
            await until(
                pilot, lambda: screen.index == 0 and screen.state is State.RATING, "the undo"
            )
            assert review_log(tmp_path) == []
            await rate(pilot, screen, "4")
            rows = screen.query_one("#answer-lines")
            assert rows.has_focus
            await pilot.press(*"1 0", "enter", *"0 1", "enter", *"1 1", "enter")
            assert screen.state is State.ASKING  # Enter starts the next row
            await pilot.press("enter")  # Enter on the empty line checks it
            await until(pilot, lambda: screen.state is State.RATING, "the verdict")
            assert screen.answered is not None
            assert screen.answered[0].splitlines() == ["1 0", "0 1", "1 1"]
            assert "⎡" in text_of(app, "#answer-preview")  # read back as a matrix

    asyncio.run(scenario())
