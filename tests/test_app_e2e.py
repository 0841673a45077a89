"""End to end: an empty home; one question right, one wrong, one card flipped and rated; quit.
Started again on the same home, the three reviews are there and the stats screen shows them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from app_support import SIZE, make_app, ready, screen_text, text_of, until, utc_zone

from revise.screens.quiz import QuizScreen, State
from revise.screens.stats import StatsScreen
from revise.screens.summary import SummaryScreen

utc = pytest.fixture(autouse=True)(utc_zone)


def test_revise_quit_and_come_back(tmp_path: Path) -> None:
    assert not (tmp_path / "revise.db").exists()

    async def first_session() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert "0 of 5 items seen" in screen_text(app)
            # today's review: the first topic's card, its question, then the CNN questions
            await pilot.press("r")
            await until(
                pilot,
                lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.FRONT,
                "the card",
            )
            quiz = app.screen
            assert isinstance(quiz, QuizScreen)
            await pilot.press("space", "3")
            await until(pilot, lambda: quiz.state is State.ASKING, "the first question")
            assert "x = 1.5" in text_of(app, "#question")
            await pilot.press(*"1.5", "enter")
            await until(pilot, lambda: quiz.state is State.RATING, "the verdict")
            assert text_of(app, "#verdict").startswith("✓")
            await pilot.press("enter")  # the suggested rating
            await until(
                pilot, lambda: quiz.index == 2 and quiz.state is State.ASKING, "the second question"
            )
            assert "32×32 input" in text_of(app, "#question")
            await pilot.press(*"31", "enter")
            await until(pilot, lambda: quiz.state is State.RATING, "the verdict")
            assert text_of(app, "#verdict").startswith("✗")
            await pilot.press("1")
            await until(pilot, lambda: quiz.index == 3, "the next question")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
            assert "1 / 2 answers right" in screen_text(app)
            await pilot.press("q")

    async def second_session() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert "3 of 5 items seen" in screen_text(app)
            await pilot.press("s")
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, StatsScreen)
                    and "3 in all" in text_of(app, "#stats-overview")
                ),
                "the stats",
            )
            daily = app.screen.query_one("#plot-daily")
            assert "Reviews per day" in str(daily.render())
            assert "learning" in text_of(app, "#stats-states")

    asyncio.run(first_session())
    assert (tmp_path / "revise.db").exists()
    asyncio.run(second_session())
