"""The exam planner: each day's study chosen for the most exam-day recall per second.

With an exam date and a daily time budget, every item the student could study today is given
(a) the gain it brings to the predicted recall on exam day, under FSRS-6's memory model
(`revise.schedule.memory`), and (b) its expected time (`revise.schedule.study_time`):

- a new item: its expected recall on exam day after today's first view and learning steps
  (an unseen item counts 0 at the exam, so this is all gain);
- an item already seen: the expected recall on exam day if reviewed today (recalled with the
  predicted probability, relearnt otherwise) minus the recall on exam day if left alone.

Items are taken by gain per second, best first, while their longest plausible time still fits
in what is left of the budget; whoever studies the plan starts an item only while that holds
too, so a day never runs over its budget. The same-day learning steps
of a new or lapsed item are part of its time: that is the room left for relearning. Items with
no gain (reviewing would not change exam-day recall) are not planned at all.

Everything works on arrays over the course (`DeckState`), in days counted from today.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from revise.schedule.memory import AGAIN, EASY, GOOD, HARD, Memory
from revise.schedule.study_time import FIRST_RATING_SHARES, Costs

#: same-day views after the first one: learning steps of a new item, relearning of a lapse
LEARNING_VIEWS = 2
RELEARNING_VIEWS = 1


@dataclass
class DeckState:
    """What is known of every item: arrays in course order (values where unseen are unused)."""

    question: np.ndarray  # bool: a computational question (else a flashcard)
    seen: np.ndarray  # bool
    stability: np.ndarray  # float, days
    difficulty: np.ndarray  # float, 1..10
    last_day: np.ndarray  # the day of the last review, counted from today (≤ 0; may be fractional)

    @classmethod
    def unseen(cls, question: np.ndarray) -> DeckState:
        n = len(question)
        return cls(
            question=np.asarray(question, dtype=bool),
            seen=np.zeros(n, dtype=bool),
            stability=np.ones(n),
            difficulty=np.full(n, 5.0),
            last_day=np.zeros(n, dtype=int),
        )

    def copy(self) -> DeckState:
        return replace(
            self,
            seen=self.seen.copy(),
            stability=self.stability.copy(),
            difficulty=self.difficulty.copy(),
            last_day=self.last_day.copy(),
        )

    def exam_recall(self, memory: Memory, exam_day: float) -> np.ndarray:
        """Predicted recall of each item on exam day (0 for an item never seen)."""
        r = memory.recall(exam_day - self.last_day, self.stability)
        return np.where(self.seen, r, 0.0)


@dataclass(frozen=True)
class Budget:
    """Seconds of study a day, and the time model for flashcards and questions."""

    seconds: float
    card: Costs
    question: Costs


@dataclass(frozen=True)
class DayPlan:
    """Today's items in the order to study them, with the time each is expected to take."""

    items: np.ndarray  # indices into the deck
    expected_seconds: np.ndarray
    longest_seconds: np.ndarray

    @property
    def planned_seconds(self) -> float:
        return float(self.expected_seconds.sum())


def _steps_after_first(rating: int) -> int:
    """Same-day views a new item needs after its first rating, when each step goes well."""
    return {AGAIN: LEARNING_VIEWS, HARD: LEARNING_VIEWS, GOOD: LEARNING_VIEWS - 1, EASY: 0}[rating]


def new_item_outlook(memory: Memory, days_to_exam: float, costs: Costs) -> tuple[float, float]:
    """(expected exam-day recall, expected seconds) of learning one new item today."""
    recall = 0.0
    seconds = 0.0
    for rating, share in zip((AGAIN, HARD, GOOD, EASY), FIRST_RATING_SHARES):
        s = memory.initial_stability(rating)
        for _ in range(_steps_after_first(rating)):
            s = memory.short_term_stability(s, GOOD)
        recall += share * float(memory.recall(days_to_exam, s))
        seconds += share * (
            costs.learn[rating - 1] + _steps_after_first(rating) * costs.success_review
        )
    return recall, seconds


def longest_new(costs: Costs) -> float:
    return max(costs.learn) + LEARNING_VIEWS * costs.review[HARD - 1]


def longest_review(costs: Costs) -> float:
    return costs.review[AGAIN - 1] + RELEARNING_VIEWS * costs.review[HARD - 1]


def review_outlook(
    memory: Memory, state: DeckState, today: float, exam_day: float
) -> tuple[np.ndarray, np.ndarray]:
    """(gain in exam-day recall, probability of recall now) of reviewing each seen item today."""
    s, d = state.stability, state.difficulty
    elapsed = today - state.last_day
    now = memory.recall(elapsed, s)
    left = exam_day - today
    kept = memory.recall(exam_day - state.last_day, s)
    same_day = elapsed < 1
    good = np.where(
        same_day, memory.short_term_stability(s, GOOD), memory.next_stability(s, d, now, GOOD)
    )
    lapsed = memory.next_stability(s, d, now, AGAIN)
    for _ in range(RELEARNING_VIEWS):
        lapsed = memory.short_term_stability(lapsed, GOOD)
    reviewed = now * memory.recall(left, good) + (1 - now) * memory.recall(left, lapsed)
    gain = np.where(state.seen, reviewed - kept, 0.0)
    return gain, now


def plan_day(
    memory: Memory,
    state: DeckState,
    today: float,
    exam_day: float,
    budget: Budget,
    *,
    spent: float = 0.0,
    exclude: np.ndarray | None = None,
) -> DayPlan:
    """Today's plan: the items with the most exam-day recall per second that fit the budget.

    `spent`: seconds already studied today; `exclude`: items not to plan (already done today).
    """
    n = len(state.seen)
    left_days = exam_day - today
    empty = np.zeros(0)
    if left_days <= 0 or n == 0:
        return DayPlan(np.zeros(0, dtype=int), empty, empty)
    gain, now = review_outlook(memory, state, today, exam_day)
    expected = np.zeros(n)
    longest = np.zeros(n)
    for is_question, costs in ((False, budget.card), (True, budget.question)):
        kind = state.question == is_question
        new_recall, new_seconds = new_item_outlook(memory, left_days, costs)
        fresh = kind & ~state.seen
        gain = np.where(fresh, new_recall, gain)
        old = kind & state.seen
        review_seconds = now * costs.success_review + (1 - now) * (
            costs.review[AGAIN - 1] + RELEARNING_VIEWS * costs.success_review
        )
        expected = np.where(fresh, new_seconds, np.where(old, review_seconds, expected))
        longest = np.where(fresh, longest_new(costs), np.where(old, longest_review(costs), longest))
    usable = gain > 1e-4
    if exclude is not None:
        usable &= ~exclude
    candidates = np.flatnonzero(usable)
    # best gain per second first; course order breaks ties, so new items come in teaching order
    order = candidates[np.lexsort((candidates, -gain[candidates] / expected[candidates]))]
    chosen: list[int] = []
    room = budget.seconds - spent
    # an item is taken only if its longest plausible time fits: the day never runs over
    for index, worst, typical in zip(
        order.tolist(), longest[order].tolist(), expected[order].tolist()
    ):
        if worst <= room:
            chosen.append(index)
            room -= typical
    picked = np.asarray(chosen, dtype=int)
    return DayPlan(picked, expected[picked], longest[picked])
