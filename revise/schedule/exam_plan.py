"""The exam planner applied to a student's collection: today's items, the outlook, the plan.

The student's history becomes a `DeckState` (days counted from now, so "day 0" is the rest of
today), their fitted FSRS parameters a `Memory`, and their own recorded answer times (once there
are enough) the time model. From these:

- `todays_items`: what to study now, in order, within what is left of today's budget;
- `outlook`: the predicted mean recall on exam day if the planner is followed at a given number
  of minutes a day, by playing the days forward (`revise.schedule.simulate`) with the student's
  model, averaged over a few fixed-seed runs so the figure is stable from call to call;
- `plan_days`: the same play-through, day by day, for `revise exam plan`.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from revise.schedule.items import CourseItem
from revise.schedule.memory import Memory
from revise.schedule.planner import Budget, DeckState, plan_day
from revise.schedule.simulate import Learner
from revise.schedule.study_time import CARD_COSTS, OWN_TIMES_AFTER, QUESTION_COSTS, Costs
from revise.store.rows import ItemRow, from_ms

DAY = timedelta(days=1)
#: play-throughs averaged for the outlook (a run's mean over the course already varies by well
#: under a point), and fewer for a far exam so that the outlook stays quick
OUTLOOK_RUNS = 2
FAR_DAYS = 30
#: the outlook and the day-by-day plan look this far ahead at most (an exam further off is
#: too far for a prediction worth showing, and the play-through would cost time for nothing)
HORIZON_DAYS = 120


@dataclass(frozen=True)
class PlannedDay:
    """One day of the play-through: what the planner would have the student do."""

    day: int  # 0 = today
    new_cards: int
    new_questions: int
    reviews: int
    minutes: float
    exam_recall: float  # predicted mean exam-day recall once the day is done


def deck_state(items: Sequence[CourseItem], rows: dict[str, ItemRow], now: datetime) -> DeckState:
    """The collection as the planner sees it; the last review's day counted back from now."""
    state = DeckState.unseen(np.array([it.kind == "family" for it in items], dtype=bool))
    state.last_day = state.last_day.astype(float)
    for k, item in enumerate(items):
        row = rows.get(item.id)
        if row is None or row.last_review is None or row.stability is None:
            continue
        state.seen[k] = True
        state.stability[k] = row.stability
        state.difficulty[k] = row.difficulty if row.difficulty is not None else 5.0
        state.last_day[k] = -((now - from_ms(row.last_review)) / DAY)
    return state


def budget_for(minutes: float, durations_ms: dict[str, list[int]]) -> Budget:
    """A day of `minutes`, timed by the student's own median answer times where there are enough."""

    def own(base: Costs, kind: str) -> Costs:
        times = durations_ms.get(kind, [])
        if len(times) < OWN_TIMES_AFTER:
            return base
        return base.scaled_to(statistics.median(times) / 1000.0)

    return Budget(minutes * 60.0, own(CARD_COSTS, "card"), own(QUESTION_COSTS, "family"))


def exam_day(now: datetime, exam_at: datetime) -> float:
    return (exam_at - now) / DAY


def todays_items(
    items: Sequence[CourseItem],
    state: DeckState,
    memory: Memory,
    budget: Budget,
    days_to_exam: float,
    spent_seconds: float,
    exclude: np.ndarray | None = None,
) -> list[CourseItem]:
    """Today's planned items, best first, within what is left of the budget."""
    plan = plan_day(memory, state, 0, days_to_exam, budget, spent=spent_seconds, exclude=exclude)
    return [items[k] for k in plan.items.tolist()]


def _play(
    state: DeckState,
    memory: Memory,
    budget: Budget,
    days_to_exam: float,
    spent_today: float,
    seed: int,
) -> tuple[Learner, list[PlannedDay]]:
    learner = Learner(memory, memory, state, budget, np.random.default_rng(seed))
    days: list[PlannedDay] = []
    day = 0
    while day < days_to_exam:
        room = budget.seconds - (spent_today if day == 0 else 0.0)
        plan = plan_day(
            memory, learner.view, day, days_to_exam, budget, spent=budget.seconds - room
        )
        fresh = ~learner.truth.seen[plan.items]
        question = learner.truth.question[plan.items]
        used, done = learner.study(day, plan.items, room)
        studied = np.isin(plan.items, done)
        days.append(
            PlannedDay(
                day=day,
                new_cards=int((fresh & ~question & studied).sum()),
                new_questions=int((fresh & question & studied).sum()),
                reviews=int((~fresh & studied).sum()),
                minutes=used / 60.0,
                exam_recall=float(learner.truth.exam_recall(memory, days_to_exam).mean()),
            )
        )
        day += 1
    return learner, days


def outlook(
    state: DeckState,
    memory: Memory,
    budgets: dict[int, Budget],
    days_to_exam: float,
    spent_today: float,
) -> dict[int, float]:
    """Predicted mean exam-day recall if the planner is followed, for each daily budget."""
    result: dict[int, float] = {}
    for minutes, budget in budgets.items():
        runs = [
            _play(state, memory, budget, days_to_exam, spent_today, seed)[0]
            for seed in range(OUTLOOK_RUNS if days_to_exam <= FAR_DAYS else 1)
        ]
        result[minutes] = float(
            np.mean([r.truth.exam_recall(memory, days_to_exam).mean() for r in runs])
        )
    return result


def plan_days(
    state: DeckState, memory: Memory, budget: Budget, days_to_exam: float, spent_today: float
) -> list[PlannedDay]:
    """The planner's days until the exam, as one play-through with the student's model."""
    return _play(state, memory, budget, days_to_exam, spent_today, seed=0)[1]


def nearby_budgets(minutes: int) -> list[int]:
    """The daily budgets shown beside the student's own: three quarters and one and a half."""
    low = max(5, int(round(minutes * 0.75 / 5)) * 5)
    high = int(round(minutes * 1.5 / 5)) * 5
    return sorted({low, minutes, high} - {0})
