"""The calendar arithmetic of dispute clocks and cadences, as pure functions: holidays of one party stopping the
joint clock, weekends, both zones' DST changes, shared working hours (and the fallback when they never meet), a
person's own timezone, the clock's inverse, and parsing working hours and regions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from commands.calendar import (
    DAY_SECONDS,
    JointCalendar,
    PartyCalendar,
    format_hours,
    next_occurrence,
    parse_cadence,
    parse_hours,
    parse_region,
    region_holidays,
    zone,
)
from commands.errors import InputError

LONDON, NEW_YORK, SYDNEY, TOKYO = (ZoneInfo(name) for name in
                                   ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Tokyo"))
HOUR = 3600


def party(tz: ZoneInfo, region: str = "", holidays: tuple[date, ...] = (), hours: str = "09:00-17:30",
          weekdays: frozenset[int] = frozenset(range(5))) -> PartyCalendar:
    return PartyCalendar(tz, weekdays, *parse_hours(hours, field="hours"), frozenset(holidays), region)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_region_holidays_differ_between_the_parties() -> None:
    england, new_york = region_holidays("GB-ENG", 2027), region_holidays("US-NY", 2027)
    assert date(2027, 8, 30) in england and date(2027, 8, 30) not in new_york  # Summer bank holiday
    assert date(2027, 11, 25) in new_york and date(2027, 11, 25) not in england  # Thanksgiving


@pytest.mark.parametrize("london", [party(LONDON, region="GB-ENG"), party(LONDON, holidays=(date(2027, 8, 30),))],
                         ids=["region", "listed"])
def test_a_holiday_of_london_alone_stops_the_joint_clock(london: PartyCalendar) -> None:
    joint, plain = JointCalendar((london, party(NEW_YORK, region="US-NY"))), JointCalendar((party(LONDON),
                                                                                            party(NEW_YORK)))
    monday = date(2027, 8, 30)
    assert not london.is_working_day(monday) and joint.parties[1].is_working_day(monday)
    assert not joint.is_working_day(monday) and joint.first_working_day_from(date(2027, 8, 28)) == date(2027, 8, 31)
    assert not joint.counts(utc(2027, 8, 30, 15)) and plain.counts(utc(2027, 8, 30, 15))
    # BST/EDT: a joint week runs from NY's Monday (04:00 UTC) to London's Saturday (Fri 23:00 UTC): 115 h;
    # London's bank holiday (Sun 23:00 - Mon 23:00 UTC) takes away Mon 04:00-23:00 UTC: 96 h
    assert plain.working_seconds_between(utc(2027, 8, 28), utc(2027, 9, 4)) == 115 * HOUR
    assert joint.working_seconds_between(utc(2027, 8, 28), utc(2027, 9, 4)) == 96 * HOUR
    # a 1-day level from Fri 14:00 UTC: 9 h to London's midnight; the rest (15 h) from Mon 23:00 UTC, when
    # London's Tuesday begins (NY still on Monday): Tue 14:00 UTC (15:00 London, 10:00 NY: shared hours)
    friday = utc(2027, 8, 27, 14)
    assert joint.add_working_seconds(friday, DAY_SECONDS) == utc(2027, 8, 31, 14)
    assert joint.due_after(friday, DAY_SECONDS) == utc(2027, 8, 31, 14)
    # without the holiday the 15 h run from NY's Monday (04:00 UTC): Mon 19:00 UTC, after London closes, so
    # the due time is Tuesday's first shared moment, NY's 09:00 EDT = 13:00 UTC
    assert plain.add_working_seconds(friday, DAY_SECONDS) == utc(2027, 8, 30, 19)
    assert plain.due_after(friday, DAY_SECONDS) == utc(2027, 8, 31, 13)


@pytest.mark.parametrize("new_york", [party(NEW_YORK, region="US-NY"), party(NEW_YORK, holidays=(date(2027, 11, 25),))],
                         ids=["region", "listed"])
def test_thanksgiving_in_new_york_alone_stops_the_joint_clock(new_york: PartyCalendar) -> None:
    london = party(LONDON, region="GB-ENG")
    joint, plain = JointCalendar((london, new_york)), JointCalendar((london, party(NEW_YORK)))
    assert london.is_working_day(date(2027, 11, 25)) and not joint.is_working_day(date(2027, 11, 25))
    # GMT/EST: a joint week runs Mon 05:00 UTC to Sat 00:00 UTC = 115 h; Thanksgiving removes NY's whole
    # Thursday (Thu 05:00 - Fri 05:00 UTC), 24 h, all of it on London working days
    assert plain.working_seconds_between(utc(2027, 11, 22), utc(2027, 11, 29)) == 115 * HOUR
    assert joint.working_seconds_between(utc(2027, 11, 22), utc(2027, 11, 29)) == 91 * HOUR
    # a 1-day level from Wed 15:00 UTC: 14 h to Thu 05:00 UTC, stopped for Thanksgiving, 10 h from Fri 05:00
    wednesday = utc(2027, 11, 24, 15)
    assert joint.due_after(wednesday, DAY_SECONDS) == utc(2027, 11, 26, 15)
    assert plain.due_after(wednesday, DAY_SECONDS) == utc(2027, 11, 25, 15)


def test_a_clock_started_on_friday_afternoon_resumes_on_monday() -> None:
    joint = JointCalendar((party(LONDON), party(LONDON)))
    friday = utc(2027, 10, 8, 14)  # Fri 15:00 BST
    assert not joint.counts(utc(2027, 10, 9, 12)) and not joint.counts(utc(2027, 10, 10, 22))
    # Fri 15:00-24:00 (9 h) + Mon 00:00-09:00 (9 h)
    assert joint.working_seconds_between(friday, utc(2027, 10, 11, 8)) == 18 * HOUR
    # 9 h on Friday, 15 h on Monday: Mon 15:00 BST; two days: Tue 15:00 BST
    assert joint.due_after(friday, DAY_SECONDS) == utc(2027, 10, 11, 14)
    assert joint.due_after(friday, 2 * DAY_SECONDS) == utc(2027, 10, 12, 14)
    # started after hours (Fri 17:45): due Mon 17:45, after closing, so Tue 09:00 BST
    assert joint.add_working_seconds(utc(2027, 10, 8, 16, 45), DAY_SECONDS) == utc(2027, 10, 11, 16, 45)
    assert joint.due_after(utc(2027, 10, 8, 16, 45), DAY_SECONDS) == utc(2027, 10, 12, 8)
    # started on Saturday: the clock first runs at Mon 00:00 BST; an hour later is before opening: 09:00 BST
    assert joint.add_working_seconds(utc(2027, 10, 9, 12), HOUR) == utc(2027, 10, 11, 0)
    assert joint.due_after(utc(2027, 10, 9, 12), HOUR) == utc(2027, 10, 11, 8)


@pytest.mark.parametrize(("tz", "friday_evening", "monday_opening", "offset_hours"), [
    (LONDON, utc(2027, 3, 26, 18), utc(2027, 3, 29, 8), 1),  # Fri 18:00 GMT -> Mon 09:00 BST (clocks on 28 Mar)
    (LONDON, utc(2027, 10, 29, 17), utc(2027, 11, 1, 9), 0),  # Fri 18:00 BST -> Mon 09:00 GMT (back 31 Oct)
    (NEW_YORK, utc(2027, 3, 12, 23), utc(2027, 3, 15, 13), -4),  # Fri 18:00 EST -> Mon 09:00 EDT (14 Mar)
    (NEW_YORK, utc(2027, 11, 5, 22), utc(2027, 11, 8, 14), -5),  # Fri 18:00 EDT -> Mon 09:00 EST (7 Nov)
], ids=["london-spring", "london-autumn", "new-york-spring", "new-york-autumn"])
def test_working_hours_keep_local_wall_time_across_dst(tz: ZoneInfo, friday_evening: datetime,
                                                       monday_opening: datetime, offset_hours: int) -> None:
    calendar = party(tz)  # no region: Easter Monday 2027 is 29 March
    opening = calendar.next_working_moment(friday_evening)
    assert opening == monday_opening
    assert opening.astimezone(tz).time() == time(9) and opening.astimezone(tz).utcoffset() == timedelta(
        hours=offset_hours)
    # the Friday before opened at 09:00 local too, at the other UTC offset
    friday_opening = calendar.next_working_moment(friday_evening - timedelta(hours=12))
    assert friday_opening.astimezone(tz).time() == time(9) and friday_opening.astimezone(tz).utcoffset() != \
        opening.astimezone(tz).utcoffset()
    assert calendar.in_hours(opening) and not calendar.in_hours(opening - timedelta(microseconds=1))


@pytest.mark.parametrize(("friday", "monday", "hours"), [
    (utc(2027, 3, 5, 12), utc(2027, 3, 8, 12), 19),  # no change: to London's Sat (00:00 UTC) 12 h, from NY's Mon 05:00
    (utc(2027, 3, 12, 12), utc(2027, 3, 15, 12), 20),  # NY springs forward: its Monday starts 04:00 UTC: 12 + 8
    (utc(2027, 3, 26, 12), utc(2027, 3, 29, 12), 20),  # London springs forward: Fri still GMT (12 h), Mon 04:00
    (utc(2027, 10, 29, 12), utc(2027, 11, 1, 12), 19),  # London falls back: Fri BST ends 23:00 UTC (11 h) + 8 h
    (utc(2027, 11, 5, 12), utc(2027, 11, 8, 12), 19),  # NY falls back: Fri GMT (12 h), Mon EST from 05:00 (7 h)
], ids=["winter", "new-york-spring", "london-spring", "london-autumn", "new-york-autumn"])
def test_joint_counted_time_across_dst_weekends(friday: datetime, monday: datetime, hours: int) -> None:
    joint = JointCalendar((party(LONDON), party(NEW_YORK)))
    assert joint.working_seconds_between(friday, monday) == hours * HOUR
    assert joint.add_working_seconds(friday, hours * HOUR) == monday


LONDON_NEW_YORK = JointCalendar((party(LONDON, region="GB-ENG"), party(NEW_YORK, region="US-NY")))


@pytest.mark.parametrize(("moment", "expected"), [
    (utc(2027, 1, 12, 10), utc(2027, 1, 12, 14)),  # GMT/EST: shared 14:00-17:30 London: wait for NY's 09:00
    (utc(2027, 1, 12, 15), utc(2027, 1, 12, 15)),  # already shared
    (utc(2027, 1, 12, 17, 30), utc(2027, 1, 13, 14)),  # London closes at 17:30 (exclusive): next day
    (utc(2027, 1, 15, 18), utc(2027, 1, 19, 14)),  # weekend, then Martin Luther King Day in New York
    (utc(2027, 3, 16, 10), utc(2027, 3, 16, 13)),  # NY already on EDT, London on GMT: shared from 13:00 UTC
    (utc(2027, 7, 13, 10), utc(2027, 7, 13, 13)),  # BST/EDT: London 08:00-16:30 UTC, NY from 13:00 UTC
])
def test_within_hours_finds_the_shared_working_hours(moment: datetime, expected: datetime) -> None:
    found = LONDON_NEW_YORK.within_hours(moment)
    assert found == expected and all(party.in_hours(found) for party in LONDON_NEW_YORK.parties)


def test_due_after_lands_in_the_shared_hours_moved_by_dst() -> None:
    # Fri 12 Mar 15:00 UTC + 1 day: 9 h to London's Saturday, 15 h from NY's (EDT) Monday 04:00 UTC = 19:00 UTC,
    # after London closes; Tuesday's shared hours open at NY's 09:00 EDT = 13:00 UTC (13:00 London, GMT)
    assert LONDON_NEW_YORK.due_after(utc(2027, 3, 12, 15), DAY_SECONDS) == utc(2027, 3, 16, 13)


LONDON_SYDNEY = JointCalendar((party(LONDON, region="GB-ENG", hours="09:00-17:00"),
                               party(SYDNEY, region="AU-NSW", hours="09:00-17:00")))


@pytest.mark.parametrize(("moment", "fallback", "expected"), [
    (utc(2027, 1, 12, 12), 0, utc(2027, 1, 12, 12)),  # inside London's hours already
    (utc(2027, 1, 12, 12), 1, utc(2027, 1, 12, 22)),  # Sydney's Wed 09:00 AEDT (UTC+11)
    (utc(2027, 1, 15, 18), 0, utc(2027, 1, 18, 9)),  # Friday evening in London: Monday 09:00 GMT
    (utc(2027, 1, 15, 18), 1, utc(2027, 1, 17, 22)),  # Saturday morning in Sydney: Monday 09:00 AEDT
    (utc(2027, 7, 13, 12), 1, utc(2027, 7, 13, 23)),  # winter in Sydney (AEST, UTC+10): Wed 09:00
])
def test_within_hours_falls_back_when_hours_never_meet(moment: datetime, fallback: int, expected: datetime) -> None:
    # London 09:00-17:00 is 09:00-17:00 UTC (GMT) or 08:00-16:00 (BST); Sydney's is 22:00-06:00 or 23:00-07:00
    assert LONDON_SYDNEY.within_hours(moment, fallback=fallback) == expected


def test_due_after_uses_the_fallback_party_when_hours_never_meet() -> None:
    # every day from Tue to Wed is a working day of both: 24 h later is Wed 13 Jan 12:00 UTC
    start = utc(2027, 1, 12, 12)
    assert LONDON_SYDNEY.add_working_seconds(start, DAY_SECONDS) == utc(2027, 1, 13, 12)
    assert LONDON_SYDNEY.due_after(start, DAY_SECONDS, fallback=0) == utc(2027, 1, 13, 12)
    assert LONDON_SYDNEY.due_after(start, DAY_SECONDS, fallback=1) == utc(2027, 1, 13, 22)  # Thu 09:00 AEDT


def test_in_zone_reads_the_partys_days_and_hours_in_the_persons_timezone() -> None:
    southwind = party(LONDON, region="GB-ENG")
    tokyo = southwind.in_zone(TOKYO)
    assert tokyo.tz is TOKYO and (tokyo.weekdays, tokyo.start, tokyo.end, tokyo.holidays, tokyo.region) == (
        southwind.weekdays, southwind.start, southwind.end, southwind.holidays, southwind.region)
    # Fri 8 Jan 18:00 JST (09:00 UTC): Southwind in London has just opened; the person in Tokyo has closed and
    # opens Mon 11 Jan 09:00 JST (00:00 UTC), a Japanese holiday but a Southwind working day
    friday = utc(2027, 1, 8, 9)
    assert southwind.next_working_moment(friday) == friday
    assert tokyo.next_working_moment(friday) == utc(2027, 1, 11, 0)
    assert tokyo.in_hours(utc(2027, 1, 11, 0)) and not southwind.in_hours(utc(2027, 1, 11, 0))
    # Southwind's English bank holiday holds in Tokyo: Mon 30 Aug 10:00 JST -> Tue 31 Aug 09:00 JST
    assert not tokyo.is_working_day(date(2027, 8, 30))
    assert tokyo.next_working_moment(utc(2027, 8, 30, 1)) == utc(2027, 8, 31, 0)


ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata", "UTC")


@st.composite
def parties(draw: st.DrawFn, weekdays: frozenset[int]) -> PartyCalendar:
    hours = draw(st.sampled_from(("09:00-17:30", "08:00-16:00", "10:30-19:00", "00:00-24:00")))
    return party(ZoneInfo(draw(st.sampled_from(ZONES))), draw(st.sampled_from(("", "GB-ENG", "US-NY"))),
                 hours=hours, weekdays=weekdays)


def first_shared_moment(calendar: JointCalendar, moment: datetime) -> datetime | None:
    """Independently: the first moment from `moment` inside both parties' hours, from their daily spans."""
    spans = [[(datetime.combine(day, p.start, p.tz), datetime.combine(day, p.end, p.tz))
              for day in (moment.astimezone(p.tz).date() + timedelta(days=n) for n in range(-1, 17))
              if p.is_working_day(day)] for p in calendar.parties]
    found = [max(moment, a0, b0) for (a0, a1), (b0, b1) in product(*spans) if max(moment, a0, b0) < min(a1, b1)]
    return min(found, default=None)


