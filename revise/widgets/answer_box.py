"""The answer box: an input that says, while you type, how your answer will be read.

An answer that is a matrix gets a box of several lines, a row per line (the checker reads a
line break as the end of a row): Enter starts the next row, and Enter on an empty line (or in
an empty box) checks the answer.

Reading an answer can import SymPy (for an expression) or compute the expected value the first
time, so the preview never runs on the UI thread: each key press restarts a short timer, and
when typing pauses the text is read in an exclusive thread worker. A result that arrives after
the text has changed again is dropped, so typing never waits and never sees a stale preview.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from revise.widgets import key_order
from revise.widgets.cursor import steady_cursors

#: seconds of quiet after a key press before the answer is read
DEBOUNCE = 0.12

#: what the box of rows says before anything is typed
ROWS_PLACEHOLDER = "a row per line — Enter: next row · Enter on an empty line: check"

#: reads an answer: returns how it is read, or raises ValueError with what to change
Reader = Callable[[str], str]


class RowsArea(TextArea):
    """A few lines for a matrix, a row per line; Enter on an empty line submits."""

    # ctrl+z undoes the last rating here too, as everywhere in a session (not the typing)
    BINDINGS = [Binding("ctrl+z", "screen.undo", "Undo", key_display="^z")]

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter" and not self.read_only:
            row, _ = self.cursor_location
            line = self.document.get_line(row)
            if not self.text.strip() or (not line.strip() and row == self.document.line_count - 1):
                event.stop()
                event.prevent_default()
                self.post_message(self.Submitted(self.text.strip()))
                return
        await super()._on_key(event)


# bound keys (backspace, arrows) typed in a burst run in order here too
key_order.install(RowsArea)


class AnswerBox(Vertical):
    """An Input with a live "read as" preview; posts `AnswerBox.Submitted` on Enter."""

    class Submitted(Message):
        """The student pressed Enter on this text."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Preview(Message):
        """How `text` reads (`shown`), or why it cannot be read (`error`): from the worker."""

        def __init__(self, text: str, shown: str | None, error: str | None) -> None:
            super().__init__()
            self.text = text
            self.shown = shown
            self.error = error

    def __init__(self, placeholder: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._placeholder = placeholder
        self._reader: Reader | None = None
        self._timer: Timer | None = None
        self._judged: str | None = None  # text the grader has spoken about: no preview over it

    def compose(self) -> ComposeResult:
        yield Input(placeholder=self._placeholder, id="answer-input", select_on_focus=False)
        yield RowsArea(
            id="answer-lines",
            soft_wrap=False,
            show_line_numbers=False,
            compact=True,
            placeholder=ROWS_PLACEHOLDER,
        )
        yield Static("", id="answer-preview")

    def on_mount(self) -> None:
        steady_cursors(self)
        self.rows.display = False
        if getattr(self.app, "steady", False):
            self.rows.cursor_blink = False

    @property
    def input(self) -> Input:
        return self.query_one("#answer-input", Input)

    @property
    def rows(self) -> RowsArea:
        return self.query_one("#answer-lines", RowsArea)

    @property
    def field(self) -> Widget:
        """Where the answer is typed now: the line, or the rows of a matrix."""
        return self.rows if self.rows.display else self.input

    @property
    def value(self) -> str:
        return self.rows.text if self.rows.display else self.input.value

    def reset(self, reader: Reader | None, placeholder: str = "", *, rows: bool = False) -> None:
        """A fresh, empty, editable box that reads answers with `reader` (`rows`: a matrix,
        typed a row per line)."""
        self._reader = reader
        self._judged = None
        self.input.value = ""
        self.input.placeholder = placeholder or self._placeholder
        self.input.disabled = False
        self.rows.text = ""
        self.rows.read_only = False
        self.rows.disabled = False
        self.input.display = not rows
        self.rows.display = rows
        self._set_preview(Text(""))

    def set_text(self, text: str) -> None:
        """Put an answer back in the box (shown again after an undo)."""
        if self.rows.display:
            self.rows.text = text
        else:
            self.input.value = text

    def freeze(self) -> None:
        """No more typing (the answer was submitted)."""
        if self._timer is not None:
            self._timer.stop()
        self.input.disabled = True
        self.rows.read_only = True
        self.rows.disabled = True

    def show_unreadable(self, text: str, message: Text) -> None:
        """The grader could not read `text`: say why, in place of any preview still coming."""
        if self._timer is not None:
            self._timer.stop()
        self._judged = text
        self._set_preview(message)

    def show_read(self, shown: str | None) -> None:
        """Show how the submitted answer was read (the grader's reading, never a stale one)."""
        if shown is None:
            return
        lead = "read as: " if "\n" not in shown else "read as:\n"
        self._set_preview(Text.assemble((lead, "dim"), (shown, "bold")))

    def _set_preview(self, text: Text) -> None:
        self.query_one("#answer-preview", Static).update(text)

    @on(TextArea.Changed, "#answer-lines")
    def _rows_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        self._text_changed(event.text_area.text)

    @on(RowsArea.Submitted)
    def _rows_submitted(self, event: RowsArea.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.text))

    @on(Input.Changed, "#answer-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._text_changed(event.value)

    def _text_changed(self, text: str) -> None:
        if self.input.disabled or self.rows.read_only:
            return  # an answer put back after an undo: its reading is already shown
        if self._timer is not None:
            self._timer.stop()
        self._judged = None
        if not text.strip() or self._reader is None:
            self._set_preview(Text(""))
            return
        self._timer = self.set_timer(DEBOUNCE, lambda: self._read(text))

    @on(Input.Submitted, "#answer-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))

    @work(thread=True, exclusive=True, group="answer-preview")
    def _read(self, text: str) -> None:
        reader = self._reader
        if reader is None:
            return
        try:
            shown, error = reader(text), None
        except ValueError as exc:  # AnswerError and friends: the input cannot be read yet
            shown, error = None, str(exc)
        self.post_message(self.Preview(text, shown, error))

    @on(Preview)
    def _show_preview(self, event: Preview) -> None:
        event.stop()
        frozen = self.input.disabled or self.rows.read_only
        if event.text != self.value or frozen or event.text == self._judged:
            return  # typing went on (a newer preview is coming), or the grader has spoken
        if event.shown is not None:
            self.show_read(event.shown)
        else:
            self._set_preview(
                Text.assemble(("cannot read this yet: ", "dim"), (event.error or "", "italic"))
            )
