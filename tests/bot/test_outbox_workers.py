"""The outbox sender with several workers: channels in parallel, each channel still one post at a time,
in order and paced; the updates of one message in order; every message once."""

from __future__ import annotations

import time

from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from commands import outbox
from storage.clock import utcnow
from storage.engine import transaction
from storage.models import SENT
from tests.harness import CHANNEL, make_sender, outbox_rows

CHANNELS = [f"C0WORK{n}" for n in range(8)]


def _sender(engine: Engine, fake: FakeSlack, *, pace: float = 0.0, workers: int = 4):  # type: ignore[no-untyped-def]
    sender = make_sender(engine, fake, pace=pace)
    sender.workers = workers
    return sender


def _post(engine: Engine, key: str, channel: str) -> None:
    with transaction(engine) as db:
        outbox.post_message(db, key=key, channel=channel, view="reminder", data={"text": key, "by": "UALICE"},
                            now=utcnow())


def _channels(fake: FakeSlack) -> None:
    for channel in CHANNELS:
        fake.add_channel(channel, channel.lower(), members=["UBOB"])


def test_slow_posts_to_different_channels_go_at_once(engine: Engine, fake: FakeSlack) -> None:
    _channels(fake)
    fake.inject("chat.postMessage", delay=0.3, times=None)  # Slack answering slowly
    for channel in CHANNELS:
        _post(engine, f"post:{channel}", channel)
    started = time.monotonic()
    report = _sender(engine, fake).drain()
    took = time.monotonic() - started
    assert sorted(report.sent) == sorted(f"post:{c}" for c in CHANNELS)
    assert took < 1.6, took  # 8 posts of 0.3 s by 4 workers: about 0.6 s, not 2.4 s one after the other
    assert {row.status for row in outbox_rows(engine).values()} == {SENT}


def test_each_channel_keeps_its_order_and_pace_and_dms_that_fall_back_are_paced_too(
    engine: Engine, fake: FakeSlack
) -> None:
    pace = 0.3
    _channels(fake)
    fake.enforce_rate_limit("chat.postMessage", per_channel_per_second=1 / pace)  # closer than pace: 429
    for n in range(4):
        for channel in CHANNELS[:3]:
            _post(engine, f"{channel}:{n}", channel)
    for n in range(4):  # DMs to people of the partner organisation: refused, so posted in CHANNEL
        with transaction(engine) as db:
            outbox.direct_message(db, key=f"dm:{n}", user="UBOB", fallback_channel=CHANNEL, view="raw",
                                  data={"text": f"prompt {n}"}, now=utcnow())
    started = time.monotonic()
    report = _sender(engine, fake, pace=pace).drain()
    took = time.monotonic() - started
    assert len(report.sent) == 16 and not report.retried and not report.failed
    posts = [c for c in fake.calls_to("chat.postMessage")]
    assert all(c.status == 200 for c in posts), [c.response for c in posts if c.status != 200]
    for channel in [*CHANNELS[:3], CHANNEL]:
        mine = [c for c in posts if c.args["channel"] == channel]
        assert len(mine) == 4
        gaps = [b.at - a.at for a, b in zip(mine, mine[1:], strict=False)]
        assert all(gap >= pace * 0.95 for gap in gaps), (channel, gaps)
        texts = [c.args["text"] for c in mine]
        assert texts == sorted(texts), texts  # in the order they were queued
    assert took < 4 * pace * 2.5, took  # the channels in parallel: about 3 paces, not 15


def test_the_updates_of_one_message_are_made_in_order(engine: Engine, fake: FakeSlack) -> None:
    _post(engine, "root", CHANNEL)
    with transaction(engine) as db:
        for n in range(5):
            outbox.update_message(db, key=f"update:{n}", updates="root", view="reminder",
                                  data={"text": f"version {n}", "by": "UALICE"}, now=utcnow())
    fake.inject("chat.update", delay=0.1, times=2)  # were two updates made at once, the slower would win
    report = _sender(engine, fake, workers=8).drain()
    assert report.sent == ["root", *(f"update:{n}" for n in range(5))]
    [message] = fake.messages(CHANNEL)
    assert "version 4" in message["text"]
