"""Actions are chased until done (issue 18, point 4), over a month through `accord tick --as-of`, on SQLite and
PostgreSQL: Alice (Northwind, London) and Bob (Southwind, New York; Slack refuses Accord a DM with him, so what is
his reaches him as a message only he sees in the channel) own actions and a risk.

Each is told when an item is given to them; nudged on the due date's morning within their own hours, then every 2
working days while overdue (never at a weekend); at most one nudge a day listing all their items; Snooze 2 days
postpones; Done and Cannot complete stop the nudges; the other party asks and the owner's party confirms; a risk's
owner is reminded from its review date until the date is moved or the risk closed."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, or_, select

from bot.ids import Act
from storage.models import CANCELLED, DONE, FAILED, PENDING, SENDING, OutboxMessage, WorkItem
from storage.rmp import Action, Risk
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click, command_form, ephemeral_texts, join, latest_view, set_up, submit

START = datetime(2027, 1, 4, 10, 0, tzinfo=UTC)  # a Monday
END = datetime(2027, 2, 4, 0, 0, tzinfo=UTC)
STEP = timedelta(hours=3)
ZONES = {"UALICE": ZoneInfo("Europe/London"), "UBOB": ZoneInfo("America/New_York")}
NUDGE = re.compile(r"^Reminder: (.*) needs? you today\.$")


@dataclass(frozen=True)
class Seen:
    at: datetime  # the tick (as of) that delivered it
    user: str
    text: str
    blocks: list[dict[str, Any]]


class World:
    """The harness, its simulated time, and every message Alice and Bob received, with when."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.seen: list[Seen] = []
        self._counts: dict[str, int] = defaultdict(int)

    def at(self, moment: datetime) -> None:
        self.harness.clock.now = moment

    def collect(self, moment: datetime) -> None:
        fake = self.harness.fake
        dm = fake.dm_with("UALICE")
        alice = fake.messages(dm) if dm else []
        bob = [e for e in fake.ephemerals(CHANNEL) if e["user"] == "UBOB"]
        for user, found in (("UALICE", alice), ("UBOB", bob)):
            for message in found[self._counts[user]:]:
                self.seen.append(Seen(moment, user, message.get("text") or "", message.get("blocks") or []))
            self._counts[user] = len(found)

    def tick(self, moment: datetime) -> None:
        self.at(moment)
        result = self.harness.accord("tick", "--as-of", moment.isoformat())
        assert result.returncode == 0, result.stderr
        self.collect(moment)

    def run_until(self, end: datetime, start: datetime) -> datetime:
        """Tick every STEP from `start` to `end`, skipping the ticks that would find nothing to do."""
        moment = start
        while moment < end:
            if self.has_work(moment):
                self.tick(moment)
            moment += STEP
        return moment

    def has_work(self, moment: datetime) -> bool:
        """Whether `accord tick --as-of moment` finds anything to do: work due, or a message not yet sent and not
        held past `moment`. All of Accord's due work is such rows (the scheduler is only a clock), so a tick that
        finds none changes nothing; the month skips those (most of its 248 ticks) and is chased the same."""
        with Session(self.harness.engine) as db:
            work = db.exec(select(WorkItem.id).where(col(WorkItem.status).not_in([DONE, FAILED, CANCELLED]),
                                                     col(WorkItem.due_at) <= moment).limit(1)).first()
            message = db.exec(select(OutboxMessage.id).where(
                col(OutboxMessage.status).in_([PENDING, SENDING]),
                or_(col(OutboxMessage.not_before).is_(None), col(OutboxMessage.not_before) <= moment)).limit(1)).first()
        return work is not None or message is not None

    def nudges(self, user: str) -> dict[date, list[Seen]]:
        days: dict[date, list[Seen]] = defaultdict(list)
        for seen in self.seen:
            if seen.user == user and NUDGE.match(seen.text):
                days[seen.at.astimezone(ZONES[user]).date()].append(seen)
        return days

    def told(self, user: str, words: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.user == user and words in seen.text]


def items_of(seen: Seen) -> list[str]:
    match = NUDGE.match(seen.text)
    assert match, seen.text
    return match[1].split(", ")


def in_hours(user: str, moment: datetime) -> bool:
    local = moment.astimezone(ZONES[user])
    return local.weekday() < 5 and time(9) <= local.time() < time(17, 30)


