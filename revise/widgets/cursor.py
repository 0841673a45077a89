"""Steady cursors: inputs stop blinking when the app runs `steady` (snapshots, screenshots)."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input


def steady_cursors(root: Widget) -> None:
    """Stop every Input under `root` blinking, if the app asks for steady output."""
    if getattr(root.app, "steady", False):
        for field in root.query(Input):
            field.cursor_blink = False
