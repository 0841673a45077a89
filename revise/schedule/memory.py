"""FSRS-6's memory model as array functions, for predicting many items at once.

These are the formulas fsrs's `Scheduler` applies to one card at a time (stability after a
recall or a lapse, the same-day update, difficulty, the forgetting curve), written over numpy
arrays so that the exam planner and the study simulator can look at a whole course per day.
A test holds them to `fsrs.Scheduler.review_card` within 1e-9. Time is counted in whole days,
as fsrs counts it for retrievability.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from fsrs.scheduler import DEFAULT_PARAMETERS

Array = np.ndarray

AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
MIN_DIFFICULTY, MAX_DIFFICULTY = 1.0, 10.0
STABILITY_MIN = 0.001


class Memory:
    """The model for one parameter vector (fsrs's 21 FSRS-6 parameters)."""

    def __init__(self, parameters: Sequence[float] | None = None) -> None:
        w = np.asarray(parameters if parameters else DEFAULT_PARAMETERS, dtype=float)
        if w.shape != (21,):
            raise ValueError(f"FSRS-6 takes 21 parameters, got {w.shape[0]}")
        self.w = w
        self.decay = -w[20]
        self.factor = 0.9 ** (1 / self.decay) - 1

    def recall(self, elapsed_days: Array | float, stability: Array | float) -> Array:
        """Probability of recall after `elapsed_days` whole days at this stability."""
        t = np.maximum(0.0, np.floor(elapsed_days))
        return np.asarray((1 + self.factor * t / stability) ** self.decay)

    def initial_stability(self, rating: Array | int) -> Array:
        return np.maximum(self.w[np.asarray(rating) - 1], STABILITY_MIN)

    def initial_difficulty(self, rating: Array | int, clamp: bool = True) -> Array:
        d = self.w[4] - np.exp(self.w[5] * (np.asarray(rating) - 1)) + 1
        return np.clip(d, MIN_DIFFICULTY, MAX_DIFFICULTY) if clamp else d

    def next_difficulty(self, difficulty: Array, rating: Array | int) -> Array:
        delta = -(self.w[6] * (np.asarray(rating) - 3))
        damped = difficulty + (10.0 - difficulty) * delta / 9.0
        target = self.initial_difficulty(EASY, clamp=False)
        return np.clip(
            self.w[7] * target + (1 - self.w[7]) * damped, MIN_DIFFICULTY, MAX_DIFFICULTY
        )

    def short_term_stability(self, stability: Array, rating: Array | int) -> Array:
        """The update for a review on the day of the last one (learning and relearning steps)."""
        rating = np.asarray(rating)
        growth = np.exp(self.w[17] * (rating - 3 + self.w[18])) * stability ** -self.w[19]
        growth = np.where(rating >= HARD, np.maximum(growth, 1.0), growth)
        return np.maximum(stability * growth, STABILITY_MIN)

    def next_stability(
        self, stability: Array, difficulty: Array, recall: Array, rating: Array | int
    ) -> Array:
        """Stability after a review on a later day, rated `rating` with `recall` predicted."""
        w = self.w
        rating = np.asarray(rating)
        forget = np.minimum(
            w[11]
            * difficulty ** -w[12]
            * ((stability + 1) ** w[13] - 1)
            * np.exp((1 - recall) * w[14]),
            stability / np.exp(w[17] * w[18]),
        )
        bonus = np.where(rating == HARD, w[15], 1.0) * np.where(rating == EASY, w[16], 1.0)
        remember = stability * (
            1
            + np.exp(w[8])
            * (11 - difficulty)
            * stability ** -w[9]
            * (np.exp((1 - recall) * w[10]) - 1)
            * bonus
        )
        return np.maximum(np.where(rating == AGAIN, forget, remember), STABILITY_MIN)

    def interval(self, stability: Array, desired_retention: float) -> Array:
        """Whole days until recall falls to the desired retention (at least one)."""
        days = stability / self.factor * (desired_retention ** (1 / self.decay) - 1)
        return np.maximum(1, np.round(days))
