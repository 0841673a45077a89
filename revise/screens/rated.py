"""What the drill and quiz screens share: the session bar, 1–4 rating, undo, relearning, the end.

Both screens walk a queue of entries, show one at a time with a progress bar above it, record
a 1–4 rating per entry and end on the summary. `RatedSession` holds that walk; each screen
says how an entry is shown (`show_current`), when an action is allowed (`check_action`), how a
flip and a rating are taken (`action_flip`, `action_rate`), and how what it shows is kept and
shown again when a rating is undone (`snapshot`, `restore`).

- **Undo** (u, ctrl+z): every rating keeps a `Step` (the review's id in the log, the place in
  the session and what the screen showed); undo takes the review out of the database, puts the
  item back as it was, and shows it again to be rated — as many steps back as the session went.
- **Relearning**: an item that fsrs leaves in a learning or relearning step due within the
  session's look-ahead (the queue's `LEARN_AHEAD`) comes back in the same session, with new
  numbers for a question: a miss (Again) or a step of a few minutes after a few other items,
  a longer step (Good on a new item: ten minutes by default) at the end of the session.
- **Leaving** with an answered but unrated item asks first (`LeaveScreen`): record the
  suggested rating, leave it unrecorded, or stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, ProgressBar, Static

from revise.screens.session import Entry, Source
from revise.screens.summary import Answered, SessionLog, SummaryScreen
from revise.widgets.flashcard import FlashCard
from revise.widgets.rating_bar import RATINGS, RatingBar

if TYPE_CHECKING:
    from content import Course
    from revise.app import ReviseApp

# hidden from the footer: the rating bar on screen already names the four ratings
RATE_BINDINGS = [
    Binding("1", "rate(1)", "Again", show=False),
    Binding("2", "rate(2)", "Hard", show=False),
    Binding("3", "rate(3)", "Good", show=False),
    Binding("4", "rate(4)", "Easy", show=False),
]

#: where nothing is typed (the drill): u, as in Anki; ctrl+z works too
UNDO_BINDINGS = [
    Binding("u", "undo", "Undo"),
    Binding("ctrl+z", "undo", "Undo", show=False),
]
#: where answers are typed (the quiz), u is a letter of the answer: the footer shows ctrl+z,
#: which works in the answer box too; u still undoes once the answer is graded
TYPED_UNDO_BINDINGS = [
    Binding("ctrl+z", "undo", "Undo", key_display="^z"),
    Binding("u", "undo", "Undo", show=False),
]

#: other items shown before a missed item (a step of a few minutes at most) comes back
RELEARN_GAP = 3
#: a step due within this long counts as "a few items later"; a longer one comes back at the end
SHORT_STEP = timedelta(minutes=5)
#: times an item may come back in one session (a session always ends)
MAX_RETURNS = 3


@dataclass(frozen=True)
class Step:
    """One rating of the session, kept so that undo can take it back."""

    review_id: int
    index: int
    entries: tuple[Entry, ...]  # the session's entries before the rating (relearning adds some)
    view: Any  # what the screen showed, to show it again (the screen's own snapshot)


@dataclass(frozen=True)
class Unrated:
    """An item answered (or a card flipped) but not rated yet: what leaving would lose."""

    what: str  # "answer" or "card"
    suggested: int | None  # the suggested rating, if there is one


class RatedSession(Screen[None]):
    """A session over a queue of entries, each rated 1–4, ending on the summary.

    A Screen subclass rather than a plain mixin: Textual gathers `@on` handlers only from
    classes built by its message-pump metaclass.
    """

    def __init__(self, source: Source, title: str) -> None:
        super().__init__()
        self.source = source
        self.entries: list[Entry] = []
        self.index = 0
        self.session = SessionLog(title)
        self.shown_at = 0.0
        self.started = 0.0
        self.history: list[Step] = []
        self.practising = False  # past the queue: new items go beyond the day's allowance
        self.records = "answer"  # what the session note says is recorded ("rating" in a drill)
        self.returns: Counter[str] = Counter()  # how often each item came back (relearning)

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    @property
    def course(self) -> Course:
        course = self.revise.backend.course
        assert course is not None
        return course

    def session_bar(self) -> Vertical:
        """The lines above the entry: the session's title and place, the progress bar, and
        what the session records."""
        return Vertical(
            Horizontal(
                Static("", id="session-label"),
                ProgressBar(id="session-progress", show_eta=False, show_percentage=False),
                id="session-bar",
            ),
            Static("", id="session-note"),
            id="session-head",
        )

    def _start(self) -> None:
        self.index = 0
        self.show_current()

    def _show_progress(self, noun: str = "") -> None:
        """Name the current entry's place in the session bar (`noun` before its number)."""
        entry = self.entries[self.index] if self.index < len(self.entries) else None
        again = " · again, with new numbers" if entry and self._is_return(entry) else ""
        if entry and entry.kind == "card" and again:
            again = " · again"
        self.query_one("#session-label", Static).update(
            f"{self.session.title} · {noun}{self.index + 1} of {len(self.entries)}{again}"
        )
        self.query_one(ProgressBar).update(total=len(self.entries), progress=self.index)

    def _is_return(self, entry: Entry) -> bool:
        return any(e.id == entry.id for e in self.entries[: self.index])

    def set_note(self, text: str | Text) -> None:
        """The line under the session bar: what the session records and from which allowance."""
        self.query_one("#session-note", Static).update(text)

    async def refresh_note(self) -> None:
        """Say again what is left of today's allowance (after a new item was started)."""
        from revise.screens.session import allowance_note

        if self.source.items:
            return
        allowed, introduced = await self.revise.backend.call(lambda s: s.allowance())
        self.set_note(
            allowance_note(allowed, introduced, practising=self.practising, what=self.records)
        )

    # --- what each screen says --------------------------------------------------------------
    def show_current(self) -> None:
        raise NotImplementedError

    def action_flip(self) -> None:
        raise NotImplementedError

    def action_rate(self, rating: int) -> None:
        raise NotImplementedError

    def snapshot(self) -> Any:
        """What the screen shows of the current entry, kept with its rating for undo."""
        return None

    def restore(self, view: Any) -> None:
        """Show the current entry again as `snapshot` kept it, waiting for a rating."""
        self.show_current()

    def unrated(self) -> Unrated | None:
        """The current entry if it is answered or flipped but not rated yet."""
        return None

    def busy(self) -> bool:
        """Whether a rating or an undo is being saved (no other rating or undo meanwhile)."""
        return False

    def set_busy(self, busy: bool) -> None:
        """Mark a save or an undo under way (or over)."""

    # --- rating -----------------------------------------------------------------------------
    @on(FlashCard.FlipRequested)
    def _clicked(self) -> None:
        if self.check_action("flip", ()):
            self.action_flip()

    @on(RatingBar.Rated)
    def _rated(self, event: RatingBar.Rated) -> None:
        event.stop()
        self.action_rate(event.rating)

    @work(exclusive=True, group="record")
    async def _record(self, rating: int) -> None:
        await self._record_now(rating)
        self.index += 1
        self.show_current()

    async def _record_now(self, rating: int) -> None:
        """Save the current entry's rating, keep the step for undo, and bring the entry back
        later in the session if fsrs keeps it in a short learning step."""
        entry = self.entries[self.index]
        step_entries = tuple(self.entries)
        view = self.snapshot()
        answered, review_id = await self._save(entry, rating)
        self.session.add(answered)
        self.history.append(Step(review_id, self.index, step_entries, view))
        await self.refresh_note()
        due = await self.revise.backend.call(lambda s: s.learning_due(entry.id))
        if due is not None and self.returns[entry.id] < MAX_RETURNS:
            self.returns[entry.id] += 1
            # a miss comes back after a few items; a longer learning step closes the session
            soon = rating == 1 or due - self.revise.now() <= SHORT_STEP
            at = min(len(self.entries), self.index + 1 + RELEARN_GAP) if soon else len(self.entries)
            self.entries.insert(at, entry)
            later = at - self.index - 1
            when = f"after {later} other item{'s' if later != 1 else ''}" if later else "next"
            fresh = " with new numbers" if entry.kind == "family" else ""
            self.notify(f"It comes back {when}{fresh} (a learning step).", timeout=4)

    async def _save(self, entry: Entry, rating: int) -> tuple[Answered, int]:
        """Record a flashcard's rating, timed from when it was shown; a screen adds its kinds.
        The answer as the summary keeps it, and the review's id in the log."""
        seconds = self.revise.ticks() - self.shown_at
        review_id = await self.revise.backend.call(
            lambda s: s.record(entry.id, rating, seconds=seconds)
        )
        return Answered(
            entry.id, "card", entry.topic, rating, seconds, title=entry.title
        ), review_id

    # --- undo -------------------------------------------------------------------------------
    def can_undo(self) -> bool:
        return bool(self.history) and not self.busy()

    def action_undo(self) -> None:
        if not self.history:
            self.notify("Nothing to undo in this session.")
            return
        if self.busy():
            return
        self.set_busy(True)
        self._undo()

    @work(exclusive=True, group="record")
    async def _undo(self) -> None:
        step = self.history.pop()
        undone = await self.revise.backend.call(lambda s: s.undo(step.review_id))
        if undone is None:
            self.set_busy(False)
            self.notify(
                "That rating cannot be undone: the item has been reviewed since (elsewhere).",
                severity="warning",
            )
            return
        answered = self.session.pop()
        self.entries = list(step.entries)
        self.index = step.index
        entry = self.entries[self.index]
        self.returns[entry.id] = max(0, sum(e.id == entry.id for e in self.entries) - 1)
        name = RATINGS.get(answered.rating, "") if answered else ""
        self.notify(f"Undone: {name} — the review is out of the log. Rate it again.")
        await self.refresh_note()
        self.set_busy(False)
        self.restore(step.view)

    # --- leaving ----------------------------------------------------------------------------
    def action_end(self) -> None:
        self.leave(self._end_now)

    def _end_now(self) -> None:
        if self.session.entries:
            self.finish()
        else:
            self.app.pop_screen()

    def leave(self, then: Callable[[], object]) -> None:
        """Run `then` (end the session, quit the app) — after asking, if an answered item is
        not rated yet."""
        pending = self.unrated()
        if pending is None or self.busy():
            then()
            return
        self._ask_leave(pending, then)

    @work(exclusive=True, group="leave")
    async def _ask_leave(self, pending: Unrated, then: Callable[[], object]) -> None:
        choice = await self.app.push_screen_wait(LeaveScreen(pending))
        if choice == "stay":
            return
        if choice == "record" and pending.suggested is not None:
            self.set_busy(True)
            await self._record_now(pending.suggested)
            self.index += 1
            self.notify(f"Recorded {pending.suggested} {RATINGS[pending.suggested]} (suggested).")
        then()

    def finish(self) -> None:
        self.session.seconds = self.revise.ticks() - self.started
        titles = {t.id: t.title for t in self.course.topics}
        self.app.switch_screen(SummaryScreen(self.session, titles, self.source))


