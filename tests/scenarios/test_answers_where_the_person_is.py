"""Issue 17, point 5: answers go where the person is: in the thread they mentioned Accord or clicked in, in the
DM whose button they clicked, and a setup in a channel Accord is not in tells them to invite it first."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.ids import Act
from storage.rmp import Relationship
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import dm_channels
from tests.scenarios.plan_steps import click, join, set_up


@pytest.mark.postgres
def test_a_mention_in_a_thread_is_answered_in_that_thread(harness: Harness) -> None:
    assert set_up(harness).status_code == 200
    join(harness, "UJOE")
    start = harness.fake.add_message(CHANNEL, user="UJOE", text="We disagree about the SLA")
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> dispute", thread_ts=start["ts"])
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> status", thread_ts=start["ts"])
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> people")  # at channel level: answered there
    harness.sender.drain()
    told = {e["text"].split("\n")[0][:30]: e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE"}
    offer = next(e for t, e in told.items() if t.startswith("Open the dispute form"))
    assert offer["thread_ts"] == start["ts"]  # a partner on mobile inside the thread sees the button
    answers_in_thread = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE" and e["thread_ts"]]
    assert len(answers_in_thread) == 2 and {e["thread_ts"] for e in answers_in_thread} == {start["ts"]}
    at_channel_level = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE" and not e["thread_ts"]
                        and "people by role" in str(e["blocks"])]
    assert len(at_channel_level) == 1
    # a click on the button in the thread is answered in the thread too
    value = json.loads(offer["blocks"][1]["elements"][0]["value"])
    harness.driver.block_action("UJOE", CHANNEL, Act.OPEN_FORM, value=json.dumps({**value, "form": "nonsense"}),
                                container={"type": "message", "message_ts": "1.000", "channel_id": CHANNEL,
                                           "is_ephemeral": True, "thread_ts": start["ts"]})
    harness.sender.drain()
    latest = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE"][-1]
    assert latest["thread_ts"] == start["ts"]


def test_a_button_clicked_in_a_dm_is_answered_in_that_dm(harness: Harness) -> None:
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    harness.sender.drain()
    harness.tick(parse_instant("2027-03-08T09:31:00Z"))
    dm = next(channel for channel, user in dm_channels(harness).items() if user == "UALICE")
    [prompt] = [m for m in harness.fake.messages(dm) if "Time for check-in round 1" in m["text"]]
    button = next(e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"])
    harness.tick(parse_instant("2027-03-11T09:31:00Z"))  # the round closes
    harness.clock.now = parse_instant("2027-03-11T10:00:00Z")
    click(harness, "UALICE", Act.CHECKIN_OPEN, json.loads(button["value"]), channel=dm, message_ts=prompt["ts"])
    harness.sender.drain()
    in_dm = [e["text"] for e in harness.fake.ephemerals(dm) if e["user"] == "UALICE"]
    assert in_dm and "closed on" in in_dm[-1]
    assert not [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UALICE" and "closed on" in e["text"]]


def test_setting_up_where_accord_is_not_invited_says_to_invite_it_and_records_nothing(harness: Harness) -> None:
    harness.fake.add_channel("C0NOTIN", "not-invited", members=["UALICE"], bot_member=False)
    before = harness.fake.views_opened
    answer = harness.driver.slash("UALICE", "C0NOTIN", "setup").json()
    assert "/invite @accord" in answer["text"] and harness.fake.views_opened == before
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship).where(Relationship.channel_id == "C0NOTIN")).first() is None
