"""`/accord remind`: times typed in the person's own timezone (their Slack one, else their party's calendar's,
else the relationship's, else UTC), stored as UTC, answered in that zone; DST changes; past and unreadable
times refused with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.views.reminders import reminder_scheduled
from commands import reminders
from commands.actor import Actor
from commands.errors import InputError
from commands.reminders import dateparsed, parse_when
from commands.rmp import people, setup
from storage.engine import transaction
from storage.models import WorkItem

NOW = datetime(2027, 1, 4, 14, 30, tzinfo=UTC)  # Monday: 15:30 in Paris, 09:30 in New York
CHANNEL, ELSEWHERE = "C0REMIND", "C0NOPLAN"
HOME, PARTNER = "T0HOME", "T0PARTNER"
PARIS, NEW_YORK, NO_TZ, OUTSIDER = "U0PARIS", "U0NEWYORK", "U0NOTZ", "U0OUTSIDER"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _relationship(engine: Engine) -> None:
    """Party 1 (Acme, calendar in Tokyo) has PARIS and NO_TZ; party 2 (Partner, Sydney) has NEW_YORK; the
    relationship's own timezone is London's."""
    calendars = (setup.CalendarInput("Asia/Tokyo"), setup.CalendarInput("Australia/Sydney"))
    with transaction(engine) as db:
        setup.configure(db, actor=Actor(PARIS, HOME, CHANNEL), now=NOW, form=setup.SetupInput(
            name="Reminders", party_1="Acme", party_2="Partner", timezone="Europe/London", calendars=calendars))
        people.join(db, actor=Actor(NEW_YORK, PARTNER, CHANNEL), now=NOW)
        people.join(db, actor=Actor(NO_TZ, HOME, CHANNEL), now=NOW)
        people.record_user(db, user_id=PARIS, tz="Europe/Paris")
        people.record_user(db, user_id=NEW_YORK, tz="America/New_York")


def _remind(engine: Engine, user: str, team: str, text: str, *, now: datetime = NOW,
            channel: str = CHANNEL) -> tuple[datetime, str]:
    """Schedule a reminder; the stored due time (read back) and the answer's text."""
    with transaction(engine) as db:
        result = reminders.schedule_reminder(db, actor=Actor(user, team, channel), text=text, now=now)
    with Session(engine) as db:
        stored = db.exec(select(WorkItem).where(WorkItem.kind == reminders.KIND)
                         .order_by(WorkItem.id.desc())).first()  # type: ignore[union-attr]
        assert stored is not None and stored.payload["channel"] == channel
    return stored.due_at.astimezone(UTC), reminder_scheduled(result)["text"]


def _count(engine: Engine) -> int:
    with Session(engine) as db:
        return int(db.exec(select(func.count()).select_from(WorkItem).where(WorkItem.kind == reminders.KIND)).one())


PHRASINGS = [  # (when typed, due in UTC and as answered) for PARIS, then for NEW_YORK
    ("tomorrow at 9", utc(2027, 1, 5, 8), "Tue 05 Jan 2027 09:00", utc(2027, 1, 5, 14), "Tue 05 Jan 2027 09:00"),
    ("on 2027-01-05 at 14:00", utc(2027, 1, 5, 13), "Tue 05 Jan 2027 14:00",
     utc(2027, 1, 5, 19), "Tue 05 Jan 2027 14:00"),
    ("in 3d", utc(2027, 1, 7, 14, 30), "Thu 07 Jan 2027 15:30", utc(2027, 1, 7, 14, 30), "Thu 07 Jan 2027 09:30"),
    ("next monday", utc(2027, 1, 11, 8), "Mon 11 Jan 2027 09:00", utc(2027, 1, 11, 14), "Mon 11 Jan 2027 09:00"),
]


def test_each_phrasing_is_read_in_the_persons_own_timezone(engine: Engine) -> None:
    _relationship(engine)
    for when, paris_due, paris_local, new_york_due, new_york_local in PHRASINGS:
        for user, team, due, local, tz in [(PARIS, HOME, paris_due, paris_local, "Europe/Paris"),
                                           (NEW_YORK, PARTNER, new_york_due, new_york_local, "America/New_York")]:
            stored, answer = _remind(engine, user, team, f"{when} Send the plan")
            assert stored == due, (user, when)
            assert answer == (f"I will remind this channel on {local} {tz}: Send the plan\n"
                              f"_Times you type are read in {tz} (your Slack timezone)._"), (user, when)
    assert _count(engine) == 2 * len(PHRASINGS)


def test_tomorrow_at_9_across_a_dst_change_is_9_local(engine: Engine) -> None:
    _relationship(engine)
    # Paris moves to summer time on Sunday 28 March 2027, New York on Sunday 14 March
    assert _remind(engine, PARIS, HOME, "tomorrow at 9 Stand-up", now=utc(2027, 3, 27, 12)) == (
        utc(2027, 3, 28, 7), "I will remind this channel on Sun 28 Mar 2027 09:00 Europe/Paris: Stand-up\n"
        "_Times you type are read in Europe/Paris (your Slack timezone)._")
    stored, answer = _remind(engine, NEW_YORK, PARTNER, "tomorrow at 9 Stand-up", now=utc(2027, 3, 13, 15))
    assert stored == utc(2027, 3, 14, 13) and "Sun 14 Mar 2027 09:00 America/New_York" in answer
    # `in 3d` keeps the wall-clock time of day too: Friday 15:30 CET is Monday 15:30 CEST
    stored, answer = _remind(engine, PARIS, HOME, "in 3d Chase", now=utc(2027, 3, 26, 14, 30))
    assert stored == utc(2027, 3, 29, 13, 30) and "Mon 29 Mar 2027 15:30 Europe/Paris" in answer


