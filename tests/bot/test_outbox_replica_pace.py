"""Issue 17, point 4: three replicas together keep a channel to about one post a second (bot/pace.py through the
database), so Slack answers none of their posts with 429."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from bot.wait_clock import RealClock
from commands import outgoing
from storage.engine import make_engine, transaction
from tests.harness import CHANNEL, make_sender, outbox_rows

POSTS = 8


def test_three_replicas_post_to_one_channel_a_second_apart_and_get_no_429(
    engine: Engine, database_url: str, fake: FakeSlack
) -> None:
    # Slack's tier for chat.postMessage holds (on in every test): about one a second per channel, short bursts
    now = datetime.now(UTC)
    with transaction(engine) as db:
        for n in range(POSTS):
            outgoing.post_message(db, key=f"post-{n}", channel=CHANNEL, view="raw", data={"text": f"post {n}"},
                                now=now)
    replicas = [make_engine(database_url) for _ in range(3)]
    senders = []
    for n, replica in enumerate(replicas):
        sender = make_sender(replica, fake, pace=1.0, wait_clock=RealClock())
        sender.worker = f"replica-{n}"
        senders.append(sender)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(lambda sender: sender.drain(max_seconds=30), senders))
    finally:
        for replica in replicas:
            replica.dispose()
    posts = [call for call in fake.calls_to("chat.postMessage") if call.args.get("channel") == CHANNEL]
    assert [call.status for call in posts if call.status != 200] == []  # no 429: the replicas shared the pace
    assert sorted(key for key, row in outbox_rows(engine).items() if row.status == "sent") == \
        sorted(f"post-{n}" for n in range(POSTS))
    times = sorted(call.at for call in posts)
    assert times[-1] - times[0] >= 0.9 * (POSTS - 1)  # about one a second, all replicas together
