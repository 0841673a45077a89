"""Days as the student lives them: midnight to midnight in the local time zone (or a given one)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo


def local(now: datetime, tz: tzinfo | None) -> datetime:
    """`now` in the given time zone, or in the system's local one."""
    return now.astimezone(tz) if tz is not None else now.astimezone()


def day_start(day: date, tz: tzinfo | None) -> datetime:
    """Midnight at the start of `day`, as UTC."""
    naive = datetime.combine(day, time())
    aware = naive.replace(tzinfo=tz) if tz is not None else naive.astimezone()
    return aware.astimezone(UTC)


def today(now: datetime, tz: tzinfo | None) -> date:
    return local(now, tz).date()


def day_bounds(now: datetime, tz: tzinfo | None, offset_days: int = 0) -> tuple[datetime, datetime]:
    """(start, end) in UTC of the local day `offset_days` after the one `now` falls in."""
    day = today(now, tz) + timedelta(days=offset_days)
    return day_start(day, tz), day_start(day + timedelta(days=1), tz)


def utc_offset_ms(now: datetime, tz: tzinfo | None) -> int:
    """The local time zone's offset from UTC at `now`, in milliseconds."""
    offset = local(now, tz).utcoffset() or timedelta()
    return int(offset.total_seconds() * 1000)
