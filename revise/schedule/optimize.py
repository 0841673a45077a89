"""Fitting the FSRS parameters to the student's own history with fsrs's Optimizer (torch).

Only reviews made on their schedule count: reviews flagged as cramming (before their due day,
ahead of an exam) are left out, since they would teach the model that early reviews are the
norm. A review tells the optimiser something when the item was last reviewed on an earlier
day; below `MIN_USABLE` such reviews the defaults are kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.errors import UserError
from revise.store.rows import from_ms

MIN_USABLE = 400
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Fit:
    """The outcome: new parameters (None when there is too little history) and the counts."""

    parameters: list[float] | None
    reviews: int
    usable: int
    needed: int


def usable_reviews(logs: Iterable[tuple[int, int, int, int | None]]) -> tuple[int, int]:
    """(reviews, reviews whose item was last reviewed on an earlier day)."""
    last: dict[int, int] = {}
    total = usable = 0
    for item, _rating, at, _duration in logs:
        total += 1
        previous = last.get(item)
        if previous is not None and (at - previous) >= DAY_MS:
            usable += 1
        last[item] = at
    return total, usable


def fit(logs: list[tuple[int, int, int, int | None]], *, verbose: bool = False) -> Fit:
    """Optimise the parameters from (item, rating, reviewed_at ms, duration ms) rows."""
    total, usable = usable_reviews(logs)
    if usable < MIN_USABLE:
        return Fit(None, total, usable, MIN_USABLE - usable)
    try:
        from fsrs import Optimizer, Rating, ReviewLog

        optimizer = Optimizer(
            [
                ReviewLog(
                    card_id=item,
                    rating=Rating(rating),
                    review_datetime=from_ms(at),
                    review_duration=duration,
                )  # fmt: skip
                for item, rating, at, duration in logs
            ]
        )
    except ImportError:
        raise UserError(
            "optimising needs fsrs's optimizer (torch and pandas): "
            "pip install 'fsrs[optimizer]' — your parameters were not changed"
        ) from None
    parameters = [float(p) for p in optimizer.compute_optimal_parameters(verbose=verbose)]
    return Fit(parameters, total, usable, 0)
