"""A flashcard: the front, and the back once flipped, with LaTeX maths drawn in Unicode."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from revise.widgets.math_view import markdown_renderable


def card_faces(
    front: str, back: str, zh: str | None = None
) -> tuple[RenderableType, RenderableType]:
    """(front, back) renderables of a card (pure: build them off the UI thread if you like)."""
    back_text = back if not zh or zh in back else f"{back}\n\n*中文: {zh}*"
    return markdown_renderable(front), markdown_renderable(back_text)


class FlashCard(Vertical, can_focus=True):
    """Front on top, a rule, then the back when `flipped`. Focusable, so space reaches the screen."""

    flipped: reactive[bool] = reactive(False)

    class FlipRequested(Message):
        """The card was clicked: the screen flips it if that is allowed now."""

    def on_click(self) -> None:
        if not self.flipped:
            self.post_message(self.FlipRequested())

    def compose(self) -> ComposeResult:
        yield Static("", id="card-front")
        yield Static(Text("space: show the answer", style="dim italic"), id="card-hint")
        yield Static("", id="card-back")

    def show(self, front: RenderableType, back: RenderableType) -> None:
        self.query_one("#card-front", Static).update(front)
        self.query_one("#card-back", Static).update(back)
        self.flipped = False

    def watch_flipped(self, flipped: bool) -> None:
        self.set_class(flipped, "-flipped")
        self.query_one("#card-back", Static).display = flipped
        self.query_one("#card-hint", Static).display = not flipped
