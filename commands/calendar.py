"""Calendars and cadences: each party's working days and hours, the joint calendar of dispute clocks and
check-in windows, and cadences in local wall time (DST-safe)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays

from commands.errors import InputError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CADENCE = re.compile(
    r"^(?:(?P<weekly>weekly|every\s+(?P<n>\d)\s+weeks?)\s+on\s+(?P<day>[a-z]+)"
    r"|(?P<period>monthly|quarterly)\s+on\s+the\s+first\s+working\s+day)"
    r"\s+at\s+(?P<hh>\d{1,2}):(?P<mm>\d{2})$"
)
DEFAULT_START, DEFAULT_END = time(9, 0), time(17, 30)
SEARCH_DAYS = 400
_HOURS = re.compile(r"^(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*[-–to ]+\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})$")
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


_EPOCH_MONDAY = date(1970, 1, 5)


def next_occurrence(cadence: Cadence, after: datetime, tz: ZoneInfo, calendar: JointCalendar) -> datetime:
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


def _cadence_day(cadence: Cadence, day: date, calendar: JointCalendar) -> date | None:
    if cadence.months:
        if day.day != 1 or (day.month - 1) % cadence.months:
            return None
        return calendar.first_working_day_from(day)
    if day.weekday() != cadence.weekday or ((day - _EPOCH_MONDAY).days // 7) % (cadence.weeks or 1):
        return None
    return calendar.first_working_day_from(day)


DAY_SECONDS = 86_400


@dataclass(frozen=True)
class PartyCalendar:
    """One party's working time: its timezone, working weekdays and hours, listed holidays and a region's
    public holidays. `in_zone` gives the same hours read in a person's own timezone."""

    tz: ZoneInfo
    weekdays: frozenset[int]
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    holidays: frozenset[date] = frozenset()
    region: str = ""

    def in_zone(self, tz: ZoneInfo) -> PartyCalendar:
        """These working days and hours, in `tz` (a person whose Slack timezone is not the party's)."""
        return replace(self, tz=tz)

    def is_working_day(self, day: date) -> bool:
        """A working weekday that is neither a listed holiday nor a public holiday of the region."""
        return day.weekday() in self.weekdays and day not in self.holidays and \
            not (self.region and day in region_holidays(self.region, day.year))

    def first_working_day_from(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one (within a year)."""
        return _first_working_day(self, day)

    def in_hours(self, moment: datetime) -> bool:
        """Whether `moment` falls inside working hours on a working day."""
        return self.next_working_moment(moment) == moment

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` when it is inside working hours, else the start of the next working hours."""
        local = moment.astimezone(self.tz)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            if not self.is_working_day(day):
                continue
            # compared as instants: two times of one tzinfo compare by their wall clocks, so 01:00 after a DST
            # change back would pass for earlier than 01:30 before it
            opens = datetime.combine(day, self.start, self.tz).astimezone(UTC)
            closes = datetime.combine(day, self.end, self.tz).astimezone(UTC)
            if moment >= closes:
                continue
            return moment if moment >= opens else opens
        raise ValueError("no working hours within a year")


def _first_working_day(calendar: PartyCalendar | JointCalendar, day: date) -> date:
    for offset in range(SEARCH_DAYS):
        candidate = day + timedelta(days=offset)
        if calendar.is_working_day(candidate):
            return candidate
    raise ValueError("no working day within a year")


@dataclass(frozen=True)
class JointCalendar:
    """Both parties' calendars together. A day is a joint working day when it is a working day of each party
    (a holiday of either stops the clock); a clock counts the moments that fall on a working day in each
    party's own timezone; a due time is moved into the working hours both parties share."""

    parties: tuple[PartyCalendar, ...]

    def is_working_day(self, day: date) -> bool:
        """A working day of every party (as a date: the cadences' `first working day`)."""
        return all(party.is_working_day(day) for party in self.parties)

    def first_working_day_from(self, day: date) -> date:
        """`day` itself if it is a joint working day, else the next one (within a year)."""
        return _first_working_day(self, day)

    def counts(self, moment: datetime) -> bool:
        """Whether a clock runs at `moment`: it is a working day for every party, each in its own timezone."""
        return all(party.is_working_day(moment.astimezone(party.tz).date()) for party in self.parties)

    def _next_midnight(self, moment: datetime) -> datetime:
        """The first local midnight of any party after `moment` (where `counts` may change)."""
        candidates = []
        for party in self.parties:
            following = datetime.combine(moment.astimezone(party.tz).date() + timedelta(days=1), time(0), party.tz)
            candidates.append(following.astimezone(UTC))
        found = min(candidates)
        return found if found > moment else moment + timedelta(hours=1)

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """The counted time from `start` to `end`, in seconds (summed exactly, to the microsecond)."""
        total, cursor, end = timedelta(0), start.astimezone(UTC), end.astimezone(UTC)
        while cursor < end:
            segment_end = min(self._next_midnight(cursor), end)
            if self.counts(cursor):
                total += segment_end - cursor
            cursor = segment_end
        return total.total_seconds()

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment when `seconds` of counted time have run after `start` (inverse of the above). Exact
        microseconds, not floats, are subtracted: float drift would skip past a weekend the time fills exactly."""
        cursor, left = start.astimezone(UTC), timedelta(seconds=seconds)
        for _ in range(SEARCH_DAYS * 10):
            segment_end = self._next_midnight(cursor)
            if self.counts(cursor):
                available = segment_end - cursor
                if left <= available:
                    return cursor + left
                left -= available
            cursor = segment_end
        raise ValueError("no end within ten years")

    def within_hours(self, moment: datetime, *, fallback: int = 0) -> datetime:
        """The first moment from `moment` inside every party's working hours; when their hours do not meet
        within two weeks, the start of the next working hours of party `fallback` (0-based)."""
        cursor = moment.astimezone(UTC)
        limit = cursor + timedelta(days=14)
        while cursor <= limit:
            latest = max(party.next_working_moment(cursor) for party in self.parties)
            if latest == cursor:
                return cursor
            cursor = latest.astimezone(UTC)
        return self.parties[fallback].next_working_moment(moment).astimezone(UTC)

    def due_after(self, start: datetime, seconds: float, *, fallback: int = 0) -> datetime:
        """A clock's due time: `seconds` of counted time after `start`, moved into shared working hours."""
        return self.within_hours(self.add_working_seconds(start, seconds), fallback=fallback)


@cache
def region_holidays(region: str, year: int) -> frozenset[date]:
    """The public holidays of `region` (`GB-ENG`, `US-NY`, `FR`) in `year`, from the holidays package."""
    country, _, subdivision = region.partition("-")
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def parse_region(text: str, *, field: str) -> str:
    """A region the holidays package knows, as `GB-ENG`, `US-NY` or `FR` (empty: none)."""
    clean = text.strip().upper().rstrip("-")
    if not clean:
        return ""
    country, _, subdivision = clean.partition("-")
    known = holidays.list_supported_countries()
    if country not in known:
        raise InputError(f"`{text[:20]}` is not a country Accord knows public holidays of: use a code like GB-ENG, "
                         "US-NY or FR.", field=field)
    if subdivision and subdivision not in known[country]:
        raise InputError(f"`{text[:20]}`: {country} has no region `{subdivision}` (for example "
                         f"{', '.join(f'{country}-{s}' for s in known[country][:3])}).", field=field)
    return clean


def parse_hours(text: str, *, field: str) -> tuple[time, time]:
    """Working hours such as `09:00-17:30` (the start before the end, within one day; `24:00` ends it)."""
    match = _HOURS.match(text.strip())
    if match:
        try:
            start = time(int(match["h1"]), int(match["m1"]))
            end = time.max if (match["h2"], match["m2"]) == ("24", "00") else time(int(match["h2"]), int(match["m2"]))
        except ValueError:
            start = end = time(0)
        if start < end:
            return start, end
    raise InputError(f"`{text[:20]}` is not working hours like 09:00-17:30 (start before end).", field=field)


def format_hours(start: time, end: time) -> str:
    """`09:00-17:30` (`24:00` for the end of the day)."""
    return f"{start:%H:%M}-{'24:00' if end == time.max else f'{end:%H:%M}'}"