def buttons(seen: Seen) -> list[tuple[str, str]]:
    return [(element["text"]["text"], element["action_id"]) for block in seen.blocks if block["type"] == "actions"
            for element in block["elements"]]


def _cast(harness: Harness) -> None:
    """Northwind (London): Alice SER, Erin manager. Southwind (New York hours): Bob SER, Carol manager."""
    assert set_up(harness, {"timezone_2": "America/New_York", "holidays_1": "", "holidays_2": ""}).status_code == 200
    for user in ("UERIN", "UBOB", "UCAROL"):
        join(harness, user)
    for actor, target, role in [("UALICE", "UALICE", "ser"), ("UALICE", "UERIN", "manager"),
                                ("UBOB", "UBOB", "ser"), ("UBOB", "UCAROL", "manager")]:
        assert "is now" in harness.driver.slash(actor, CHANNEL, f"role <@{target}> {role}").json()["text"]


def _add_action(world: World, by: str, owner: str, due: str, description: str) -> None:
    response = command_form(world.harness, by, "action", {"description": description, "owner": owner,
                                                          "due_on": due})
    assert response.status_code == 200 and not response.text.strip(), response.text


def _risk_form(world: World, by: str, text: str, answers: dict[str, str]) -> None:
    response = command_form(world.harness, by, text, answers)
    assert response.status_code == 200 and not response.text.strip(), response.text


def _action(harness: Harness, number: int) -> Action:
    with Session(harness.engine) as db:
        return db.exec(select(Action).where(Action.number == number)).one()


