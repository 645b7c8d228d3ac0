"""Several `accord serve` replicas on one PostgreSQL database share the due work and the outbox.

Real processes of the installed `accord` script on the real clock, the fake Slack in this process
enforcing Slack's limit of about one post a second per channel: each work item fires once and each
message reaches Slack once, even when a replica is SIGKILLed in the middle of the fan-out, or between
Slack taking a message and the sender recording it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from bot.fakeslack import Call, FakeSlack
from commands import outgoing, reminders
from commands.actor import Actor
from commands.calendar import WEEKDAYS
from commands.checkins import rounds
from commands.disputes import ladder, lifecycle
from commands.rmp import people, setup
from storage.checkins import CLOSED, Prompt, Round
from storage.disputes import Dispute, DisputeEvent
from storage.engine import make_engine, transaction
from storage.migrate import upgrade
from storage.models import DONE, FAILED, SENDING, SENT, OutboxMessage, WorkItem
from storage.utc import utcnow
from tests import local_http
from tests.databases import POSTGRES_ENV
from tests.harness import BOT_TOKEN, CHANNEL, HOME, PARTNER, SIGNING_SECRET, accord_command

pytestmark = [
    pytest.mark.skipif(not os.environ.get(POSTGRES_ENV), reason="replicas need PostgreSQL (they claim work with "
                       f"SKIP LOCKED): set {POSTGRES_ENV} to run them"),
    pytest.mark.xdist_group("real-processes"),  # with the other files of real `accord` processes, one at a time
]
ON_POSTGRES = pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)  # a database of its own

RELATIONSHIPS = 3  # tests/benchmarks/test_fanout.py plays the larger fan-out
HOME_PEOPLE, PARTNER_PEOPLE = 10, 10  # 20 participants each: 60 prompts and 60 check-in reminders
REMINDERS = 3  # `/accord remind` posts per relationship
ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
LADDER = "Working level | 1\nRelationship managers | 1\nSenior executives | 1\nMediation"
ESCALATIONS = 3  # L1 -> L2 -> L3 -> L4 (mediation, no clock): one escalation timer per level with a clock
TICK_SECONDS = 0.5
LEASE_SECONDS = 8.0  # a killed replica's claimed messages are taken over after this
KILL_AFTER_POSTS = 40  # SIGKILL a replica once Slack has taken this many posts
SLACK_LATENCY = 0.2  # seconds between Slack taking a post and its answer
POSTS = ("chat.postMessage", "dm")  # outbox methods that end in one chat.postMessage carrying the row's key


# -- replicas -----------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Replica:
    """One `accord serve` process."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def worker(self) -> str:
        """Its name in claimed_by columns (scheduler.tick.worker_name: host and pid)."""
        return f"{socket.gethostname()}:{self.process.pid}"

    def wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if local_http.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"replica {self.name} did not come up:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no signal handler, no finally, no last commit."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> int:
        """SIGTERM, then its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)


@contextmanager
def replicas(database_url: str, fake: FakeSlack, workdir: Path, count: int, *, lease: float) -> Iterator[list[Replica]]:
    """`count` `accord serve` processes (scheduler on) on one database; killed at the end if still running."""
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url, "LOG_LEVEL": "INFO",
           "ACCORD_TICK_SECONDS": str(TICK_SECONDS), "ACCORD_OUTBOX_LEASE_SECONDS": str(lease),
           # the senders read history as fast as the fake lets them (issue 17: once a minute outside the Marketplace)
           **({"ACCORD_SLACK_HISTORY_TIER": "marketplace"} if fake.marketplace or not fake.tiers_enabled else {})}
    started: list[Replica] = []
    try:
        for n in range(count):
            port, log = _free_port(), workdir / f"replica-{n}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*accord_command(), "--env-file", "/nonexistent", "serve", "--host", "127.0.0.1", "--port",
                     str(port)], env=env, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
            started.append(Replica("ABCDEFGH"[n], process, port, log))
        deadline = time.monotonic() + 60
        for replica in started:
            replica.wait_healthy(deadline)
        yield started
    finally:
        for replica in started:
            if replica.process.poll() is None:
                replica.process.kill()
                replica.process.wait(10)


# -- the partnerships ---------------------------------------------------------------------------------------


def _populate(engine: Engine, fake: FakeSlack, *, now: datetime) -> None:
    """`RELATIONSHIPS` partnerships set up through the use cases, each with its own channel and people.

    Each one's check-in round opened five days ago (so its opening, prompts, reminder and closing are
    all due now), its dispute was raised then on a ladder of one working day a level (so its warnings
    and escalations are due now), and its `/accord remind` reminders fell due five minutes ago.
    """
    opens_at = (now - timedelta(days=5)).replace(second=0, microsecond=0)
    set_up_at = opens_at - timedelta(hours=1)
    review_day = now + timedelta(days=1)  # the first review is after the test, whatever today is
    form = {
        "timezone": "UTC", "working_days": tuple(range(7)), "working_hours": "00:00-24:00", "ladder": LADDER,
        "checkin_cadence": f"weekly on {WEEKDAYS[opens_at.weekday()]} at {opens_at:%H:%M}",
        "review_cadence": f"weekly on {WEEKDAYS[review_day.weekday()]} at 12:00",
    }
    fake.allow_external_dm = True  # the partner organisation lets Accord DM its people
    for r in range(RELATIONSHIPS):
        channel = f"C{r:03d}PART"
        home = [f"U{r:03d}H{n:02d}" for n in range(HOME_PEOPLE)]
        partner = [f"U{r:03d}P{n:02d}" for n in range(PARTNER_PEOPLE)]
        for n, user in enumerate(home):  # people in several zones: prompts due at several moments
            fake.add_user(user, HOME, user.lower(), tz=ZONES[n % len(ZONES)])
        for user in partner:
            fake.add_user(user, PARTNER, user.lower(), tz=None)
        fake.add_channel(channel, f"partnership-{r}", members=[*home, *partner], is_shared=True)
        founder = Actor(home[0], HOME, channel)
        with transaction(engine) as db:
            setup.configure(db, actor=founder, now=set_up_at, form=setup.SetupInput(
                name=f"Partnership {r}", party_1=f"Home {r}", party_2=f"Partner {r}", **form))
            for user in home[1:]:
                people.join(db, actor=Actor(user, HOME, channel), now=set_up_at)
            for user in partner:
                people.join(db, actor=Actor(user, PARTNER, channel), now=set_up_at)
            lifecycle.raise_dispute(db, actor=Actor(partner[0], PARTNER, channel), now=set_up_at, form=(
                lifecycle.RaiseInput(f"Late invoices {r}", "Three invoices were late", "2", "high")))
            for k in range(REMINDERS):
                reminders.schedule_reminder(db, actor=founder, text=f"in 5m Reminder {k} of partnership {r}",
                                            now=now - timedelta(minutes=10))


# -- watching -----------------------------------------------------------------------------------------------


def _key(call: Call) -> str | None:
    metadata = call.args.get("metadata") or {}
    return (metadata.get("event_payload") or {}).get("key") if isinstance(metadata, dict) else None


def _posts(fake: FakeSlack) -> list[Call]:
    return fake.calls_to("chat.postMessage")


def _left(engine: Engine) -> tuple[int, int]:
    """Work items due and not done; messages neither sent nor parked."""
    with Session(engine) as db:
        work = db.exec(select(func.count()).select_from(WorkItem).where(
            col(WorkItem.status) != DONE, col(WorkItem.due_at) <= utcnow())).one()
        messages = db.exec(select(func.count()).select_from(OutboxMessage).where(
            col(OutboxMessage.status).not_in([SENT, FAILED]))).one()
    return int(work), int(messages)


def _claimed_by(engine: Engine, worker: str) -> dict[str, int]:
    """How much of the work `worker` did (done items, sent messages) and holds (messages in sending)."""
    with Session(engine) as db:
        done = db.exec(select(func.count()).select_from(WorkItem).where(
            WorkItem.claimed_by == worker, WorkItem.status == DONE)).one()
        sent = db.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.claimed_by == worker, OutboxMessage.status == SENT)).one()
        sending = db.exec(select(OutboxMessage.idempotency_key).where(
            OutboxMessage.claimed_by == worker, OutboxMessage.status == SENDING)).all()
    return {"done": int(done), "sent": int(sent), "sending_keys": list(sending)}


# -- the fan-out --------------------------------------------------------------------------------------------


@pytest.mark.acceptance  # about 30 s on two cores, at Slack's tiers (chat.update is Tier 3: 50 a minute)
@ON_POSTGRES
def test_three_replicas_share_a_fan_out_and_survive_one_killed_mid_way(
    database_url: str, fake: FakeSlack, tmp_path: Path
) -> None:
    """3 partnerships' check-in rounds (60 prompts and 60 reminders), dispute timers and reminders, all
    due at once, on three replicas; one SIGKILLed while it ticks and posts. Each item fires once, each message
    reaches Slack once (by its key), none is lost, and one Slack took just before the kill is reconciled."""
    began = time.monotonic()
    engine = make_engine(database_url)
    upgrade(engine)
    _populate(engine, fake, now=utcnow())
    set_up = time.monotonic() - began
    # under Slack's tiers: its 240 DMs are posted to each person's id (no conversations.open, Tier 3, first), so
    # the fan-out is limited by posting alone, here also one post a second in a channel
    fake.enforce_rate_limit("chat.postMessage", per_channel_per_second=1.0)
    # the posts the victim leaves unrecorded are looked for in several channels: at the history tier of a
    # Marketplace app (Tier 3), not one look a minute (tests/bot/test_outbox_reconcile.py covers that tier)
    fake.marketplace = True
    # until the kill, Slack takes a post at once and answers a little later (as the real one does): a replica
    # killed while waiting for answers leaves posts that are in Slack but not recorded, for the others to find
    fake.inject("chat.postMessage", hold=SLACK_LATENCY, times=None)

    with replicas(database_url, fake, tmp_path, 3, lease=LEASE_SECONDS) as running:
        fan_out_began = time.monotonic()
        victim, survivors = running[1], [running[0], running[2]]
        at_kill: dict[str, Any] = {}
        timeline: list[tuple[float, int, int, int]] = []  # seconds, posts taken by Slack, work and messages left
        deadline, noted = time.monotonic() + 240, 0.0
        while True:
            posts = _posts(fake)
            if time.monotonic() - noted >= 0.25:
                noted, left = time.monotonic(), _left(engine)
                timeline.append((noted - fan_out_began, sum(1 for call in posts if call.ok), *left))
                if at_kill and left == (0, 0):
                    break
            if not at_kill:
                # mid fan-out: the victim has done work and sent messages, and Slack has just taken a post of
                # the victim's that the victim has not recorded yet (it is still waiting for the answer)
                victims = _claimed_by(engine, victim.worker)
                taken = {_key(call) for call in posts if call.ok}
                just_taken = {_key(call) for call in posts if call.ok and time.time() - call.at < SLACK_LATENCY / 2}
                if len(taken) >= KILL_AFTER_POSTS and victims["done"] and victims["sent"] \
                        and just_taken & set(victims["sending_keys"]):
                    victim.kill()
                    fake.clear_faults()  # Slack answers at once from now on: the fan-out goes faster
                    left = _left(engine)
                    at_kill = {**_claimed_by(engine, victim.worker), "posted": len(taken), "work_left": left[0],
                               "messages_left": left[1], "after": time.monotonic() - fan_out_began,
                               "at": time.time()}
            if time.monotonic() > deadline:
                raise AssertionError(f"not done after 240 s: left (work, messages) {_left(engine)}; "
                                     f"at the kill {at_kill}")
            time.sleep(0.02 if not at_kill else 0.25)
        fan_out = time.monotonic() - fan_out_began
        assert [survivor.stop() for survivor in survivors] == [0, 0]
    for replica in running:
        assert "Traceback" not in replica.log.read_text(), replica.log.read_text()[-5000:]

    with Session(engine) as db:
        items = list(db.exec(select(WorkItem).where(col(WorkItem.due_at) <= utcnow())))
        rows = {row.idempotency_key: row for row in db.exec(select(OutboxMessage))}
        round_list = list(db.exec(select(Round)))
        prompts = list(db.exec(select(Prompt)))
        disputes = list(db.exec(select(Dispute)))
        events = list(db.exec(select(DisputeEvent)))

    # every due work item fired exactly once: done, on its first attempt (a killed one rolled back whole)
    assert {item.status for item in items} == {DONE}
    assert [item for item in items if item.attempts != 1] == []
    kinds = Counter(item.kind for item in items)
    participants = RELATIONSHIPS * (HOME_PEOPLE + PARTNER_PEOPLE)
    assert kinds[rounds.OPEN_KIND] == kinds[rounds.CLOSE_KIND] == RELATIONSHIPS
    # a round's reminder is due at the prompts' time in each person's zone: one item per moment, each person once
    reminded = [user for item in items if item.kind == rounds.REMIND_KIND for user in item.payload["user_ids"]]
    assert len(reminded) == len(set(reminded)) == RELATIONSHIPS * (HOME_PEOPLE + PARTNER_PEOPLE)
    assert kinds[rounds.PROMPT_KIND] == len({(p.round_id, p.due_at) for p in prompts})  # one per moment
    assert kinds[reminders.KIND] == RELATIONSHIPS * REMINDERS
    assert kinds[ladder.ESCALATE_KIND] == RELATIONSHIPS * ESCALATIONS
    # and no side effect twice: one round per relationship, one prompt per person, one escalation per timer
    assert len(round_list) == RELATIONSHIPS and {r.status for r in round_list} == {CLOSED}
    assert len(prompts) == len({(p.round_id, p.user_id) for p in prompts}) == participants
    escalated = Counter(e.dispute_id for e in events if e.kind == "escalated")
    assert escalated == {d.id: ESCALATIONS for d in disputes}
    assert {d.level for d in disputes} == {ESCALATIONS}
    warnings = Counter(e.dispute_id for e in events if e.kind == "warning")
    assert all(n <= ESCALATIONS for n in warnings.values())

    # every message was sent, none lost: each prompt, reminder, summary, reminder post and dispute event
    assert {row.status for row in rows.values()} == {SENT}
    expected = {f"checkin:{p.round_id}:{p.user_id}:{what}" for p in prompts for what in ("prompt", "remind:1")}
    expected |= {f"checkin:{r.id}:round" for r in round_list}  # the round's one message, closed since
    expected |= {f"work:{item.id}:reminder" for item in items if item.kind == reminders.KIND}
    expected |= {f"dispute:{e.dispute_id}:event:{e.id}" for e in events}
    assert expected <= set(rows)

    # Slack took each message exactly once (counted by the idempotency key in its metadata) ...
    posts = _posts(fake)
    taken = Counter(_key(call) for call in posts if call.ok)
    posting = {key for key, row in rows.items() if row.method in POSTS and row.ts is not None}
    assert set(taken) == posting
    # ... and each DM Slack refused went once as a message only its person sees
    shown_alone = [key for key, row in rows.items() if row.method == "dm" and row.ts is None]
    assert len([call for call in fake.calls_to("chat.postEphemeral") if call.ok]) == len(shown_alone)
    assert {key: n for key, n in taken.items() if n != 1} == {}
    # ... and holds each once, with the ts the outbox recorded
    stored: dict[str, list[str]] = {}
    for channel in {rows[key].sent_channel or "" for key in posting}:
        for message in fake.messages(channel):
            stored.setdefault((message.get("metadata") or {}).get("event_payload", {}).get("key"), []).append(
                message["ts"])
    assert {key: stored.get(key) for key in posting} == {key: [rows[key].ts] for key in posting}

    # the killed replica had done its share before it died, and the messages it held were taken over; those
    # Slack had taken before it died were found there (by their key), not posted again
    assert at_kill["done"] > 0 and at_kill["sent"] > 0 and at_kill["messages_left"] > 0
    held = at_kill["sending_keys"]
    assert all(rows[key].claimed_by != victim.worker and rows[key].attempts > 1 for key in held)
    in_slack = [key for key in held if any(_key(call) == key and call.ok and call.at < at_kill["at"] for call in posts)]
    assert in_slack  # the crash window: taken by Slack, not recorded; reconciled above (one post per key)
    limited = sum(1 for call in posts if call.status == 429)
    work_by = Counter(item.claimed_by for item in items)
    sent_by = Counter(row.claimed_by for row in rows.values())
    names = {replica.worker: replica.name for replica in running}
    print(f"\n{len(items)} work items and {len(rows)} messages ({len(posting)} posts, "
          f"{len(fake.calls_to('chat.update'))} updates) in {fan_out:.1f} s after {set_up:.1f} s of setup; "
          f"{limited} posts answered 429; "
          f"{sum(1 for row in rows.values() if row.attempts > 1)} messages needed a second attempt; "
          f"{len(fake.calls_to('conversations.history'))} history look-ups\n"
          f"replica B killed after {at_kill['after']:.1f} s, at {at_kill['posted']} posts, with "
          f"{at_kill['work_left']} work items and {at_kill['messages_left']} messages left; it had done "
          f"{at_kill['done']} items, sent {at_kill['sent']} messages and held {len(held)} unrecorded, of which "
          f"{len(in_slack)} already in Slack (reconciled by the others, not posted again)\n"
          "work items by replica: " + ", ".join(f"{names.get(w, w)} {n}" for w, n in sorted(work_by.items())) +
          "; messages by replica: " + ", ".join(f"{names.get(w, w)} {n}" for w, n in sorted(sent_by.items())) +
          "\n(seconds, posts, work left, messages left): " +
          " ".join(f"({t:.0f}, {p}, {w}, {m})" for t, p, w, m in timeline[::8]))
    engine.dispose()


# -- the crash window ---------------------------------------------------------------------------------------


@ON_POSTGRES
@pytest.mark.parametrize("method", ["chat.postMessage", "dm"])
def test_a_replica_killed_after_slack_took_its_message_is_reconciled_by_another_not_posted_again(
    database_url: str, fake: FakeSlack, tmp_path: Path, method: str
) -> None:
    """The crash window, between Slack taking a post and the sender recording it: the replica holding it is
    SIGKILLed while it waits for Slack's answer; the other finds the post by its metadata key and records it."""
    engine = make_engine(database_url)
    upgrade(engine)
    lease = 2.0
    # Slack takes the post at once (it is in the channel, visible to conversations.history) but holds
    # its answer: the sender is still waiting for the ts when it is killed
    fake.inject("chat.postMessage", hold=lease + 5, times=1)
    with replicas(database_url, fake, tmp_path, 2, lease=lease) as running:
        with transaction(engine) as db:
            data = {"text": "Send the figures", "by": "UALICE"}
            if method == "dm":
                outgoing.direct_message(db, key="crash", user="UERIN", fallback_channel=CHANNEL, view="reminder",
                                      data=data, now=utcnow())
            else:
                outgoing.post_message(db, key="crash", channel=CHANNEL, view="reminder", data=data, now=utcnow())
        deadline = time.monotonic() + 20
        while not any(_key(call) == "crash" and call.ok for call in _posts(fake)):
            assert time.monotonic() < deadline, "Slack never got the post"
            time.sleep(0.02)
        with Session(engine) as db:
            row = db.exec(select(OutboxMessage)).one()
        assert row.status == SENDING and row.ts is None  # taken by Slack, not recorded
        victim = next(replica for replica in running if replica.worker == row.claimed_by)
        victim.kill()
        killed_at = time.time()
        survivor = next(replica for replica in running if replica is not victim)
        deadline = time.monotonic() + 20
        while _left(engine) != (0, 0):
            assert time.monotonic() < deadline, "the survivor never took the message over"
            time.sleep(0.1)
        assert survivor.stop() == 0

    with Session(engine) as db:
        row = db.exec(select(OutboxMessage)).one()
    posted = [call for call in _posts(fake) if _key(call) == "crash"]
    assert [call.ok for call in posted] == [True]  # one post, before the kill; none after
    channel = posted[0].response["channel"]
    in_slack = [m for m in fake.messages(channel) if (m.get("metadata") or {}).get("event_payload") == {"key": "crash"}]
    assert len(in_slack) == 1
    assert (row.status, row.claimed_by, row.attempts) == (SENT, survivor.worker, 2)
    assert (row.ts, row.sent_channel) == (in_slack[0]["ts"], channel)
    assert any(call.at > killed_at for call in fake.calls_to("conversations.history"))  # the reconciling look
    assert "was already in Slack" in survivor.log.read_text()
    engine.dispose()
