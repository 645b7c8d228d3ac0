"""The outbox lease across senders: a message claimed by a sender that died (or stalled) is taken over after
ACCORD_OUTBOX_LEASE_SECONDS, and a sender whose lease ran out never posts what another took over."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from bot.outbox import DrainReport, OutboxSender
from bot.runtime import make_sender as runtime_sender
from bot.settings import SettingsError, load_settings
from bot.wait_clock import RealClock
from commands import outgoing
from storage.engine import transaction
from storage.models import PENDING, SENT
from storage.utc import utcnow
from tests.harness import BOT_TOKEN, CHANNEL, make_sender, outbox_rows, retries_due_now


def _senders(engine: Engine, fake: FakeSlack, *, lease: float, pace: float = 0.0) -> tuple[OutboxSender, ...]:
    senders = []
    for name in ("replica-a", "replica-b"):
        sender = make_sender(engine, fake, pace=pace, wait_clock=RealClock())  # leases run in real time
        sender.worker, sender.lease = name, timedelta(seconds=lease)
        senders.append(sender)
    return tuple(senders)


def _in_background(sender: OutboxSender) -> tuple[threading.Thread, list[DrainReport]]:
    reports: list[DrainReport] = []
    thread = threading.Thread(target=lambda: reports.append(sender.drain(max_seconds=20)))
    thread.start()
    return thread, reports


def test_the_lease_is_a_setting_the_sender_of_accord_serve_uses(engine: Engine) -> None:
    values = {"SLACK_BOT_TOKEN": BOT_TOKEN}
    assert load_settings(values).outbox_lease_seconds == 300
    settings = load_settings({**values, "ACCORD_OUTBOX_LEASE_SECONDS": "7.5"})
    assert runtime_sender(settings, engine).lease == timedelta(seconds=7.5)
    for bad in ("0", "soon"):
        with pytest.raises(SettingsError, match="ACCORD_OUTBOX_LEASE_SECONDS"):
            load_settings({**values, "ACCORD_OUTBOX_LEASE_SECONDS": bad})


def test_a_sender_held_up_past_its_lease_does_not_post_what_another_took_over(
    engine: Engine, fake: FakeSlack
) -> None:
    # two DMs to Erin: sender A posts the first, claims the second and waits for the DM's pace (3 s),
    # outliving its 1 s lease; B takes the second over meanwhile, finds it not in Slack and posts it
    slow, other = _senders(engine, fake, lease=1.0)
    slow.pace_seconds = 3.0
    with transaction(engine) as db:
        for n in (1, 2):
            outgoing.direct_message(db, key=f"dm-{n}", user="UERIN", fallback_channel=CHANNEL, view="reminder",
                                  data={"text": f"note {n}", "by": "UALICE"}, now=utcnow())
    thread, reports = _in_background(slow)
    until = time.monotonic() + 2.8  # A's claim on dm-2 outlives its lease (before A's pace of 3 s runs out)
    while time.monotonic() < until:
        row = outbox_rows(engine)["dm-2"]
        if row.claimed_by == slow.worker and row.claimed_at and utcnow() - row.claimed_at > timedelta(seconds=1.1):
            break
        time.sleep(0.05)
    assert other.drain(max_seconds=10).sent == ["dm-2"]  # after the DM's pace A reserved, shared
    thread.join(20)
    assert reports[0].sent == ["dm-1"]  # A let dm-2 go when it found it taken over
    dm = outbox_rows(engine)["dm-1"].sent_channel or ""
    assert sorted(m["text"] for m in fake.messages(dm)) == ["Reminder: note 1", "Reminder: note 2"]
    rows = outbox_rows(engine)
    assert (rows["dm-2"].status, rows["dm-2"].claimed_by, rows["dm-2"].attempts) == (SENT, "replica-b", 2)


def test_a_429_puts_the_message_back_for_retry_after_instead_of_holding_it_past_the_lease(
    engine: Engine, fake: FakeSlack
) -> None:
    fake.inject("chat.postMessage", status=429, retry_after=3, times=1)
    with transaction(engine) as db:
        outgoing.post_message(db, key="limited", channel=CHANNEL, view="reminder",
                            data={"text": "busy channel", "by": "UALICE"}, now=utcnow())
    first, other = _senders(engine, fake, lease=1.0)
    thread, reports = _in_background(first)
    time.sleep(1.6)  # A's lease would have run out by now, had it kept the claim while waiting
    row = outbox_rows(engine)["limited"]
    assert row.status == PENDING and row.next_attempt_at > utcnow()
    assert other.drain(max_seconds=1).sent == []  # not B's to send before Retry-After
    thread.join(20)
    assert reports[0].sent == ["limited"]  # A's drain waited for Retry-After and sent it
    posts = fake.calls_to("chat.postMessage")
    assert [call.status for call in posts] == [429, 200]
    assert posts[1].at - posts[0].at >= 3.0
    assert len(fake.messages(CHANNEL)) == 1
    assert fake.calls_to("conversations.history") == []  # Slack refused the first post: nothing to look for


def test_a_message_slack_keeps_rate_limiting_is_not_parked(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", status=429, retry_after=1, times=2)
    with transaction(engine) as db:
        outgoing.post_message(db, key="patient", channel=CHANNEL, view="reminder",
                            data={"text": "eventually", "by": "UALICE"}, now=utcnow())
    sender = make_sender(engine, fake)
    sender.max_attempts = 1  # a 429 does not use up the attempts: Slack said when to come back
    assert sender.drain(max_seconds=10).sent == ["patient"]
    assert [call.status for call in fake.calls_to("chat.postMessage")] == [429, 429, 200]
    assert len(fake.messages(CHANNEL)) == 1


def test_a_look_up_slack_rate_limits_waits_rather_than_posting_blind(engine: Engine, fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", delay=2.0, times=1)  # Slack posts it, but answers after our timeout
    with transaction(engine) as db:
        outgoing.post_message(db, key="slow", channel=CHANNEL, view="reminder",
                            data={"text": "slow one", "by": "UALICE"}, now=utcnow())
    sender = make_sender(engine, fake, timeout=1)
    assert sender.drain().retried == ["slow"]
    fake.wait_for("chat.postMessage", count=1, timeout=5)
    retries_due_now(engine)
    fake.inject("conversations.history", status=429, retry_after=1, times=1)
    assert sender.drain(max_seconds=10).sent == ["slow"]  # looked again after Retry-After, and found it
    assert [call.status for call in fake.calls_to("conversations.history")] == [429, 200]
    assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.messages(CHANNEL)) == 1
