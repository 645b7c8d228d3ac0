"""Reminders: `/accord remind <when> <text>` posts a message to the channel when it is due.

`<when>` is read by dateparser in the person's own timezone (their Slack one, else their party's calendar's, else
the relationship's, else UTC): `tomorrow at 9`, `on 2027-01-05 at 14:00`, `in 3d`, `next monday`. A day without
a time of day means 09:00 there; a clock time is local wall time (DST-safe); `in 30m`/`in 2h` is that long from
now."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateparser.date import DateData, DateDataParser
from sqlalchemy import and_, bindparam
from sqlmodel import Session, col, select

from commands import outgoing, work
from commands.actor import Actor
from commands.calendar import zone
from commands.errors import InputError
from commands.wording import possessive
from storage.direct import Direct, Prepared, direct
from storage.models import WorkItem
from storage.rmp import Party, Person, Relationship

KIND = "reminder.post"
MAX_TEXT = 2000
MAX_AHEAD = timedelta(days=366)
MAX_PHRASE_WORDS = 8  # the longest `<when>` tried: `next friday at 5 pm` and the like
DEFAULT_TIME = time(9, 0)  # a day named without a time of day
_WORD = re.compile(r"\S+")
# a phrase cut short, or joined to the reminder's text (`in 1m from the partner`: dateparser reads `in 1m from`)
_DANGLING = frozenset({"at", "on", "in", "next", "the", "a", "an", "and", "of", "by", "from", "before", "after",
                       "until", "till", "to", "for", "with", "ago"})
_CLOCK_PERIODS = ("time", "part_of_day")  # dateparser read a time of day
# relative (`in 3d`, `tomorrow`, `next monday`) and absolute (`2027-01-05 14:00`) times: not epoch timestamps nor
# digits run together (`20270105`), which a reminder's text may hold and which cost dateparser most of its time
_SETTINGS = {"PREFER_DATES_FROM": "future", "RETURN_TIME_AS_PERIOD": True,
             "PARSERS": ["relative-time", "absolute-time"]}
# `in 30m`, `in 2h`, `in 90 minutes`: elapsed time, read without dateparser (most of a request's time otherwise)
# when the word after it cannot carry the phrase on (`_extends`); anything else goes to dateparser
_ELAPSED = re.compile(r"in\s+(\d{1,4})(\s*)(m|mins?|minutes?|h|hrs?|hours?)(?=\s|$)", re.IGNORECASE)
_MINUTES = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "h": 60, "hr": 60, "hrs": 60, "hour": 60,
            "hours": 60}
USAGE = ("Usage: `/accord remind tomorrow at 9 Send the revised plan`, `/accord remind on 2027-01-05 at 14:00 "
         "Review`, `/accord remind in 3d Chase the invoice` or `/accord remind next monday Kick-off`.")


@dataclass(frozen=True)
class ReminderScheduled:
    """A reminder accepted: when it will post (UTC), what it will say, and the timezone its time was read in
    (`tz`, IANA) with why that one (`tz_source`)."""

    due_at: datetime
    text: str
    tz: str = "UTC"
    tz_source: str = "UTC"


# the relationship's, the person's and their party's timezones (and the party's name), by channel and user; then
# the person's own zone from any relationship: compiled once, run on the driver's cursor (storage.direct)
_READER = Prepared(select(Relationship.timezone, Person.tz, col(Party.timezone).label("party_tz"), Party.name)
                   .outerjoin(Person, and_(col(Person.relationship_id) == Relationship.id,
                                           col(Person.user_id) == bindparam("user")))
                   .outerjoin(Party, col(Party.id) == Person.party_id)
                   .where(col(Relationship.channel_id) == bindparam("channel")))
_OWN_ZONE = Prepared(select(Person.tz).where(col(Person.user_id) == bindparam("user"), col(Person.tz).is_not(None))
                     .limit(1))


@dataclass(frozen=True)
class ReaderZone:
    """The timezone a person's typed times are read in, and why that one."""

    tz: ZoneInfo
    source: str


