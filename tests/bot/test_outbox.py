"""The outbox sender against the fake Slack: once each, 429 honoured, permanent errors parked,
threads and updates after their root, posts paced per channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.fakeslack import FakeSlack
from bot.wait_clock import RealClock
from commands import outgoing
from storage.engine import transaction
from storage.models import FAILED, PENDING, SENT, OutboxMessage
from storage.utc import utcnow
from tests.harness import CHANNEL, make_sender, outbox_rows, retries_due_now

_sender = make_sender



def _queue(engine: Engine, key: str, channel: str = CHANNEL, **extra: str) -> None:
    with transaction(engine) as db:
        outgoing.post_message(db, key=key, channel=channel, view="reminder",
                            data={"text": f"message {key}", "by": "UALICE"}, now=utcnow(), **extra)



def test_each_message_is_sent_once_and_its_ts_recorded(engine: Engine, fake: FakeSlack) -> None:
    _queue(engine, "a")
    _queue(engine, "a")  # the same key again is the same message
    sender = _sender(engine, fake)
    assert sender.drain().sent == ["a"]
    assert sender.drain().sent == []
    posted = fake.messages(CHANNEL)
    assert len(posted) == 1
    assert posted[0]["metadata"]["event_payload"]["key"] == "a"
    assert outbox_rows(engine)["a"].ts == posted[0]["ts"]


def test_a_429_then_success_delivers_exactly_one_message_after_retry_after(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", status=429, retry_after=1, times=1)
    _queue(engine, "limited")
    report = _sender(engine, fake).drain()
    assert report.sent == ["limited"]
    calls = fake.calls_to("chat.postMessage")
    assert [call.status for call in calls] == [429, 200]
    # Retry-After was honoured: a second passed on the fake's clock (the sender waited on its SteppedClock, at once)
    assert calls[1].clock - calls[0].clock >= 1.0 and calls[1].at - calls[0].at < 1.0
    assert len(fake.messages(CHANNEL)) == 1


def test_a_permanent_error_parks_the_message_without_blocking_the_next(
    engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    _queue(engine, "lost", channel="C0GONE")
    _queue(engine, "fine")
    report = _sender(engine, fake).drain()
    assert report.failed == ["lost"] and report.sent == ["fine"]
    rows = outbox_rows(engine)
    assert rows["lost"].status == FAILED and "channel_not_found" in (rows["lost"].last_error or "")
    assert rows["fine"].status == SENT
    assert len(fake.calls_to("chat.postMessage")) == 2  # the permanent error was not retried
    assert "outbox lost parked as failed after 1 attempt(s): chat.postMessage: channel_not_found" in caplog.text


def test_not_in_channel_and_invalid_auth_are_permanent(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", error="not_in_channel", times=1)
    _queue(engine, "one")
    fake_report = _sender(engine, fake).drain()
    assert fake_report.failed == ["one"]
    fake.inject("chat.postMessage", error="invalid_auth", times=1)
    _queue(engine, "two")
    assert _sender(engine, fake).drain().failed == ["two"]


def test_a_server_error_is_retried_on_a_later_drain(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", status=500, times=3)  # more than the client's own retries
    _queue(engine, "flaky")
    sender = _sender(engine, fake)
    assert sender.drain().retried == ["flaky"]
    assert outbox_rows(engine)["flaky"].status == PENDING
    retries_due_now(engine)
    assert sender.drain().sent == ["flaky"]
    assert len(fake.messages(CHANNEL)) == 1


def test_replies_and_updates_wait_for_their_root(engine: Engine, fake: FakeSlack) -> None:
    with transaction(engine) as db:
        now = utcnow()
        # queued in the "wrong" order on purpose: the reply and the update come first
        outgoing.update_message(db, key="root:v2", updates="root", view="reminder",
                              data={"text": "root, edited", "by": "UALICE"}, now=now)
        outgoing.post_message(db, key="reply", channel=CHANNEL, thread_of="root", view="reminder",
                            data={"text": "in the thread", "by": "UALICE"}, now=now)
        outgoing.post_message(db, key="root", channel=CHANNEL, view="reminder",
                            data={"text": "root", "by": "UALICE"}, now=now)
    report = _sender(engine, fake).drain()
    assert sorted(report.sent) == ["reply", "root", "root:v2"]
    messages = fake.messages(CHANNEL)
    root = next(m for m in messages if m.get("thread_ts") in (None, m["ts"]))
    reply = next(m for m in messages if m is not root)
    assert reply["thread_ts"] == root["ts"]
    assert "root, edited" in root["text"] and root["edited"]


def test_posts_to_one_channel_are_paced_but_other_channels_go_meanwhile(engine: Engine, fake: FakeSlack) -> None:
    for n in range(3):
        _queue(engine, f"shared-{n}")
    _queue(engine, "other", channel="C0OTHER")
    _sender(engine, fake, pace=1.0, wait_clock=RealClock()).drain()
    shared = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL]
    other = [c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == "C0OTHER"]
    assert [c.args["text"] for c in shared] == [f"Reminder: message shared-{n}" for n in range(3)]
    gaps = [b.at - a.at for a, b in zip(shared, shared[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps
    assert other[0].at < shared[1].at  # not held up behind the paced channel


def test_pacing_keeps_within_slacks_per_channel_limit(engine: Engine, fake: FakeSlack) -> None:
    fake.enforce_rate_limit("chat.postMessage", per_channel_per_second=1.0)
    for n in range(3):
        _queue(engine, f"paced-{n}")
    assert len(_sender(engine, fake, pace=1.0, wait_clock=RealClock()).drain().sent) == 3
    assert [call.status for call in fake.calls_to("chat.postMessage")] == [200, 200, 200]


def test_a_message_whose_view_is_unknown_is_parked(engine: Engine, fake: FakeSlack) -> None:
    with transaction(engine) as db:
        outgoing.post_message(db, key="odd", channel=CHANNEL, view="no.such.view", data={}, now=utcnow())
    assert _sender(engine, fake).drain().failed == ["odd"]
    assert fake.calls_to("chat.postMessage") == []


def test_a_timed_out_post_that_reached_slack_is_found_not_posted_again(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", delay=2.0, times=1)  # Slack posts it, but answers after our timeout
    _queue(engine, "slow")
    sender = _sender(engine, fake, timeout=1)
    assert sender.drain().retried == ["slow"]
    fake.wait_for("chat.postMessage", count=1, timeout=5)
    retries_due_now(engine)
    assert sender.drain().sent == ["slow"]
    assert len(fake.messages(CHANNEL)) == 1
    assert len(fake.calls_to("chat.postMessage")) == 1  # found through conversations.history instead
    assert outbox_rows(engine)["slow"].ts == fake.messages(CHANNEL)[0]["ts"]


def test_a_sender_that_died_after_posting_is_reconciled_by_the_next(engine: Engine, fake: FakeSlack) -> None:
    _queue(engine, "root")
    _queue(engine, "reply", thread_of="root")
    _sender(engine, fake).drain()
    with transaction(engine) as db:  # both posted; then the sender "crashed" before recording them
        for row in db.exec(select(OutboxMessage)):
            row.status, row.ts, row.claimed_by = "sending", None, "dead-replica"
            row.claimed_at = utcnow() - timedelta(hours=1)
    report = _sender(engine, fake).drain()
    assert sorted(report.sent) == ["reply", "root"]
    assert len(fake.calls_to("chat.postMessage")) == 2  # the first sender's two posts, no more
    rows = outbox_rows(engine)
    messages = {m["text"]: m for m in fake.messages(CHANNEL)}
    assert rows["root"].ts == messages["Reminder: message root"]["ts"]


def test_a_connection_dropped_after_slack_posted_does_not_post_twice(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", drop=True, times=1)  # Slack posts it; the answer is lost on the way
    _queue(engine, "dropped")
    sender = _sender(engine, fake)
    assert sender.drain().retried == ["dropped"]
    retries_due_now(engine)
    assert sender.drain().sent == ["dropped"]
    assert len(fake.messages(CHANNEL)) == 1 and len(fake.calls_to("chat.postMessage")) == 1


def test_when_slack_cannot_be_searched_the_message_is_posted_again_not_lost(
    engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.inject("chat.postMessage", status=503, times=3)
    _queue(engine, "retry")
    sender = _sender(engine, fake)
    assert sender.drain().retried == ["retry"]
    fake.inject("conversations.history", error="missing_scope", times=1)
    retries_due_now(engine)
    assert sender.drain().sent == ["retry"]
    assert len(fake.messages(CHANNEL)) == 1
    assert "could not look for an earlier attempt (missing_scope)" in caplog.text


def test_a_reply_waiting_for_its_root_does_not_hold_up_other_messages(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", status=500, times=3)  # the root goes into backoff
    _queue(engine, "root")
    for n in range(25):
        _queue(engine, f"reply-{n}", thread_of="root")
    _queue(engine, "unrelated", channel="C0OTHER")
    report = _sender(engine, fake).drain()
    assert report.retried == ["root"] and report.sent == ["unrelated"]


def test_only_posts_are_paced_ephemeral_answers_go_at_once(engine: Engine, fake: FakeSlack) -> None:
    _queue(engine, "post-1")
    _queue(engine, "post-2")
    with transaction(engine) as db:
        outgoing.post_ephemeral(db, key="answer", channel=CHANNEL, user="UALICE", view="raw",
                              data={"text": "only you see this"}, now=utcnow())
    report = _sender(engine, fake, pace=5.0, wait_clock=RealClock()).drain(max_seconds=1.0)
    assert report.sent == ["post-1", "answer"]  # post-2 waits for the channel's pace; the answer does not
    assert [e["text"] for e in fake.ephemerals(CHANNEL)] == ["only you see this"]


def test_a_reply_to_a_message_never_queued_is_parked_not_left_pending(engine: Engine, fake: FakeSlack) -> None:
    with transaction(engine) as db:
        outgoing.post_message(db, key="orphan", channel=CHANNEL, thread_of="no-such-root", view="reminder",
                            data={"text": "lost", "by": "UALICE"}, now=utcnow())
    _queue(engine, "next")
    report = _sender(engine, fake).drain()
    assert report.sent == ["next"]
    orphan = outbox_rows(engine)["orphan"]
    assert orphan.status == FAILED and "no-such-root" in (orphan.last_error or "")
