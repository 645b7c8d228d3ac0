"""Chasing, the rules around it (driven by harness.tick): the owner hears when someone else of their party marks
their action done, and a person who left is never nudged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from storage.engine import transaction
from storage.rmp import Action, Person
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import command_form, full_cast

MONDAY = datetime(2027, 1, 4, 10, tzinfo=UTC)


def _dm_texts(harness: Harness, user: str) -> list[str]:
    dm = harness.fake.dm_with(user)
    return [m.get("text") or "" for m in harness.fake.messages(dm)] if dm else []


def _ticks(harness: Harness, start: datetime, days: int) -> None:
    moment = start
    while moment < start + timedelta(days=days):
        harness.clock.now = moment
        harness.tick(moment)
        moment += timedelta(hours=2)


@pytest.mark.postgres
def test_the_owner_is_told_when_a_colleague_marks_their_action_done_and_the_nudges_stop(harness: Harness) -> None:
    harness.fake.tiers_enabled = False
    harness.clock.now = MONDAY
    full_cast(harness)
    command_form(harness, "UERIN", "action", {"description": "Send the SOW", "owner": "UHANK", "due_on": "2027-01-05"})
    _ticks(harness, MONDAY, 2)  # Tuesday's morning nudge
    assert [t for t in _dm_texts(harness, "UHANK") if t.startswith("Reminder:")] == \
        ["Reminder: action #1 needs you today."]
    harness.clock.now = MONDAY + timedelta(days=1, hours=3)
    body = harness.driver.slash("UERIN", CHANNEL, "action done 1").json()
    assert "is done" in body["text"]
    _ticks(harness, MONDAY + timedelta(days=2), 10)
    hank = _dm_texts(harness, "UHANK")
    assert any("<@UERIN> marked your action #1" in t for t in hank), hank
    assert len([t for t in hank if t.startswith("Reminder:")]) == 1  # no nudge after it is done


def test_a_person_who_left_is_never_nudged(harness: Harness) -> None:
    harness.fake.tiers_enabled = False
    harness.clock.now = MONDAY
    full_cast(harness)
    command_form(harness, "UERIN", "action", {"description": "Send the SOW", "owner": "UHANK", "due_on": "2027-01-05"})
    command_form(harness, "UERIN", "action", {"description": "Book rooms", "owner": "UERIN", "due_on": "2027-01-05"})
    with transaction(harness.engine) as db:
        hank = db.exec(select(Person).where(Person.user_id == "UHANK")).one()
        hank.left_at, hank.left_how = MONDAY, "left"
        db.add(hank)
    _ticks(harness, MONDAY, 6)
    assert not [t for t in _dm_texts(harness, "UHANK") if t.startswith("Reminder:")]
    assert [t for t in _dm_texts(harness, "UERIN") if t.startswith("Reminder:")]  # the others are
    with Session(harness.engine) as db:
        assert db.exec(select(Action).where(Action.number == 1)).one().nudged_on is None
