"""Helpers for the app's tests: the sample course, a fixed clock, and an app built from them.

The app takes its home, course, settings and clock as constructor arguments, so every test runs
it on a temporary home with the small course in `fixtures/app_course` (two topics, two cards,
three families whose numbers are fixed), fixed variant seeds and a clock that never moves.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import Static

import content
from revise.app import ReviseApp
from revise.study import Settings

COURSE_DIR = Path(__file__).parent / "fixtures" / "app_course"
T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
EXAM = T0 + timedelta(days=30)
SIZE = (100, 36)


@cache
def sample_course() -> content.Course:
    return content.load(COURSE_DIR)


def settings(**changes: Any) -> Settings:
    """Settings for tests: CPU cross-checks (the same on a GPU machine), the default theme."""
    base = Settings(device="cpu", theme="textual-dark")
    return Settings(**{**base.__dict__, **changes})


def make_app(
    home: Path, *, exam: bool = False, clock: Callable[[], datetime] | None = None, **kw: Any
) -> ReviseApp:
    return ReviseApp(
        home=home,
        course=sample_course(),
        settings=settings(exam_at=EXAM if exam else None),
        clock=clock or (lambda: T0),
        ticks=lambda: 0.0,
        seeds=lambda family_id: 1,
        steady=True,
        **kw,
    )


async def until(
    pilot: Any, predicate: Callable[[], object], what: str = "", timeout: float = 90.0
) -> None:
    """Let the app run until `predicate()` holds (workers solve, import torch, read the db)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - a widget not mounted yet: keep waiting
            pass
    raise AssertionError(f"timed out waiting for {what or predicate}")


def plain(content: Any) -> str:
    """Any widget content (a string, Rich Text, a table...) as plain text."""
    if isinstance(content, str):
        return content
    if hasattr(content, "plain"):
        return str(content.plain)
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(content)
    return console.export_text()


def text_of(app: Any, selector: str) -> str:
    """The plain text one Static shows (on the current screen)."""
    return plain(app.screen.query_one(selector).content)


def screen_text(app: Any) -> str:
    """The text of every Static on the current screen, in order."""
    return "\n".join(plain(w.content) for w in app.screen.query(Static) if w.display)


async def ready(pilot: Any) -> None:
    """Wait for the course and the database, and for the screen's loading workers."""
    from textual.worker import WorkerCancelled

    await pilot.app.wait_ready()
    for _ in range(200):
        try:
            await pilot.app.workers.wait_for_complete()
            break
        except WorkerCancelled:  # an exclusive worker replaced by a newer one: wait for that
            await pilot.pause(0.05)
    await pilot.pause()


def utc_zone() -> Any:
    """Run in UTC, so dates on screen do not depend on the machine's time zone (a fixture)."""
    import os

    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()