def reader_zone(db: Session | Direct, actor: Actor) -> ReaderZone:
    """The actor's Slack timezone, else their party's calendar timezone, else the channel's relationship's,
    else UTC (a stored name Python does not know is skipped)."""
    run, found = direct(db), None
    if actor.channel_id:  # one query: every reminder asks it before its answer
        found = run.first(_READER, {"channel": actor.channel_id, "user": actor.user_id})
    relationship_tz, own, party_tz, party_name = found if found is not None else (None, None, None, None)
    if found is None or party_name is None:  # not in this channel's relationship: their zone from another one
        row = run.first(_OWN_ZONE, {"user": actor.user_id})
        own = row[0] if row is not None else None
    candidates = [(own, "your Slack timezone")]
    if party_name is not None:
        candidates.append((party_tz, f"{possessive(party_name)} calendar timezone: Slack has not shared yours"))
    if relationship_tz is not None:
        candidates.append((relationship_tz, "this relationship's timezone: Accord does not know yours"))
    for name, source in candidates:
        if name:
            try:
                return ReaderZone(zone(name), source)
            except InputError:
                continue
    return ReaderZone(ZoneInfo("UTC"), "Accord does not know your timezone")


def _phrase(words: list[str]) -> str | None:
    """The words as dateparser should read them (`at 9` is 09:00, not the 9th), or None when they cannot be
    a whole `<when>`: cut short (`tomorrow at`) or ending in a bare number (`in 3d 2 copies`: `2` is text)."""
    last = words[-1]
    if last.lower() in _DANGLING or (last.isdigit() and not (len(words) > 1 and words[-2].lower() == "at")):
        return None
    return " ".join(f"{word}:00" if word.isdigit() and len(word) <= 2 and i and words[i - 1].lower() == "at"
                    else word for i, word in enumerate(words))


def _written_zone(words: list[str]) -> bool:
    """Whether the phrase names its own zone explicitly: `… 09:00 UTC` or an ISO offset (`…T09:00+01:00`).
    Other zone abbreviations are too like words of the reminder (`ART`, `CAT`) to be taken as zones."""
    return words[-1] in ("UTC", "GMT") or ("T" in words[-1] and any(c.isdigit() for c in words[-1]))


def parse_when(text: str, *, now: datetime, tz: ZoneInfo | None = None) -> tuple[datetime, str]:
    """Split `<when> <rest>` into a due time (aware, UTC) and the rest; `<when>` is read in `tz` (UTC if None).

    The `<when>` is the leading run of words dateparser reads as a moment, grown a word at a time until a word no
    longer reads as part of it (words that cannot end one, `at`, `next`, `from`…, are read with the next);
    InputError when none is."""
    tz = tz or ZoneInfo("UTC")
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    quick = _elapsed(text, now)
    return quick if quick is not None else dateparsed(text, now=now, tz=tz)


def dateparsed(text: str, *, now: datetime, tz: ZoneInfo) -> tuple[datetime, str]:
    """`parse_when` by dateparser alone (`now` aware, in UTC)."""
    base = now.astimezone(tz).replace(tzinfo=None)
    parser = DateDataParser(languages=["en"], settings={**_SETTINGS, "RELATIVE_BASE": base})
    spans = list(_WORD.finditer(text))
    found: tuple[int, datetime, DateData] | None = None
    for count in range(1, min(len(spans), MAX_PHRASE_WORDS) + 1):
        words = [span.group() for span in spans[:count]]
        phrase = _phrase(words)
        if phrase is None:
            continue
        data = parser.get_date_data(phrase)
        if data.date_obj is not None and (data.date_obj.tzinfo is None or _written_zone(words)):
            found = (count, data.date_obj, data)
        elif found is not None:
            break
    if found is not None:
        count, moment, data = found
        words = [span.group() for span in spans[:count]]
        rest = text[spans[count - 1].end():].strip()
        clock_unread = "at" in (word.lower() for word in words) and data.period not in _CLOCK_PERIODS
        if clock_unread or (rest and rest.split(maxsplit=1)[0].lower() == "at"):  # `tomorrow at 25`
            raise InputError(f"I could not read the time of day in `{text.strip()[:60]}`: write it as `9`, "
                             "`09:30` or `2pm`. " + USAGE, field="when")
        return _due(moment, data.period or "day", words, base=base, now=now, tz=tz), rest
    raise InputError(f"I could not read when to remind in `{text.strip()[:60]}`. " + USAGE, field="when")


