"""Quiz and review sessions: questions with fresh numbers, typed answers, the worked trace.

For a question family: the variant is drawn and solved in a worker, the prompt is shown with
its matrices drawn, the answer box previews how the input is read, Enter grades it (in a
worker, with the engine's checker), then the verdict, the trace and the suggested rating appear;
1–4 (or Enter on the suggestion) records the review and moves on. Flashcards in a mixed review
are shown as cards: space flips, 1–4 rates. The session ends with a summary.

Every engine call runs in a thread worker and reports back with a message that carries the
item's serial number, so a late answer from a previous question is recognised and dropped.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Footer, Header, ProgressBar, Static

from revise.screens import quiz_view
from revise.screens.questions import Prepared, prepare_question, verdict_text
from revise.screens.quiz_view import QuizView
from revise.screens.rated import RATE_BINDINGS, TYPED_UNDO_BINDINGS, RatedSession, Unrated
from revise.screens.session import Entry, Source, allowance_note, read_practice, read_queue
from revise.screens.summary import Answered
from revise.widgets.answer_box import AnswerBox
from revise.widgets.flashcard import FlashCard, card_faces
from revise.widgets.math_view import MathView
from revise.widgets.rating_bar import RatingBar
from revise.widgets.trace_view import TraceView, checked_line

if TYPE_CHECKING:
    from content import Variant
    from engine.checking import CheckResult


class State(Enum):
    LOADING = "loading"
    ASKING = "asking"  # a question waits for an answer
    GRADING = "grading"
    FRONT = "front"  # a card shows its front
    RATING = "rating"  # graded or flipped: waiting for 1–4
    SAVING = "saving"
    EMPTY = "empty"


class QuizScreen(RatedSession):
    """A session over a queue of question families (and, in a review, flashcards)."""

    BINDINGS = [
        Binding("escape", "end", "End session"),
        Binding("ctrl+g", "hint", "Hint"),
        Binding("space", "flip", "Show answer"),
        *RATE_BINDINGS,
        *TYPED_UNDO_BINDINGS,
        Binding("x", "explore", "Explore these numbers"),
        Binding("p", "practice", "Practise anyway"),
    ]

    class Ready(Message):
        def __init__(self, serial: int, prepared: Prepared) -> None:
            super().__init__()
            self.serial = serial
            self.prepared = prepared

    class Failed(Message):
        """A question could not be prepared (skip it) or an answer not checked (ask again)."""

        def __init__(self, serial: int, message: str, *, skip: bool = True) -> None:
            super().__init__()
            self.serial = serial
            self.message = message
            self.skip = skip

    class Graded(Message):
        def __init__(self, serial: int, text: str, result: CheckResult, verdict: Text) -> None:
            super().__init__()
            self.serial = serial
            self.text = text
            self.result = result
            self.verdict = verdict

    class Verified(Message):
        def __init__(self, serial: int, line: str) -> None:
            super().__init__()
            self.serial = serial
            self.line = line

    def __init__(self, source: Source) -> None:
        super().__init__(source, "Review")
        self.serial = 0
        self.state = State.LOADING
        self.device = "auto"
        self.prepared: Prepared | None = None
        self.seed: int | None = None
        self.used_hint = False
        self.answered: tuple[str, bool, float] | None = None  # text, correct, seconds
        self.verdict = Text()  # the verdict and the trace's heading, kept for undo
        self.heading = ""
        self.suggested: tuple[int, str] | None = None  # the rating suggested, and why

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.session_bar()
        with VerticalScroll(id="quiz-body"):
            yield Static("", id="question-meta")
            yield MathView("", id="question")
            yield AnswerBox(
                "your answer — Enter to check, empty Enter to see the solution", id="answer"
            )
            yield Static("", id="hint")
            yield FlashCard(id="card")
            yield Static("", id="verdict")
            yield RatingBar(id="rating")
            yield TraceView(id="trace")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.started = self.revise.ticks()
        for name in ("answer", "hint", "card", "verdict", "rating", "trace"):
            self._show(name, False)
        self.query_one("#quiz-body").loading = True
        self.load_queue()

    # --- the queue --------------------------------------------------------------------------
    @work(exclusive=True, group="queue")
    async def load_queue(self) -> None:
        if not await self.revise.wait_ready():
            self.query_one("#quiz-body").loading = False
            self._empty(self.revise.load_error or "the course could not be loaded")
            return
        source = self.source
        self.session.title = source.describe(self.course)
        self.sub_title = self.session.title
        settings = await self.revise.backend.call(lambda s: s.settings)
        self.device = settings.device
        self.entries = await self.revise.backend.call(lambda s: read_queue(s, source))
        allowed, introduced = await self.revise.backend.call(lambda s: s.allowance())
        self.query_one("#quiz-body").loading = False
        if source.items:
            self.set_note("Each answer is recorded · new numbers for every question")
        else:
            self.set_note(allowance_note(allowed, introduced))
        if not self.entries:
            spent = introduced >= allowed
            what = "this topic" if source.topic else "today"
            message = (
                f"Nothing is due in {what} and today's new items are used up ({introduced} of "
                f"{allowed}; new items per day: Settings). Press p to practise anyway — past "
                "the allowance, every answer recorded — or escape to go back."
                if spent
                else f"Nothing is due in {what}. Press p to practise anyway (every answer is "
                "recorded and schedules the item), or escape to go back."
            )
            self._empty(message)
            return
        self._start()

    def _empty(self, message: str) -> None:
        self.state = State.EMPTY
        self._show("question", True)
        self.query_one("#session-label", Static).update(self.session.title)
        self.query_one(ProgressBar).update(total=1, progress=0)  # not an endless "working"
        self.query_one("#question", MathView).update(Text(message))
        self.refresh_bindings()

    def action_practice(self) -> None:
        self._set_state(State.LOADING)
        self._practice()

    @work(exclusive=True, group="queue")
    async def _practice(self) -> None:
        source = self.source
        entries = await self.revise.backend.call(lambda s: read_practice(s, source))
        allowed, introduced = await self.revise.backend.call(lambda s: s.allowance())
        if not entries:
            self._set_state(State.EMPTY)
            self.notify("There is nothing here to practise yet.")
            return
        self.entries = entries
        self.session.title += " (practice)"
        self.practising = True
        self.sub_title = self.session.title
        self.set_note(allowance_note(allowed, introduced, practising=True))
        self._start()

    # --- one item ---------------------------------------------------------------------------
    def _show(self, name: str, visible: bool) -> None:
        self.query_one(f"#{name}").display = visible

    def _set_state(self, state: State) -> None:
        self.state = state
        self.refresh_bindings()

    def show_current(self) -> None:
        if self.index >= len(self.entries):
            self.finish()
            return
        self.serial += 1
        entry = self.entries[self.index]
        self.prepared = None
        self.answered = None
        self.suggested = None
        self.used_hint = False
        self._show_progress()
        for name in ("hint", "verdict", "rating", "trace", "answer", "card"):
            self._show(name, False)
        self.query_one("#hint", Static).update("")
        self.query_one(TraceView).clear()
        self._show_meta(entry)
        self._show("question", entry.kind != "card")
        if entry.kind == "card":
            self._show_card(entry)
        else:
            self.query_one("#question", MathView).update(
                Text("Drawing fresh numbers…", style="dim")
            )
            self._set_state(State.LOADING)
            self._ask_family(entry, self.serial)

    def _show_meta(self, entry: Entry) -> None:
        try:
            topic = self.course.topic(entry.topic).title
        except KeyError:
            topic = entry.topic
        # a card's title is its front, shown on the card itself: name its kind instead
        what = "flashcard" if entry.kind == "card" else entry.title
        self.query_one("#question-meta", Static).update(Text.assemble((topic, "bold"), " · ", what))
        self.query_one("#quiz-body", VerticalScroll).scroll_home(animate=False)

    def _show_card(self, entry: Entry) -> None:
        try:
            card = self.course.card(entry.id)
        except KeyError:
            self.notify(f"Skipped {entry.id}: it is no longer in the course.", severity="warning")
            self.index += 1
            self.show_current()
            return
        front, back = card_faces(card.front, card.back, card.zh)
        flash = self.query_one(FlashCard)
        flash.show(front, back)
        self._show("card", True)
        flash.focus()
        self.shown_at = self.revise.ticks()
        self._set_state(State.FRONT)

    @work(exclusive=True, group="seed")
    async def _ask_family(self, entry: Entry, serial: int) -> None:
        if entry.seed is not None:
            seed = entry.seed
        elif self.revise.fixed_seeds is not None:
            seed = self.revise.fixed_seeds(entry.id)
        else:
            seed = await self.revise.backend.call(lambda s: s.new_seed(entry.id))
        if serial != self.serial:
            return
        self.seed = seed
        try:
            family = self.course.family(entry.id)
        except KeyError:
            self.post_message(self.Failed(serial, f"{entry.id} is no longer in the course"))
            return
        self._prepare(serial, family, seed)

    @work(thread=True, exclusive=True, group="prepare")
    def _prepare(self, serial: int, family: Any, seed: int) -> None:
        from engine.errors import UserError

        try:
            prepared = prepare_question(family, seed)
        except (UserError, ValueError) as exc:  # bad content: a ProblemError or SamplingError
            self.post_message(self.Failed(serial, f"{family.id}: {exc}"))
            return
        except Exception as exc:  # a bug in a problem: skip the question, keep the session
            message = f"{family.id}: internal error, a bug in revise: {type(exc).__name__}: {exc}"
            self.post_message(self.Failed(serial, message))
            return
        self.post_message(self.Ready(serial, prepared))

    @on(Failed)
    def _failed(self, event: Failed) -> None:
        if event.serial != self.serial:
            return
        if not event.skip:
            self.notify(event.message, severity="error", timeout=8)
            self._set_state(State.ASKING)
            return
        self.notify(f"Skipped a question: {event.message}", severity="warning", timeout=8)
        self.index += 1
        self.show_current()

    @on(Ready)
    def _ready(self, event: Ready) -> None:
        if event.serial != self.serial:
            return
        self.prepared = event.prepared
        variant = event.prepared.variant
        self.query_one("#question", MathView).update(event.prepared.question)
        answer = self.query_one(AnswerBox)

        def read(text: str) -> str:
            from engine.checking import preview

            return preview(variant.problem, variant.params, text, variant.part).shown

        answer.reset(read, rows=event.prepared.rows)
        self._show("answer", True)
        answer.field.focus()
        self.shown_at = self.revise.ticks()
        self._set_state(State.ASKING)

    # --- answering --------------------------------------------------------------------------
    @on(AnswerBox.Submitted)
    def _submitted(self, event: AnswerBox.Submitted) -> None:
        if self.state is not State.ASKING or self.prepared is None:
            return
        seconds = self.revise.ticks() - self.shown_at
        if not event.text.strip():
            self.answered = ("", False, seconds)
            self.query_one(AnswerBox).freeze()
            self._reveal(
                Text.assemble(("No answer given: ", "bold"), "here is the worked solution.")
            )
            self._verify(self.serial, self.prepared.variant)
            self._suggest(correct=False, seconds=seconds, reason="no answer given")
            return
        self._set_state(State.GRADING)
        self._grade(self.serial, self.prepared.variant, event.text)

    @work(thread=True, exclusive=True, group="grade")
    def _grade(self, serial: int, variant: Variant, text: str) -> None:
        from engine.checking import check

        try:
            result = check(variant.problem, variant.params, text, variant.part)
        except Exception as exc:  # a bug in the checker: say so, keep the answer box open
            self.post_message(
                self.Failed(serial, f"could not check the answer ({exc})", skip=False)
            )
            return
        self.post_message(self.Graded(serial, text, result, verdict_text(result, variant.problem)))
        if result.verdict != "unreadable":
            self._cross_check(serial, variant)

    def _cross_check(self, serial: int, variant: Variant) -> None:
        """Re-solve with the torch (or SymPy) cross-check, for the line above the trace."""
        from engine.errors import UserError, VerificationError
        from engine.solve import solve

        try:
            solution = solve(variant.problem, variant.params, device=self.device, verify=True)
        except VerificationError as exc:
            line = f"Worked solution — ⚠ {exc}"
        except UserError as exc:
            line = f"Worked solution — not cross-checked: {exc}"
        else:
            line = checked_line(solution.verified)
        self.post_message(self.Verified(serial, line))

    @work(thread=True, exclusive=True, group="grade")
    def _verify(self, serial: int, variant: Variant) -> None:
        self._cross_check(serial, variant)

    @on(Graded)
    def _graded(self, event: Graded) -> None:
        if event.serial != self.serial:
            return
        result = event.result
        if result.verdict == "unreadable":
            self._set_state(State.ASKING)
            message = Text.assemble(("✗ ", "bold yellow"), result.feedback)
            self.query_one(AnswerBox).show_unreadable(event.text, message)
            return
        seconds = self.revise.ticks() - self.shown_at
        self.answered = (event.text, result.correct, seconds)
        answer = self.query_one(AnswerBox)
        answer.freeze()
        answer.show_read(result.shown)
        self._reveal(event.verdict)
        self._suggest(correct=result.correct, seconds=seconds)

    def _reveal(self, verdict: Text) -> None:
        assert self.prepared is not None
        self.verdict = verdict
        self.query_one("#verdict", Static).update(verdict)
        self._show("verdict", True)
        trace = self.query_one(TraceView)
        trace.show(self.prepared.steps, "Worked solution — cross-checking…", self.prepared.answer)
        self._show("trace", True)

    @on(Verified)
    def _verified(self, event: Verified) -> None:
        if event.serial == self.serial:
            self.heading = event.line
            self.query_one(TraceView).set_heading(event.line)

    @work(exclusive=True, group="suggest")
    async def _suggest(self, *, correct: bool, seconds: float, reason: str = "") -> None:
        entry = self.entries[self.index]
        serial = self.serial
        hint = self.used_hint
        suggestion = await self.revise.backend.call(
            lambda s: s.suggest_rating(
                entry.id, correct=correct, attempts=1, used_hint=hint, seconds=seconds
            )
        )
        if serial != self.serial:
            return
        self.suggested = (suggestion.rating, reason or suggestion.reason)
        self._show("rating", True)
        self.query_one(RatingBar).suggest(*self.suggested)
        self._set_state(State.RATING)

    # --- actions ----------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        entry = self.entries[self.index] if self.index < len(self.entries) else None
        if action == "hint":
            return self.state is State.ASKING and not self.used_hint
        if action == "flip":
            return self.state is State.FRONT
        if action == "rate":
            return self.state is State.RATING
        if action == "explore":
            return self.state is State.RATING and entry is not None and entry.kind == "family"
        if action == "practice":
            return self.state is State.EMPTY and self.revise.backend.course is not None
        if action == "undo":
            return self.can_undo()
        return True

    # --- what undo and leaving need ---------------------------------------------------------
    def busy(self) -> bool:
        return self.state is State.SAVING

    def set_busy(self, busy: bool) -> None:
        if busy:
            self._set_state(State.SAVING)
        elif self.state is State.SAVING:
            self._set_state(State.RATING)

    def unrated(self) -> Unrated | None:
        if self.state is not State.RATING or self.index >= len(self.entries):
            return None
        if self.entries[self.index].kind == "card":
            return Unrated("card", None)
        return Unrated("answer", self.suggested[0] if self.suggested else None)

    def typing(self) -> bool:
        """Whether an answer is being typed or judged (q is then a letter, not Quit)."""
        return self.state in (State.ASKING, State.GRADING, State.LOADING)

    def snapshot(self) -> QuizView:
        return quiz_view.snapshot(self)

    def restore(self, view: QuizView) -> None:
        """Show an answered question (or a flipped card) again, waiting for its rating."""
        quiz_view.restore(self, view)

    def action_hint(self) -> None:
        if self.prepared is None or not self.prepared.hint:
            self.notify("No hint for this one.")
            return
        self.used_hint = True
        self.query_one("#hint", Static).update(
            Text.assemble(("Hint — the first step: ", "bold"), self.prepared.hint)
        )
        self._show("hint", True)
        self.refresh_bindings()

    def action_flip(self) -> None:
        flash = self.query_one(FlashCard)
        flash.flipped = True
        self._show("rating", True)
        self.query_one(RatingBar).suggest(None)
        self._set_state(State.RATING)

    def action_rate(self, rating: int) -> None:
        if self.state is not State.RATING:
            return
        self._set_state(State.SAVING)
        self._record(rating)

    async def _save(self, entry: Entry, rating: int) -> tuple[Answered, int]:
        if entry.kind != "family" or self.answered is None:
            return await super()._save(entry, rating)
        # a question's review keeps what was answered, timed to the answer, not to the rating
        text, correct, seconds = self.answered
        seed = self.seed
        review_id = await self.revise.backend.call(
            lambda s: s.record(
                entry.id, rating, seconds=seconds, answer=text, correct=correct, seed=seed
            )
        )
        answered = Answered(
            entry.id, "family", entry.topic, rating, seconds, correct, title=entry.title
        )
        return answered, review_id

    def action_explore(self) -> None:
        from revise.screens.explorer import ExplorerScreen

        if self.prepared is not None:
            variant = self.prepared.variant
            self.app.push_screen(ExplorerScreen(variant.problem, variant.params))

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [
            ("End session", "Show the summary", self.action_end)
        ]
        if self.state is State.RATING:
            for value, name in ((1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")):
                commands.append(
                    (
                        f"Rate {value} {name}",
                        "Record this rating and go on",
                        lambda v=value: self.action_rate(v),
                    )
                )
        if self.state is State.ASKING and not self.used_hint:
            commands.append(("Hint", "Show the first step of the method", self.action_hint))
        if self.check_action("undo", ()):
            commands.append(
                ("Undo the last rating", "Take back the last review (u, ctrl+z)", self.action_undo)
            )
        if self.check_action("explore", ()):
            commands.append(
                ("Explore these numbers", "Open this question in the explorer", self.action_explore)
            )
        return commands