@settings(max_examples=60, deadline=None)
@given(weekdays=st.tuples(st.frozensets(st.integers(0, 6), min_size=1), st.frozensets(st.integers(0, 6), min_size=1)),
       data=st.data(), fallback=st.integers(0, 1),
       start=st.datetimes(datetime(2027, 1, 1), datetime(2027, 12, 31, 23, 59), timezones=st.just(UTC)),
       seconds=st.floats(0, 10 * DAY_SECONDS, allow_nan=False))
def test_counted_time_and_its_inverse_and_due_times(weekdays: tuple[frozenset[int], frozenset[int]],
                                                    data: st.DataObject, fallback: int, start: datetime,
                                                    seconds: float) -> None:
    assume(weekdays[0] & weekdays[1])  # a shared weekday: the clock runs every week
    calendar = JointCalendar((data.draw(parties(weekdays[0])), data.draw(parties(weekdays[1]))))
    end = calendar.add_working_seconds(start, seconds)
    assert calendar.working_seconds_between(start, end) == pytest.approx(seconds, abs=1e-3)
    due = calendar.due_after(start, seconds, fallback=fallback)
    assert due >= end
    shared = first_shared_moment(calendar, end)
    if shared is not None and shared <= end + timedelta(days=14):
        assert due == shared and all(p.in_hours(due) for p in calendar.parties)
    else:
        assert due == calendar.parties[fallback].next_working_moment(end)


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00-17:30", (time(9), time(17, 30))),
    (" 9:00 - 17:30 ", (time(9), time(17, 30))),
    ("08:15 to 16:45", (time(8, 15), time(16, 45))),
    ("10:00–18:00", (time(10), time(18))),  # en dash
    ("00:00-24:00", (time(0), time.max)),  # 24:00 ends the day
    ("22:00-24:00", (time(22), time.max)),
])
def test_parse_hours_reads_working_hours_and_format_hours_writes_them_back(text: str,
                                                                          expected: tuple[time, time]) -> None:
    assert parse_hours(text, field="hours") == expected
    assert parse_hours(format_hours(*expected), field="hours") == expected


