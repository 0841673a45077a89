"""`revise review --plain`: a review session on standard input and output, one line at a time.

For scripts, screen readers and tests. A question family shows a fresh variant; the typed
answer is checked (`engine.checking.check`), the feedback and the worked trace follow
(`engine.solve.solve`, drawn by `revise.render.terminal.render_solution`), then the suggested
rating, which Enter accepts or 1–4 changes. A flashcard shows its front; Enter shows the back;
1–4 rates it. `:u` undoes the last review, `:q` stops; end of input stops cleanly, and nothing
is saved for an item whose rating was not given.
"""

from __future__ import annotations

import shutil
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

from revise.render.safe_text import printable
from revise.study_text import interval_text
from revise.study_types import RATING_NAMES, Item

if TYPE_CHECKING:
    import content
    from revise.study import Study

QUIT = ":q"
UNDO = ":u"
MAX_ATTEMPTS = 2
RATING_MENU = "1 Again · 2 Hard · 3 Good · 4 Easy"


class EndOfInput(Exception):
    """The input ended: the session stops cleanly."""


class Quit(Exception):
    """The student typed :q."""


@dataclass
class Summary:
    reviewed: int = 0
    right: int = 0
    questions: int = 0
    ratings: Counter[int] = field(default_factory=Counter)


