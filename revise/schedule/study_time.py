"""How long a view of an item takes, and how a student rates it: the figures the planner assumes.

Flashcard figures are the defaults of fsrs-rs's `SimulatorConfig`, measured on Anki users' review
logs: seconds for a first view by rating (`learn`), for a later view by rating (`review`), and the
shares of first ratings and of Hard/Good/Easy among successful reviews. A computational question
(a fresh variant to work out by hand and type in) is taken as `QUESTION_FACTOR` times as long as
a card. When a student has recorded enough answers of a kind, their own median time replaces
these (see `Costs.scaled_to`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: seconds for the first view of a new item, by rating Again, Hard, Good, Easy
LEARN_SECONDS = (33.79, 24.3, 13.68, 6.5)
#: seconds for a later view, by rating
REVIEW_SECONDS = (23.0, 11.68, 7.33, 5.6)
#: shares of the first rating of a new item (Again, Hard, Good, Easy)
FIRST_RATING_SHARES = (0.24, 0.094, 0.495, 0.171)
#: shares of Hard, Good, Easy among successful reviews
SUCCESS_RATING_SHARES = (0.224, 0.631, 0.145)
#: a computational question takes this many times as long as a flashcard
QUESTION_FACTOR = 5.0
#: recorded answers of a kind needed before the student's own median time is used
OWN_TIMES_AFTER = 20


@dataclass(frozen=True)
class Costs:
    """Seconds per view of one kind of item, by rating (index 0 = Again … 3 = Easy)."""

    learn: tuple[float, float, float, float]
    review: tuple[float, float, float, float]

    def times(self, factor: float) -> Costs:
        return Costs(
            tuple(c * factor for c in self.learn),  # type: ignore[arg-type]
            tuple(c * factor for c in self.review),  # type: ignore[arg-type]
        )

    @property
    def success_review(self) -> float:
        """Expected seconds of a successful review."""
        return sum(s * c for s, c in zip(SUCCESS_RATING_SHARES, self.review[1:]))

    def scaled_to(self, median_review_seconds: float) -> Costs:
        """These costs rescaled so that a successful review takes the student's own median."""
        return self.times(median_review_seconds / self.success_review)


CARD_COSTS = Costs(LEARN_SECONDS, REVIEW_SECONDS)
QUESTION_COSTS = CARD_COSTS.times(QUESTION_FACTOR)
