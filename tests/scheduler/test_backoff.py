"""Issue 19: one backoff policy (scheduler/backoff.py) for the tick's work items and the outbox's Slack calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.outbox_record import DrainReport, Outcome, record
from commands import outgoing, work
from scheduler.backoff import OUTBOX, TICK, Backoff
from scheduler.tick import backoff, run_tick
from storage.engine import transaction
from storage.models import FAILED, PENDING, SENDING, OutboxMessage, WorkItem

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("policy", [TICK, OUTBOX])
def test_delays_double_from_the_base_up_to_the_cap(policy: Backoff) -> None:
    delays = [policy.delay(attempts) for attempts in range(1, 40)]
    assert delays[0] == policy.base
    assert all(later == min(2 * earlier, policy.cap) for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[-1] == policy.cap
    assert policy.delay(10**6) == policy.cap  # however many attempts, no overflow


@pytest.mark.parametrize("policy", [TICK, OUTBOX])
def test_a_retry_after_is_the_delay_whatever_the_attempt(policy: Backoff) -> None:
    assert policy.delay(1, retry_after=7.5) == timedelta(seconds=7.5)
    assert policy.delay(30, retry_after=0.0) == timedelta(0)
    assert policy.delay(3, retry_after=-1.0) == timedelta(0)


def test_the_tick_and_the_outbox_keep_their_numbers() -> None:
    assert (TICK.base, TICK.cap) == (timedelta(seconds=30), timedelta(hours=1))
    assert [OUTBOX.delay(n).total_seconds() for n in (1, 2, 8, 9)] == [2, 4, 256, 300]


def test_the_tick_retries_a_failing_item_after_the_shared_policy(engine: Engine) -> None:
    with transaction(engine) as db:
        work.schedule(db, kind="test.broken", key="broken", due_at=NOW, payload={}, now=NOW)

    def broken(*_: object) -> None:
        raise RuntimeError("handler bug")

    later = NOW
    for attempts in (1, 2, 3):
        run_tick(engine, now=later, handlers={"test.broken": broken}, max_attempts=5)
        with Session(engine) as db:
            item = db.get(WorkItem, 1)
            assert item is not None and item.status == PENDING and item.attempts == attempts
            assert item.due_at.replace(tzinfo=UTC) == later + TICK.delay(attempts) == later + backoff(attempts)
            later = item.due_at.replace(tzinfo=UTC)


def _claimed(engine: Engine, attempts: int) -> OutboxMessage:
    with transaction(engine) as db:
        outgoing.post_message(db, key="post", channel="C1", view="raw", data={"text": "hi"}, now=NOW)
    with Session(engine, expire_on_commit=False) as db, db.begin():
        row = db.exec(select(OutboxMessage)).one()
        row.status, row.claimed_by, row.claimed_at, row.attempts = SENDING, "me", NOW, attempts
        db.add(row)
    return row


def _recorded(engine: Engine, attempts: int, outcome: Outcome, *, max_attempts: int = 8) -> tuple[OutboxMessage,
                                                                                                 bool | None]:
    row = _claimed(engine, attempts)
    retried = record(engine, row, outcome, worker="me", now=NOW, max_attempts=max_attempts, report=DrainReport())
    with Session(engine) as db:
        fresh = db.get(OutboxMessage, row.id)
        assert fresh is not None
        return fresh, retried


@pytest.mark.parametrize("attempts", [1, 3, 7])
def test_the_outbox_retries_a_failed_call_after_the_shared_policy(engine: Engine, attempts: int) -> None:
    row, retried = _recorded(engine, attempts, Outcome(result={}, error="chat.postMessage: internal_error"))
    assert row.status == PENDING and retried is False
    assert row.next_attempt_at.replace(tzinfo=UTC) == NOW + OUTBOX.delay(attempts)


def test_the_outbox_honours_retry_after_even_past_its_last_attempt(engine: Engine) -> None:
    outcome = Outcome(result={}, error="chat.postMessage: ratelimited (HTTP 429)", retry_after=42.0)
    row, retried = _recorded(engine, 8, outcome, max_attempts=8)
    assert row.status == PENDING and retried is True  # Slack said when to come back: not parked
    assert row.next_attempt_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=42) == NOW + OUTBOX.delay(
        8, retry_after=42.0)


def test_the_outbox_parks_a_call_after_its_last_attempt(engine: Engine) -> None:
    row, retried = _recorded(engine, 8, Outcome(result={}, error="chat.postMessage: internal_error"), max_attempts=8)
    assert row.status == FAILED and retried is None