class PlainSession:
    """One session over the study's queue, reading `inp` and writing `out`."""

    def __init__(
        self,
        study: Study,
        course: content.Course,
        inp: TextIO,
        out: TextIO,
        *,
        device: str = "auto",
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.study = study
        self.course = course
        self.inp = inp
        self.out = out
        self.device = device
        self.timer = timer
        self.summary = Summary()
        # prose is wrapped to the terminal's width (COLUMNS, else 80 when not a terminal)
        self.columns = shutil.get_terminal_size().columns
        self.leeches: set[str] = set()
        self.done: list[tuple[int, bool | None]] = []  # (rating, correct) of each saved review
        isatty = getattr(inp, "isatty", None)
        self.echo = not (callable(isatty) and isatty())

    # --- input and output -------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        self.out.write(printable(text) + "\n")  # cards and parameters: no escape sequences
        self.out.flush()

    def ask(self, prompt: str) -> str:
        """One line of input (without its newline); EndOfInput at the end; :u undoes at once."""
        while True:
            self.out.write(printable(prompt))
            self.out.flush()
            line = self.inp.readline()
            if line == "":
                self.say()
                raise EndOfInput
            text = line.rstrip("\r\n")
            if self.echo:
                self.out.write(text + "\n")  # piped input: keep the transcript readable
            if text.strip() == QUIT:
                raise Quit
            if text.strip() == UNDO:
                self.undo()
                continue
            return text

    def undo(self) -> None:
        item_id = self.study.undo_last()
        if item_id and self.done:
            rating, correct = self.done.pop()
            s = self.summary
            s.reviewed -= 1
            s.ratings[rating] -= 1
            if correct is not None:
                s.questions -= 1
                s.right -= int(correct)
        self.say(f"Undid the last review ({item_id})." if item_id else "Nothing to undo.")

    # --- the session ------------------------------------------------------------------------
    def run(
        self, *, topic: str | None = None, kind: str | None = None, limit: int | None = None,
        exam_drill: bool = False,
    ) -> Summary:  # fmt: skip
        first = self.study.queue(topic=topic, kind=kind, exam_drill=exam_drill)
        if not first:
            self.say("Nothing to review now. Come back later, or set a topic with --topic.")
            return self.summary
        new = sum(1 for i in first if i.is_new)
        self.say(
            f"{len(first)} to review: {len(first) - new} due, {new} new. "
            f"Type {UNDO} to undo the last review, {QUIT} to stop."
        )
        self.leeches = set(self.study.leeches())
        done_drill: set[str] = set()
        try:
            while limit is None or self.summary.reviewed < limit:
                queue = self.study.queue(topic=topic, kind=kind, exam_drill=exam_drill)
                if exam_drill:
                    queue = [i for i in queue if i.id not in done_drill]
                if not queue:
                    break
                item = queue[0]
                self.say()
                self.say("\n".join(textwrap.wrap(self._header(item, len(queue)), self.columns)))
                if item.kind == "family":
                    self._question(item)
                else:
                    self._flashcard(item)
                done_drill.add(item.id)
        except (EndOfInput, Quit):
            pass
        self._finish()
        return self.summary

    def _header(self, item: Item, left: int) -> str:
        topic = self.course.topic(item.topic).title if item.topic else ""
        state = "new" if item.is_new else "review"
        if item.id in self.leeches:
            state += ", a leech: forgotten 8 times or more"
        recall = (
            f", {100 * item.exam_recall:.0f}% on exam day"
            if item.exam_recall is not None and not item.is_new
            else ""
        )
        return (
            f"[{self.summary.reviewed + 1}, {left} left] {topic} · {item.title} ({state}{recall})"
        )

    def _question(self, item: Item) -> None:
        from engine.checking import check

        family = self.course.family(item.id)
        seed = self.study.new_seed(item.id)
        variant = family.variant(seed)
        from revise.render.prompt_terminal import prompt_text

        self.say(prompt_text(variant.prompt_text, self.columns))
        start = self.timer()
        attempts = 0
        correct = False
        answer = ""
        result = None
        while attempts < MAX_ATTEMPTS:
            prompt = "answer> " if attempts == 0 else "try again (Enter for the solution)> "
            text = self.ask(prompt)
            if not text.strip():
                break
            result = check(variant.problem, variant.params, text, variant.part)
            if result.verdict == "unreadable":
                self.say(f"? {result.feedback}")
                continue
            attempts += 1
            answer = text
            correct = result.correct
            if correct:
                self.say(f"✓ {result.feedback or 'Right.'}")
                break
            self.say(f"✗ {result.feedback or 'Not right.'}")
        seconds = self.timer() - start
        self.say()
        self.say(self._solution(variant))
        suggestion = self.study.suggest_rating(
            item.id,
            correct=correct,
            attempts=max(1, attempts),
            used_hint=False,
            seconds=seconds,
        )
        reason = suggestion.reason if attempts else "no answer given"  # not "a wrong answer"
        self.say()
        rating = self._rating(
            f"Suggested: {suggestion.rating} {suggestion.name} ({reason}). "
            "Enter to accept, or type 1–4: ",
            default=suggestion.rating,
        )
        self._save(item, rating, seconds, answer or None, correct, seed)
        self.summary.questions += 1
        self.summary.right += int(correct)

    def _solution(self, variant: content.Variant) -> str:
        from engine.solve import solve
        from revise.render.steps import marked
        from revise.render.terminal import render_solution
        from revise.render.values import (
            ANSWER_DECIMALS,
            answer_expressions,
            format_value,
            key_text,
        )

        solution = solve(variant.problem, variant.params, device=self.device, verify=False)
        lines = []
        if variant.part:
            asked = format_value(
                variant.expected(solution.answer),
                ANSWER_DECIMALS,
                answer_expressions(variant.problem, variant.part),
            )
            lines.append(f"The part asked, {key_text(variant.part)}: {asked}")
        lines += ["Worked solution:", render_solution(marked(solution, variant.part), self.columns)]
        return "\n".join(lines)

    def _flashcard(self, item: Item) -> None:
        card = self.course.card(item.id)
        self.say(card.front)
        start = self.timer()
        self.ask("(Enter to show the answer) ")
        seconds = self.timer() - start
        self.say(card.back)
        rating = self._rating(f"Rate {RATING_MENU}: ", default=None)
        self._save(item, rating, seconds, None, None, None)

    def _rating(self, prompt: str, default: int | None) -> int:
        while True:
            text = self.ask(prompt).strip()
            if not text and default is not None:
                return default
            if text in ("1", "2", "3", "4"):
                return int(text)
            hint = f", or press Enter for {default}" if default is not None else ""
            self.say(f"Type 1, 2, 3 or 4{hint}.")

    def _save(
        self,
        item: Item,
        rating: int,
        seconds: float,
        answer: str | None,
        correct: bool | None,
        seed: int | None,
    ) -> None:
        self.study.record(
            item.id, rating, seconds=seconds, answer=answer, correct=correct, seed=seed
        )
        self.summary.reviewed += 1
        self.summary.ratings[rating] += 1
        self.done.append((rating, correct if item.kind == "family" else None))
        due = self.study.next_due(item.id)
        after = f" — next in {interval_text(due - self.study.now())}" if due else ""
        self.say(f"Saved: {RATING_NAMES[rating]}{after}.")

    def _finish(self) -> None:
        s = self.summary
        if not s.reviewed:
            self.say("No reviews saved.")
            return
        ratings = " · ".join(
            f"{RATING_NAMES[r]} {n}" for r, n in sorted(s.ratings.items()) if n > 0
        )
        questions = f"; {s.right} of {s.questions} questions right" if s.questions else ""
        self.say(f"Session over: {s.reviewed} reviewed{questions}. {ratings}.")
