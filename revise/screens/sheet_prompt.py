"""Marking a paper sheet in the app: ask for the sheet code, then quiz its questions as printed.

The code fixes the sheet's questions (`revise.printout.sheet_code`), so the session asks exactly
the (family, seed) pairs on the paper, in order; each answer is checked, rated and recorded as
in any quiz, so work done on paper counts towards the schedule (the same as `revise mark`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from revise.widgets.cursor import steady_cursors

if TYPE_CHECKING:
    from revise.app import ReviseApp


class SheetPrompt(ModalScreen[str | None]):
    """Asks for a sheet code; returns it once it names a sheet of this course, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(id="sheet-dialog", classes="dialog"):
            yield Static(Text("Mark a paper sheet", style="bold"))
            yield Static(
                Text("the sheet code printed in its header, beside the QR code", style="dim")
            )
            yield Input(placeholder="2100-00G0-DA07-00", id="sheet-input")
            yield Static("", id="sheet-error", classes="error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Mark", variant="primary", id="sheet-go")
                yield Button("Cancel", id="sheet-cancel")

    def on_mount(self) -> None:
        steady_cursors(self)
        self.query_one(Input).focus()

    @on(Input.Submitted, "#sheet-input")
    @on(Button.Pressed, "#sheet-go")
    def _go(self) -> None:
        from engine.errors import UserError
        from revise.printout.sheet_code import decode

        code = self.query_one(Input).value.strip()
        course = cast("ReviseApp", self.app).backend.course
        if course is None:
            self.query_one("#sheet-error", Static).update("the course is still loading")
            return
        try:
            selection = decode(course, code)
        except UserError as exc:
            self.query_one("#sheet-error", Static).update(str(exc))
            return
        if selection.count == 0:
            self.query_one("#sheet-error", Static).update(
                "this sheet has short questions only: there is nothing to mark"
            )
            return
        self.dismiss(code.upper())

    @on(Button.Pressed, "#sheet-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
