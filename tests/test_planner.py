"""The exam planner: FSRS-6 array formulas against fsrs itself, budgets, and the simulator."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fsrs import Card, Rating, Scheduler
from hypothesis import given, settings
from hypothesis import strategies as st

from revise.schedule.memory import Memory
from revise.schedule.planner import Budget, DeckState, longest_new, longest_review, plan_day
from revise.schedule.study_time import CARD_COSTS, QUESTION_COSTS

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def _bench():
    path = Path(__file__).resolve().parents[1] / "bench" / "exam_sim.py"
    spec = importlib.util.spec_from_file_location("exam_sim", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["exam_sim"] = module
    spec.loader.exec_module(module)
    return module


@settings(max_examples=60, deadline=None)
@given(
    ratings=st.lists(st.integers(1, 4), min_size=1, max_size=6),
    gaps=st.lists(st.integers(0, 40), min_size=6, max_size=6),
)
def test_memory_follows_fsrs_review_card(ratings: list[int], gaps: list[int]) -> None:
    """Stability and difficulty after each review equal fsrs's, day gaps and same-day steps alike."""
    scheduler = Scheduler(enable_fuzzing=False)
    memory = Memory()
    card = Card(card_id=1, due=START)
    when = START
    s = d = None
    last = when
    for rating, gap in zip(ratings, gaps):
        card, _ = scheduler.review_card(card, Rating(rating), when)
        if s is None:
            s, d = memory.initial_stability(rating), memory.initial_difficulty(rating)
        else:
            elapsed = (when - last).days
            if elapsed < 1:
                s = memory.short_term_stability(s, rating)
            else:
                s = memory.next_stability(s, d, memory.recall(elapsed, s), rating)
            d = memory.next_difficulty(d, rating)
        last = when
        assert float(s) == pytest.approx(card.stability, rel=1e-9)
        assert float(d) == pytest.approx(card.difficulty, rel=1e-9)
        later = when + timedelta(days=gap)
        assert float(memory.recall((later - when).days, s)) == pytest.approx(
            scheduler.get_card_retrievability(card, later), rel=1e-9
        )
        when = later + timedelta(minutes=15)


def _deck(n: int, seen_share: float, seed: int) -> DeckState:
    rng = np.random.default_rng(seed)
    state = DeckState.unseen(rng.random(n) < 0.2)
    state.seen = rng.random(n) < seen_share
    state.stability = rng.uniform(0.2, 30, n)
    state.difficulty = rng.uniform(1, 10, n)
    state.last_day = -rng.integers(0, 10, n)
    return state


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.floats(0, 120),
    spent=st.floats(0, 60),
    seen=st.floats(0, 1),
    seed=st.integers(0, 1000),
    exam=st.integers(1, 30),
)
def test_a_plan_never_exceeds_the_budget(
    minutes: float, spent: float, seen: float, seed: int, exam: int
) -> None:
    state = _deck(300, seen, seed)
    budget = Budget(minutes * 60, CARD_COSTS, QUESTION_COSTS)
    plan = plan_day(Memory(), state, 0, exam, budget, spent=spent * 60)
    assert plan.planned_seconds <= max(0.0, budget.seconds - spent * 60) + 1e-9
    # every planned item fits even at its longest, so the budget holds whatever happens
    if len(plan.items):
        assert plan.longest_seconds.max() <= budget.seconds - spent * 60
    assert len(set(plan.items.tolist())) == len(plan.items)


def test_longest_times_bound_what_a_view_can_take() -> None:
    assert longest_new(QUESTION_COSTS) > longest_new(CARD_COSTS) > longest_review(CARD_COSTS)


def test_the_plan_prefers_what_raises_exam_recall() -> None:
    """A weak item right before the exam outranks a strong one; nothing after the exam."""
    state = DeckState.unseen(np.zeros(3, dtype=bool))
    state.seen[:] = True
    state.stability[:] = [0.5, 200.0, 0.5]
    state.difficulty[:] = 5.0
    state.last_day[:] = [-5, -5, -5]
    plan = plan_day(Memory(), state, 0, 1, Budget(3600, CARD_COSTS, QUESTION_COSTS))
    assert plan.items[0] in (0, 2)
    assert 1 not in plan.items[:2]
    assert len(plan_day(Memory(), state, 2, 1, Budget(3600, CARD_COSTS, QUESTION_COSTS)).items) == 0


def test_simulator_is_deterministic_per_seed() -> None:
    sim = _bench()
    deck = sim.course_deck()
    a = sim.run(3, 5, 30, 7, deck)
    b = sim.run(3, 5, 30, 7, deck)
    c = sim.run(3, 5, 30, 8, deck)
    assert a == b
    assert a != c


def test_small_simulation_planner_not_worse_than_plain_fsrs() -> None:
    """20 students, 7 days: only what noise cannot break is asserted."""
    sim = _bench()
    result = sim.run(20, 7, 60, 0, sim.course_deck())
    plain, planned = result["policies"]["plain_fsrs"], result["policies"]["planner"]
    assert planned["recall"] >= plain["recall"] - (plain["high"] - plain["low"])
    for summary in result["policies"].values():
        assert summary["days_over_budget"] == 0
        assert summary["minutes_per_day"] <= 60 + 1e-9
