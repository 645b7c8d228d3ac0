"""Recording how a delivery ended: sent (with what Slack answered), put back for a retry, or parked as failed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import outbox_calls
from bot.outbox_look import Attempt
from bot.outbox_reconcile import view_data
from scheduler.backoff import OUTBOX
from storage.models import FAILED, PENDING, SENDING, SENT, OutboxMessage

log = logging.getLogger("bot.outbox")


@dataclass
class DrainReport:
    """What one drain did."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)


def park(row: OutboxMessage, error: str) -> None:
    """Mark `row` failed for good, with `error`."""
    row.status, row.last_error = FAILED, error[:2000]
    log.error("outbox %s parked as failed after %d attempt(s): %s", row.idempotency_key, row.attempts, error)


@dataclass(frozen=True)
class Outcome:
    """How one delivery ended: Slack's `result` when `error` is None; else whether the failure is `permanent`, and
    Slack's Retry-After (or the history budget's wait) when it named one."""

    result: dict[str, Any]
    error: str | None = None
    permanent: bool = False
    retry_after: float | None = None


def record(
    engine: Engine, row: OutboxMessage, outcome: Outcome, *, worker: str, now: datetime, max_attempts: int,
    report: DrainReport, attempt: Attempt | None = None,
) -> bool | None:
    """Record `outcome` of the delivery of `row` (claimed by `worker`), unless another sender claimed it since.

    Returns None when the row was sent, parked or left to another sender; when it was put back for a retry, True
    if it waits for a Retry-After (the drain waits for it), False after a backoff (a later drain takes it)."""
    error, retry_after = outcome.error, outcome.retry_after
    with Session(engine, expire_on_commit=False) as db, db.begin():
        fresh = db.get(OutboxMessage, row.id)
        # claimed again since (by another sender, or by this one after its lease ran out: attempts tells)
        if fresh is None or fresh.claimed_by != worker or fresh.status != SENDING or fresh.attempts != row.attempts:
            log.warning("outbox %s was taken over by another sender; leaving it", row.idempotency_key)
            return None
        fresh.channel, fresh.thread_ts = row.channel, row.thread_ts
        waits = 0
        if attempt is not None:
            attempt.notes.waits += attempt.waited  # a claim spent waiting to look is no attempt at Slack
            waits = attempt.notes.waits
        # a 429 is never the last word: Slack said when to come back
        last = outcome.permanent or (fresh.attempts - waits >= max_attempts and retry_after is None)
        if error is None or last:
            fresh.data = view_data(fresh.data)  # decided: the sender's notes go
        elif attempt is not None:
            fresh.data = attempt.notes.into(fresh.data)
        retried: bool | None = None
        if error is None:
            fresh.status, fresh.sent_at, fresh.last_error = SENT, now, None
            fresh.ts, fresh.sent_channel = outcome.result.get("ts"), outcome.result.get("channel")
            if (after_sent := outbox_calls.AFTER_SENT.get(fresh.method)) is not None:
                after_sent(db, fresh, outcome.result)
            report.sent.append(fresh.idempotency_key)
        elif last:
            park(fresh, error)
            report.failed.append(fresh.idempotency_key)
        else:
            fresh.status, fresh.last_error = PENDING, error
            fresh.next_attempt_at = now + OUTBOX.delay(fresh.attempts, retry_after=retry_after)
            retried = retry_after is not None
            report.retried.append(fresh.idempotency_key)
            log.log(logging.INFO if attempt is not None and attempt.waited else logging.WARNING,
                    "outbox %s: %s; retry %d at %s", fresh.idempotency_key, error, fresh.attempts,
                    fresh.next_attempt_at.isoformat())
        db.add(fresh)
    return retried
