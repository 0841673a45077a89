"""Keys typed in a burst arrive in the order they were typed, in every text field of the app.

Why a burst came out scrambled: a text field inserts a printable key in its own handler, but an
editing key it binds (backspace, delete, the arrows, ctrl+w…) is not handled there: the key
event bubbles up to the app, which then looks the binding up and runs it. When keys arrive in
one burst (a fast typist, a key repeat, a terminal replaying input), the printable keys that
follow a backspace are already queued on the field and are inserted before the backspace has
made its way up to the app and back: `adam`, four backspaces, `optim.step` became
`adamoptim.` (the four backspaces then deleted `step`). Typed slowly, each key finishes before
the next one arrives, so nothing is visibly wrong. (Textual issue 6605.)

The fix runs a field's own bindings inside its key handler, in the order the keys came, exactly
as the app would have run them: the focused widget is the first place the app looks for a
non-priority binding, and priority bindings are checked by the app before the key reaches the
field, so which action runs does not change — only when. `install()` applies it to Textual's
`Input` (the answer box, the explorer's fields, the filter and the command palette's search)
when the app module is imported, and the answer box applies it to `TextArea` (matrices).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.widget import Widget

KeyHandler = Callable[[Any, events.Key], Awaitable[None]]

_installed: set[type[Widget]] = set()


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run `widget`'s own (non-priority) binding for this key now; whether one ran."""
    for binding in widget._bindings.key_to_bindings.get(event.key, ()):
        if binding.priority:
            continue  # the app has already offered the key to priority bindings
        if await widget.app.run_action(binding.action, widget):
            event.stop()
            event.prevent_default()
            return True
    return False


def _in_order(handler: KeyHandler) -> KeyHandler:
    async def on_key(self: Widget, event: events.Key) -> None:
        if not event.is_printable and await run_own_binding(self, event):
            return
        await handler(self, event)

    on_key.__doc__ = "The widget's own key handling, with its bound keys run in typing order."
    on_key.__wrapped__ = handler  # type: ignore[attr-defined]
    return on_key


def install(*classes: type[Widget]) -> None:
    """Make these text fields (default: Textual's `Input`) run their own bindings in the order
    keys arrive. Idempotent: each class is wrapped once."""
    if not classes:
        from textual.widgets import Input

        classes = (Input,)
    for cls in classes:
        if cls in _installed:
            continue
        _installed.add(cls)
        setattr(cls, "_on_key", _in_order(cls._on_key))  # noqa: B010 - a library class
