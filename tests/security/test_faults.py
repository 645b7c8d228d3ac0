"""Faults: Slack answering 429 with Retry-After, 5xx, and timeouts after it acted, on 20% of the outbox's calls
through a long scenario; afterwards every intended message was delivered exactly once and none was lost. And the
database going away in the middle of a tick: the tick fails cleanly, the next one completes the work."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from commands.actor import Actor
from commands.reminders import schedule_reminder
from storage.engine import normalise_url, transaction
from storage.models import CANCELLED, DONE, SENT, OutboxMessage, WorkItem
from storage.utc import parse_instant, utcnow
from tests.accord_cli import run_accord
from tests.harness import CHANNEL, Harness, accord_command, make_sender, outbox_rows, retries_due_now
from tests.scenarios.checkin_steps import answer
from tests.scenarios.dispute_steps import raise_by_slash
from tests.scenarios.review_steps import NORTH, SOUTH, at, month_of_partnership, sign, state_expectations

# the calls the outbox makes; views.open is left alone (it is on the request path: its failure is told to the
# person, who tries again), and an ephemeral or an update answered late is harmless, so those get no timeouts
OUTBOX_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "conversations.open", "users.info",
                  "files.getUploadURLExternal", "files.completeUploadExternal")
RECONCILED = ("chat.postMessage", "files.completeUploadExternal")  # found again after a timeout, by key or title


def _inject(harness: Harness, seed: int) -> None:
    for n, method in enumerate(OUTBOX_METHODS):
        # about 20% of the calls in all: 7% 429, 7% 5xx, 6% a timeout after Slack acted (or a dropped answer)
        reconciled = method in RECONCILED  # these also get timeouts: the same 20% in all
        harness.fake.inject(method, status=429, retry_after=1, times=None, probability=0.07 if reconciled else 0.1,
                            seed=seed + n)
        harness.fake.inject(method, status=503, times=None, probability=0.075 if reconciled else 0.11,
                            seed=seed + 100 + n)
        if reconciled:
            harness.fake.inject(method, hold=1.5, times=None, probability=0.035, seed=seed + 200 + n)
            harness.fake.inject(method, drop=True, times=None, probability=0.03, seed=seed + 300 + n)


def _delivered_keys(harness: Harness) -> Counter[str]:
    """Each outbox key found in Slack, counted: posts by their metadata, shared files by their title."""
    found: Counter[str] = Counter()
    channels = {CHANNEL} | set(harness.fake.dm_channels())  # the shared channel and every DM with the app
    for channel in channels:
        for message in harness.fake.messages(channel):
            key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key")
            if key:
                found[key] += 1
            for shared in message.get("files") or []:
                found[f"file:{shared['title']}"] += 1
    return found


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_twenty_percent_faults_through_a_long_scenario_lose_and_duplicate_nothing(harness: Harness) -> None:
    harness.sender = make_sender(harness.engine, harness.fake, pace=0.05, timeout=1)
    _inject(harness, seed=44001)
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    harness.driver.slash("UERIN", CHANNEL, "review now")
    for user in ("UBOB", "UALICE"):
        state_expectations(harness, user)
        sign(harness, user, 1)
    harness.tick(parse_instant("2027-01-25T16:00:00Z"))  # round 3 opens: a prompt to everyone
    for user in (*NORTH, *SOUTH):
        answer(harness, user, "2027-01-26T10:00:00Z", [3] * 6)
        harness.driver.slash(user, CHANNEL, "status")
    raise_by_slash(harness, "UJOE")
    harness.tick(parse_instant("2027-02-05T12:00:00Z"))  # the round closes, the dispute warns and escalates
    at(harness, "2027-02-05T12:00:00Z")
    harness.driver.slash("UCAROL", CHANNEL, "review now")
    at(harness, "2027-02-08T15:00:00Z")  # Monday afternoon in London, morning in New York: everyone's hours
    for _ in range(60):  # let every backoff run out, as time would
        retries_due_now(harness.engine)
        harness.sender.drain(max_seconds=30)
        if all(row.status == SENT for row in outbox_rows(harness.engine).values()):
            break
    rows = outbox_rows(harness.engine)
    calls = [c for c in harness.fake.calls if c.method in OUTBOX_METHODS]
    faults = harness.fake.faults_fired()
    # a mention waiting for working hours is withdrawn when what it asked for is decided: not lost
    lost = [key for key, row in rows.items() if row.status not in (SENT, CANCELLED)]
    found = _delivered_keys(harness)
    posts = [key for key, row in rows.items() if row.method in ("chat.postMessage", "dm") and row.status != CANCELLED
             and not (row.method == "dm" and row.status == SENT and row.ts is None)]
    # a DM Slack refused is shown to its person alone (no key to count it by): at least once each, never lost
    alone = [row.user for row in rows.values() if row.method == "dm" and row.status == SENT and row.ts is None]
    shown = Counter(c.args.get("user") for c in harness.fake.calls_to("chat.postEphemeral") if c.ok)
    assert all(shown[user] >= alone.count(user) for user in set(alone)), (alone, shown)
    files = [key for key, row in rows.items() if row.method == "files.upload"]
    charts = [f"file:Review #{n} chart: {_relationship(harness)}" for n in (1, 2)]
    duplicated = [key for key in posts if found[key] > 1] + [chart for chart in charts if found[chart] > 1]
    print(f"\nfaults: {len(calls)} outbox calls to Slack, {faults} faulted ({faults / len(calls):.0%}); "
          f"{len(rows)} messages intended, {len(rows) - len(lost)} delivered, {len(lost)} lost, "
          f"{len(duplicated)} duplicated")
    assert len(calls) >= 150 and 0.15 <= faults / len(calls) <= 0.3
    assert lost == [] and duplicated == []
    assert all(found[key] == 1 for key in posts), [k for k in posts if found[k] != 1]
    assert [found[chart] for chart in charts] == [1, 1] and len(files) == 2


def _relationship(harness: Harness) -> str:
    from storage.rmp import Relationship

    with Session(harness.engine) as db:
        return db.exec(select(Relationship)).one().name


REMINDERS = 120  # the tick is cut after 40: two thirds of its work is still ahead of it


@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
def test_the_database_going_away_mid_tick_fails_it_cleanly_and_the_next_tick_finishes(harness: Harness) -> None:
    """Every connection of the tick's process is cut while it works; it exits with one line, and the next tick
    does the rest: every reminder once."""
    now = utcnow()
    channels = [f"C0CUT{n:03d}" for n in range(REMINDERS // 2)]  # two each: pacing (1 post/s a channel) is no limit
    for channel in channels:
        harness.fake.add_channel(channel, channel.lower(), members=["UALICE"])
    with transaction(harness.engine) as db:
        for n in range(REMINDERS):
            schedule_reminder(db, actor=Actor("UALICE", "T0HOME", channels[n % len(channels)]),
                              text=f"in 1m reminder {n:03d}", now=now - timedelta(minutes=2))
    name = f"accord-tick-{os.getpid()}"
    joiner = "&" if "?" in harness.database_url else "?"
    env = {**harness.env(), "DATABASE_URL": f"{harness.database_url}{joiner}application_name={name}"}
    command = [*accord_command(), "--env-file", "/nonexistent", "tick"]
    tick = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    admin = create_engine(normalise_url(os.environ["ACCORD_TEST_POSTGRES_URL"]), isolation_level="AUTOCOMMIT")
    cut = threading.Event()

    def cut_when_busy() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and tick.poll() is None:
            with Session(harness.engine) as db:
                done = len(db.exec(select(WorkItem.id).where(WorkItem.status == DONE)).all())
            if done >= 40:
                with admin.connect() as connection:
                    killed = connection.execute(text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :n"),
                        {"n": name}).scalar()
                if killed:
                    cut.set()
                    return
            time.sleep(0.02)

    cutter = threading.Thread(target=cut_when_busy)
    cutter.start()
    out, err = tick.communicate(timeout=120)
    cutter.join()
    admin.dispose()
    assert cut.is_set(), "the tick finished before its connections could be cut"
    print(f"\ntick cut mid-way: exit {tick.returncode}; {out.strip()}\n{err[-1500:]}")
    assert "Traceback" not in err, err[-3000:]
    if tick.returncode != 0:  # it gave up: one line saying why
        assert len([line for line in err.splitlines() if line.startswith("accord tick")]) == 1, err[-3000:]

    again = harness.accord("tick")
    assert again.returncode == 0, again.stderr[-2000:]
    with Session(harness.engine) as db:
        assert {w.status for w in db.exec(select(WorkItem))} == {DONE}
    # a post cut off mid-way waits for its backoff, or for its lease when the cut came before it was recorded
    # (then the next sender looks for it in Slack before posting again): let that time pass
    time.sleep(1.2)
    retries_due_now(harness.engine)
    last = run_accord(["--env-file", "/nonexistent", "tick"], env={**env, "ACCORD_OUTBOX_LEASE_SECONDS": "1"},
                      wait_clock=harness.wait_clock)
    assert last.returncode == 0, last.stderr[-2000:]
    with Session(harness.engine) as db:
        unsent = [(m.idempotency_key, m.status, m.attempts, m.last_error) for m in db.exec(select(OutboxMessage))
                  if m.status != SENT]
    assert unsent == [], (unsent, last.stdout, last.stderr[-2000:])
    texts = Counter(m["text"] for channel in channels for m in harness.fake.messages(channel))
    assert texts == Counter(f"Reminder: reminder {n:03d}" for n in range(REMINDERS))  # each once, none lost