def test_past_and_unreadable_times_get_one_clear_message_and_store_nothing(engine: Engine) -> None:
    _relationship(engine)
    for text, expected in [
        ("2027-01-04 at 9 Too late", "That time has passed (Mon 04 Jan 2027 09:00 Europe/Paris)"),
        ("yesterday Too late", "That time has passed"),
        ("today Too late", "That time has passed"),  # today at 09:00 in Paris: it is 15:30 there
        ("tomorrow-ish Review", "I could not read when to remind in `tomorrow-ish Review`"),
        ("2027-02-30 09:00 Review", "I could not read when to remind"),
        ("tomorrow at 25 Review", "I could not read the time of day in `tomorrow at 25 Review`"),
        ("tomorrow at 9", "What should the reminder say?"),
    ]:
        with pytest.raises(InputError) as refused, transaction(engine) as db:
            reminders.schedule_reminder(db, actor=Actor(PARIS, HOME, CHANNEL), text=text, now=NOW)
        assert expected in refused.value.message, (text, refused.value.message)
    assert _count(engine) == 0


def test_the_zone_falls_back_to_the_party_then_the_relationship_then_utc(engine: Engine) -> None:
    _relationship(engine)
    cases = [  # (user, team, channel, due of `tomorrow at 9`, zone, why)
        (NO_TZ, HOME, CHANNEL, utc(2027, 1, 5, 0), "Asia/Tokyo", "Acme's calendar timezone"),
        (OUTSIDER, HOME, CHANNEL, utc(2027, 1, 5, 9), "Europe/London", "this relationship's timezone"),
        (OUTSIDER, HOME, ELSEWHERE, utc(2027, 1, 5, 9), "UTC", "Accord does not know your timezone"),
        (PARIS, HOME, ELSEWHERE, utc(2027, 1, 5, 8), "Europe/Paris", "your Slack timezone"),  # known elsewhere
    ]
    for user, team, channel, due, tz, why in cases:
        stored, answer = _remind(engine, user, team, "tomorrow at 9 Hello", channel=channel)
        assert stored == due, (user, channel)
        assert f" 09:00 {tz}: Hello" in answer and f"read in {tz} ({why}" in answer, answer


@pytest.mark.parametrize(("text", "now", "local", "rest"), [
    ("in 2h x", utc(2027, 3, 28, 0, 30), "2027-03-28 04:30", "x"),  # elapsed: 01:30 CET + 2 h is 04:30 CEST
    ("in 30m x", NOW, "2027-01-04 16:00", "x"),
    ("in 3d 2 copies", NOW, "2027-01-07 15:30", "2 copies"),  # a bare number after the time is text
    ("tomorrow at 9 May figures\nand more", NOW, "2027-01-05 09:00", "May figures\nand more"),
    ("tomorrow at 9:00 art show", NOW, "2027-01-05 09:00", "art show"),  # `ART` is not taken as a zone
    ("2027-01-05 09:00 ISO as before", NOW, "2027-01-05 09:00", "ISO as before"),
    ("2027-01-05 09:00 UTC written zone", NOW, "2027-01-05 10:00", "written zone"),
    ("next friday at 5pm x", NOW, "2027-01-08 17:00", "x"),
    ("in 1m from the partner", NOW, "2027-01-04 15:31", "from the partner"),  # `from`, `before` start the text
    ("in 1m before the uninstall", NOW, "2027-01-04 15:31", "before the uninstall"),
    ("next monday for the kick-off", NOW, "2027-01-11 09:00", "for the kick-off"),
    ("tomorrow after lunch", NOW, "2027-01-05 09:00", "after lunch"),
])
def test_parse_when_splits_the_time_from_the_text(text: str, now: datetime, local: str, rest: str) -> None:
    paris = ZoneInfo("Europe/Paris")
    due, left = reminders.parse_when(text, now=now, tz=paris)
    assert (f"{due.astimezone(paris):%Y-%m-%d %H:%M}", left) == (local, rest)


ELAPSED_WORDS = ["benchmark", "Send", "the", "Tomorrow", "ago", "later", "from", "now", "noon", "monday", "pm", "am",
                 "and", "Review", "invoice", "today", "tonight", "morning", "x", "Call", "hence", "sharp", "utc", "ish",
                 "before", "after", "next", "week", "30m", "2", "at", "on", "jan", "evening", "exactly", "or"]


@settings(max_examples=300, deadline=None, derandomize=True)
@example(number=1, unit="minute", space=" ", words=["later"], zone_name="UTC",  # `in 1 minute later` is one phrase
         now=datetime(2026, 1, 1, tzinfo=UTC))
@given(number=st.integers(1, 9999), unit=st.sampled_from(["m", "min", "mins", "minute", "minutes", "h", "hr", "hrs",
                                                          "hour", "hours", "H", "Hours"]),
       space=st.sampled_from(["", " "]), words=st.lists(st.sampled_from(ELAPSED_WORDS), min_size=0, max_size=3),
       zone_name=st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Lord_Howe"]),
       now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)))
def test_elapsed_time_read_without_dateparser_reads_as_dateparser_reads_it(
        number: int, unit: str, space: str, words: list[str], zone_name: str, now: datetime) -> None:
    """`in 2h <text>` skips dateparser (most of a reminder's request time); whatever follows, the due time and
    the text are what dateparser alone makes of it, or dateparser is asked."""
    text = " ".join([f"in {number}{space}{unit}", *words])
    tz = ZoneInfo(zone_name)
    try:
        expected: tuple[datetime, str] | str = dateparsed(text, now=now, tz=tz)
    except InputError as error:
        expected = error.message
    try:
        got: tuple[datetime, str] | str = parse_when(text, now=now, tz=tz)
    except InputError as error:
        got = error.message
    assert got == expected, text
