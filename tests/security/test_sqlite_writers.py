"""SQLite with concurrent writers: many people's requests at once while the scheduler's tick and the outbox
write too. Nobody is told "database is locked" (or anything but their answer), and every write lands."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from commands.actor import Actor
from commands.reminders import schedule_reminder
from scheduler.tick import run_tick
from storage.engine import transaction
from storage.models import DONE, WorkItem
from storage.utc import utcnow
from tests.harness import CHANNEL, HOME_PEOPLE, Harness
from tests.scenarios.plan_steps import set_up

REQUESTS = 300


@pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True)
def test_requests_the_tick_and_the_outbox_writing_at_once_never_meet_a_locked_database(harness: Harness) -> None:
    assert set_up(harness).status_code == 200
    now = utcnow()
    with transaction(harness.engine) as db:  # due work for the tick to chew through meanwhile
        for n in range(300):
            schedule_reminder(db, actor=Actor("UALICE", "T0HOME", CHANNEL), text=f"in 1m due {n}",
                              now=now - timedelta(minutes=2))
    stop, failures = threading.Event(), []

    def scheduler() -> None:
        while not stop.is_set():
            try:
                run_tick(harness.engine, now=utcnow(), worker="writer-test", limit=5)
                harness.sender.drain(max_seconds=0.05)
            except Exception as exc:  # the scheduler must not meet a locked database either
                failures.append(repr(exc))
                return

    def request(n: int) -> str:
        user = HOME_PEOPLE[n % len(HOME_PEOPLE)]
        command = f"remind in 2h request {n}" if n % 2 else "join"
        response = harness.driver.slash(user, CHANNEL, command)
        return f"{response.status_code} {response.json().get('text', '')}"

    background = threading.Thread(target=scheduler)
    background.start()
    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(request, range(REQUESTS)))
    finally:
        stop.set()
        background.join(timeout=60)
    assert failures == []
    problems = [a for a in answers if not a.startswith("200 ") or "locked" in a.lower() or "went wrong" in a]
    assert problems == [], problems[:5]
    assert all(("I will remind this channel" in a) if n % 2 else ("joined" in a or "already in" in a)
               for n, a in enumerate(answers))
    with Session(harness.engine) as db:
        texts = [w.payload.get("text", "") for w in db.exec(select(WorkItem))]
        done = len(db.exec(select(WorkItem.id).where(WorkItem.status == DONE)).all())
    assert sorted(t for t in texts if t.startswith("request")) == sorted(f"request {n}" for n in range(1, REQUESTS, 2))
    assert done >= 20  # the tick really was writing meanwhile (its posts paced by the workspace budget too)