def test_format_hours_spells_the_end_of_the_day_24_00() -> None:
    assert format_hours(time(9), time(17, 30)) == "09:00-17:30" and format_hours(time(0), time.max) == "00:00-24:00"


@pytest.mark.parametrize("text", ["17:30-09:00", "09:00-09:00", "24:00-24:00", "09:00-24:30", "25:00-26:00",
                                  "09:60-17:00", "9-5", "0900-1730", "9am-5pm", "", "09:00"])
def test_parse_hours_refuses_bad_hours_naming_the_field(text: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_hours(text, field="working_hours")
    assert raised.value.field == "working_hours"


@pytest.mark.parametrize(("text", "expected"), [("gb-eng", "GB-ENG"), (" us-ny ", "US-NY"), ("fr", "FR"),
                                                ("AU-NSW", "AU-NSW"), ("", ""), ("   ", "")])
def test_parse_region_normalises_known_regions(text: str, expected: str) -> None:
    assert parse_region(text, field="region") == expected


@pytest.mark.parametrize("text", ["XX", "XX-ENG", "GB-XYZ", "US-ZZ", "England"])
def test_parse_region_refuses_unknown_countries_and_subdivisions(text: str) -> None:
    with pytest.raises(InputError) as raised:
        parse_region(text, field="party_region")
    assert raised.value.field == "party_region"


def test_parse_region_does_not_keep_a_dangling_dash() -> None:
    try:
        assert parse_region("gb-", field="region") == "GB"
    except InputError as error:
        assert error.field == "region"


def test_zone_knows_iana_names_and_refuses_others() -> None:
    assert zone("Europe/London") == LONDON
    with pytest.raises(InputError) as raised:
        zone("Mars/Olympus_Mons")
    assert raised.value.field == "timezone"


def test_monthly_cadence_skips_a_holiday_of_one_party() -> None:
    cadence = parse_cadence("Monthly on the first working day at 10:00", field="cadence")
    assert (cadence.months, cadence.at) == (1, time(10))
    london, new_york = party(LONDON, region="GB-ENG"), party(NEW_YORK, region="US-NY", holidays=(date(2027, 6, 1),))
    joint = JointCalendar((london, new_york))
    # 1 May 2027 is a Saturday and Monday 3 May England's Early May bank holiday: Tue 4 May 10:00 BST
    assert next_occurrence(cadence, utc(2027, 4, 15), LONDON, joint) == utc(2027, 5, 4, 9)
    assert next_occurrence(cadence, utc(2027, 4, 15), LONDON, JointCalendar((new_york,))) == utc(2027, 5, 3, 9)
    assert next_occurrence(cadence, utc(2027, 5, 3, 12), LONDON, joint) == utc(2027, 5, 4, 9)  # after the 1st
    # strictly after; Tue 1 June is a day New York listed as a holiday: Wed 2 June 10:00 BST (or EDT, in NY)
    assert next_occurrence(cadence, utc(2027, 5, 4, 9), LONDON, joint) == utc(2027, 6, 2, 9)
    assert next_occurrence(cadence, utc(2027, 5, 4, 15), NEW_YORK, joint) == utc(2027, 6, 2, 14)
