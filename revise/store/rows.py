"""The rows of the database as dataclasses, and times stored as UTC epoch milliseconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


def to_ms(dt: datetime) -> int:
    """A timezone-aware datetime as epoch milliseconds."""
    if dt.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return round(dt.timestamp() * 1000)


# the datetimes Python can hold, a day inside either end so that a day more or less still fits
_EARLIEST_MS = to_ms(datetime.min.replace(tzinfo=UTC) + timedelta(days=1))
_LATEST_MS = to_ms(datetime.max.replace(tzinfo=UTC) - timedelta(days=1))


def from_ms(ms: int) -> datetime:
    """Epoch milliseconds as a UTC datetime; a time past year 9999 (or before year 1), which
    only a damaged or hand-edited file holds, is read as that end of the calendar."""
    if isinstance(ms, bool) or not isinstance(ms, int | float) or ms != ms:
        from revise.store.errors import StoreError

        raise StoreError(
            f"the review database holds a time that is not a number ({str(ms)[:40]!r}); "
            "restore a backup or move the file away to start a new history"
        )
    return datetime.fromtimestamp(min(max(ms, _EARLIEST_MS), _LATEST_MS) / 1000, UTC)


@dataclass(frozen=True)
class ItemRow:
    """The scheduling state of one reviewed item (a flashcard or a question family).

    `state` is fsrs's State (1 learning, 2 review, 3 relearning); `num` is the integer card id
    fsrs and the log use; `id` is the content id.
    """

    num: int
    id: str
    kind: str
    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: int
    last_review: int | None
    lapses: int
    reps: int
    first_review: int | None


@dataclass(frozen=True)
class ReviewRow:
    """One review in the log, with the item's state before and after it (for undo and checks)."""

    id: int
    item: int
    reviewed_at: int
    rating: int
    duration_ms: int | None
    answer: str | None
    correct: bool | None
    seed: int | None
    cram: bool
    prev_state: int | None
    prev_step: int | None
    prev_stability: float | None
    prev_difficulty: float | None
    prev_due: int | None
    prev_last_review: int | None
    prev_lapses: int | None
    state: int | None
    step: int | None
    stability: float | None
    difficulty: float | None
    due: int | None
