"""Snapshots of every screen at a fixed size (pytest-textual-snapshot).

The app runs `steady` (no animation, no blinking cursor) on a temporary home with the sample
course, a fixed clock, fixed variant seeds and UTC, so that the pictures are the same on every
run. Update them with `pytest tests/test_app_snapshots.py --snapshot-update` after looking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from app_support import T0, make_app, ready, settings, text_of, until, utc_zone
from textual.widgets import Input, TabbedContent

import content
from revise.app import ReviseApp
from revise.screens.drill import DrillScreen
from revise.screens.exam import DatePrompt, ExamScreen
from revise.screens.explorer import ExplorerScreen
from revise.screens.help import HelpScreen
from revise.screens.quiz import QuizScreen, State
from revise.screens.settings import SettingsScreen
from revise.screens.stats import StatsScreen
from revise.screens.summary import SummaryScreen

utc = pytest.fixture(autouse=True)(utc_zone)

SNAP = (100, 32)
PROMPT_COURSE = Path(__file__).parent / "fixtures" / "app_calculus"


async def some_reviews(app: Any) -> None:
    await app.backend.call(
        lambda s: s.record("app.relu", 3, seconds=5, answer="1.5", correct=True, seed=1)
    )
    await app.backend.call(lambda s: s.record("app.sigmoid.formula", 1, seconds=9))
    await app.backend.call(
        lambda s: s.record("app.conv-output", 1, seconds=20, answer="28", correct=False, seed=1)
    )


def test_home(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        await ready(pilot)
        await some_reviews(pilot.app)
        pilot.app.screen.load()
        await ready(pilot)

    assert snap_compare(make_app(tmp_path, exam=True), terminal_size=SNAP, run_before=before)


def test_home_small_terminal(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        await ready(pilot)

    assert snap_compare(make_app(tmp_path, exam=True), terminal_size=(80, 24), run_before=before)


async def question(pilot: Any, topic: str) -> QuizScreen:
    app = pilot.app
    await ready(pilot)
    app.action_quiz(topic)
    await until(
        pilot,
        lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.ASKING,
        "a question",
    )
    return app.screen


def test_quiz_typing(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        await question(pilot, "cnn")
        await pilot.press(*"64/2")
        await until(
            pilot, lambda: "read as" in text_of(pilot.app, "#answer-preview"), "the preview"
        )

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_quiz_graded(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        screen = await question(pilot, "cnn")
        await pilot.press(*"28", "enter")
        await until(pilot, lambda: screen.state is State.RATING, "the verdict")
        await until(
            pilot, lambda: "checked" in text_of(pilot.app, "#trace-heading"), "the cross-check"
        )

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_quiz_matrices(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        screen = await question(pilot, "cnn")
        screen.entries = screen.entries[1:]  # straight to the GCN question
        screen.show_current()
        await until(
            pilot,
            lambda: screen.state is State.ASKING and "⎡" in text_of(pilot.app, "#question"),
            "matrices",
        )

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def _prompt_app(tmp_path: Path) -> ReviseApp:
    """The app over a course of one calculus and one RNN question (tests/fixtures/app_calculus)."""
    return ReviseApp(
        home=tmp_path,
        course=content.load(PROMPT_COURSE),
        settings=settings(),
        clock=lambda: T0,
        ticks=lambda: 0.0,
        seeds=lambda family_id: 1,
        steady=True,
    )


def test_quiz_calculus(snap_compare: Any, tmp_path: Path) -> None:
    """A formula typed as text in the family is drawn as maths: (2x − 1)³, never (2*x - 1)**3."""

    async def before(pilot: Any) -> None:
        await question(pilot, "activations")
        await until(pilot, lambda: "f(x) =" in text_of(pilot.app, "#question"), "the formula")

    assert snap_compare(_prompt_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_quiz_rnn_givens_keep_their_names(snap_compare: Any, tmp_path: Path) -> None:
    """U, W, V stay apart in the sentence (`U (below)`), each drawn with its name after it."""

    async def before(pilot: Any) -> None:
        await question(pilot, "cnn")
        await until(pilot, lambda: "V = " in text_of(pilot.app, "#question"), "the matrices")

    assert snap_compare(_prompt_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_review_card_flipped(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_review()
        await until(
            pilot,
            lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.FRONT,
            "a card",
        )
        await pilot.press("space")

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_drill_front(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_drill()
        await until(
            pilot,
            lambda: isinstance(app.screen, DrillScreen) and not app.screen.busy(),
            "the drill",
        )

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_summary(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_drill()
        await until(
            pilot,
            lambda: isinstance(app.screen, DrillScreen) and not app.screen.busy(),
            "the drill",
        )
        await pilot.press("space", "1")
        await until(
            pilot, lambda: app.screen.index == 1 and not app.screen.busy(), "the second card"
        )
        await pilot.press("space", "4")
        # the missed card comes back after the others, to be rated again
        await until(pilot, lambda: app.screen.index == 2 and not app.screen.busy(), "the return")
        await pilot.press("space", "4")
        await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_explorer(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_explorer("conv2d.output_size")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, ExplorerScreen)
                and "checked" in text_of(app, "#trace-heading")
            ),
            "the trace",
        )

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_explorer_bad_value(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_explorer("conv2d.output_size")
        await until(
            pilot,
            lambda: isinstance(app.screen, ExplorerScreen) and app.screen.markdown is not None,
            "the trace",
        )
        app.screen.query_one("#field-padding", Input).value = "-1"
        await until(
            pilot, lambda: app.screen.query_one("#param-padding").has_class("-invalid"), "the mark"
        )
        await app.workers.wait_for_complete()

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)


def test_exam(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        await some_reviews(app)
        app.action_exam()
        await until(
            pilot,
            lambda: isinstance(app.screen, ExamScreen) and app.screen.forecast is not None,
            "the forecast",
        )

    assert snap_compare(make_app(tmp_path, exam=True), terminal_size=SNAP, run_before=before)


def test_exam_date_prompt(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_exam()
        await until(
            pilot,
            lambda: isinstance(app.screen, ExamScreen) and app.screen.forecast is not None,
            "the exam",
        )
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, DatePrompt), "the prompt")

    assert snap_compare(make_app(tmp_path, exam=True), terminal_size=SNAP, run_before=before)


def stats_before(tab: str) -> Any:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        await some_reviews(app)
        app.action_stats()
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, StatsScreen)
                and "3 in all" in text_of(app, "#stats-overview")
            ),
            "stats",
        )
        app.screen.query_one(TabbedContent).active = tab
        await pilot.pause()

    return before


@pytest.mark.parametrize("tab", ["tab-activity", "tab-retention", "tab-items", "tab-leeches"])
def test_stats(snap_compare: Any, tmp_path: Path, tab: str) -> None:
    assert snap_compare(
        make_app(tmp_path, exam=True), terminal_size=SNAP, run_before=stats_before(tab)
    )


def test_settings(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_settings()
        await until(
            pilot,
            lambda: isinstance(app.screen, SettingsScreen) and app.screen.current is not None,
            "settings",
        )
        app.screen.query_one("#set-new_per_day", Input).value = "lots"
        await pilot.pause()

    assert snap_compare(make_app(tmp_path, exam=True), terminal_size=SNAP, run_before=before)


def test_help(snap_compare: Any, tmp_path: Path) -> None:
    async def before(pilot: Any) -> None:
        app = pilot.app
        await ready(pilot)
        app.action_help()
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")

    assert snap_compare(make_app(tmp_path), terminal_size=SNAP, run_before=before)
