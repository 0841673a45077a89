"""Quiz and review sessions: preview while typing, grading, trace, rating, summary."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from app_support import SIZE, make_app, ready, screen_text, text_of, until, utc_zone

from revise.screens.quiz import QuizScreen, State
from revise.screens.session import Source
from revise.screens.summary import SummaryScreen
from revise.study import Study
from revise.widgets.trace_view import StepView

utc = pytest.fixture(autouse=True)(utc_zone)


def reviews(home: Path) -> int:
    from app_support import sample_course

    with Study(home, sample_course()) as study:
        return study.stats().reviews_total


async def quiz_on(pilot, topic: str) -> QuizScreen:
    app = pilot.app
    await ready(pilot)
    app.go(QuizScreen(Source(topic=topic, kind="family")))  # the topic's questions only
    await until(
        pilot,
        lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.ASKING,
        "a question",
    )
    return app.screen


def test_question_preview_grade_trace_and_rating(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "activations")
            assert "Evaluate ReLU(x) = max(0, x) at x = 1.5" in text_of(app, "#question")
            await pilot.press(*"3/2")
            await until(
                pilot,
                lambda: "read as: 3/2 → 1.5" in text_of(app, "#answer-preview"),
                "the preview",
            )
            await pilot.press("enter")
            await until(pilot, lambda: screen.state is State.RATING, "the verdict")
            assert text_of(app, "#verdict").startswith("✓")
            assert "Suggested:" in text_of(app, "#rating-reason")
            assert len(screen.query(StepView)) >= 2
            await until(
                pilot,
                lambda: "checked against torch on cpu" in text_of(app, "#trace-heading"),
                "the cross-check",
            )
            await pilot.press("4")  # Easy: due another day, so it does not come back today
            await until(pilot, lambda: isinstance(app.screen, SummaryScreen), "the summary")
            summary = screen_text(app)
            assert "1 / 1 answers right" in summary

    asyncio.run(scenario())
    assert reviews(tmp_path) == 1


def test_wrong_answer_names_the_mistake_and_suggests_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            assert "32×32 input" in text_of(app, "#question")
            await pilot.press(*"28", "enter")  # padding forgotten: (32 − 5)/1 + 1
            await until(pilot, lambda: screen.state is State.RATING, "the verdict")
            verdict = text_of(app, "#verdict")
            assert verdict.startswith("✗")
            assert "The answer is 32" in verdict
            assert "Suggested: 1 Again" in text_of(app, "#rating-reason")
            await pilot.press("enter")  # accepts the suggestion (the focused button)
            await until(
                pilot,
                lambda: screen.index == 1 and screen.state is State.ASKING,
                "the next question",
            )
            # the GCN question draws its matrices as matrices
            assert "⎡" in text_of(app, "#question")

    asyncio.run(scenario())
    assert reviews(tmp_path) == 1


def test_unreadable_answer_is_not_graded(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            await pilot.press(*"3 +* 4", "enter")
            await until(
                pilot,
                lambda: "Could not read your answer" in text_of(app, "#answer-preview"),
                "the message",
            )
            # said once: no "cannot read this: Could not read your answer:"
            assert "cannot read" not in text_of(app, "#answer-preview")
            assert screen.state is State.ASKING
            assert not app.screen.query_one("#verdict").display

    asyncio.run(scenario())
    assert reviews(tmp_path) == 0


def test_hint_and_empty_answer_show_the_solution(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            await pilot.press("ctrl+g")
            await pilot.pause()
            assert "Hint" in text_of(app, "#hint")
            assert screen.used_hint
            await pilot.press("enter")
            await until(pilot, lambda: screen.state is State.RATING, "the solution")
            assert "No answer given" in text_of(app, "#verdict")
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, QuizScreen) is False, "leaving")

    asyncio.run(scenario())


def test_review_mixes_cards_and_questions(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("r")
            await until(
                pilot,
                lambda: isinstance(app.screen, QuizScreen) and app.screen.state is State.FRONT,
                "a card",
            )
            screen = app.screen
            assert "sigmoid" in screen_text(app)
            await pilot.press("space")
            await until(pilot, lambda: screen.state is State.RATING, "the back")
            assert "σ" in screen_text(app)  # the LaTeX drawn as Unicode
            await pilot.press("4")
            await until(pilot, lambda: screen.state is State.ASKING, "the question after it")
            assert screen.session.entries[0].rating == 4

    asyncio.run(scenario())
    assert reviews(tmp_path) == 1


def test_explore_from_a_question(tmp_path: Path) -> None:
    from revise.screens.explorer import ExplorerScreen

    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            screen = await quiz_on(pilot, "cnn")
            await pilot.press(*"32", "enter")
            await until(pilot, lambda: screen.state is State.RATING, "the verdict")
            await pilot.press("x")
            await until(pilot, lambda: isinstance(app.screen, ExplorerScreen), "the explorer")
            await until(pilot, lambda: app.screen.markdown is not None, "the trace")
            assert app.screen.problem == "conv2d.output_size"
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen, "back to the question")
            assert screen.state is State.RATING

    asyncio.run(scenario())
