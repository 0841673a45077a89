"""Playing study days forward: each view's rating drawn from a memory model, both states updated.

`Learner` holds the true memory state of every item (under the `truth` model) and what a
scheduler knows of it (under the `view` model, from the ratings alone). `study` takes the items
of a day in order while each one's longest plausible time still fits the budget, draws every
view's rating from the truth (recall with the predicted probability; Hard/Good/Easy shares on a
success; same-day learning and relearning steps), charges its seconds and updates both states.

The study simulator (bench/exam_sim.py) gives the truth its own parameters; the exam forecast
(`revise.schedule.exam_plan`) plays the planner forward with the student's fitted model as both.
"""

from __future__ import annotations

import numpy as np

from revise.schedule.memory import AGAIN, EASY, GOOD, HARD, Memory
from revise.schedule.planner import (
    LEARNING_VIEWS,
    RELEARNING_VIEWS,
    Budget,
    DeckState,
    longest_new,
    longest_review,
)
from revise.schedule.study_time import FIRST_RATING_SHARES, SUCCESS_RATING_SHARES

#: uniform draws per item and day: recall, first rating, and one per same-day step
DRAWS = 2 + max(LEARNING_VIEWS, RELEARNING_VIEWS)


def _pick(u: np.ndarray, shares: tuple[float, ...], first: int) -> np.ndarray:
    """Ratings first, first + 1, … drawn by the uniform numbers `u` with these shares."""
    edges = np.cumsum(shares)[:-1]
    return first + np.searchsorted(edges, u, side="right")


class Learner:
    """The true memory state of every item, and a scheduler's view of it."""

    def __init__(
        self,
        truth_model: Memory,
        view_model: Memory,
        start: DeckState,
        budget: Budget,
        rng: np.random.Generator,
    ) -> None:
        self.truth_model = truth_model
        self.view_model = view_model
        self.truth = start.copy()
        self.view = start.copy()
        self.budget = budget
        self.rng = rng

    def study(self, day: int, order: np.ndarray, seconds: float) -> tuple[float, np.ndarray]:
        """Study the items of `order` in turn while each still fits in `seconds`.

        Returns the seconds spent and the items studied."""
        if len(order) == 0:
            return 0.0, order
        u = self.rng.random((len(order), DRAWS))
        fresh = ~self.truth.seen[order]
        ratings, spent = self._outcomes(day, order, fresh, u)
        question = self.truth.question[order]
        b = self.budget
        longest = np.where(
            fresh,
            np.where(question, longest_new(b.question), longest_new(b.card)),
            np.where(question, longest_review(b.question), longest_review(b.card)),
        )
        taken = np.zeros(len(order), dtype=bool)
        left = seconds
        for k, (worst, real) in enumerate(zip(longest.tolist(), spent.tolist())):
            if worst <= left:
                taken[k] = True
                left -= real
        for state, model in ((self.truth, self.truth_model), (self.view, self.view_model)):
            _apply(state, model, day, order[taken], fresh[taken], ratings[taken])
        return seconds - left, order[taken]

    def _outcomes(
        self, day: int, order: np.ndarray, fresh: np.ndarray, u: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rating of every view (0: no view) and the seconds per item, drawn from the truth."""
        t = self.truth
        p = np.where(
            fresh, 1.0, self.truth_model.recall(day - t.last_day[order], t.stability[order])
        )
        success = u[:, 0] < p
        first = np.where(
            fresh,
            _pick(u[:, 1], FIRST_RATING_SHARES, AGAIN),
            np.where(success, _pick(u[:, 1], SUCCESS_RATING_SHARES, HARD), AGAIN),
        )
        ratings = np.zeros((len(order), DRAWS - 1), dtype=int)
        ratings[:, 0] = first
        step = np.where(fresh & (first == GOOD), 1, 0)
        going = np.where(fresh, first != EASY, first == AGAIN)
        steps = np.where(fresh, LEARNING_VIEWS, RELEARNING_VIEWS)
        for k in range(1, DRAWS - 1):
            going &= k <= steps
            r = np.where(going, _pick(u[:, k + 1], SUCCESS_RATING_SHARES, HARD), 0)
            ratings[:, k] = r
            step = step + (r == GOOD)
            going &= (r == HARD) | ((r == GOOD) & (step < steps))
        question = t.question[order]
        seconds = np.zeros(len(order))
        for costs, kind in ((self.budget.card, ~question), (self.budget.question, question)):
            learn = np.array((0.0, *costs.learn))
            review = np.array((0.0, *costs.review))
            first_cost = np.where(fresh, learn[ratings[:, 0]], review[ratings[:, 0]])
            seconds += np.where(kind, first_cost + review[ratings[:, 1:]].sum(axis=1), 0.0)
        return ratings, seconds


def _apply(
    state: DeckState,
    model: Memory,
    day: int,
    items: np.ndarray,
    fresh: np.ndarray,
    ratings: np.ndarray,
) -> None:
    """Update `state` for the views `ratings` of `items` on `day`, under `model`."""
    s, d = state.stability[items], state.difficulty[items]
    first = ratings[:, 0]
    elapsed = day - state.last_day[items]
    later = np.where(
        elapsed < 1,
        model.short_term_stability(s, first),
        model.next_stability(s, d, model.recall(elapsed, s), first),
    )
    s = np.where(fresh, model.initial_stability(first), later)
    d = np.where(fresh, model.initial_difficulty(first), model.next_difficulty(d, first))
    for k in range(1, ratings.shape[1]):
        r = ratings[:, k]
        viewed = r > 0
        safe = np.where(viewed, r, GOOD)
        s = np.where(viewed, model.short_term_stability(s, safe), s)
        d = np.where(viewed, model.next_difficulty(d, safe), d)
    state.stability[items] = s
    state.difficulty[items] = d
    state.last_day[items] = day
    state.seen[items] = True
