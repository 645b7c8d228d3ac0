"""Direct messages through the outbox (when Slack refuses one: a message only its person sees in the shared
channel) and users.info lookups that set each person's time zone, against the fake Slack."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.fakeslack import FakeSlack
from bot.wait_clock import RealClock
from commands import outgoing
from commands.actor import Actor
from commands.rmp import people, setup
from storage.engine import transaction
from storage.models import FAILED, PENDING, SENT
from storage.rmp import SINGLE, Person, Relationship
from storage.utc import utcnow
from tests.harness import CHANNEL, HOME, OTHER_CHANNEL, PARTNER, THIRD, make_sender, outbox_rows, retries_due_now

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BUTTON = {"type": "actions", "elements": [
    {"type": "button", "action_id": "rmp.open_form", "text": {"type": "plain_text", "text": "Answer"},
     "value": "checkin"},
]}



_sender = make_sender


def _data(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}, BUTTON]}


def _dm(engine: Engine, key: str, user: str, text: str = "Your check-in is open") -> None:
    with transaction(engine) as db:
        outgoing.direct_message(db, key=key, user=user, fallback_channel=CHANNEL, view="raw", data=_data(text),
                              now=utcnow())


def _post(engine: Engine, key: str) -> None:
    with transaction(engine) as db:
        outgoing.post_message(db, key=key, channel=CHANNEL, view="raw", data={"text": key}, now=utcnow())




def _assert_shown_only_to(engine: Engine, fake: FakeSlack, key: str, user: str) -> None:
    """The DM `key` went to `user` as a message only they see in the shared channel, with the rendered blocks;
    nothing in the channel names them."""
    assert fake.messages(CHANNEL) == []
    [shown] = fake.ephemerals(CHANNEL)
    assert shown["user"] == user
    assert shown["text"] == "Your check-in is open"  # no mention: nobody else sees it anyway
    assert shown["blocks"] == _data("Your check-in is open")["blocks"]  # the button is still there, for them
    row = outbox_rows(engine)[key]
    assert (row.status, row.sent_channel, row.ts) == (SENT, CHANNEL, None)


def _assert_refused_to(fake: FakeSlack, user: str) -> None:
    """Every chat.postMessage went to `user`'s id (their DM with the app) and was refused: nothing was posted."""
    posts = fake.calls_to("chat.postMessage")
    assert posts and all(call.args["channel"] == user for call in posts)
    assert {call.response.get("error") for call in posts} == {"channel_not_found"}
    assert fake.dm_with(user) is None  # no DM was opened with them


def _timezones(engine: Engine) -> dict[tuple[str, str], str | None]:
    with Session(engine) as db:
        rows = db.exec(select(Person, Relationship).where(Person.relationship_id == Relationship.id)).all()
        return {(relationship.channel_id, person.user_id): person.tz for person, relationship in rows}


# -- direct messages ------------------------------------------------------------------------------


def test_a_dm_to_a_home_user_lands_in_their_dm_with_the_rendered_blocks(engine: Engine, fake: FakeSlack) -> None:
    _dm(engine, "dm:erin", "UERIN")
    assert _sender(engine, fake).drain().sent == ["dm:erin"]
    row = outbox_rows(engine)["dm:erin"]
    assert row.status == SENT and row.sent_channel and row.sent_channel.startswith("D")
    assert row.channel == CHANNEL  # the fallback stays on the row; sent_channel says where it went
    assert "UERIN" in fake.channel(row.sent_channel)["members"]
    [message] = fake.messages(row.sent_channel)
    assert message["ts"] == row.ts
    assert message["text"] == "Your check-in is open" and message["blocks"] == _data("Your check-in is open")["blocks"]
    assert message["metadata"]["event_payload"]["key"] == "dm:erin"
    assert fake.messages(CHANNEL) == []


