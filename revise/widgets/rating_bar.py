"""The rating bar: Again / Hard / Good / Easy, with the suggested rating marked and explained."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

RATINGS: dict[int, str] = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


class RatingBar(Vertical):
    """Four buttons (keys 1–4 on the screen); posts `RatingBar.Rated` when one is chosen."""

    class Rated(Message):
        def __init__(self, rating: int) -> None:
            super().__init__()
            self.rating = rating

    def compose(self) -> ComposeResult:
        yield Static("", id="rating-reason")
        with Horizontal(id="rating-buttons"):
            for value, name in RATINGS.items():
                yield Button(
                    f"{value} {name}",
                    id=f"rate-{value}",
                    classes=f"rate rate-{value}",
                    compact=True,
                )

    def suggest(self, rating: int | None, reason: str = "") -> None:
        """Mark the suggested rating (None: no suggestion) and focus it, so Enter accepts it."""
        for value in RATINGS:
            button = self.query_one(f"#rate-{value}", Button)
            button.set_class(value == rating, "-suggested")
        text = f"Suggested: {rating} {RATINGS[rating]} — {reason}" if rating and reason else ""
        if rating and not reason:
            text = f"Suggested: {rating} {RATINGS[rating]}"
        self.query_one("#rating-reason", Static).update(text or "How well did you know it?")
        self.query_one(f"#rate-{rating or 3}", Button).focus(scroll_visible=False)
        # once laid out (it may just have been shown), bring the whole bar into view
        self.call_after_refresh(self.scroll_visible, animate=False)

    @on(Button.Pressed, ".rate")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.post_message(self.Rated(int(event.button.id.removeprefix("rate-"))))
