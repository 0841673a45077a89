"""The exam, stats, settings and help screens: their main flows."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from app_support import (
    EXAM,
    SIZE,
    T0,
    make_app,
    ready,
    sample_course,
    screen_text,
    text_of,
    until,
    utc_zone,
)
from textual.widgets import DataTable, Input, TabbedContent

from revise.screens.exam import DatePrompt, ExamScreen, parse_exam_date
from revise.screens.help import HelpScreen
from revise.screens.quiz import QuizScreen
from revise.screens.settings import SettingsScreen
from revise.screens.stats import StatsScreen
from revise.study import Study

utc = pytest.fixture(autouse=True)(utc_zone)


def test_parse_exam_date() -> None:
    assert parse_exam_date("2027-01-15").isoformat() == "2027-01-15T09:00:00+00:00"
    assert parse_exam_date("2027-01-15 14:30").hour == 14
    for bad in ("15/01/2027", "2027-02-30", "tomorrow"):
        with pytest.raises(ValueError):
            parse_exam_date(bad)
    with pytest.raises(ValueError, match="past"):
        parse_exam_date("2020-01-01", T0)


def test_exam_set_change_clear_and_drill(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await app.backend.call(
                lambda s: s.record("app.relu", 3, seconds=5, correct=True, seed=1)
            )
            await pilot.press("x")
            await until(
                pilot,
                lambda: isinstance(app.screen, ExamScreen) and app.screen.forecast is not None,
                "the exam",
            )
            exam = app.screen
            assert "no date set" in text_of(app, "#exam-summary")
            assert exam.query_one(DataTable).row_count == 3
            await pilot.press("d")
            await until(pilot, lambda: isinstance(app.screen, DatePrompt), "the date prompt")
            app.screen.query_one(Input).value = "2019-01-01"
            await pilot.press("enter")
            await until(pilot, lambda: "past" in text_of(app, "#date-error"), "the refusal")
            app.screen.query_one(Input).value = "2026-10-01 10:00"
            await pilot.press("enter")
            await until(
                pilot,
                lambda: app.screen is exam and "in 30 days" in text_of(app, "#exam-summary"),
                "the forecast",
            )
            assert "recall on the day if you stop now" in text_of(app, "#exam-summary")
            await pilot.press("c")
            await until(pilot, lambda: "no date set" in text_of(app, "#exam-summary"), "cleared")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, QuizScreen), "the exam drill")
            assert app.screen.source.exam_drill

    asyncio.run(scenario())
    with Study(tmp_path, sample_course()) as study:
        assert study.settings.exam_at is None


def test_stats_show_the_reviews(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path, exam=True)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await app.backend.call(
                lambda s: s.record("app.relu", 3, seconds=5, correct=True, seed=1)
            )
            await app.backend.call(lambda s: s.record("app.sigmoid.formula", 1, seconds=5))
            await pilot.press("s")
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, StatsScreen)
                    and "2 in all" in text_of(app, "#stats-overview")
                ),
                "the stats",
            )
            tabs = app.screen.query_one(TabbedContent)
            for tab in ("tab-retention", "tab-items", "tab-leeches", "tab-activity"):
                tabs.active = tab
                await pilot.pause()
            assert "learning" in text_of(app, "#stats-states")
            assert "Activation functions" in text_of(app, "#stats-mastery")
            assert "No leeches" in text_of(app, "#stats-leeches")

    asyncio.run(scenario())


def test_settings_validate_and_save(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("comma")
            await until(
                pilot,
                lambda: isinstance(app.screen, SettingsScreen) and app.screen.current is not None,
                "the settings",
            )
            screen = app.screen
            assert not screen.query_one("#setting-device").display  # no CUDA in the tests' settings
            screen.query_one("#set-desired_retention", Input).value = "2"
            await pilot.pause()
            assert screen.query_one("#setting-desired_retention").has_class("-invalid")
            await pilot.press("ctrl+s")
            await pilot.pause()
            screen.query_one("#set-desired_retention", Input).value = "0.85"
            screen.query_one("#set-new_per_day", Input).value = "7"
            screen.query_one("#set-exam_at", Input).value = (T0 + timedelta(days=10)).strftime(
                "%Y-%m-%d"
            )
            await pilot.pause()
            assert not screen.query_one("#setting-desired_retention").has_class("-invalid")
            await pilot.press("ctrl+s")
            await until(pilot, lambda: screen.current.new_per_day == 7, "saved")

    asyncio.run(scenario())
    with Study(tmp_path, sample_course()) as study:
        s = study.settings
        assert (s.desired_retention, s.new_per_day) == (0.85, 7)
        assert s.exam_at is not None and s.exam_at.date().isoformat() == "2026-09-11"


def test_help_lists_every_screens_keys(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("question_mark")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
            text = screen_text(app)
            for word in (
                "Home",
                "Quiz / review",
                "Drill",
                "Explorer",
                "Undo",
                "Copy Markdown",
                "Set date",
                "Writing answers",
            ):
                assert word in text
            await pilot.press("escape")
            await until(pilot, lambda: not isinstance(app.screen, HelpScreen), "closed")

    asyncio.run(scenario())


def test_exam_constant_is_thirty_days_out() -> None:
    assert (EXAM - T0).days == 30