def test_a_dm_to_an_external_user_falls_back_to_a_message_only_they_see_in_the_shared_channel(
    engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    assert fake.user("UBOB")["team_id"] == PARTNER and not fake.allow_external_dm
    _dm(engine, "dm:bob", "UBOB")
    with caplog.at_level(logging.INFO):
        assert _sender(engine, fake).drain().sent == ["dm:bob"]
    [refused] = fake.calls_to("chat.postMessage")  # posted to his id, in his DM with the app: refused
    assert refused.args["channel"] == "UBOB" and refused.response.get("error") == "channel_not_found"
    assert fake.calls_to("conversations.open") == []  # a first attempt opens no DM first
    _assert_shown_only_to(engine, fake, "dm:bob", "UBOB")
    _assert_refused_to(fake, "UBOB")  # nothing posted anywhere
    fallbacks = [r for r in caplog.records if "no DM with UBOB (channel_not_found)" in r.getMessage()]
    assert [r.levelno for r in fallbacks] == [logging.INFO]  # normal, not an error
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_external_user_whose_organisation_allows_dms_gets_one(engine: Engine, fake: FakeSlack) -> None:
    fake.allow_external_dm = True
    _dm(engine, "dm:bob", "UBOB")
    assert _sender(engine, fake).drain().sent == ["dm:bob"]
    sent_channel = outbox_rows(engine)["dm:bob"].sent_channel or ""
    assert sent_channel.startswith("D") and fake.messages(CHANNEL) == []


@pytest.mark.parametrize("error", ["messages_tab_disabled", "restricted_action"])
def test_a_dm_refused_at_posting_falls_back_too(engine: Engine, fake: FakeSlack, error: str) -> None:
    fake.inject("chat.postMessage", error=error, times=1)  # she can have a DM, but the post in it is refused
    _dm(engine, "dm:erin", "UERIN")
    assert _sender(engine, fake).drain().sent == ["dm:erin"]
    [refused] = fake.calls_to("chat.postMessage")
    assert refused.response.get("error") == error and refused.args["channel"] == "UERIN"  # to her id: her DM
    assert all(fake.messages(channel) == [] for channel in fake.dm_channels())
    _assert_shown_only_to(engine, fake, "dm:erin", "UERIN")


def test_a_dm_to_an_unknown_user_is_parked_not_sent_to_the_channel(engine: Engine, fake: FakeSlack) -> None:
    _dm(engine, "dm:nobody", "U0NOBODY")
    assert _sender(engine, fake).drain().failed == ["dm:nobody"]
    assert "user_not_found" in (outbox_rows(engine)["dm:nobody"].last_error or "")
    assert fake.messages(CHANNEL) == []


def test_a_dm_whose_answer_timed_out_after_slack_posted_is_not_posted_twice(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", delay=2.0, times=1)  # Slack posts it, but answers after our timeout
    _dm(engine, "dm:erin", "UERIN")
    sender = _sender(engine, fake, timeout=1)
    assert sender.drain().retried == ["dm:erin"]
    fake.wait_for("chat.postMessage", count=1, timeout=5)
    retries_due_now(engine)
    assert sender.drain().sent == ["dm:erin"]
    row = outbox_rows(engine)["dm:erin"]
    assert len(fake.calls_to("chat.postMessage")) == 1  # found through conversations.history of the DM
    [message] = fake.messages(row.sent_channel or "")
    assert row.ts == message["ts"] and row.sent_channel and row.sent_channel.startswith("D")


@pytest.mark.parametrize(("fault", "shown"), [
    ({"status": 503, "times": 3}, 1),  # more than the client's own retries; Slack showed nothing
    ({"drop": True}, None),  # Slack showed it but the answer was lost: it cannot be looked for, so shown again
], ids=["server-error", "dropped"])
def test_a_fallback_retried_is_shown_to_them_and_never_posted_in_the_channel(
    engine: Engine, fake: FakeSlack, fault: dict[str, Any], shown: int | None
) -> None:
    fake.inject("chat.postEphemeral", **fault)
    _dm(engine, "dm:bob", "UBOB")
    sender = _sender(engine, fake)
    assert sender.drain().retried == ["dm:bob"]
    assert fake.messages(CHANNEL) == []
    retries_due_now(engine)
    assert sender.drain().sent == ["dm:bob"]
    ephemerals = fake.ephemerals(CHANNEL)
    assert ephemerals and {e["user"] for e in ephemerals} == {"UBOB"}  # at least once, to them only
    assert shown is None or len(ephemerals) == shown
    assert fake.messages(CHANNEL) == []
    _assert_refused_to(fake, "UBOB")  # his DM refused (the retry, looking, could not open it either): never posted
    row = outbox_rows(engine)["dm:bob"]
    assert (row.status, row.sent_channel, row.ts) == (SENT, CHANNEL, None)


def test_a_dm_retried_after_a_server_error_is_delivered_once(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", status=503, times=3)  # more than the client's own retries
    _dm(engine, "dm:erin", "UERIN")
    sender = _sender(engine, fake)
    assert sender.drain().retried == ["dm:erin"]
    assert fake.calls_to("conversations.open") == []  # the first attempt posted to her id, opening nothing
    retries_due_now(engine)
    assert sender.drain().sent == ["dm:erin"]
    # a 5xx may have posted it: the retry opened her DM to look for it there, then posted to her id again
    [opened] = fake.calls_to("conversations.open")
    assert opened.args["users"] == "UERIN" and opened.response["channel"]["id"] == fake.dm_with("UERIN")
    assert {call.args["channel"] for call in fake.calls_to("chat.postMessage")} == {"UERIN"}
    row = outbox_rows(engine)["dm:erin"]
    assert row.sent_channel == fake.dm_with("UERIN")
    assert len(fake.messages(row.sent_channel or "")) == 1


def test_dms_are_not_held_up_by_the_shared_channels_pace(engine: Engine, fake: FakeSlack) -> None:
    _post(engine, "post-1")
    _post(engine, "post-2")
    _dm(engine, "dm:erin", "UERIN")
    report = _sender(engine, fake, pace=5.0, wait_clock=RealClock()).drain(max_seconds=1.0)
    assert report.sent == ["post-1", "dm:erin"]  # post-2 waits for the channel's pace; the DM does not


def test_a_fallback_is_not_held_up_by_the_shared_channels_pace_nor_holds_up_its_posts(
    engine: Engine, fake: FakeSlack
) -> None:
    _dm(engine, "dm:bob", "UBOB")
    _post(engine, "post-1")
    _dm(engine, "dm:carol", "UCAROL")
    _post(engine, "post-2")
    report = _sender(engine, fake, pace=5.0, wait_clock=RealClock()).drain(max_seconds=1.0)
    # not a post: dm:bob does not make post-1 wait, and dm:carol does not wait for post-1's pace; post-2 does
    assert sorted(report.sent) == ["dm:bob", "dm:carol", "post-1"]
    assert outbox_rows(engine)["post-2"].status == PENDING
    assert [m["text"] for m in fake.messages(CHANNEL)] == ["post-1"]
    assert [e["user"] for e in fake.ephemerals(CHANNEL)] == ["UBOB", "UCAROL"]
    [post_1] = [call for call in fake.calls_to("chat.postMessage") if call.args["channel"] == CHANNEL]
    [to_bob, to_carol] = fake.calls_to("chat.postEphemeral")
    assert post_1.at - to_bob.at < 1.0 and to_carol.at - post_1.at < 1.0  # far from the 5 s pace, both ways


# -- time zone lookups ----------------------------------------------------------------------------


def test_people_entering_a_relationship_get_their_slack_time_zone(engine: Engine, fake: FakeSlack) -> None:
    assert fake.user("UALICE")["tz"] == "Europe/London" and fake.user("UCAROL")["tz"] is None
    alice = Actor("UALICE", HOME, CHANNEL)
    with transaction(engine) as db:
        setup.configure(db, actor=alice, form=setup.SetupInput(name="Joint", party_1="Home", party_2="Partner"),
                        now=NOW)
        people.join(db, actor=Actor("UCAROL", PARTNER, CHANNEL), now=NOW)
        people.join(db, actor=Actor("UERIN", HOME, CHANNEL), now=NOW)
        people.join(db, actor=Actor("UERIN", HOME, CHANNEL), now=NOW)  # already in: nothing more queued
        # a single-workspace relationship where people are put in a party by hand
        setup.configure(db, actor=Actor("UALICE", HOME, OTHER_CHANNEL), now=NOW, form=setup.SetupInput(
            name="By hand", party_1="Us", party_2="Them", mode=SINGLE))
        people.add_to_party(db, actor=Actor("UALICE", HOME, OTHER_CHANNEL), text_args="add <@UDAVE> Them", now=NOW)
        ids = {r.channel_id: r.id for r in db.exec(select(Relationship))}
    lookups = sorted(key for key, row in outbox_rows(engine).items() if row.method == "users.info")
    assert lookups == sorted([f"users.info:{ids[CHANNEL]}:UALICE", f"users.info:{ids[CHANNEL]}:UCAROL",
                              f"users.info:{ids[CHANNEL]}:UERIN", f"users.info:{ids[OTHER_CHANNEL]}:UALICE",
                              f"users.info:{ids[OTHER_CHANNEL]}:UDAVE"])
    with transaction(engine) as db:  # a time zone from before: Slack now gives none, so it goes
        carol = db.exec(select(Person).where(Person.user_id == "UCAROL")).one()
        carol.tz = "Asia/Tokyo"
    report = _sender(engine, fake).drain()
    assert set(lookups) <= set(report.sent) and not report.failed
    assert {call.args["user"] for call in fake.calls_to("users.info")} == {"UALICE", "UCAROL", "UERIN", "UDAVE"}
    assert fake.user("UDAVE")["team_id"] == THIRD and fake.user("UDAVE")["tz"] == "America/New_York"
    assert _timezones(engine) == {
        (CHANNEL, "UALICE"): "Europe/London", (CHANNEL, "UERIN"): "Europe/London", (CHANNEL, "UCAROL"): None,
        (OTHER_CHANNEL, "UALICE"): "Europe/London", (OTHER_CHANNEL, "UDAVE"): "America/New_York",
    }
    rows = outbox_rows(engine)
    assert all(rows[key].status == SENT and rows[key].ts is None for key in lookups)


def test_a_lookup_sets_the_zone_on_every_relationship_of_the_user(engine: Engine, fake: FakeSlack) -> None:
    with transaction(engine) as db:
        for channel in (CHANNEL, OTHER_CHANNEL):
            setup.configure(db, actor=Actor("UALICE", HOME, channel), now=NOW,
                            form=setup.SetupInput(name=channel, party_1="Home", party_2="Partner"))
        outgoing.lookup_user(db, key="again", user="UALICE", now=NOW)
    fake.add_user("UALICE", HOME, "alice", tz="Asia/Kolkata")  # she moved before any lookup ran
    _sender(engine, fake).drain()
    assert set(_timezones(engine).values()) == {"Asia/Kolkata"}


def test_a_lookup_of_an_unknown_user_is_parked(engine: Engine, fake: FakeSlack) -> None:
    with transaction(engine) as db:
        outgoing.lookup_user(db, key="users.info:1:U0GONE", user="U0GONE", now=NOW)
    report = _sender(engine, fake).drain()
    assert report.failed == ["users.info:1:U0GONE"] and not report.retried
    row = outbox_rows(engine)["users.info:1:U0GONE"]
    assert row.status == FAILED and "user_not_found" in (row.last_error or "") and row.attempts == 1


def test_a_lookup_that_times_out_is_retried(engine: Engine, fake: FakeSlack) -> None:
    with transaction(engine) as db:
        setup.configure(db, actor=Actor("UALICE", HOME, CHANNEL), now=NOW,
                        form=setup.SetupInput(name="Joint", party_1="Home", party_2="Partner"))
    fake.inject("users.info", drop=True, times=1)
    sender = _sender(engine, fake)
    assert [key for key in sender.drain().retried if key.startswith("users.info")] != []
    assert _timezones(engine) == {(CHANNEL, "UALICE"): None}
    retries_due_now(engine)
    sender.drain()
    assert _timezones(engine) == {(CHANNEL, "UALICE"): "Europe/London"}
