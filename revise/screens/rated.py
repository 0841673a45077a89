"""What the drill and quiz screens share: the session bar, 1–4 rating, recording and the end.

Both screens walk a queue of entries, show one at a time with a progress bar above it, record
a 1–4 rating per entry and end on the summary. `RatedSession` holds that walk; each screen
says how an entry is shown (`show_current`), when an action is allowed (`check_action`) and
how a flip and a rating are taken (`action_flip`, `action_rate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import ProgressBar, Static

from revise.screens.session import Entry, Source
from revise.screens.summary import Answered, SessionLog, SummaryScreen
from revise.widgets.flashcard import FlashCard
from revise.widgets.rating_bar import RatingBar

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

    @property
    def revise(self) -> ReviseApp:
        return cast("ReviseApp", self.app)

    @property
    def course(self) -> Course:
        course = self.revise.backend.course
        assert course is not None
        return course

    def session_bar(self) -> Horizontal:
        """The line above the entry: the session's title and place, and the progress bar."""
        return Horizontal(
            Static("", id="session-label"),
            ProgressBar(id="session-progress", show_eta=False, show_percentage=False),
            id="session-bar",
        )

    def _start(self) -> None:
        self.index = 0
        self.query_one(ProgressBar).update(total=len(self.entries), progress=0)
        self.show_current()

    def _show_progress(self, noun: str = "") -> None:
        """Name the current entry's place in the session bar (`noun` before its number)."""
        self.query_one("#session-label", Static).update(
            f"{self.session.title} · {noun}{self.index + 1} of {len(self.entries)}"
        )
        self.query_one(ProgressBar).update(progress=self.index)

    def show_current(self) -> None:
        raise NotImplementedError

    def action_flip(self) -> None:
        raise NotImplementedError

    def action_rate(self, rating: int) -> None:
        raise NotImplementedError

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
        entry = self.entries[self.index]
        self.session.add(await self._save(entry, rating))
        self.index += 1
        self.show_current()

    async def _save(self, entry: Entry, rating: int) -> Answered:
        """Record a flashcard's rating, timed from when it was shown; a screen adds its kinds."""
        seconds = self.revise.ticks() - self.shown_at
        await self.revise.backend.call(lambda s: s.record(entry.id, rating, seconds=seconds))
        return Answered(entry.id, "card", entry.topic, rating, seconds)

    def action_end(self) -> None:
        if self.session.entries:
            self.finish()
        else:
            self.app.pop_screen()

    def finish(self) -> None:
        self.session.seconds = self.revise.ticks() - self.started
        titles = {t.id: t.title for t in self.course.topics}
        self.app.switch_screen(SummaryScreen(self.session, titles))
