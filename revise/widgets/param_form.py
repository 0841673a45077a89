"""A form generated from a problem's parameter model (its JSON schema in the engine's catalogue).

Choices become a Select, true/false a Checkbox, everything else an Input holding the value as
JSON (`3`, `[[1, 2], [3, 4]]`) or plain text (`x^2 sin(3x)`), read the way `revise solve` reads
`NAME=VALUE`. Fields start from the engine's example call for the problem, else the defaults.
The form posts `ParamForm.Changed` with the values; the screen validates them with the engine
(off the UI thread) and calls `mark` to show each bad value's one-line message under its field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from revise.widgets.cursor import steady_cursors

MISSING = object()
#: the narrowest and widest column of parameter names (cells)
NAME_WIDTH = 18
MAX_NAME_WIDTH = 28


@dataclass(frozen=True)
class Field:
    """One parameter: its name, how it is edited, its starting value and its help."""

    name: str
    kind: str  # "choice", "bool" or "text"
    value: Any
    choices: tuple[str, ...] = ()
    required: bool = False
    description: str = ""


def fields_of(entry: dict[str, Any], example: dict[str, Any] | None) -> list[Field]:
    """The fields of a catalogue entry, filled from the example call and the defaults."""
    fields = []
    for prm in entry["parameters"]:
        name, schema = prm["name"], prm.get("schema", {})
        if example is not None and name in example:
            value = example[name]
        elif "default" in prm:
            value = prm["default"]
        else:
            value = MISSING
        description = prm.get("description", "")
        enum = schema.get("enum")
        if enum:
            kind, choices = "choice", tuple(str(e) for e in enum)
        elif schema.get("type") == "boolean":
            kind, choices = "bool", ()
        else:
            kind, choices = "text", ()
        fields.append(Field(name, kind, value, choices, prm.get("required", False), description))
    return fields


def as_text(value: Any) -> str:
    """A value as it is typed in a field: JSON, except plain strings and nothing at all."""
    if value is MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def read_text(text: str) -> Any:
    """A field's text as a value: JSON when it parses, else the text itself (as `revise solve`)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        return text


class ParamForm(Vertical):
    """The parameter fields of one problem, with an error line under each."""

    class Changed(Message):
        """The values now in the form (empty fields left out, so defaults apply)."""

        def __init__(self, params: dict[str, Any]) -> None:
            super().__init__()
            self.params = params

    def __init__(self, fields: list[Field], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.fields = fields

    def compose(self) -> ComposeResult:
        for f in self.fields:
            with Vertical(classes="param", id=f"param-{f.name}"):
                with Horizontal(classes="param-row"):
                    yield Label(f.name, classes="param-name")
                    yield self._control(f)
                if f.description:
                    yield Static(Text(f.description, style="dim"), classes="param-help")
                yield Static("", classes="param-error")

    def on_mount(self) -> None:
        steady_cursors(self)
        # the names' column fits the longest name (`initial_accumulator_value`), up to a
        # third of a wide screen; a longer name wraps inside its column instead of running on
        longest = max((len(f.name) for f in self.fields), default=0)
        width = max(NAME_WIDTH, min(longest + 2, MAX_NAME_WIDTH))
        for label in self.query(".param-name"):
            label.styles.width = width
        for line in self.query(".param-help, .param-error"):
            line.styles.padding = (0, 0, 0, width)

    def _control(self, f: Field) -> Widget:
        tooltip = f.description or None
        if f.kind == "choice":
            value = f.value if f.value in f.choices else Select.NULL
            return Select(
                [(c, c) for c in f.choices],
                value=value,
                allow_blank=f.value not in f.choices,
                id=f"field-{f.name}",
                classes="param-control",
                compact=True,
                tooltip=tooltip,
            )
        if f.kind == "bool":
            return Checkbox(
                "", value=bool(f.value) if f.value is not MISSING else False,
                id=f"field-{f.name}", classes="param-control", compact=True, tooltip=tooltip,
            )  # fmt: skip
        return Input(
            as_text(f.value),
            placeholder="required" if f.required else "default",
            id=f"field-{f.name}",
            classes="param-control",
            compact=True,
            tooltip=tooltip,
            select_on_focus=False,
        )

    def values(self) -> dict[str, Any]:
        """The parameters as typed (fields left empty are left out)."""
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    out[f.name] = widget.value
            elif isinstance(widget, Checkbox):
                out[f.name] = widget.value
            elif isinstance(widget, Input) and widget.value.strip():
                out[f.name] = read_text(widget.value)
        return out

    def mark(self, errors: dict[str, str]) -> None:
        """Show these messages under their fields and clear the others."""
        for f in self.fields:
            message = errors.get(f.name, "")
            box = self.query_one(f"#param-{f.name}")
            box.set_class(bool(message), "-invalid")
            box.query_one(".param-error", Static).update(Text(message))

    @on(Input.Changed, ".param-control")
    @on(Select.Changed, ".param-control")
    @on(Checkbox.Changed, ".param-control")
    def _changed(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed(self.values()))
