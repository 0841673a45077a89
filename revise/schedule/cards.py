"""Between database rows and fsrs: the collection's Scheduler, fsrs Cards, and one review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from fsrs import Card, Rating, Scheduler, State

from revise.store.rows import ItemRow, from_ms, to_ms

LEECH_LAPSES = 8
_STATES = {int(s): s for s in State}


def make_scheduler(
    parameters: Sequence[float] | None, desired_retention: float, fuzz: bool = True
) -> Scheduler:
    """The collection's scheduler: its parameters (fsrs's defaults unless optimised)."""
    if parameters:
        return Scheduler(
            parameters=tuple(parameters), desired_retention=desired_retention, enable_fuzzing=fuzz
        )
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def to_card(row: ItemRow) -> Card:
    state = State(row.state)
    # fsrs needs a step in (re)learning and none in review; older rows may lack it
    step = None if state == State.Review else (row.step or 0)
    return Card(
        card_id=row.num,
        state=state,
        step=step,
        stability=row.stability,
        difficulty=row.difficulty,
        due=from_ms(row.due),
        last_review=None if row.last_review is None else from_ms(row.last_review),
    )


def new_card(num: int, now: datetime) -> Card:
    return Card(card_id=num, due=now)


@dataclass(frozen=True)
class Outcome:
    """An item's state after one review."""

    state: int
    step: int | None
    stability: float | None
    difficulty: float | None
    due: int
    last_review: int
    lapses: int
    reps: int

    @property
    def is_leech(self) -> bool:
        return self.lapses >= LEECH_LAPSES


def review(
    scheduler: Scheduler,
    row: ItemRow,
    rating: int,
    when: datetime,
    duration_ms: int | None,
    *,
    is_new: bool,
) -> Outcome:
    """The item after being rated `rating` at `when` (a lapse: Again on a card in review)."""
    card = new_card(row.num, when) if is_new else to_card(row)
    after, _ = scheduler.review_card(card, Rating(rating), when, duration_ms)
    lapse = not is_new and row.state == State.Review and rating == Rating.Again
    return Outcome(
        state=int(after.state),
        step=after.step,
        stability=after.stability,
        difficulty=after.difficulty,
        due=to_ms(after.due),
        last_review=to_ms(when),
        lapses=row.lapses + int(lapse),
        reps=(0 if is_new else row.reps) + 1,
    )


def retrievability(scheduler: Scheduler, row: ItemRow | None, at: datetime) -> float:
    """Predicted recall of an item at `at` (0 for an item never reviewed)."""
    return recalls(scheduler, row, (at,))[0]


def recalls(scheduler: Scheduler, row: ItemRow | None, times: Sequence[datetime]) -> list[float]:
    """Predicted recall of an item at each of `times` (0 for an item never reviewed)."""
    if row is None or row.last_review is None:
        return [0.0 for _ in times]
    last = from_ms(row.last_review)
    # retrievability reads stability and last review only: skip converting the due date
    card = Card(
        card_id=row.num, state=_STATES[row.state], step=0, stability=row.stability,
        difficulty=row.difficulty, due=last, last_review=last,
    )  # fmt: skip
    return [float(scheduler.get_card_retrievability(card, t)) for t in times]
