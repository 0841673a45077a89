"""Marking a paper sheet in the app: the code opens a quiz over the sheet's own questions."""

from __future__ import annotations

import asyncio
from pathlib import Path

from app_support import SIZE, make_app, ready, sample_course, text_of, until

from revise.printout.model import sheet_variants
from revise.printout.select import Selection
from revise.printout.sheet_code import encode
from revise.screens.quiz import QuizScreen
from revise.screens.sheet_prompt import SheetPrompt


def test_a_sheet_code_asks_the_printed_questions(tmp_path: Path) -> None:
    course = sample_course()
    selection = Selection(count=3, seed=11)
    code = encode(course, selection)
    assert code is not None
    _, printed, _ = sheet_variants(course, selection)

    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("m")
            await until(pilot, lambda: isinstance(app.screen, SheetPrompt), "the code prompt")
            await pilot.press(*"NOT-A-CODE", "enter")
            await until(pilot, lambda: "sheet code" in text_of(app, "#sheet-error"), "the error")
            app.screen.query_one("#sheet-input").value = code.lower()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, QuizScreen), "the quiz")
            screen = app.screen
            await until(pilot, lambda: bool(getattr(screen, "entries", None)), "the questions")
            asked = [(e.id, e.seed) for e in screen.entries]
            assert asked == [(f.id, v.seed) for f, v in printed]
            assert "Paper sheet" in screen.session.title
            # the first question is drawn with the printed seed, not a fresh one
            await until(pilot, lambda: screen.seed is not None, "the first question")
            assert screen.seed == printed[0][1].seed

    asyncio.run(scenario())
