"""Flashcard drill: the front, space flips, 1–4 rates, u (or ctrl+z) undoes the last rating."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from revise.screens.rated import RATE_BINDINGS, UNDO_BINDINGS, RatedSession, Unrated
from revise.screens.session import Source, allowance_note, read_practice, read_queue
from revise.widgets.flashcard import FlashCard, card_faces
from revise.widgets.rating_bar import RatingBar


class DrillScreen(RatedSession):
    """Today's flashcards (of one topic, or all), one at a time."""

    BINDINGS = [
        Binding("escape", "end", "End session"),
        Binding("space", "flip", "Flip"),
        *RATE_BINDINGS,
        *UNDO_BINDINGS,
        Binding("p", "practice", "Practise anyway"),
    ]

    def __init__(self, topic: str | None = None, *, items: tuple[str, ...] = ()) -> None:
        super().__init__(Source(topic=topic, kind="card", items=items), "Drill")
        self.records = "rating"
        self.flipped = False
        self.saving = True
        self.empty = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.session_bar()
        with VerticalScroll(id="drill-body"):
            yield Static("", id="drill-meta")
            yield FlashCard(id="card")
            yield RatingBar(id="rating")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.started = self.revise.ticks()
        self.query_one(RatingBar).display = False
        self.query_one("#drill-body").loading = True
        self.load_queue()

    @work(exclusive=True, group="queue")
    async def load_queue(self) -> None:
        if not await self.revise.wait_ready():
            self.query_one("#drill-body").loading = False
            self._message(self.revise.load_error or "the course could not be loaded")
            return
        source = self.source
        self.session.title = source.describe(self.course)
        self.sub_title = self.session.title
        self.entries = await self.revise.backend.call(lambda s: read_queue(s, source))
        allowed, introduced = await self.revise.backend.call(lambda s: s.allowance())
        self.query_one("#drill-body").loading = False
        self.set_note(allowance_note(allowed, introduced, what="rating"))
        if not self.entries:
            self.empty = True
            spent = " and today's new cards are used up" if introduced >= allowed else ""
            self._message(
                f"No cards are due here today{spent}. Press p to practise anyway (every rating "
                "is recorded), or escape."
            )
            return
        self._start()

    def _message(self, text: str) -> None:
        self.query_one("#session-label", Static).update(self.session.title)
        self.query_one("#drill-meta", Static).update(Text(text))
        self.query_one(FlashCard).display = False
        self.refresh_bindings()

    def _start(self) -> None:
        self.empty = False
        self.query_one(FlashCard).display = True
        super()._start()

    def action_practice(self) -> None:
        self.empty = False
        self.refresh_bindings()
        self._practice()

    @work(exclusive=True, group="queue")
    async def _practice(self) -> None:
        source = self.source
        entries = await self.revise.backend.call(lambda s: read_practice(s, source, limit=20))
        allowed, introduced = await self.revise.backend.call(lambda s: s.allowance())
        if not entries:
            self.empty = True
            self.refresh_bindings()
            self.notify("There are no cards here yet.")
            return
        self.entries = entries
        self.session.title += " (practice)"
        self.practising = True
        self.set_note(allowance_note(allowed, introduced, practising=True, what="rating"))
        self._start()

    def show_current(self) -> None:
        if self.index >= len(self.entries):
            self.finish()
            return
        entry = self.entries[self.index]
        self._show_progress("card ")
        try:
            card = self.course.card(entry.id)
            topic = self.course.topic(card.topic).title
        except KeyError:
            self.index += 1
            self.show_current()
            return
        self.query_one("#drill-meta", Static).update(
            Text.assemble((topic, "bold"), " · ", (card.kind, "dim"))
        )
        front, back = card_faces(card.front, card.back, card.zh)
        flash = self.query_one(FlashCard)
        flash.show(front, back)
        flash.focus()
        self.query_one(RatingBar).display = False
        self.flipped = False
        self.saving = False
        self.shown_at = self.revise.ticks()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        active = not self.saving and not self.empty and self.index < len(self.entries)
        if action == "flip":
            return active and not self.flipped
        if action == "rate":
            return active and self.flipped
        if action == "undo":
            return self.can_undo()
        if action == "practice":
            return self.empty
        return True

    def action_flip(self) -> None:
        self.flipped = True
        self.query_one(FlashCard).flipped = True
        bar = self.query_one(RatingBar)
        bar.display = True
        bar.suggest(None)
        self.refresh_bindings()

    def action_rate(self, rating: int) -> None:
        if self.saving or not self.flipped:
            return
        self.set_busy(True)
        self._record(rating)

    # --- what undo and leaving need ---------------------------------------------------------
    def busy(self) -> bool:
        return self.saving

    def set_busy(self, busy: bool) -> None:
        self.saving = busy
        self.refresh_bindings()

    def unrated(self) -> Unrated | None:
        if self.flipped and not self.saving and self.index < len(self.entries):
            return Unrated("card", None)
        return None

    def restore(self, view: object) -> None:
        self.show_current()
        self.action_flip()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        commands: list[tuple[str, str, Any]] = [("End drill", "Show the summary", self.action_end)]
        if self.check_action("flip", ()):
            commands.append(("Flip the card", "Show the back", self.action_flip))
        if self.check_action("undo", ()):
            commands.append(("Undo the last rating", "Take back the last review", self.action_undo))
        return commands