def _elapsed(text: str, now: datetime) -> tuple[datetime, str] | None:
    """`in <n> <minutes or hours> <text>` read as dateparser reads it (the same due time and text), or None for
    anything else: the phrase ends at the word after it unless dateparser would read that word with it."""
    found = _ELAPSED.match(text.lstrip())
    if found is None:
        return None
    rest = text.lstrip()[found.end():].strip()
    following = rest.split(maxsplit=1)[0] if rest else ""
    if not following or following.lower() in _DANGLING or any(c.isdigit() for c in following) \
            or _extends(f"{' ' if found.group(2) else ''}{found.group(3).lower()}", following.lower()):
        return None
    return now + timedelta(minutes=int(found.group(1)) * _MINUTES[found.group(3).lower()]), rest


@lru_cache(maxsize=4096)
def _extends(unit: str, word: str) -> bool:
    """Whether dateparser reads `in 1<unit> <word>` as a moment (then the phrase goes on past the duration;
    `unit` with the space before it, if any, as typed): the same for any number and any time, so asked once per
    word."""
    parser = DateDataParser(languages=["en"], settings={**_SETTINGS, "RELATIVE_BASE": datetime(2027, 1, 4, 12)})
    return parser.get_date_data(f"in 1{unit} {word}").date_obj is not None


def _due(moment: datetime, period: str, words: list[str], *, base: datetime, now: datetime,
         tz: ZoneInfo) -> datetime:
    """The due time of a parsed moment: an aware one as written; `in 30m` that long from now; a clock time or
    `in 3d` local wall time; a day without a time at 09:00 local."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    lowered = [word.lower() for word in words]
    duration = lowered[0] == "in"
    if duration and period == "time" and "at" not in lowered:
        return now + (moment - base)  # minutes and hours are elapsed time, also across a DST change
    if period not in _CLOCK_PERIODS and not duration:
        moment = datetime.combine(moment.date(), DEFAULT_TIME)
    return moment.replace(tzinfo=tz).astimezone(UTC)


def schedule_reminder(db: Session | Direct, *, actor: Actor, text: str, now: datetime) -> ReminderScheduled:
    """Schedule a reminder in the actor's channel, its time read in the actor's timezone."""
    if actor.channel_id is None:
        raise InputError("Reminders are posted to a channel: run this in one.", field="channel")
    db = direct(db)
    reader = reader_zone(db, actor)
    due_at, message = parse_when(text, now=now, tz=reader.tz)
    message = message.strip()
    if not message:
        raise InputError("What should the reminder say? " + USAGE, field="text")
    if len(message) > MAX_TEXT:
        raise InputError(f"A reminder holds at most {MAX_TEXT} characters; this one has {len(message)}.",
                         field="text")
    if due_at <= now:
        raise InputError(f"That time has passed ({due_at.astimezone(reader.tz):%a %d %b %Y %H:%M} {reader.tz.key}): "
                         "pick a time in the future.", field="when")
    if due_at - now > MAX_AHEAD:
        raise InputError("Reminders can be set up to a year ahead.", field="when")
    work.schedule_new(
        # a key unique by chance, as a uuid4's, but drawn without a system call (uuid4 reads os.urandom,
        # which gives up the GIL: under load the request then waited its turn to get it back)
        db, kind=KIND, key=f"reminder:{random.getrandbits(128):032x}", due_at=due_at, now=now,
        payload={"channel": actor.channel_id, "text": message, "by": actor.user_id},
    )
    return ReminderScheduled(due_at=due_at, text=message, tz=reader.tz.key, tz_source=reader.source)


def post_reminder(db: Session, item: WorkItem, now: datetime) -> None:
    """Due-work handler: queue the reminder's message to its channel."""
    payload = item.payload
    outgoing.post_message(
        db, key=f"work:{item.id}:reminder", channel=payload["channel"], view="reminder",
        data={"text": payload["text"], "by": payload["by"]}, now=now,
    )
