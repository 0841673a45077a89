"""Plain-text views of the study data for the command line: exam forecast, stats, durations."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from revise.schedule.days import local
from revise.study_types import ExamOutlook, Forecast, Stats, TopicForecast

if TYPE_CHECKING:
    from revise.schedule.exam_plan import PlannedDay
    from revise.study import Study

BAR = 10
SPARK = "▁▂▃▄▅▆▇█"


def percent(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def when_text(moment: datetime, tz: tzinfo | None) -> str:
    """`Fri 15 Jan 2027 09:00` in local time."""
    return local(moment, tz).strftime("%a %d %b %Y %H:%M")


def interval_text(delta: timedelta) -> str:
    """A duration as a person says it: `10 min`, `5 h`, `3 days`, `2 months`."""
    seconds = delta.total_seconds()
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h"
    days = seconds / 86400
    if days < 45:
        n = round(days)
        return f"{n} day" if n == 1 else f"{n} days"
    if days < 365:
        return f"{round(days / 30)} months"
    return f"{days / 365:.1f} years"


def _days_text(days: float) -> str:
    if days < 1:
        return interval_text(timedelta(days=max(days, 0.0)))
    whole = int(days)
    return "1 day" if whole == 1 else f"{whole} days"


def bar(x: float) -> str:
    filled = round(max(0.0, min(1.0, x)) * BAR)
    return "█" * filled + "░" * (BAR - filled)


def topic_table(topics: list[TopicForecast], with_exam: bool) -> list[str]:
    width = max([len(t.title) for t in topics] + [5])
    width = min(width, 44)
    head = f"  {'topic':<{width}}  items  seen  due  mastery"
    if with_exam:
        head += "          exam day"
    lines = [head]
    for t in topics:
        title = t.title if len(t.title) <= width else t.title[: width - 1] + "…"
        line = (
            f"  {title:<{width}}  {t.cards:>5}  {t.seen:>4}  {t.due:>3}  "
            f"{bar(t.mastery)} {percent(t.mastery):>4}"
        )
        if with_exam and t.exam_recall is not None:
            line += f"  {bar(t.exam_recall)} {percent(t.exam_recall):>4}"
        lines.append(line)
    return lines


def outlook_line(outlook: ExamOutlook) -> str:
    """ "At 60 min a day: predicted exam-day recall 78 % (45 min: 71 %, 90 min: 84 %)"."""
    own = outlook.recall.get(outlook.minutes)
    others = ", ".join(
        f"{m} min: {percent(r)}" for m, r in sorted(outlook.recall.items()) if m != outlook.minutes
    )
    return f"At {outlook.minutes} min a day: predicted exam-day recall {percent(own)}" + (
        f" ({others})" if others else ""
    )


def exam_lines(forecast: Forecast, outlook: ExamOutlook | None, tz: tzinfo | None) -> list[str]:
    """The `revise exam` view."""
    if forecast.exam_at is None:
        return [
            "No exam date set. Set one with `revise exam set YYYY-MM-DD [HH:MM] [--minutes M]`: "
            "each day's reviews and new items are then planned within M minutes for the most "
            "recall on exam day.",
            "",
            *topic_table(forecast.topics, with_exam=False),
        ]
    when = when_text(forecast.exam_at, tz)
    if forecast.passed:
        days = forecast.days_left or 0.0
        state = "is today" if days > -1 else "has passed"
        return [
            f"Your exam ({when}) {state} — good luck!",
            "Clear the date with `revise exam clear` (your history is kept).",
        ]
    days = forecast.days_left or 0.0
    lines = [
        f"Exam: {when} (in {_days_text(days)}).",
        f"Predicted recall on exam day if you stopped today: {percent(forecast.overall)}"
        + (f" ({forecast.unseen} items never seen count as 0)." if forecast.unseen else "."),
    ]
    if outlook is not None:
        lines.append(outlook_line(outlook) + " if you follow the plan.")
        lines.append("`revise exam plan` shows the plan day by day; the review queue follows it.")
    lines += ["", *topic_table(forecast.topics, with_exam=True)]
    return lines


def plan_lines(days: list[PlannedDay], study: Study) -> list[str]:
    """The `revise exam plan` view: one line a day until the exam."""
    from revise.schedule.exam_plan import HORIZON_DAYS

    if not days:
        return [
            f"No exam date within the next {HORIZON_DAYS} days: set one with `revise exam set YYYY-MM-DD`."
        ]
    start = local(study.now(), study.tz).date()
    budget = study.settings.minutes_per_day
    lines = [
        f"The plan at {budget} min a day (a prediction: each day is planned afresh from how "
        "your reviews went).",
        "",
        "day         new cards  new questions  reviews  minutes  exam-day recall after",
    ]
    for d in days:
        when = start + timedelta(days=d.day)
        label = "today" if d.day == 0 else when.strftime("%a %d %b")
        lines.append(
            f"{label:<11} {d.new_cards:>9}  {d.new_questions:>13}  {d.reviews:>7}  "
            f"{d.minutes:>7.0f}  {percent(d.exam_recall):>21}"
        )
    return lines


def sparkline(values: list[int]) -> str:
    top = max(values) if values else 0
    if top == 0:
        return " " * len(values)
    return "".join(SPARK[min(len(SPARK) - 1, round(v / top * (len(SPARK) - 1)))] for v in values)


def stats_lines(stats: Stats, tz: tzinfo | None, days: int = 14) -> list[str]:
    """The `revise stats` view."""
    today = local(stats.generated_at, tz).date()
    recent = [
        stats.reviews_per_day.get((today - timedelta(days=d)).isoformat(), 0)
        for d in range(days - 1, -1, -1)
    ]
    s = stats.by_state
    lines = [
        f"Reviews: {stats.reviews_total} in all"
        + (f" ({stats.cram_reviews} as exam cramming)" if stats.cram_reviews else "")
        + f"; true retention {percent(stats.true_retention)} "
        "(share of reviews of learnt items passed).",
        f"Last {days} days: {sparkline(recent)}  {sum(recent)} reviews, today {recent[-1]}.",
        f"Items: {s['new']} new · {s['learning']} learning · {s['review']} review · "
        f"{s['relearning']} relearning"
        + (f" · {s['retired']} retired" if s["retired"] else "")
        + (f" · {s['leech']} leeches" if s["leech"] else "")
        + ".",
        f"Due: {stats.due_today} today, {stats.due_tomorrow} tomorrow.",
        f"Parameters: {'fitted to your history' if stats.optimized else 'fsrs defaults'}.",
        "",
        *topic_table(stats.topics, with_exam=stats.forecast.exam_at is not None),
    ]
    f = stats.forecast
    if f.exam_at is not None:
        lines += [""]
        if f.passed:
            lines.append(f"Exam ({when_text(f.exam_at, tz)}) has come; `revise exam clear`.")
        else:
            lines.append(
                f"Exam {when_text(f.exam_at, tz)}: predicted recall {percent(f.overall)} overall."
            )
    if stats.leeches:
        lines += ["", "Leeches (forgotten 8 times or more): " + ", ".join(stats.leeches)]
    if stats.retired:
        lines += [
            "",
            "Retired (no longer in the course, history kept): " + ", ".join(stats.retired),
        ]
    return lines
