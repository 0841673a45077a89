"""`--now ISO-DATETIME`: a fixed clock for simulations and tests of `review`, `exam` and `stats`.

A script outside the project can play a whole study period through the command line a day at a
time by passing the moment each command should take as "now". A time without an offset is read
as local time.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from engine.errors import UserError

HELP = "act as if it were this moment (ISO 8601, e.g. 2027-01-10T18:00); for simulations and tests"


def add_now_option(parser: Any) -> None:
    parser.add_argument("--now", metavar="ISO-DATETIME", help=HELP)


def parse_now(text: str) -> datetime:
    """The moment `text` names, timezone-aware UTC; a one-line error when it names none."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"--now {text!r}: write a date and time as ISO 8601, e.g. 2027-01-10T18:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(UTC)


def clock_from(args: argparse.Namespace) -> Callable[[], datetime] | None:
    """A clock fixed at `--now`, or None for the real time."""
    text = getattr(args, "now", None)
    if text is None:
        return None
    moment = parse_now(text)
    return lambda: moment
