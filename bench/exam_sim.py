"""Simulated students before an exam: which way of studying gives the most recall on exam day?

Each simulated student has a memory that follows FSRS-6 with parameters of their own: fsrs's
defaults with the initial stabilities (w0–w3), the recall-stability base (w8) and the
lapse-stability base (w11) each multiplied by exp(N(0, 0.3²)), within fsrs's bounds. At every
review the true probability of recall comes from that model; the rating is Again on a failure
and Hard/Good/Easy with fsrs-rs's simulator shares on a success; a new item's first rating and
the seconds each view takes are fsrs-rs's simulator defaults too, five times as long for a
computational question (`revise.schedule.study_time`). The schedulers under test see only the
ratings and keep their own FSRS state with the default parameters, never the truth.

The deck is the whole course (every flashcard and question family, in course order). Each
student studies once a day for `--days` days under a daily budget of `--minutes`; no item is
started unless its longest plausible time still fits. Policies, compared on the same students
with the same random draws:

- `plain_fsrs`: as Anki runs FSRS: reviews due today by due date, then 20 new items a day;
- `exam_mode`: revise's exam mode before the planner: due reviews weakest-at-the-exam first,
  new items paced so that all are seen three days before the exam (`schedule.exam.pace_days`);
- `planner`: `revise.schedule.planner.plan_day`, the most exam-day recall per second.

The figure is the mean TRUE recall on exam day over all items (an item never seen counts 0),
with a 95 % interval over students. Deterministic for a given `--seed`.

    python bench/exam_sim.py [--students N] [--days D] [--minutes M] [--seed S] [--json]
    python bench/exam_sim.py --grid   # the table in docs/exam-planner.md
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsrs.scheduler import DEFAULT_PARAMETERS, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

from revise.schedule.exam import pace_days
from revise.schedule.memory import Memory
from revise.schedule.planner import Budget, DeckState, plan_day
from revise.schedule.simulate import Learner
from revise.schedule.study_time import CARD_COSTS, QUESTION_COSTS

POLICIES = ("plain_fsrs", "exam_mode", "planner")
NEW_PER_DAY = 20
DESIRED_RETENTION = 0.9
SPREAD = 0.3
VARIED = (0, 1, 2, 3, 8, 11)


@dataclass(frozen=True)
class Deck:
    question: np.ndarray  # bool per item
    topics: np.ndarray  # topic id per item
    topic_order: list[str]


def course_deck() -> Deck:
    """Every card and question family of the shipped course, in course order."""
    from revise.course_cache import load_course
    from revise.schedule.items import course_items

    course = load_course()
    items = course_items(course)
    return Deck(
        question=np.array([it.kind == "family" for it in items]),
        topics=np.array([it.topic for it in items]),
        topic_order=[t.id for t in course.topics],
    )


def student_memory(rng: np.random.Generator) -> Memory:
    w = np.array(DEFAULT_PARAMETERS, dtype=float)
    for i in VARIED:
        w[i] *= math.exp(rng.normal(0.0, SPREAD))
    w = np.clip(w, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS)
    return Memory(w.tolist())


Policy = Callable[[Learner, int, int, Budget], np.ndarray]


def plain_fsrs(student: Learner, day: int, exam_day: int, budget: Budget) -> np.ndarray:
    v = student.view
    due_day = v.last_day + student.view_model.interval(v.stability, DESIRED_RETENTION)
    due = np.flatnonzero(v.seen & (due_day <= day))
    due = due[np.lexsort((due, due_day[due]))]
    new = np.flatnonzero(~v.seen)[:NEW_PER_DAY]
    return np.concatenate([due, new]).astype(int)


def exam_mode(student: Learner, day: int, exam_day: int, budget: Budget) -> np.ndarray:
    v = student.view
    due_day = v.last_day + student.view_model.interval(v.stability, DESIRED_RETENTION)
    due = np.flatnonzero(v.seen & (due_day <= day))
    at_exam = v.exam_recall(student.view_model, exam_day)[due]
    due = due[np.lexsort((due, at_exam))]
    unseen = np.flatnonzero(~v.seen)
    new = unseen[: pace_days(NEW_PER_DAY, len(unseen), exam_day - day)]
    return np.concatenate([due, new]).astype(int)


def planner(student: Learner, day: int, exam_day: int, budget: Budget) -> np.ndarray:
    return plan_day(student.view_model, student.view, day, exam_day, budget).items


RUNNERS: dict[str, Policy] = {"plain_fsrs": plain_fsrs, "exam_mode": exam_mode, "planner": planner}


@dataclass
class Outcome:
    recall: np.ndarray  # per student
    minutes: np.ndarray  # mean minutes a day, per student
    over_budget: int  # days on which more than the budget was spent
    topics: dict[str, float]


def simulate(
    deck: Deck, policy: str, students: int, days: int, minutes: float, seed: int
) -> Outcome:
    """Every student studies `days` days under `policy`; the exam is the morning after."""
    budget = Budget(minutes * 60.0, CARD_COSTS, QUESTION_COSTS)
    runner = RUNNERS[policy]
    recall = np.zeros(students)
    spent = np.zeros(students)
    over = 0
    per_topic = {t: 0.0 for t in deck.topic_order}
    for k in range(students):
        truth = student_memory(np.random.default_rng([seed, k, 0]))
        start = DeckState.unseen(deck.question)
        student = Learner(truth, Memory(), start, budget, np.random.default_rng([seed, k, 1]))
        for day in range(days):
            used, _ = student.study(day, runner(student, day, days, budget), budget.seconds)
            over += used > budget.seconds + 1e-9
            spent[k] += used
        at_exam = student.truth.exam_recall(truth, days)
        recall[k] = at_exam.mean()
        for t in per_topic:
            per_topic[t] += float(at_exam[deck.topics == t].mean()) / students
    return Outcome(recall, spent / days / 60.0, over, per_topic)


def summary(outcome: Outcome) -> dict[str, float]:
    r = outcome.recall
    half = 1.96 * r.std(ddof=1) / math.sqrt(len(r)) if len(r) > 1 else 0.0
    return {
        "recall": float(r.mean()),
        "low": float(r.mean() - half),
        "high": float(r.mean() + half),
        "minutes_per_day": float(outcome.minutes.mean()),
        "days_over_budget": outcome.over_budget,
    }


def run(students: int, days: int, minutes: float, seed: int, deck: Deck) -> dict[str, object]:
    outcomes = {p: simulate(deck, p, students, days, minutes, seed) for p in POLICIES}
    return {
        "students": students,
        "days": days,
        "minutes": minutes,
        "seed": seed,
        "items": len(deck.question),
        "policies": {p: summary(o) for p, o in outcomes.items()},
        "topics": {p: o.topics for p, o in outcomes.items()},
    }


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def grid(students: int, seed: int, deck: Deck) -> None:
    print(f"{len(deck.question)} items ({int(deck.question.sum())} question families), "
          f"{students} students, seed {seed}; mean exam-day recall % [95 % interval]")  # fmt: skip
    print()
    print(
        "| days | min/day | plain FSRS | exam mode | planner | planner − plain | planner − exam |"
    )
    print("|---|---|---|---|---|---|---|")
    for days in (7, 14, 28):
        for minutes in (30, 60, 90):
            res = run(students, days, minutes, seed, deck)["policies"]
            assert isinstance(res, dict)
            cells = [
                f"{_pct(res[p]['recall'])} [{_pct(res[p]['low'])}–{_pct(res[p]['high'])}]"
                f" ({res[p]['minutes_per_day']:.0f} min)"
                for p in POLICIES
            ]
            gain_plain = res["planner"]["recall"] - res["plain_fsrs"]["recall"]
            gain_exam = res["planner"]["recall"] - res["exam_mode"]["recall"]
            print(f"| {days} | {minutes} | {' | '.join(cells)} | "
                  f"+{_pct(gain_plain)} | +{_pct(gain_exam)} |")  # fmt: skip
    print()
    print("Per topic at 14 days and 60 minutes a day (mean exam-day recall %):")
    print()
    topics = run(students, 14, 60, seed, deck)["topics"]
    assert isinstance(topics, dict)
    print("| topic | items | plain FSRS | exam mode | planner |")
    print("|---|---|---|---|---|")
    for t in deck.topic_order:
        count = int((deck.topics == t).sum())
        cells = " | ".join(_pct(topics[p][t]) for p in POLICIES)
        print(f"| {t} | {count} | {cells} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--grid", action="store_true", help="7/14/28 days × 30/60/90 minutes")
    args = ap.parse_args(argv)
    deck = course_deck()
    started = time.perf_counter()
    if args.grid:
        grid(args.students, args.seed, deck)
        print(f"\n({time.perf_counter() - started:.0f} s)")
        return 0
    result = run(args.students, args.days, args.minutes, args.seed, deck)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{result['items']} items, {args.students} students, {args.days} days, "
          f"{args.minutes:g} min a day, seed {args.seed}")  # fmt: skip
    policies = result["policies"]
    assert isinstance(policies, dict)
    for name, s in policies.items():
        print(f"  {name:11s} recall {_pct(s['recall'])} % "
              f"[{_pct(s['low'])}–{_pct(s['high'])}], {s['minutes_per_day']:.1f} min a day, "
              f"{s['days_over_budget']} days over budget")  # fmt: skip
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