@pytest.mark.postgres
def test_a_month_of_chasing_through_accord_tick(harness: Harness) -> None:
    harness.fake.tiers_enabled = False  # a month in seconds
    world = World(harness)
    world.at(START - timedelta(hours=1))
    _cast(harness)
    world.at(START)
    # Mon 4 Jan, 10:00 UTC (London 10:00, New York 05:00): Erin gives Alice two actions and a risk; Carol gives Bob
    # two actions
    _add_action(world, "UERIN", "UALICE", "2027-01-06", "Send the revised SOW")  # 1
    _add_action(world, "UCAROL", "UBOB", "2027-01-06", "Share the pilot data")  # 2
    _add_action(world, "UERIN", "UALICE", "2027-01-06", "Book the joint workshop")  # 3
    _add_action(world, "UCAROL", "UBOB", "2027-01-08", "Sign the NDA")  # 4
    _risk_form(world, "UERIN", "risk", {"description": "Key supplier staff leave", "likelihood": "3", "impact": "4",
                                        "owner": "UALICE", "review_on": "2027-01-07"})  # risk 1
    world.tick(START)
    # told on assignment: Alice at once by DM (in her hours), Bob only he sees, once his hours start
    assert [len(world.told("UALICE", f"gave you action #{n}")) for n in (1, 3)] == [1, 1]
    assert len(world.told("UALICE", "made you the owner of risk #1")) == 1
    assert world.told("UBOB", "gave you action") == []  # 05:00 in New York
    moment = START + STEP
    thursday_noon = datetime(2027, 1, 7, 12, tzinfo=UTC)
    moment = world.run_until(thursday_noon, moment)
    told_bob = world.told("UBOB", "gave you action")
    assert sorted(re.findall(r"#\d", " ".join(s.text for s in told_bob))) == ["#2", "#4"]
    assert all(in_hours("UBOB", seen.at) for seen in told_bob)

    # Wed 6: due-date morning; Thu 7: the risk's review date
    alice, bob = world.nudges("UALICE"), world.nudges("UBOB")
    assert [items_of(s) for s in alice[date(2027, 1, 6)]] == [["action #1", "action #3"]]
    assert [items_of(s) for s in alice[date(2027, 1, 7)]] == [["risk #1"]]
    assert [items_of(s) for s in bob[date(2027, 1, 6)]] == [["action #2"]]
    wednesday = alice[date(2027, 1, 6)][0]
    assert ("Done", Act.ACTION_DONE) in buttons(wednesday) and ("Snooze 2 days", Act.ACTION_SNOOZE) in \
        buttons(wednesday) and ("Cannot complete", Act.ACTION_CANNOT) in buttons(wednesday)

    # Thu 7 noon: Alice snoozes #3; Alice (the other party) says Bob's #4 is done: it is only asked
    world.at(thursday_noon)
    dm = harness.fake.dm_with("UALICE")
    assert dm
    click(harness, "UALICE", Act.ACTION_SNOOZE, {"channel": CHANNEL, "number": 3}, channel=dm)
    assert "no reminder about it before Tue 12 Jan" in ephemeral_texts(harness, "UALICE", channel=dm)[-1]
    asked = harness.driver.slash("UALICE", CHANNEL, "action done 4").json()["text"]
    assert asked.startswith("Asked <@UBOB> to confirm action #4")
    assert _action(harness, 4).status == "open" and _action(harness, 4).done_asked_by == "UALICE"
    friday_noon = datetime(2027, 1, 8, 21, tzinfo=UTC)  # 16:00 in New York
    moment = world.run_until(friday_noon, thursday_noon)
    [ask] = world.told("UBOB", "says action #4")
    assert in_hours("UBOB", ask.at) and ("Confirm done", Act.ACTION_DONE) in buttons(ask)
    alice, bob = world.nudges("UALICE"), world.nudges("UBOB")
    assert [items_of(s) for s in alice[date(2027, 1, 8)]] == [["action #1"]]  # #3 snoozed
    assert [items_of(s) for s in bob[date(2027, 1, 8)]] == [["action #2", "action #4"]]
    # Fri 8, 16:00 in New York: Bob confirms #4; Alice hears it
    world.at(friday_noon)
    click(harness, "UBOB", Act.ACTION_DONE, {"channel": CHANNEL, "number": 4})
    assert _action(harness, 4).status == "done"
    monday = datetime(2027, 1, 11, 12, tzinfo=UTC)
    moment = world.run_until(monday, friday_noon)
    assert world.told("UALICE", "confirmed action #4")

    # Tue 12: #1 and #3 (the snooze over) in one message; Alice marks #1 done and #3 cannot complete; Erin moves the
    # risk's review date to Mon 25
    tuesday_noon = datetime(2027, 1, 12, 12, tzinfo=UTC)
    moment = world.run_until(tuesday_noon, moment)
    alice = world.nudges("UALICE")
    assert [items_of(s) for s in alice[date(2027, 1, 12)]] == [["action #1", "action #3"]]
    world.at(tuesday_noon)
    click(harness, "UALICE", Act.ACTION_DONE, {"channel": CHANNEL, "number": 1}, channel=dm)
    before = harness.fake.views_opened
    click(harness, "UALICE", Act.ACTION_CANNOT, {"channel": CHANNEL, "number": 3}, channel=dm)
    assert harness.fake.views_opened == before + 1
    assert submit(harness, "UALICE", latest_view(harness), {"reason": "The venue closed"}).status_code == 200
    assert (_action(harness, 1).status, _action(harness, 3).status) == ("done", "cannot_complete")
    _risk_form(world, "UERIN", "risk edit 1", {"review_on": "2027-01-25"})
    monday_25 = datetime(2027, 1, 25, 16, tzinfo=UTC)
    moment = world.run_until(monday_25, tuesday_noon)
    world.at(monday_25)
    _risk_form(world, "UERIN", "risk edit 1", {"status": "closed"})
    world.run_until(END, monday_25)

    alice, bob = world.nudges("UALICE"), world.nudges("UBOB")
    # Alice: the due date, the review, every 2 working days, the snooze, then the moved review date; nothing after
    assert sorted(alice) == [date(2027, 1, d) for d in (6, 7, 8, 11, 12, 25)], sorted(alice)
    assert [items_of(s) for s in alice[date(2027, 1, 11)]] == [["risk #1"]]
    assert [items_of(s) for s in alice[date(2027, 1, 25)]] == [["risk #1"]]
    # Bob's #2 stays overdue: every 2 working days of his, weekends skipped, to the end of the month
    assert sorted(bob) == [date(2027, 1, 6), date(2027, 1, 8), *(date(2027, 1, d) for d in (12, 14, 18, 20, 22, 26,
                                                                                            28)),
                           date(2027, 2, 1), date(2027, 2, 3)], sorted(bob)
    for user, days in (("UALICE", alice), ("UBOB", bob)):
        for day, messages in days.items():
            assert len(messages) == 1, (user, day)  # at most one a day
            at = messages[0].at.astimezone(ZONES[user])
            assert in_hours(user, messages[0].at) and at.hour < 12, (user, at)  # the morning, in their own zone
    with Session(harness.engine) as db:
        assert db.exec(select(Risk)).one().status == "closed"
