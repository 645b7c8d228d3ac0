"""Quiet hours, as a property (hypothesis), on SQLite and PostgreSQL: random calendars for the two parties,
people in several timezones, a check-in round (prompts and reminders), a dispute (its warnings and
escalations) and a proposal (its mentions), over nine days in which the sender is sometimes down. No direct
message or mention reaches a person outside their working hours, none is lost, none arrives twice.

The working hours are checked here independently of commands/calendar.py: the person's zone (their own, else
their party's), their party's weekdays and hours, its listed holidays and its region's public holidays."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.fakeslack import FakeSlack
from commands.actor import Actor
from commands.disputes import lifecycle
from commands.rmp import people, setup
from scheduler.tick import run_tick
from storage.engine import transaction
from storage.models import CANCELLED, PENDING, SENT, OutboxMessage, WorkItem
from tests.harness import HOME, PARTNER, make_sender

ZONES = ("Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "Asia/Kolkata",
         "America/Los_Angeles", "Europe/Paris")
REGIONS = ("", "GB-ENG", "US-NY", "FR", "JP")
STARTS = (datetime(2027, 3, 8, tzinfo=UTC), datetime(2027, 10, 25, tzinfo=UTC))  # DST changes in the next weeks
MENTION = re.compile(r"<@(U[A-Z0-9]+)>")
_examples = itertools.count()


@dataclass(frozen=True)
class Calendar:
    zone: str
    days: tuple[int, ...]
    start: int  # hour
    length: int  # hours
    holidays: tuple[date, ...]
    region: str

    def form(self) -> setup.CalendarInput:
        return setup.CalendarInput(self.zone, self.days, f"{self.start:02d}:00-{self.start + self.length:02d}:00",
                                   "\n".join(d.isoformat() for d in self.holidays), self.region)

    def in_hours(self, moment: datetime, zone: str | None) -> bool:
        local = moment.astimezone(ZoneInfo(zone or self.zone))
        day = local.date()
        if local.weekday() not in self.days or day in self.holidays:
            return False
        if self.region:
            country, _, subdivision = self.region.partition("-")
            if day in holidays.country_holidays(country, subdiv=subdivision or None, years=day.year):
                return False
        return time(self.start) <= local.time() < time(self.start + self.length)


def calendars(start: datetime) -> st.SearchStrategy[Calendar]:
    days = st.lists(st.integers(0, 6), min_size=3, max_size=7, unique=True).map(lambda d: tuple(sorted(d)))
    listed = st.lists(st.integers(0, 12).map(lambda n: (start + timedelta(days=n)).date()), max_size=2)
    return st.builds(Calendar, st.sampled_from(ZONES), days, st.integers(6, 11), st.integers(6, 10),
                     listed.map(tuple), st.sampled_from(REGIONS))


@st.composite
def partnerships(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.sampled_from(STARTS)) + timedelta(days=draw(st.integers(0, 6)), hours=draw(st.integers(0, 23)))
    parties = (draw(calendars(start)), draw(calendars(start)))
    if not set(parties[0].days) & set(parties[1].days):  # refused by the setup form: they must share a day
        parties = (parties[0], Calendar(parties[1].zone, tuple(sorted({*parties[1].days, parties[0].days[0]})),
                                        parties[1].start, parties[1].length, parties[1].holidays, parties[1].region))
    zones = st.one_of(st.none(), st.sampled_from(ZONES))  # None: Slack gives no timezone (the party's then)
    people_of = (draw(st.lists(zones, min_size=2, max_size=3)), draw(st.lists(zones, min_size=1, max_size=3)))
    return {
        "start": start, "parties": parties, "zones": people_of,
        "cadence": f"weekly on {draw(st.sampled_from(('monday', 'tuesday', 'wednesday', 'thursday')))} at "
                   f"{draw(st.integers(0, 23)):02d}:{draw(st.sampled_from((0, 30))):02d}",
        "dispute_after": timedelta(hours=draw(st.integers(1, 60))),
        "propose_after": timedelta(hours=draw(st.integers(1, 60))),
        "ladder": f"Desk | {draw(st.integers(1, 2))}\nManagers | {draw(st.integers(1, 2))}\nBoard",
        "outages": [(timedelta(hours=draw(st.integers(0, 200))), timedelta(hours=draw(st.integers(1, 20))))
                    for _ in range(draw(st.integers(0, 3)))],
    }


def _actor_hours(world: dict[str, Any], user: str) -> tuple[Calendar, str | None]:
    return world["hours"][user]


def _next_in_hours(world: dict[str, Any], user: str, after: datetime) -> datetime:
    calendar, zone = _actor_hours(world, user)
    moment = after.replace(minute=0, second=0, microsecond=0)
    while not calendar.in_hours(moment, zone):
        moment += timedelta(minutes=30)
    return moment


@dataclass(frozen=True)
class Row:
    method: str
    user: str | None
    status: str
    not_before: datetime | None


def _addressed(call: Any, rows: dict[str, Row]) -> tuple[str | None, list[str]]:
    """The outbox key of a posted message and the people it addresses (a DM's person, or the mentions)."""
    metadata = call.args.get("metadata")
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata or {}
    key = (metadata.get("event_payload") or {}).get("key")
    row = rows.get(key or "")
    if row is not None and row.method == "dm":
        return key, [row.user or ""]
    blocks = call.args.get("blocks")
    text = str(call.args.get("text") or "") + (blocks if isinstance(blocks, str) else json.dumps(blocks or []))
    return key, sorted(set(MENTION.findall(text)))


def _play(engine: Engine, fake: FakeSlack, drawn: dict[str, Any]) -> None:
    n = next(_examples)
    channel = f"C{n:03d}QUIET"
    users = [[f"U{n:03d}{side}{i}" for i in range(len(zones))] for side, zones in zip("NS", drawn["zones"],
                                                                                       strict=True)]
    for team, group, zones in zip((HOME, PARTNER), users, drawn["zones"], strict=True):
        for user, zone in zip(group, zones, strict=True):
            fake.add_user(user, team, user.lower(), tz=zone)
    fake.add_channel(channel, f"quiet-{n}", members=(*users[0], *users[1], "UACCORD"), is_shared=True)
    world = {"hours": {user: (drawn["parties"][side], zone) for side in (0, 1)
                       for user, zone in zip(users[side], drawn["zones"][side], strict=True)}}
    start: datetime = drawn["start"]
    founder = Actor(users[0][0], HOME, channel)
    with transaction(engine) as db:
        setup.configure(db, actor=founder, now=start, form=setup.SetupInput(
            name=f"Quiet {n}", party_1="North", party_2="South", timezone=drawn["parties"][0].zone,
            checkin_cadence=drawn["cadence"], review_cadence="quarterly on the first working day at 10:00",
            ladder=drawn["ladder"], calendars=(drawn["parties"][0].form(), drawn["parties"][1].form())))
        for side, team in ((0, HOME), (1, PARTNER)):
            for user in users[side][1 - side:]:
                people.join(db, actor=Actor(user, team, channel), now=start)
    with Session(engine) as db:
        first_row = max(db.exec(select(OutboxMessage.id)).all() or [0])
    sender = make_sender(engine, fake)
    sender.as_of = lambda: start
    sender.drain(max_seconds=30)  # the welcome and the people's timezones (users.info)
    observed_from = len(fake.calls)

    raiser = users[0][-1]
    actions = {"dispute": _next_in_hours(world, raiser, start + drawn["dispute_after"]),
               "propose": _next_in_hours(world, founder.user_id, start + drawn["propose_after"])}
    outages = [(start + at, start + at + length) for at, length in drawn["outages"]]
    delivered: list[tuple[datetime, Any]] = []
    now, end = start, start + timedelta(days=9)
    for _ in range(400):
        for name, at in list(actions.items()):
            if at <= now:
                with transaction(engine) as db:
                    if name == "dispute":
                        lifecycle.raise_dispute(db, actor=Actor(raiser, HOME, channel), now=now, form=(
                            lifecycle.RaiseInput("Late", "Late again", "1", "high")))
                    else:
                        setup.configure(db, actor=founder, now=now, form=setup.SetupInput(
                            name=f"Quiet {n} renamed", party_1="North", party_2="South",
                            timezone=drawn["parties"][0].zone, checkin_cadence=drawn["cadence"],
                            review_cadence="quarterly on the first working day at 10:00", ladder=drawn["ladder"],
                            calendars=(drawn["parties"][0].form(), drawn["parties"][1].form())))
                del actions[name]
        run_tick(engine, now=now, worker="quiet")
        if not any(down <= now < up for down, up in outages):
            seen = len(fake.calls)
            sender.as_of = lambda moment=now: moment
            sender.drain(max_seconds=30)
            delivered += [(now, call) for call in fake.calls[seen:]]
        with Session(engine) as db:
            work = db.exec(select(WorkItem.due_at).where(WorkItem.status == PENDING, WorkItem.due_at > now,
                                                         WorkItem.due_at <= end)).all()
            held = db.exec(select(OutboxMessage.not_before).where(
                OutboxMessage.status == PENDING, col(OutboxMessage.id) > first_row,
                col(OutboxMessage.not_before).is_not(None))).all()
        waiting = [at for at in held if at is not None]
        candidates = [at for at in (*work, *waiting, *actions.values(), *(up for _, up in outages)) if at > now]
        if not candidates:
            if any(at <= now for at in waiting):  # held but due: the next tick of the clock sends it
                candidates = [now + timedelta(minutes=30)]
            else:
                break
        now = min(candidates)
    with Session(engine) as db:
        rows = {row.idempotency_key: Row(row.method, row.user, row.status, row.not_before)
                for row in db.exec(select(OutboxMessage).where(col(OutboxMessage.id) > first_row))}
        db.exec(update(WorkItem).where(col(WorkItem.status) == PENDING)  # type: ignore[call-overload]
                .values(status=CANCELLED))  # the next example's clock must not fire this one's work
        db.commit()

    posts = [(at, call) for at, call in delivered if call.method == "chat.postMessage" and call.ok]
    everyone = set(world["hours"])
    keys = Counter()
    for at, call in posts:
        key, addressed = _addressed(call, rows)
        keys[key] += 1
        for user in addressed:
            if user in everyone:
                calendar, zone = world["hours"][user]
                assert calendar.in_hours(at, zone), (key, user, at.isoformat(), zone or calendar.zone, drawn)
    assert [key for key, count in keys.items() if key and count > 1] == []  # none twice
    assert {row.status for row in rows.values()} <= {SENT, CANCELLED}, \
        [(key, row.status, row.not_before) for key, row in rows.items() if row.status not in (SENT, CANCELLED)]
    # those Accord cannot DM are shown their prompts and reminders alone in the channel: in their hours too
    shown = [(at, call) for at, call in delivered if call.method == "chat.postEphemeral" and call.ok]
    for at, call in shown:
        if call.args.get("user") in everyone:
            calendar, zone = world["hours"][call.args["user"]]
            assert calendar.in_hours(at, zone), ("shown alone", call.args["user"], at.isoformat(), drawn)
    # every participant asked once per round: in their DM, or shown alone
    prompts = [key for key in rows if key.endswith(":prompt")]
    assert all(keys[key] <= 1 for key in prompts), [key for key in prompts if keys[key] > 1]
    alone = Counter(call.args["user"] for _, call in shown if "Time for check-in" in str(call.args.get("text")))
    assert alone == Counter(rows[key].user for key in prompts if keys[key] == 0)
    assert len(fake.calls) > observed_from


# no shrinking: a failing example is reported as drawn (each one plays nine days, so shrinking takes minutes)
@settings(max_examples=6, deadline=None, phases=(Phase.explicit, Phase.reuse, Phase.generate),
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drawn=partnerships())
@pytest.mark.sqlite_only("tests/scenarios/test_checkin_noise.py::test_a_quarter_of_check_ins_stays_quiet")
def test_nobody_is_messaged_outside_their_working_hours_and_nothing_is_lost_or_doubled(
        engine: Engine, fake: FakeSlack, drawn: dict[str, Any]) -> None:
    _play(engine, fake, drawn)
