"""The home screen: topics with progress and counts, the exam panel, keys that open screens."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from app_support import SIZE, make_app, ready, screen_text, until, utc_zone
from textual.widgets import DataTable

from revise.screens.drill import DrillScreen
from revise.screens.exam import ExamScreen
from revise.screens.explorer import ExplorerScreen
from revise.screens.help import HelpScreen
from revise.screens.home import HomeScreen
from revise.screens.quiz import QuizScreen
from revise.screens.settings import SettingsScreen
from revise.screens.stats import StatsScreen

utc = pytest.fixture(autouse=True)(utc_zone)


def test_home_lists_topics_and_counts(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path, exam=True)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            assert isinstance(app.screen, HomeScreen)
            table = app.screen.query_one("#topics", DataTable)
            assert table.row_count == 3
            text = screen_text(app)
            assert "0 due · 5 new" in text
            assert "0 of 5 items seen" in text
            assert "Exam in 30 days" in text
            assert "recall on the day if you stop now" in text

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("key", "screen"),
    [
        ("r", QuizScreen),
        ("enter", QuizScreen),
        ("d", DrillScreen),
        ("c", DrillScreen),
        ("e", ExplorerScreen),
        ("x", ExamScreen),
        ("s", StatsScreen),
        ("comma", SettingsScreen),
        ("question_mark", HelpScreen),
    ],
)
def test_keys_open_screens(tmp_path: Path, key: str, screen: type) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, screen), f"{screen.__name__}")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, HomeScreen), "back home")

    asyncio.run(scenario())


def test_a_broken_database_is_one_line_on_the_home_screen(tmp_path: Path) -> None:
    (tmp_path / "revise.db").write_bytes(b"this is not a database" * 100)

    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            message = app.load_error
            assert message and "\n" not in message
            assert message in screen_text(app)

    asyncio.run(scenario())
    assert (tmp_path / "revise.db").read_bytes().startswith(b"this is not a database")


def test_palette_finds_actions(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"explore conv2d.output")
            await pilot.pause(0.5)
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, ExplorerScreen), "explorer")
            await until(pilot, lambda: app.screen.problem == "conv2d.output_size", "the problem")

    asyncio.run(scenario())