class LeaveScreen(ModalScreen[str]):
    """Asked when leaving with an answered but unrated item: record, leave unrecorded, or stay."""

    BINDINGS = [
        Binding("escape", "choose('stay')", "Stay"),
        Binding("s", "choose('record')", "Record the suggestion", show=False),
        Binding("d", "choose('drop')", "Leave it unrecorded", show=False),
    ]

    def __init__(self, pending: Unrated) -> None:
        super().__init__()
        self.pending = pending

    def compose(self) -> ComposeResult:
        pending = self.pending
        what = "This answer" if pending.what == "answer" else "This card"
        with Vertical(id="leave-dialog", classes="dialog"):
            yield Static(
                Text.assemble(
                    (f"{what} is not rated yet.", "bold"), "\nLeaving now would not record it."
                ),
                id="leave-message",
            )
            with Horizontal(id="leave-buttons", classes="dialog-buttons"):
                if pending.suggested is not None:
                    name = RATINGS[pending.suggested]
                    yield Button(
                        f"s Record {pending.suggested} {name}",
                        id="leave-record",
                        variant="primary",
                        compact=True,
                    )
                yield Button("d Leave unrecorded", id="leave-drop", compact=True)
                yield Button("esc Stay", id="leave-stay", compact=True)

    def on_mount(self) -> None:
        first = "#leave-record" if self.pending.suggested is not None else "#leave-stay"
        self.query_one(first, Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters == ("record",):
            return self.pending.suggested is not None
        return True

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choice = {"leave-record": "record", "leave-drop": "drop"}.get(event.button.id or "", "stay")
        self.dismiss(choice)
