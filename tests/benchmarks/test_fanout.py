"""Issues 9 (point 3) and 17 (point 4): fan-out of 10,000 check-in prompts across 100 channels within Slack's
limits, by three replicas.

100 relationships, each in its own channel with 100 participants (a founder and 99 people of the partner
organisation), have a check-in round opened by a tick of the product just before its prompts fall due.
Then three `accord serve` processes (the real CLI; scheduler on, ticking every second; one database) run the
prompts and their outbox senders deliver them to the fake Slack, which enforces Slack's published tiers for
every method (bot/fakeslack/tiers.py: chat.postMessage one post a second per channel, a DM too, short bursts
tolerated), with the workspace-wide posting window of a large workspace (WORKSPACE_PER_MINUTE posts in any
minute, all channels together), which Accord is told (ACCORD_SLACK_POSTS_PER_MINUTE); the replicas share each
channel's and each person's DM's pace and the workspace's budget through the database. The partner's
organisation allows DMs from Accord, so each prompt is a DM (10,000 posts to 10,000 people, each to the
person's id: no conversations.open, which is Tier 3), plus each round's one message in its shared channel.
(Where DMs are refused each prompt is shown to its person alone; the noise test counts both.)

The floor is the least time the limits allow from the prompts falling due to the last post: the larger of the
workspace's (its minutes filled) and the founder's: in every partnership, the founder gets a prompt from each
in one DM, which takes one post a second. The time taken runs from the start of the tick that ran the prompts
to the last successful post. Each prompt carries its idempotency key in the message metadata: every key must
reach Slack exactly once (0 lost, 0 duplicated). Target: 0 calls answered 429, every replica sending, and time
taken <= 1.1x the floor.

    pytest -n 0 -m benchmark -s tests/benchmarks/test_fanout.py
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.fakeslack import Call, FakeSlack
from commands.checkins import rounds
from storage.models import FAILED, SENT, OutboxMessage, WorkItem
from tests.benchmarks import population, serving
from tests.harness import BOT_TOKEN

pytestmark = pytest.mark.benchmark

CHANNELS, PEOPLE = 100, 100  # 10,000 prompts
REPLICAS = 3
WORKSPACE_PER_MINUTE = 6000  # a large workspace: Slack says "several hundred" a minute for most
POST_BURST = 4  # Slack's short bursts in one channel: the fake takes 4 posts in any 4 s (bot/fakeslack/tiers.py)
TARGET = 1.1
TICK_SECONDS = "1"


def _key(call: Call) -> str | None:
    metadata = call.args.get("metadata") or {}
    return (metadata.get("event_payload") or {}).get("key") if isinstance(metadata, dict) else None


def _left(engine: Engine) -> int:
    with Session(engine) as db:
        return int(db.exec(select(func.count()).select_from(OutboxMessage)
                           .where(col(OutboxMessage.status).not_in([SENT, FAILED]))).one())


def _populate(fake: FakeSlack, built: population.Population) -> None:
    fake.add_team(population.PARTNER, "Partner")
    for number, channel in enumerate(built.channels):
        people = [population.person_of(number, index) for index in range(1, built.people)]
        for user in people:
            fake.add_user(user, population.PARTNER, user.lower(), tz=None)
        fake.add_channel(channel, f"partnership-{number}", members=people, is_shared=True)
    fake.add_user(population.FOUNDER, population.PARTNER, "founder", tz=None)
    # the partner's organisation allows DMs from Accord: each prompt is a DM (where it is not, each is shown to
    # its person alone in the channel; tests/scenarios/test_checkin_noise.py counts both)
    fake.allow_external_dm = True


def test_fan_out_of_ten_thousand_prompts_by_three_replicas(database_url: str, engine: Engine, tmp_path: Path) -> None:
    started = time.monotonic()
    now = datetime.now(UTC)
    built = population.build(engine, CHANNELS, people=PEOPLE, now=now)
    population.open_rounds(engine, built, now=now)
    with Session(engine) as db:
        prompts = db.exec(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.method == "dm")).one()
        items = db.exec(select(func.count()).select_from(WorkItem).where(WorkItem.kind == rounds.PROMPT_KIND)).one()
    assert prompts == 0 and items >= CHANNELS  # the prompts are due work, not yet messages
    expected = CHANNELS * PEOPLE
    # the least time the limits allow: the workspace takes WORKSPACE_PER_MINUTE posts in any minute, so the last
    # of them cannot go before the minutes its posts fill have passed; the founder, in every partnership, gets a
    # prompt from each in one DM, which takes one post a second
    workspace_floor = 60.0 * ((expected + CHANNELS - 1) // WORKSPACE_PER_MINUTE)
    founder_floor = (CHANNELS - 1) / 1.0  # Slack: one a second (the fake's window only tolerates short bursts)
    floor = max(workspace_floor, founder_floor)

    with FakeSlack(bot_token=BOT_TOKEN, team_id=population.HOME, bot_user_id="UACCORD") as fake:
        _populate(fake, built)
        fake.set_workspace_minute("chat.postMessage", WORKSPACE_PER_MINUTE)
        env = serving.accord_env(database_url, fake.api_url, ACCORD_TICK_SECONDS=TICK_SECONDS, LOG_LEVEL="WARNING",
                                 ACCORD_SLACK_POSTS_PER_MINUTE=str(WORKSPACE_PER_MINUTE))
        with ExitStack() as running:
            accords = [running.enter_context(serving.started(f"accord-fanout-{n}", serving.accord_serve(), env,
                                                             tmp_path)) for n in range(REPLICAS)]
            deadline = time.monotonic() + 3 * floor + 120
            while time.monotonic() < deadline and (_left(engine) or _ticked(engine) < items):
                time.sleep(1)
            rss = max(accord.rss_mb() for accord in accords)
        posts = [c for c in fake.calls_to("chat.postMessage")]
        opens = fake.calls_to("conversations.open")
        refused_by = Counter(c.method for c in fake.calls if c.status == 429)
        refused_any = sum(refused_by.values())
        called = Counter(c.method for c in fake.calls)
    with Session(engine) as db:
        tick_at = min(w.claimed_at for w in db.exec(select(WorkItem).where(WorkItem.kind == rounds.PROMPT_KIND))
                      if w.claimed_at is not None)
        outcome = Counter(db.exec(select(OutboxMessage.status)).all())
        founder_rows = sorted(r.created_at.timestamp() for r in db.exec(select(OutboxMessage).where(
            OutboxMessage.user == population.FOUNDER, OutboxMessage.method == "dm")))
        by_replica = Counter(db.exec(select(OutboxMessage.claimed_by).where(OutboxMessage.method == "dm")).all())

    delivered = [c for c in posts if c.ok]
    keys = Counter(_key(c) for c in delivered)
    wanted = {f"checkin:{r}:{u}:prompt" for r, u in _prompt_keys(engine)}
    lost = len(wanted - set(keys))
    duplicated = sum(n - 1 for key, n in keys.items() if key in wanted and n > 1)
    per_channel = Counter(c.args["channel"] for c in delivered)
    refused = sum(1 for c in posts if c.status == 429)
    first, last = min(c.at for c in delivered), max(c.at for c in delivered)
    took = last - tick_at.timestamp()
    gaps = _min_gap(delivered)
    founder = sorted(c.at for c in delivered if c.args["channel"] == population.FOUNDER)
    refused_founder = sum(1 for c in posts if c.status == 429 and c.args.get("channel") == population.FOUNDER)

    print(f"\n\nfan-out of {expected} check-in prompts in {CHANNELS} channels by {REPLICAS} replicas "
          f"({engine.dialect.name}; "
          f"benchmark took {time.monotonic() - started:.0f} s)")
    print(f"machine: {serving.machine(database_url)}")
    print(f"limits: Slack's tiers, {POST_BURST} posts in any {POST_BURST} s per channel (a DM too), "
          f"{WORKSPACE_PER_MINUTE} posts a minute per workspace; floor = max(the workspace's {workspace_floor:.0f} s, "
          f"the founder's {CHANNELS} prompts in one DM {founder_floor:.0f} s) = {floor:.1f} s")
    print(f"{'posted':>7} {'lost':>5} {'dup':>4} {'429s':>5} {'opens':>5} {'per channel':>11} "
          f"{'first post s':>12} {'took s':>7} {'posts/s':>7} {'min gap s':>9} {'RSS MB':>7}  outbox")
    print(f"{len(delivered):>7} {lost:>5} {duplicated:>4} {refused_any:>5} {len(opens):>5} "
          f"{min(per_channel.values())}-{max(per_channel.values()):<7} {first - tick_at.timestamp():>12.1f} "
          f"{took:>7.1f} {len(delivered) / (last - first):>7.1f} {gaps:>9.3f} {rss:>7.0f}  {dict(outcome)}")
    print(f"prompts sent per replica: {sorted(by_replica.values())}")
    print(f"calls by method: {dict(called)}; answered 429: {dict(refused_by)} ({refused_founder} of them in the "
          f"founder's DM)")
    print(f"the founder's {len(founder)} prompts: first {founder[0] - tick_at.timestamp():.1f} s, last "
          f"{founder[-1] - tick_at.timestamp():.1f} s after the tick (queued from "
          f"{founder_rows[0] - tick_at.timestamp():.1f} s to {founder_rows[-1] - tick_at.timestamp():.1f} s)")
    print(f"took / floor = {took / floor:.3f}  (must be <= {TARGET})")
    assert lost == 0 and duplicated == 0, (lost, duplicated)
    assert refused_any == 0 and refused == 0, f"{refused_any} calls answered 429"  # the replicas share the budgets
    assert len(by_replica) == REPLICAS, by_replica  # every replica took part
    assert outcome == {SENT: expected + CHANNELS}, outcome  # and each round's one message in its channel
    assert took <= TARGET * floor, f"{took:.1f} s > {TARGET} x {floor:.1f} s"


def _ticked(engine: Engine) -> int:
    with Session(engine) as db:
        return int(db.exec(select(func.count()).select_from(WorkItem).where(
            WorkItem.kind == rounds.PROMPT_KIND, WorkItem.status == "done")).one())


def _prompt_keys(engine: Engine) -> list[tuple[int, str]]:
    from storage.checkins import Prompt

    with Session(engine) as db:
        return [(p.round_id, p.user_id) for p in db.exec(select(Prompt))]


def _min_gap(delivered: list[Call]) -> float:
    """The shortest time between two posts to one channel (Slack's limit: about a second)."""
    last: dict[str, float] = {}
    gap = float("inf")
    for call in sorted(delivered, key=lambda c: c.at):
        channel = call.args["channel"]
        if channel in last:
            gap = min(gap, call.at - last[channel])
        last[channel] = call.at
    return gap
