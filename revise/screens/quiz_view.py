"""Undo in the quiz: what an answered question showed, kept with its rating, and shown again.

When a rating is undone, the question comes back as it was when it was rated: its numbers,
the answer typed and how it was read, the verdict, the worked solution and the suggested
rating, waiting for a new rating. A flipped card comes back flipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from revise.screens.questions import Prepared
from revise.widgets.answer_box import AnswerBox
from revise.widgets.math_view import MathView
from revise.widgets.rating_bar import RatingBar
from revise.widgets.trace_view import TraceView

if TYPE_CHECKING:
    from revise.screens.quiz import QuizScreen


@dataclass(frozen=True)
class QuizView:
    """An answered question (or a flipped card) as it was shown, to show again after undo."""

    card: bool = False
    prepared: Prepared | None = None
    seed: int | None = None
    answered: tuple[str, bool, float] | None = None
    used_hint: bool = False
    verdict: Text = field(default_factory=Text)
    heading: str = ""
    suggested: tuple[int, str] | None = None
    read: Any = ""


def snapshot(self: QuizScreen) -> QuizView:
    """What the screen shows of the current entry, kept with its rating."""
    entry = self.entries[self.index]
    if entry.kind == "card":
        return QuizView(card=True)
    box = self.query_one(AnswerBox)
    return QuizView(
        prepared=self.prepared,
        seed=self.seed,
        answered=self.answered,
        used_hint=self.used_hint,
        verdict=self.verdict,
        heading=self.heading,
        suggested=self.suggested,
        read=box.query_one("#answer-preview", Static).content,
    )


def restore(self: QuizScreen, view: QuizView) -> None:
    """Show an answered question (or a flipped card) again, waiting for its rating."""
    from revise.screens.quiz import State

    self.serial += 1  # whatever the next item's workers send is stale now
    entry = self.entries[self.index]
    self._show_progress()
    for name in ("hint", "verdict", "rating", "trace", "answer", "card", "question"):
        self._show(name, False)
    self._show_meta(entry)
    if view.card or view.prepared is None:
        self._show_card(entry)
        self.action_flip()
        return
    self.prepared, self.seed = view.prepared, view.seed
    self.answered, self.used_hint = view.answered, view.used_hint
    self.suggested = view.suggested
    self._show("question", True)
    self.query_one("#question", MathView).update(view.prepared.question)
    box = self.query_one(AnswerBox)
    box.reset(None, rows=view.prepared.rows)
    box.set_text(view.answered[0] if view.answered else "")
    box.freeze()
    box.query_one("#answer-preview", Static).update(view.read)
    self._show("answer", True)
    if self.used_hint and view.prepared.hint:
        self.query_one("#hint", Static).update(
            Text.assemble(("Hint — the first step: ", "bold"), view.prepared.hint)
        )
        self._show("hint", True)
    self._reveal(view.verdict)
    if view.heading:
        self.heading = view.heading
        self.query_one(TraceView).set_heading(view.heading)
    else:  # the cross-check had not come back: ask for it again
        self._verify(self.serial, view.prepared.variant)
    self._show("rating", True)
    bar = self.query_one(RatingBar)
    bar.suggest(*(view.suggested or (None, "")))
    self._set_state(State.RATING)
