"""The outbox sender with several workers: channels in parallel, each channel still one post at a time,
in order and paced; the updates of one message in order; every message once."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from bot.wait_clock import RealClock
from commands import outgoing
from storage.engine import transaction
from storage.models import SENT
from storage.utc import utcnow
from tests.harness import CHANNEL, PARTNER_PEOPLE, make_sender, outbox_rows

CHANNELS = [f"C0WORK{n}" for n in range(8)]


def _sender(engine: Engine, fake: FakeSlack, *, pace: float = 0.0, workers: int = 4):  # type: ignore[no-untyped-def]
    sender = make_sender(engine, fake, pace=pace, wait_clock=RealClock() if pace else None)
    sender.workers = workers
    return sender


def _post(engine: Engine, key: str, channel: str) -> None:
    with transaction(engine) as db:
        outgoing.post_message(db, key=key, channel=channel, view="reminder", data={"text": key, "by": "UALICE"},
                            now=utcnow())


def _channels(fake: FakeSlack) -> None:
    for channel in CHANNELS:
        fake.add_channel(channel, channel.lower(), members=["UBOB"])


def test_slow_posts_to_different_channels_go_at_once(engine: Engine, fake: FakeSlack) -> None:
    _channels(fake)
    slow = 0.3
    fake.inject("chat.postMessage", delay=slow, times=None)  # Slack answering slowly
    for channel in CHANNELS:
        _post(engine, f"post:{channel}", channel)
    report = _sender(engine, fake).drain()
    assert sorted(report.sent) == sorted(f"post:{c}" for c in CHANNELS)
    # the posts were under way together: a post reached Slack before the one before it was answered
    arrivals = sorted(call.at for call in fake.calls_to("chat.postMessage"))
    assert any(later - earlier < slow for earlier, later in zip(arrivals, arrivals[1:], strict=False)), arrivals
    assert {row.status for row in outbox_rows(engine).values()} == {SENT}


def test_each_channel_keeps_its_order_and_pace_and_dms_that_fall_back_are_shown_unpaced_naming_nobody(
    engine: Engine, fake: FakeSlack
) -> None:
    pace = 0.3
    _channels(fake)
    fake.enforce_rate_limit("chat.postMessage", per_channel_per_second=1 / pace)  # closer than pace: 429
    for n in range(4):
        for channel in CHANNELS[:3]:
            _post(engine, f"{channel}:{n}", channel)
    # posts in CHANNEL, each followed by a DM to a person of the partner organisation: posted to their id, refused.
    # Four people, not one four times: each refused DM is a chat.postMessage to its person's id, and this limit
    # (stricter than Slack's short bursts) would answer 429 to a second post to the same id within the pace
    for n, person in enumerate(PARTNER_PEOPLE):
        _post(engine, f"{CHANNEL}:{n}", CHANNEL)
        with transaction(engine) as db:
            outgoing.direct_message(db, key=f"dm:{n}", user=person, fallback_channel=CHANNEL, view="raw",
                                  data={"text": f"prompt {n}"}, now=utcnow())
    sender = _sender(engine, fake, pace=pace)
    # no workspace budget: at 600 posts a minute its 0.1 s slots, taken by all 20 posts (the refused DMs too), would
    # space the DMs more than the channels' pace does; this test is about each channel's own pace
    sender.posts_per_minute = 0
    report = sender.drain()
    assert len(report.sent) == 20 and not report.retried and not report.failed
    calls = fake.calls_to("chat.postMessage")
    assert all(c.status == 200 for c in calls), [c.response for c in calls if c.status != 200]
    refused = [c for c in calls if c.args["channel"] in PARTNER_PEOPLE]  # the DMs, to each person's id
    assert sorted(c.args["channel"] for c in refused) == sorted(PARTNER_PEOPLE)
    assert {c.response.get("error") for c in refused} == {"channel_not_found"} and fake.dm_channels() == {}
    posts = [c for c in calls if c not in refused]
    for channel in [*CHANNELS[:3], CHANNEL]:
        mine = [c for c in posts if c.args["channel"] == channel]
        assert len(mine) == 4
        gaps = [b.at - a.at for a, b in zip(mine, mine[1:], strict=False)]
        assert all(gap >= pace * 0.95 for gap in gaps), (channel, gaps)
        texts = [c.args["text"] for c in mine]
        assert texts == sorted(texts), texts  # in the order they were queued
    # the channels in parallel, not one after another: the first posts went to as many channels
    first = [c.args["channel"] for c in sorted(posts, key=lambda c: c.at)[:3]]
    assert len(set(first)) == 3, first
    # the refused DMs: each shown to its person only (each person's in their own lane: side by side), none
    # waiting for the channel's pace (paced, the four would take three paces at least); the channel holds its own
    # posts only, and nothing in it names them
    shown = fake.calls_to("chat.postEphemeral")
    expected = [(person, f"prompt {n}") for n, person in enumerate(PARTNER_PEOPLE)]
    assert sorted((c.args["user"], c.args["text"]) for c in shown) == sorted(expected)
    assert shown[-1].at - shown[0].at < pace * 3 * 0.95, [c.at for c in shown]
    assert sorted(e["text"] for e in fake.ephemerals(CHANNEL)) == [f"prompt {n}" for n in range(4)]
    in_channel = fake.messages(CHANNEL)
    assert [m["text"] for m in in_channel] == [f"Reminder: {CHANNEL}:{n}" for n in range(4)]
    assert not [p for p in PARTNER_PEOPLE if p in json.dumps(in_channel)]
    assert not [c for c in posts if c.args["channel"] == CHANNEL and any(p in json.dumps(c.args)
                                                                    for p in PARTNER_PEOPLE)]


def test_the_updates_of_one_message_are_made_in_order(engine: Engine, fake: FakeSlack) -> None:
    _post(engine, "root", CHANNEL)
    with transaction(engine) as db:
        for n in range(5):
            outgoing.update_message(db, key=f"update:{n}", updates="root", view="reminder",
                                  data={"text": f"version {n}", "by": "UALICE"}, now=utcnow())
    fake.inject("chat.update", delay=0.1, times=2)  # were two updates made at once, the slower would win
    report = _sender(engine, fake, workers=8).drain()
    assert report.sent == ["root", *(f"update:{n}" for n in range(5))]
    [message] = fake.messages(CHANNEL)
    assert "version 4" in message["text"]
