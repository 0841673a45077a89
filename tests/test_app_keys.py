"""Keys typed in one burst, with no pause between them, reach a text field whole and in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from app_support import SIZE, make_app, ready, until, utc_zone
from textual import events
from textual.widgets import Input

from revise.screens.explorer import ExplorerScreen

utc = pytest.fixture(autouse=True)(utc_zone)

#: "adam", four backspaces, "optim.step": what a fast typist correcting a search types
BURST = [*"adam", *["backspace"] * 4, *"optim", "full_stop", *"step"]


def burst(app, keys: list[str]) -> None:
    """Queue the keys as the terminal driver does when they arrive in one read: no waiting."""
    for key in keys:
        char = "." if key == "full_stop" else "\x7f" if key == "backspace" else key
        event = events.Key(key, char)
        event.set_sender(app)
        app.post_message(event)


def test_burst_in_the_explorer_filter_arrives_whole(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            app.action_explorer()
            await until(
                pilot,
                lambda: (
                    isinstance(app.screen, ExplorerScreen)
                    and app.screen.query_one("#problem-filter", Input).has_focus
                ),
                "the explorer's filter",
            )
            field = app.screen.query_one("#problem-filter", Input)
            burst(app, BURST)
            await pilot.pause(0.5)
            assert field.value == "optim.step"

    asyncio.run(scenario())


def test_burst_in_the_command_palette_arrives_whole(tmp_path: Path) -> None:
    async def scenario() -> None:
        from textual.command import CommandPalette

        app = make_app(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
            field = app.screen.query_one(Input)
            burst(app, BURST)
            await pilot.pause(0.5)
            assert field.value == "optim.step"

    asyncio.run(scenario())
