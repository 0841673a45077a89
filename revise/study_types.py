"""The values the study API hands out: items, rating suggestions, forecasts, settings, stats.

They live here so that the scheduling modules can build them without importing `revise.study`;
`revise.study` re-exports every one. All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


@dataclass(frozen=True)
class Item:
    """One schedulable thing: a flashcard or a question family (`id` is the content id)."""

    id: str
    kind: Literal["card", "family"]
    topic: str
    title: str
    is_new: bool
    due: datetime | None
    exam_recall: float | None  # predicted recall on exam day (None without an exam date)


@dataclass(frozen=True)
class SuggestedRating:
    """The rating a typed answer's result suggests (1 Again … 4 Easy), with the reason."""

    rating: int
    reason: str

    @property
    def name(self) -> str:
        return RATING_NAMES[self.rating]


@dataclass(frozen=True)
class TopicForecast:
    """One topic's progress: items, seen, due today, mastery now and predicted exam-day recall."""

    topic: str
    title: str
    cards: int
    seen: int
    due: int
    mastery: float
    exam_recall: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "title": self.title,
            "cards": self.cards,
            "seen": self.seen,
            "due": self.due,
            "mastery": _round(self.mastery),
            "exam_recall": _round(self.exam_recall),
        }


@dataclass(frozen=True)
class Forecast:
    """Predicted recall on exam day per topic and overall (items never seen count as 0).

    `passed` is true from the start of the exam day on; `new_per_day` is the pace of new items
    that sees every item often enough before the date (None without an exam).
    """

    exam_at: datetime | None
    days_left: float | None
    overall: float | None
    topics: list[TopicForecast]
    passed: bool
    new_per_day: int | None = None
    unseen: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "exam_at": _iso(self.exam_at),
            "days_left": _round(self.days_left, 2),
            "overall": _round(self.overall),
            "passed": self.passed,
            "new_per_day": self.new_per_day,
            "unseen": self.unseen,
            "topics": [t.to_json() for t in self.topics],
        }


@dataclass(frozen=True)
class ExamOutlook:
    """Predicted exam-day recall if the planner is followed, at the student's daily budget and
    at others beside it (minutes a day → mean recall over the course)."""

    minutes: int
    recall: dict[int, float]

    def to_json(self) -> dict[str, Any]:
        return {
            "minutes_per_day": self.minutes,
            "recall": {str(m): _round(r) for m, r in self.recall.items()},
        }


@dataclass(frozen=True)
class Settings:
    """The collection's settings (one FSRS configuration per collection)."""

    desired_retention: float = 0.9
    new_per_day: int = 20
    reviews_per_day: int = 200
    exam_at: datetime | None = None
    device: str = "auto"
    theme: str = "textual-dark"
    minutes_per_day: int = 60  # the daily study budget the exam planner plans within


@dataclass(frozen=True)
class Stats:
    """What `revise stats` shows and the app's Stats screen draws.

    `reviews_per_day` maps local dates (YYYY-MM-DD) to counts over the last year; true
    retention is the share of reviews of cards in review that were passed (rated 2–4);
    `forgetting_curves` has "observed" (days since the previous review → share recalled) and
    "predicted" (days from now → mean predicted recall of the items seen).
    """

    generated_at: datetime
    reviews_per_day: dict[str, int]
    true_retention: float | None
    reviews_total: int
    by_state: dict[str, int]
    due_today: int
    due_tomorrow: int
    topics: list[TopicForecast]
    leeches: list[str]
    retired: list[str]
    forecast: Forecast
    forgetting_curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    cram_reviews: int = 0
    optimized: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": _iso(self.generated_at),
            "reviews_total": self.reviews_total,
            "cram_reviews": self.cram_reviews,
            "reviews_per_day": self.reviews_per_day,
            "true_retention": _round(self.true_retention),
            "by_state": self.by_state,
            "due_today": self.due_today,
            "due_tomorrow": self.due_tomorrow,
            "topics": [t.to_json() for t in self.topics],
            "leeches": self.leeches,
            "retired": self.retired,
            "forecast": self.forecast.to_json(),
            "forgetting_curves": {
                k: [[round(x, 3), round(y, 4)] for x, y in v]
                for k, v in self.forgetting_curves.items()
            },
            "optimized": self.optimized,
        }
