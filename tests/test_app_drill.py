"""Flashcard drill: front, space flips, 1–4 rates, u undoes, progress through the queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from app_support import SIZE, make_app, ready, sample_course, screen_text, until, utc_zone
from textual.widgets import ProgressBar

from revise.screens.drill import DrillScreen
from revise.screens.summary import SummaryScreen
from revise.study import Study
from revise.widgets.flashcard import FlashCard

utc = pytest.fixture(autouse=True)(utc_zone)


def test_flip_rate_undo_and_finish(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("d")
            await until(
                pilot,
                lambda: isinstance(app.screen, DrillScreen) and not app.screen.busy(),
                "the drill",
            )
            screen = app.screen
            card = screen.query_one(FlashCard)
            assert "card 1 of 2" in screen_text(app)
            assert not card.flipped
            await pilot.press("3")  # not before the card is flipped
            await pilot.pause()
            assert screen.index == 0
            await pilot.press("space")
            assert card.flipped
            first = screen.entries[0].id
            await pilot.press("2")
            await until(pilot, lambda: screen.index == 1 and not screen.busy(), "the second card")
            assert screen.query_one(ProgressBar).progress == 1
            assert "receptive field" in screen_text(app)
            # Hard on a new card leaves it in a learning step of minutes: it comes back
            assert [e.id for e in screen.entries].count(first) == 2
            assert "card 2 of 3" in screen_text(app)
            await pilot.press("u")
            await until(
                pilot, lambda: screen.index == 0 and not screen.busy(), "back to the first card"
            )
            assert card.flipped  # shown again as it was, to be rated again
            assert screen.session.entries == []
            assert len(screen.entries) == 2  # the return is taken back with the rating
            with Study(tmp_path, sample_course()) as study:
                assert study.stats().reviews_total == 0
            await pilot.press("3")
            await until(
                pilot, lambda: screen.index == 1 and not screen.busy(), "the second card again"
            )
            await pilot.click(FlashCard)  # the mouse flips too
            assert card.flipped
            await pilot.press("4")  # Easy: scheduled for another day, it does not come back
            await until(pilot, lambda: screen.index == 2 and not screen.busy(), "the return")
            assert screen.entries[2].id == first
            assert "again" in screen_text(app)
            await pilot.press("space", "4")
            await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
            assert "Reviewed  2 items (3 reviews" in screen_text(app)

    asyncio.run(scenario())
    with Study(tmp_path, sample_course()) as study:
        assert study.stats().reviews_total == 3


def test_topic_drill_with_nothing_due_offers_practice(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await app.backend.call(lambda s: s.record("app.receptive-field.def", 4, seconds=3))
            app.action_drill("concepts")
            await until(
                pilot,
                lambda: isinstance(app.screen, DrillScreen) and app.screen.empty,
                "an empty drill",
            )
            assert "No cards are due" in screen_text(app)
            await pilot.press("p")
            await until(
                pilot,
                lambda: not app.screen.empty and not app.screen.busy() and app.screen.entries,
                "practice",
            )
            assert "receptive field" in screen_text(app)

    asyncio.run(scenario())
