"""Working-day calendars and cadences, in a relationship's timezone."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from commands.errors import InputError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CADENCE = re.compile(
    r"^(?:(?P<weekly>weekly|every\s+(?P<n>\d)\s+weeks?)\s+on\s+(?P<day>[a-z]+)"
    r"|(?P<period>monthly|quarterly)\s+on\s+the\s+first\s+working\s+day)"
    r"\s+at\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})$"
)
CADENCE_HELP = "`weekly on monday at 09:30`, `every 2 weeks on monday at 09:30`, " \
               "`monthly on the first working day at 10:00` or `quarterly on the first working day at 10:00`"


@dataclass(frozen=True)
class Cadence:
    """A parsed cadence: every `weeks` weeks on `weekday`, or the first working day of each month/quarter."""

    text: str
    at: time
    weeks: int | None = None
    weekday: int | None = None
    months: int | None = None


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())  # read from disk once: it walks the whole tz database


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name`; InputError naming the field when unknown."""
    try:
        if name not in _known_zones():
            raise ZoneInfoNotFoundError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"`{name}` is not a timezone Accord knows: use a name like Europe/London.",
                         field="timezone") from None


def parse_cadence(text: str, *, field: str) -> Cadence:
    """Parse a cadence such as `every 2 weeks on monday at 09:30`; InputError naming `field`."""
    clean = " ".join(text.lower().split())
    match = _CADENCE.match(clean)
    if not match:
        raise InputError(f"I could not read the cadence `{text[:80]}`. Try {CADENCE_HELP}.", field=field)
    hour, minute = int(match["hh"]), int(match["mm"])
    if hour > 23 or minute > 59:
        raise InputError(f"`{match['hh']}:{match['mm']}` is not a time of day.", field=field)
    at = time(hour, minute)
    if match["period"]:
        return Cadence(clean, at, months=1 if match["period"] == "monthly" else 3)
    if match["day"] not in WEEKDAYS:
        raise InputError(f"`{match['day']}` is not a day of the week.", field=field)
    weeks = 1 if match["weekly"] == "weekly" else int(match["n"])
    if not 1 <= weeks <= 8:
        raise InputError("A cadence repeats every 1 to 8 weeks.", field=field)
    return Cadence(clean, at, weeks=weeks, weekday=WEEKDAYS.index(match["day"]))


@dataclass(frozen=True)
class WorkingCalendar:
    """Working weekdays (0 = Monday) and holidays of a relationship."""

    weekdays: frozenset[int]
    holidays: frozenset[date]

    def is_working_day(self, day: date) -> bool:
        """True on a working weekday that is not a holiday."""
        return day.weekday() in self.weekdays and day not in self.holidays

    def first_working_day_from(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one (within a year)."""
        for offset in range(366):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day within a year")

    def add_working_days(self, start: datetime, days: int, tz: ZoneInfo) -> datetime:
        """The moment `days` working days after `start`, at the same local time of day."""
        local = start.astimezone(tz)
        day, counted = local.date(), 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, local.time().replace(tzinfo=None), tz)


_EPOCH_MONDAY = date(1970, 1, 5)


def calendar_of(working_days: list[int], holidays: list[str]) -> WorkingCalendar:
    """A WorkingCalendar from a relationship's stored fields."""
    return WorkingCalendar(frozenset(working_days), frozenset(date.fromisoformat(day) for day in holidays))


def next_occurrence(cadence: Cadence, after: datetime, tz: ZoneInfo, calendar: WorkingCalendar) -> datetime:
    """The first moment of `cadence` strictly after `after`, in `tz` (DST-safe: local wall time)."""
    # start a month back: a cadence day moved forward by holidays may fall on or after `after`
    local_day = after.astimezone(tz).date() - timedelta(days=32)
    for _ in range(830):
        local_day += timedelta(days=1)
        candidate_day = _cadence_day(cadence, local_day, calendar)
        if candidate_day is None:
            continue
        moment = datetime.combine(candidate_day, cadence.at, tz)
        if moment > after:
            return moment
    raise ValueError(f"no occurrence of {cadence.text!r} within two years")


def _cadence_day(cadence: Cadence, day: date, calendar: WorkingCalendar) -> date | None:
    if cadence.months:
        if day.day != 1 or (day.month - 1) % cadence.months:
            return None
        return calendar.first_working_day_from(day)
    if day.weekday() != cadence.weekday or ((day - _EPOCH_MONDAY).days // 7) % (cadence.weeks or 1):
        return None
    return calendar.first_working_day_from(day)


DAY_SECONDS = 86_400


def working_seconds_between(start: datetime, end: datetime, tz: ZoneInfo, calendar: WorkingCalendar) -> float:
    """Working time from `start` to `end`: the part of it that falls on working days (local days)."""
    if end <= start:
        return 0.0
    total, cursor = 0.0, start.astimezone(tz)
    end_local = end.astimezone(tz)
    while cursor < end_local:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tz)
        segment_end = min(next_midnight, end_local)
        if calendar.is_working_day(cursor.date()):
            total += (segment_end - cursor).total_seconds()
        cursor = segment_end
    return total


def add_working_seconds(start: datetime, seconds: float, tz: ZoneInfo, calendar: WorkingCalendar) -> datetime:
    """The moment when `seconds` of working time have passed after `start` (inverse of the above)."""
    cursor, left = start.astimezone(tz), seconds
    for _ in range(3660):
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tz)
        if calendar.is_working_day(cursor.date()):
            available = (next_midnight - cursor).total_seconds()
            if left <= available:
                return cursor + timedelta(seconds=left)
            left -= available
        cursor = next_midnight
    raise ValueError("no end within ten years")
