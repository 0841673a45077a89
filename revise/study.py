"""The study API: the one interface between scheduling/storage and the screens and commands.

`Study(home, course)` opens (creating or migrating) `home/revise.db` and answers what the app and
the CLI need: today's queue, counts, rating suggestions, recording and undoing reviews, the exam
forecast and statistics. All datetimes are timezone-aware UTC; days (for daily limits and the
exam day) are local days, in the system's time zone unless `tz` is given.

Every review is one transaction that holds the write lock from its start, reads the item's
state, asks fsrs for the next one and writes the log row and the item together: a crash loses
at most the review being saved, and two sessions on one home never overwrite each other.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fsrs import State

from engine.errors import UserError
from revise.fresh_seeds import RECENT, FreshSeeds
from revise.paths import db_path
from revise.schedule import cards as fsrs_cards
from revise.schedule import exam as exam_mode
from revise.schedule import queue as queue_mod
from revise.schedule import rating as rating_mod
from revise.schedule import stats as stats_mod
from revise.schedule.days import day_bounds
from revise.schedule.items import CourseIndex, CourseItem, course_index
from revise.store import ItemRow, from_ms, open_store, queries, to_ms
from revise.store.renames import carry_history
from revise.store.store import DEFAULT_BUSY_TIMEOUT
from revise.study_types import (
    RATING_NAMES,
    ExamOutlook,
    Forecast,
    Item,
    Settings,
    Stats,
    SuggestedRating,
    TopicForecast,
)

if TYPE_CHECKING:
    from fsrs import Scheduler

    import content
    from revise.schedule.exam_plan import PlannedDay
    from revise.schedule.optimize import Fit

__all__ = [
    "RATING_NAMES",
    "Forecast",
    "Item",
    "Settings",
    "Stats",
    "Study",
    "SuggestedRating",
    "TopicForecast",
    "now_utc",
]

MAX_ANSWER = 10_000
SEED_RANGE = 2**31 - 1
PARAMETERS_KEY = "fsrs_parameters"
DEVICES = ("auto", "cpu", "cuda")


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _settings_from(values: dict[str, Any]) -> Settings:
    default = Settings()
    exam = values.get("exam_at")
    exam_at: datetime | None = None
    if isinstance(exam, str):
        try:
            exam_at = datetime.fromisoformat(exam).astimezone(UTC)
        except ValueError:
            exam_at = None
    read = Settings(
        desired_retention=_number(values.get("desired_retention"), default.desired_retention),
        new_per_day=_whole(values.get("new_per_day"), default.new_per_day),
        reviews_per_day=_whole(values.get("reviews_per_day"), default.reviews_per_day),
        exam_at=exam_at,
        device=str(values.get("device", default.device)),
        theme=str(values.get("theme", default.theme)),
        minutes_per_day=_whole(values.get("minutes_per_day"), default.minutes_per_day),
    )
    # a value no revise wrote (a hand-edited or damaged file) reads as the default, one by one
    keep = {}
    for name in (
        "desired_retention",
        "new_per_day",
        "reviews_per_day",
        "minutes_per_day",
        "device",
    ):
        try:
            validate_settings(replace(default, **{name: getattr(read, name)}))
            keep[name] = getattr(read, name)
        except UserError:
            pass
    return replace(default, **keep, exam_at=exam_at, theme=read.theme)


def _number(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return default


def _whole(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return default


def validate_settings(settings: Settings) -> None:
    """Refuse settings out of range with a one-line message."""
    r = settings.desired_retention
    if not isinstance(r, int | float) or not 0.7 <= r <= 0.97:
        raise UserError(f"desired retention {r!r} must be between 0.70 and 0.97 (default 0.9)")
    for name, value, top in (
        ("new items per day", settings.new_per_day, 1000),
        ("reviews per day", settings.reviews_per_day, 100_000),
        ("minutes a day", settings.minutes_per_day, 24 * 60),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
            raise UserError(f"{name} {value!r} must be a whole number from 0 to {top}")
    if settings.device not in DEVICES:
        raise UserError(f"device {settings.device!r} must be one of {', '.join(DEVICES)}")
    if settings.exam_at is not None and settings.exam_at.tzinfo is None:
        raise UserError("the exam time must carry a time zone")


class Study:
    """A student's collection: the course plus the review history in `home/revise.db`."""

    def __init__(
        self,
        home: Path,
        course: content.Course | CourseIndex,
        clock: Callable[[], datetime] = now_utc,
        *,
        tz: tzinfo | None = None,
        fuzz: bool = True,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        self.home = Path(home)
        # a CourseIndex serves scheduling alone; `attach` adds the course once it is read
        self.course: content.Course | None = None
        index = course if isinstance(course, CourseIndex) else course_index(course)
        if not isinstance(course, CourseIndex):
            self.course = course
        self.clock = clock
        self.tz = tz
        self.fuzz = fuzz
        self._store = open_store(db_path(self.home), busy_timeout)
        self._items: list[CourseItem] = list(index.items)
        if self.course is not None:
            self._carry_replaced_history(self.course)
        self._by_id = {it.id: it for it in self._items}
        self._topic_titles = dict(index.topics)
        self._undo: list[int] = []
        self._rng = random.Random()
        self._last_seed: dict[str, int] = {}
        self._fresh = FreshSeeds(lambda: self.course, self._rng, SEED_RANGE)
        self._lock = threading.RLock()
        self._scheduler_cache: tuple[tuple[Any, ...], Scheduler] | None = None
        # ids of the items with a history, kept while no other connection writes (data_version)
        self._seen_cache: tuple[int, set[str]] | None = None

    def _carry_replaced_history(self, course: content.Course) -> None:
        """Cards merged into others (`replaces:`) bring their review history with them."""
        replaced_by = {old: card.id for card in course.cards for old in card.replaces}
        if not replaced_by:
            return
        with self._store.read() as conn:
            present = queries.item_ids(conn) & set(replaced_by)
        if present:
            with self._store.write() as conn:
                carry_history(conn, {old: replaced_by[old] for old in present})

    def attach(self, course: content.Course) -> None:
        """The course itself, read after the Study was opened on its index."""
        self.course = course
        self._carry_replaced_history(course)

    @property
    def topic_titles(self) -> dict[str, str]:
        """Topic ids and titles, in course order."""
        return dict(self._topic_titles)

    # --- time -------------------------------------------------------------------------------
    def now(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment.astimezone(UTC)

    @property
    def backup(self) -> Path | None:
        """The copy made before migrating the database when it was opened (None if none)."""
        return self._store.backup

    @property
    def db_path(self) -> Path:
        return self._store.path

    # --- settings ---------------------------------------------------------------------------
    def _raw_settings(self) -> dict[str, Any]:
        with self._store.read() as conn:
            return queries.settings(conn)

    @property
    def settings(self) -> Settings:
        return _settings_from(self._raw_settings())

    def save_settings(self, settings: Settings) -> None:
        validate_settings(settings)
        values: list[tuple[str, Any]] = [
            ("desired_retention", float(settings.desired_retention)),
            ("new_per_day", settings.new_per_day),
            ("reviews_per_day", settings.reviews_per_day),
            ("device", settings.device),
            ("theme", settings.theme),
            ("minutes_per_day", settings.minutes_per_day),
        ]
        with self._store.write() as conn:
            queries.put_settings(conn, values)
            if settings.exam_at is None:
                queries.delete_setting(conn, "exam_at")
            else:
                queries.put_settings(
                    conn, [("exam_at", settings.exam_at.astimezone(UTC).isoformat())]
                )

    def _update_settings(self, **changes: Any) -> Settings:
        from dataclasses import replace

        new = replace(self.settings, **changes)
        self.save_settings(new)
        return new

    def set_exam(
        self, day: str, at: str | None = None, minutes_per_day: int | None = None
    ) -> datetime:
        """Set the exam from `YYYY-MM-DD` and an optional local `HH:MM`; its moment (UTC).
        `minutes_per_day` sets the daily study budget the planner works within."""
        exam_at = exam_mode.parse_exam(day, at, self.now(), self.tz)
        if minutes_per_day is None:
            self._update_settings(exam_at=exam_at)
        else:
            self._update_settings(exam_at=exam_at, minutes_per_day=minutes_per_day)
        return exam_at

    def clear_exam(self) -> bool:
        """Forget the exam date; whether there was one."""
        had = self.settings.exam_at is not None
        self._update_settings(exam_at=None)
        return had

    def exam_passed(self) -> bool:
        exam_at = self.settings.exam_at
        return exam_at is not None and exam_mode.passed(self.now(), exam_at, self.tz)

    # --- the scheduler ----------------------------------------------------------------------
    def _scheduler(self, raw: dict[str, Any] | None = None) -> Scheduler:
        raw = self._raw_settings() if raw is None else raw
        settings = _settings_from(raw)
        params = raw.get(PARAMETERS_KEY)
        key = (tuple(params) if params else None, settings.desired_retention, self.fuzz)
        if self._scheduler_cache is None or self._scheduler_cache[0] != key:
            scheduler = fsrs_cards.make_scheduler(params, settings.desired_retention, self.fuzz)
            self._scheduler_cache = (key, scheduler)
        return self._scheduler_cache[1]

    @property
    def parameters(self) -> list[float] | None:
        """The optimised FSRS parameters, or None while fsrs's defaults are used."""
        params = self._raw_settings().get(PARAMETERS_KEY)
        return [float(p) for p in params] if params else None

    # --- the queue --------------------------------------------------------------------------
    def _course_item(self, item_id: str) -> CourseItem:
        item = self._by_id.get(item_id)
        if item is None:
            raise UserError(f"no card or question family {item_id!r} in the course")
        return item

    def _to_item(self, entry: queue_mod.Entry) -> Item:
        row = entry.row
        return Item(
            id=entry.item.id,
            kind=entry.item.kind,
            topic=entry.item.topic,
            title=entry.item.title,
            is_new=row is None,
            due=None if row is None else from_ms(row.due),
            exam_recall=entry.exam_recall,
        )

    def queue(
        self,
        *,
        topic: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        exam_drill: bool = False,
    ) -> list[Item]:
        """Today's queue: learning steps due now, reviews due today (weakest at the exam first
        when an exam is set), then new items in course order within the day's allowance.
        `exam_drill` takes every item already seen, weakest at the exam first, due or not."""
        if topic is not None and topic not in self._topic_titles:
            raise UserError(f"no topic {topic!r} in the course (see `revise topics`)")
        if kind not in (None, "card", "family"):
            raise UserError(f"kind {kind!r} must be card or family")
        now = self.now()
        start, end = day_bounds(now, self.tz)
        horizon = max(end, now + queue_mod.LEARN_AHEAD)
        raw = self._raw_settings()
        settings = _settings_from(raw)
        scheduler = self._scheduler(raw)
        with self._store.read() as conn:
            introduced, done = queries.today_counts(conn, to_ms(start), to_ms(end))
            seen = self._seen(conn)
            due_rows = (
                queries.items(conn) if exam_drill else queries.items_due_by(conn, to_ms(horizon))
            )
        exam_at = self._exam_ahead(settings, now)
        planned = None
        if exam_at is not None and not exam_drill:
            planned = self._planned_today(now, exam_at, settings, raw)
        new_today = self._new_today(settings, seen, introduced, now)
        window = queue_mod.Window(
            now=now,
            end_of_today=end,
            new_allowed=new_today - introduced,
            reviews_allowed=settings.reviews_per_day - done,
        )
        entries = queue_mod.build(
            self._items,
            [] if exam_drill else due_rows,
            seen,
            window,
            scheduler,
            exam_at=exam_at,
            topic=topic,
            kind=kind,
            limit=limit,
            drill_rows=due_rows if exam_drill else None,
            by_id=self._by_id,
            planned=planned,
        )
        return [self._to_item(e) for e in entries]

    # --- the exam planner -------------------------------------------------------------------
    def _plan_inputs(self, now: datetime, raw: dict[str, Any]) -> tuple[Any, ...]:
        from revise.schedule import exam_plan
        from revise.schedule.memory import Memory

        start, end = day_bounds(now, self.tz)
        with self._store.read() as conn:
            rows = {r.id: r for r in queries.items(conn)}
            spent = queries.seconds_studied(conn, to_ms(start), to_ms(end))
            durations = queries.success_durations(conn)
        state = exam_plan.deck_state(self._items, rows, now)
        return rows, state, Memory(raw.get(PARAMETERS_KEY) or None), durations, spent

    def _planned_today(
        self,
        now: datetime,
        exam_at: datetime,
        settings: Settings,
        raw: dict[str, Any],
    ) -> list[queue_mod.Entry]:
        """The planner's items for the rest of today (learning steps are queued apart)."""
        import numpy as np
        from fsrs import State

        from revise.schedule import exam_plan

        rows, state, memory, durations, spent = self._plan_inputs(now, raw)
        learning = np.array(
            [
                (r := rows.get(it.id)) is not None and r.state in (State.Learning, State.Relearning)
                for it in self._items
            ],
            dtype=bool,
        )
        budget = exam_plan.budget_for(settings.minutes_per_day, durations)
        days = exam_plan.exam_day(now, exam_at)
        chosen = exam_plan.todays_items(
            self._items, state, memory, budget, days, spent, exclude=learning
        )
        at_exam = state.exam_recall(memory, days)
        index = {it.id: k for k, it in enumerate(self._items)}
        return [queue_mod.Entry(it, rows.get(it.id), float(at_exam[index[it.id]])) for it in chosen]

    def _plannable(self, exam_at: datetime | None, now: datetime) -> bool:
        """An exam ahead, within the planner's horizon."""
        from revise.schedule.exam_plan import HORIZON_DAYS, exam_day

        return (
            exam_at is not None
            and not exam_mode.passed(now, exam_at, self.tz)
            and exam_day(now, exam_at) <= HORIZON_DAYS
        )

    def exam_outlook(self) -> ExamOutlook | None:
        """Predicted exam-day recall following the planner at the daily budget and beside it
        (None without an exam date within the planner's horizon)."""
        from revise.schedule import exam_plan

        raw = self._raw_settings()
        settings = _settings_from(raw)
        now = self.now()
        if not self._plannable(settings.exam_at, now):
            return None
        assert settings.exam_at is not None
        _, state, memory, durations, spent = self._plan_inputs(now, raw)
        budgets = {
            m: exam_plan.budget_for(m, durations)
            for m in exam_plan.nearby_budgets(settings.minutes_per_day)
        }
        recall = exam_plan.outlook(
            state, memory, budgets, exam_plan.exam_day(now, settings.exam_at), spent
        )
        return ExamOutlook(settings.minutes_per_day, recall)

    def exam_plan(self) -> list[PlannedDay]:
        """The planner's days until the exam, played through with the student's own model."""
        from revise.schedule import exam_plan

        raw = self._raw_settings()
        settings = _settings_from(raw)
        now = self.now()
        if not self._plannable(settings.exam_at, now):
            return []
        assert settings.exam_at is not None
        _, state, memory, durations, spent = self._plan_inputs(now, raw)
        budget = exam_plan.budget_for(settings.minutes_per_day, durations)
        return exam_plan.plan_days(
            state, memory, budget, exam_plan.exam_day(now, settings.exam_at), spent
        )

    def _exam_ahead(self, settings: Settings, now: datetime) -> datetime | None:
        """The exam date, unless it is behind (then back to ordinary scheduling)."""
        exam_at = settings.exam_at
        if exam_at is not None and exam_mode.passed(now, exam_at, self.tz):
            return None
        return exam_at

    def _new_today(self, settings: Settings, seen: set[str], introduced: int, now: datetime) -> int:
        """Today's new-item allowance: the setting, or the exam's pace when an exam is set."""
        exam_at = self._exam_ahead(settings, now)
        if exam_at is None:
            return settings.new_per_day
        unseen = sum(1 for it in self._items if it.id not in seen)
        return exam_mode.pace(settings.new_per_day, unseen + introduced, now, exam_at, self.tz)

    def allowance(self) -> tuple[int, int]:
        """Today's new-item allowance and how many new items were started today (the quiz and
        drill say what is left; practising past the allowance goes beyond it)."""
        now = self.now()
        start, end = day_bounds(now, self.tz)
        settings = self.settings
        with self._store.read() as conn:
            introduced, _ = queries.today_counts(conn, to_ms(start), to_ms(end))
            seen = self._seen(conn)
        return self._new_today(settings, seen, introduced, now), introduced

    def practice(
        self, *, topic: str | None = None, kind: str | None = None, limit: int = 12
    ) -> list[Item]:
        """Items to practise beyond today's queue: never-seen ones first (in course order, past
        the day's allowance), then seen ones soonest due first. Each answer is recorded as a
        review like any other."""
        if topic is not None and topic not in self._topic_titles:
            raise UserError(f"no topic {topic!r} in the course (see `revise topics`)")
        with self._store.read() as conn:
            rows = {r.id: r for r in queries.items(conn)}
        chosen = [it for it in self._items if queue_mod.keep(it, topic, kind)]
        new = [it for it in chosen if it.id not in rows]
        if topic is None:  # across the course: one of each topic in turn, not all of the first
            rank: dict[str, int] = {}
            turn = {}
            for it in new:
                turn[it.id] = rank.get(it.topic, 0)
                rank[it.topic] = turn[it.id] + 1
            new.sort(key=lambda it: (turn[it.id], it.position))
        seen = sorted(
            (it for it in chosen if it.id in rows), key=lambda it: (rows[it.id].due, it.position)
        )
        entries = [queue_mod.Entry(it, rows.get(it.id), None) for it in [*new, *seen][:limit]]
        return [self._to_item(e) for e in entries]

    def _seen(self, conn: Any) -> set[str]:
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        with self._lock:
            if self._seen_cache is None or self._seen_cache[0] != version:
                self._seen_cache = (version, queries.item_ids(conn))
            return self._seen_cache[1]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per topic (in course order): items due today, never seen ("new"), total and seen."""
        now = self.now()
        _, end = day_bounds(now, self.tz)
        horizon = to_ms(max(end, now + queue_mod.LEARN_AHEAD))
        with self._store.read() as conn:
            rows = {r[0]: r for r in queries.state_rows(conn)}
        out: dict[str, dict[str, int]] = {
            t: {"due": 0, "new": 0, "total": 0, "seen": 0} for t in self._topic_titles
        }
        for item in self._items:
            c = out.setdefault(item.topic, {"due": 0, "new": 0, "total": 0, "seen": 0})
            c["total"] += 1
            row = rows.get(item.id)
            if row is None:
                c["new"] += 1
            else:
                c["seen"] += 1
                if row[2] <= horizon:
                    c["due"] += 1
        return out

    # --- reviewing --------------------------------------------------------------------------
    def suggest_rating(
        self, family_id: str, *, correct: bool, attempts: int, used_hint: bool, seconds: float
    ) -> SuggestedRating:
        """The rating the result suggests (see `revise.schedule.rating`)."""
        item = self._course_item(family_id)
        durations: list[int] = []
        with self._store.read() as conn:
            row = queries.item(conn, family_id)
            if row is not None:
                durations = queries.recent_correct_durations(conn, row.num)
        typical = rating_mod.typical_seconds(durations, item.difficulty)
        return rating_mod.suggest(
            correct=correct,
            attempts=max(1, attempts),
            used_hint=used_hint,
            seconds=max(0.0, seconds),
            typical=typical,
        )

    def record(
        self,
        item_id: str,
        rating: int,
        *,
        seconds: float,
        answer: str | None = None,
        correct: bool | None = None,
        seed: int | None = None,
    ) -> int:
        """Save one review (one durable transaction) and reschedule the item with fsrs; the
        review's id in the log (for `undo`)."""
        item = self._course_item(item_id)
        if isinstance(rating, bool) or rating not in RATING_NAMES:
            raise UserError(f"rating {rating!r} must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)")
        duration_ms = max(0, round(seconds * 1000)) if math.isfinite(seconds) else None
        if answer is not None and len(answer) > MAX_ANSWER:
            answer = answer[:MAX_ANSWER]
        raw = self._raw_settings()
        scheduler = self._scheduler(raw)
        with self._lock, self._store.write() as conn:
            now = self.now()
            _, end = day_bounds(now, self.tz)
            row = queries.item(conn, item_id)
            is_new = row is None
            if row is None:
                num = queries.insert_item(conn, item_id, item.kind, to_ms(now))
                row = queries.item(conn, item_id)
                assert row is not None and row.num == num
            elif row.last_review is not None and to_ms(now) < row.last_review:
                now = from_ms(row.last_review)  # a clock that went back: keep the log in order
            outcome = fsrs_cards.review(scheduler, row, rating, now, duration_ms, is_new=is_new)
            cram = (not is_new) and row.state == 2 and row.due > to_ms(end)
            review_id = queries.insert_review(
                conn,
                item=row.num,
                reviewed_at=to_ms(now),
                rating=rating,
                duration_ms=duration_ms,
                answer=answer,
                correct=None if correct is None else int(bool(correct)),
                seed=seed,
                cram=int(cram),
                prev_state=None if is_new else row.state,
                prev_step=None if is_new else row.step,
                prev_stability=None if is_new else row.stability,
                prev_difficulty=None if is_new else row.difficulty,
                prev_due=None if is_new else row.due,
                prev_last_review=None if is_new else row.last_review,
                prev_lapses=None if is_new else row.lapses,
                state=outcome.state,
                step=outcome.step,
                stability=outcome.stability,
                difficulty=outcome.difficulty,
                due=outcome.due,
            )
            queries.bump_counts(
                conn,
                reviewed_at=to_ms(now),
                rating=rating,
                cram=cram,
                prev_state=None if is_new else row.state,
                prev_last_review=None if is_new else row.last_review,
            )
            queries.update_item(
                conn,
                row.num,
                state=outcome.state,
                step=outcome.step,
                stability=outcome.stability,
                difficulty=outcome.difficulty,
                due=outcome.due,
                last_review=outcome.last_review,
                lapses=outcome.lapses,
                reps=outcome.reps,
            )
        with self._lock:
            self._undo.append(review_id)
            self._last_seed.pop(item_id, None)
            self._seen_cache = None
        return review_id

    @property
    def last_review_id(self) -> int | None:
        """The log id of this session's latest review (None before the first)."""
        with self._lock:
            return self._undo[-1] if self._undo else None

    def undo_last(self) -> str | None:
        """Undo this session's latest review still undoable; the id of its item, or None.

        The item goes back to its state before the review and the review leaves the log. A
        review that another session has followed with a newer one of the same item is kept.
        """
        with self._lock:
            while self._undo:
                item_id = self._revert(self._undo.pop())
                if item_id is not None:
                    return item_id
        return None

    def undo(self, review_id: int) -> str | None:
        """Undo one review of this Study (as `record` returned it); the id of its item, or None
        when it cannot be undone: unknown, or followed by a newer review of the same item."""
        with self._lock:
            if review_id in self._undo:
                self._undo.remove(review_id)
            return self._revert(review_id)

    def _revert(self, review_id: int) -> str | None:
        """Take one review out of the log and put its item back as it was before it."""
        with self._store.write() as conn:
            item_id = queries.revert_review(conn, review_id)
        if item_id is not None:
            self._seen_cache = None
        return item_id

    def learning_due(self, item_id: str) -> datetime | None:
        """When the item comes back if it is in one of fsrs's (re)learning steps due within
        the session's look-ahead (`LEARN_AHEAD`), else None: it is scheduled for a later day."""
        now = self.now()
        with self._store.read() as conn:
            row = queries.item(conn, item_id)
        if row is None or row.state not in (int(State.Learning), int(State.Relearning)):
            return None
        due = from_ms(row.due)
        return due if due <= now + queue_mod.LEARN_AHEAD else None

    def new_seed(self, family_id: str) -> int:
        """A variant seed this family has not been reviewed with (nor handed out just before),
        whose question differs from those of its latest reviews where the family allows."""
        self._course_item(family_id)
        with self._store.read() as conn:
            row = queries.item(conn, family_id)
            used = queries.seeds_of(conn, row.num) if row is not None else set()
            recent = queries.recent_seeds(conn, row.num, RECENT) if row is not None else []
        with self._lock:
            last = self._last_seed.get(family_id)
            if last is not None:
                used, recent = used | {last}, [last, *recent]
            seed = self._fresh.new_seed(family_id, used, recent)
            self._last_seed[family_id] = seed
            return seed

    def next_due(self, item_id: str) -> datetime | None:
        """When the item is due next (None for an item never reviewed)."""
        with self._store.read() as conn:
            row = queries.item(conn, item_id)
        return None if row is None else from_ms(row.due)

    # --- forecast, stats --------------------------------------------------------------------
    def _rows(self) -> dict[str, ItemRow]:
        with self._store.read() as conn:
            return {r.id: r for r in queries.items(conn)}

    def _forecast(self, rows: dict[str, ItemRow], raw: dict[str, Any], now: datetime) -> Forecast:
        settings = _settings_from(raw)
        start, end = day_bounds(now, self.tz)
        introduced = sum(
            1
            for r in rows.values()
            if r.first_review is not None
            and to_ms(start) <= r.first_review < to_ms(end)
            and r.id in self._by_id
        )
        return exam_mode.forecast(
            self._items,
            rows,
            self._topic_titles,
            self._scheduler(raw),
            now,
            end,
            settings.exam_at,
            self.tz,
            new_per_day=settings.new_per_day,
            introduced_today=introduced,
        )

    def forecast(self) -> Forecast:
        """Mastery now and predicted recall on exam day, per topic and overall."""
        return self._forecast(self._rows(), self._raw_settings(), self.now())

    def leeches(self) -> list[str]:
        """Items of the course forgotten `LEECH_LAPSES` (8) times or more, in course order."""
        rows = self._rows()
        return [
            it.id
            for it in self._items
            if it.id in rows and rows[it.id].lapses >= fsrs_cards.LEECH_LAPSES
        ]

    def retired(self) -> list[str]:
        """Items with a history that the course no longer has (their history is kept)."""
        return sorted(set(self._rows()) - set(self._by_id))

    def stats(self) -> Stats:
        """Reviews per day, true retention, items by state, due counts, topics, the forecast."""
        now = self.now()
        raw = self._raw_settings()
        with self._store.read() as conn:
            rows_list = queries.items(conn)
            per_day = stats_mod.reviews_per_day(conn, now, self.tz)
            observed = stats_mod.observed_curve(conn)
            total, cram, learnt, passed = queries.totals(conn)
        rows = {r.id: r for r in rows_list}
        course_ids = set(self._by_id)
        forecast = self._forecast(rows, raw, now)
        due_today, due_tomorrow = stats_mod.due_counts(course_ids, rows_list, now, self.tz)
        current = [r for r in rows_list if r.id in course_ids]
        return Stats(
            generated_at=now,
            reviews_per_day=per_day,
            true_retention=passed / learnt if learnt else None,
            reviews_total=total,
            by_state=stats_mod.by_state(course_ids, rows_list, fsrs_cards.LEECH_LAPSES),
            due_today=due_today,
            due_tomorrow=due_tomorrow,
            topics=forecast.topics,
            leeches=[
                it.id
                for it in self._items
                if it.id in rows and rows[it.id].lapses >= fsrs_cards.LEECH_LAPSES
            ],
            retired=sorted(set(rows) - course_ids),
            forecast=forecast,
            forgetting_curves={
                "observed": observed,
                "predicted": stats_mod.predicted_curve(self._scheduler(raw), current, now),
            },
            cram_reviews=cram,
            optimized=bool(raw.get(PARAMETERS_KEY)),
        )

    # --- optimising -------------------------------------------------------------------------
    def optimize(self, *, verbose: bool = False, apply: bool = True) -> Fit:
        """Fit the FSRS parameters to this history (cram reviews left out) and keep them."""
        from revise.schedule.optimize import fit

        with self._store.read() as conn:
            logs = list(queries.optimizer_logs(conn))
        result = fit(logs, verbose=verbose)
        if result.parameters is not None and apply:
            with self._store.write() as conn:
                queries.put_settings(conn, [(PARAMETERS_KEY, result.parameters)])
        return result

    def reset_parameters(self) -> None:
        """Go back to fsrs's default parameters."""
        with self._store.write() as conn:
            queries.delete_setting(conn, PARAMETERS_KEY)

    # --- housekeeping -----------------------------------------------------------------------
    def integrity(self) -> str:
        return self._store.integrity()

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Study:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
