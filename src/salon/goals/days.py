"""Time for goals: the clock, local days in a person's time zone, streaks and days left.

Streaks count consecutive local days with at least one check-in, each day taken in the participant's own time zone
(``users.timezone``) at the moment of the check-in. A streak is "current" while its last day is today or yesterday
in that time zone; once a whole local day passes without a check-in it reads as 0 (the longest streak stays).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def now() -> datetime:
    """The current time (one seam, so tests can place a check-in just before a local midnight)."""
    return datetime.now(tz=UTC)


def zone(name: str | None) -> ZoneInfo:
    """The IANA zone ``name``; UTC for an empty or unknown name (profiles validate names, old rows may not)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(moment: datetime, timezone: str | None) -> date:
    return moment.astimezone(zone(timezone)).date()


def today(timezone: str | None) -> date:
    return local_day(now(), timezone)


def next_streak(streak: int, last_day: date | None, day: date) -> int:
    """The streak after a check-in on local ``day``, given the streak as of ``last_day`` (its last check-in day)."""
    if last_day is None:
        return 1
    if day == last_day:
        return max(streak, 1)
    if day == last_day + timedelta(days=1):
        return streak + 1
    if day < last_day:  # the person moved west across a date line: the day already counted
        return max(streak, 1)
    return 1


def current_streak(streak: int, last_day: date | None, today: date) -> int:
    """``streak`` as it stands ``today``: broken once a whole day passed since ``last_day``."""
    if last_day is None or last_day < today - timedelta(days=1):
        return 0
    return streak


def days_left(target_date: date | None, today: date) -> int | None:
    return None if target_date is None else (target_date - today).days
