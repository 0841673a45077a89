"""StoreError, and turning sqlite3's exceptions into one-line messages that say what to do."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from engine.errors import UserError


class StoreError(UserError):
    """The review database cannot be used as it is: locked, read-only, damaged or too new."""


def locked(path: Path, seconds: float) -> StoreError:
    return StoreError(
        f"the review database {path} is locked by another program (waited {seconds:g} s); "
        "close it and try again — nothing was changed"
    )


def read_only(path: Path) -> StoreError:
    return StoreError(
        f"the review database {path} is read-only; make it (and its folder) writable, "
        "or use another home with --home — nothing was changed"
    )


def damaged(path: Path, detail: str) -> StoreError:
    return StoreError(
        f"{path} is damaged or is not a revise database ({detail}); it was left untouched — "
        "move it away to start a new history, or restore a backup"
    )


def translate(exc: sqlite3.Error, path: Path, busy_seconds: float) -> StoreError:
    """The StoreError for an sqlite3 failure on `path`."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return locked(path, busy_seconds)
    if "readonly" in text or "read-only" in text:
        return read_only(path)
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return damaged(path, str(exc))
    if "unable to open" in text or "disk i/o" in text:
        return StoreError(f"cannot use the review database {path}: {exc} — nothing was changed")
    return StoreError(f"the review database {path} failed: {exc} — nothing was changed")


@contextmanager
def guarded(path: Path, busy_seconds: float) -> Iterator[None]:
    """Run a block, turning sqlite3 errors into StoreError."""
    try:
        yield
    except sqlite3.Error as exc:
        raise translate(exc, path, busy_seconds) from None
