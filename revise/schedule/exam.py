"""Exam mode: reading the date, pacing new items before it, and the exam-day forecast.

The forecast is fsrs's predicted recall of every item at the exam's date and time
(`Scheduler.get_card_retrievability(card, exam_at)`), averaged per topic and overall; an item
never seen counts as 0, so the forecast also says how much of the course is still unseen.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from fsrs import Scheduler

from engine.errors import UserError
from revise.schedule.cards import recalls
from revise.schedule.days import day_start, local, today
from revise.schedule.items import CourseItem
from revise.store.rows import ItemRow, to_ms
from revise.study_types import Forecast, TopicForecast

DEFAULT_EXAM_TIME = time(9, 0)
#: reviews an item needs before the exam to count as learnt (learning steps, then a review)
SEEN_ENOUGH = 3
#: days kept free of new items before the exam, so the last new ones get their reviews
RESERVE_DAYS = 3


def parse_exam(day: str, at: str | None, now: datetime, tz: tzinfo | None) -> datetime:
    """The exam's moment (UTC) from `YYYY-MM-DD` and an optional local `HH:MM` (default 09:00)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day.strip()):
        raise UserError(f"exam date {day!r}: write it as YYYY-MM-DD, e.g. 2027-01-15")
    try:
        when_day = date.fromisoformat(day.strip())
    except ValueError:
        raise UserError(f"exam date {day!r} is not a day of the calendar") from None
    when_time = DEFAULT_EXAM_TIME
    if at is not None:
        m = re.fullmatch(r"(\d{1,2})[:h.](\d{2})", at.strip())
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise UserError(f"exam time {at!r}: write it as HH:MM (24-hour), e.g. 14:30")
        when_time = time(int(m.group(1)), int(m.group(2)))
    naive = datetime.combine(when_day, when_time)
    aware = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    exam_at = aware.astimezone(UTC)
    if when_day < today(now, tz):
        raise UserError(f"the exam date {when_day.isoformat()} has passed; give a future date")
    return exam_at


def passed(now: datetime, exam_at: datetime, tz: tzinfo | None) -> bool:
    """True from the start of the exam's day on."""
    return today(now, tz) >= local(exam_at, tz).date()


def days_left(now: datetime, exam_at: datetime) -> float:
    return (exam_at - now) / timedelta(days=1)


def pace(base: int, unseen: int, now: datetime, exam_at: datetime, tz: tzinfo | None) -> int:
    """New items a day so that every item is introduced `RESERVE_DAYS` before the exam day.

    `unseen` counts the items not seen at the start of today. Never fewer than the student's own
    daily limit; on or after the exam day, the limit itself.
    """
    return pace_days(base, unseen, (local(exam_at, tz).date() - today(now, tz)).days)


def pace_days(base: int, unseen: int, days: int) -> int:
    """`pace` with the days to the exam day counted already."""
    if days <= 0 or unseen <= 0:
        return base
    reserve = min(RESERVE_DAYS, days // 2)
    return max(base, math.ceil(unseen / max(1, days - reserve)))


def forecast(
    items: list[CourseItem],
    rows: dict[str, ItemRow],
    topic_titles: dict[str, str],
    scheduler: Scheduler,
    now: datetime,
    end_of_today: datetime,
    exam_at: datetime | None,
    tz: tzinfo | None,
    *,
    new_per_day: int,
    introduced_today: int,
) -> Forecast:
    """Per topic: items, seen, due today, mastery now, recall on exam day; and overall."""
    end_ms = to_ms(end_of_today)
    times = [now] if exam_at is None else [now, exam_at]
    cards: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    due: dict[str, int] = defaultdict(int)
    now_sum: dict[str, float] = defaultdict(float)
    exam_sum: dict[str, float] = defaultdict(float)
    for item in items:
        row = rows.get(item.id)
        cards[item.topic] += 1
        if row is None:
            continue
        seen[item.topic] += 1
        if row.due <= end_ms:
            due[item.topic] += 1
        r = recalls(scheduler, row, times)
        now_sum[item.topic] += r[0]
        if exam_at is not None:
            exam_sum[item.topic] += r[1]
    topics = [
        TopicForecast(
            topic=t,
            title=topic_titles.get(t, t),
            cards=cards[t],
            seen=seen[t],
            due=due[t],
            mastery=now_sum[t] / cards[t],
            exam_recall=None if exam_at is None else exam_sum[t] / cards[t],
        )
        for t in _topic_order(items, topic_titles)
    ]
    total = sum(cards.values())
    unseen = total - sum(seen.values())
    if exam_at is None:
        return Forecast(None, None, None, topics, False, None, unseen)
    overall = sum(exam_sum.values()) / total if total else None
    is_passed = passed(now, exam_at, tz)
    paced = None if is_passed else pace(new_per_day, unseen + introduced_today, now, exam_at, tz)
    return Forecast(
        exam_at=exam_at,
        days_left=days_left(now, exam_at),
        overall=overall,
        topics=topics,
        passed=is_passed,
        new_per_day=paced,
        unseen=unseen,
    )


def _topic_order(items: list[CourseItem], titles: dict[str, str]) -> list[str]:
    order = list(titles)
    extra = [t for t in dict.fromkeys(it.topic for it in items) if t not in titles]
    present = {it.topic for it in items}
    return [t for t in order if t in present] + extra


def exam_day_start(exam_at: datetime, tz: tzinfo | None) -> datetime:
    return day_start(local(exam_at, tz).date(), tz)
