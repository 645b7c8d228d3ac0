"""One tick: claim due work items one at a time and run each in a single transaction."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.work_handlers import HANDLERS, WorkHandler
from scheduler.backoff import TICK
from storage.engine import lock_for_update
from storage.models import DONE, FAILED, PENDING, WorkItem
from storage.utc import as_utc

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BASE_BACKOFF = TICK.base
MAX_BACKOFF = TICK.cap


def worker_name() -> str:
    """A name for this process in claimed_by columns: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class TickReport:
    """What one tick did."""

    done: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """How many items this tick claimed."""
        return len(self.done) + len(self.retried) + len(self.failed)


def backoff(attempts: int) -> timedelta:
    """The wait before retry number `attempts`: 30 s doubling, at most an hour (scheduler.backoff.TICK)."""
    return TICK.delay(attempts)


def run_tick(
    engine: Engine,
    *,
    now: datetime,
    handlers: Mapping[str, WorkHandler] = HANDLERS,
    worker: str | None = None,
    limit: int = 1000,
    max_attempts: int = MAX_ATTEMPTS,
    after_each: Callable[[], None] = lambda: None,
) -> TickReport:
    """Run every item due at `now` (at most `limit`); each commits with its handler's changes.

    `after_each` is called after each item's commit (`serve` rings the outbox sender's bell with it, so
    that the messages of a long tick start leaving before the tick ends).
    """
    now = as_utc(now)
    worker = worker or worker_name()
    report = TickReport()
    while report.handled < limit:
        if not _run_one(engine, now=now, handlers=handlers, worker=worker, max_attempts=max_attempts,
                        report=report):
            break
        after_each()
    return report


def _run_one(
    engine: Engine,
    *,
    now: datetime,
    handlers: Mapping[str, WorkHandler],
    worker: str,
    max_attempts: int,
    report: TickReport,
) -> bool:
    """Claim and run one due item; False when none is due."""
    with Session(engine, expire_on_commit=False) as db, db.begin():
        item = db.exec(
            select(WorkItem)
            .where(WorkItem.status == PENDING, WorkItem.due_at <= now)
            .order_by(col(WorkItem.due_at), col(WorkItem.id))
            .limit(1)
            .with_for_update(**lock_for_update(engine))
        ).first()
        if item is None:
            return False
        item.attempts += 1
        item.claimed_by, item.claimed_at = worker, now
        try:
            handler = handlers.get(item.kind)
            if handler is None:
                raise LookupError(f"no handler for work kind {item.kind!r}")
            with db.begin_nested():
                handler(db, item, now)
        except Exception as exc:  # a failing handler must not stop the others
            _record_failure(item, exc, now=now, max_attempts=max_attempts, report=report)
        else:
            item.status, item.done_at, item.last_error = DONE, now, None
            report.done.append(item.id or 0)
        db.add(item)
    return True


def _record_failure(
    item: WorkItem, exc: Exception, *, now: datetime, max_attempts: int, report: TickReport
) -> None:
    item.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if item.attempts >= max_attempts:
        item.status = FAILED
        report.failed.append(item.id or 0)
        log.error("work item %s (%s) failed after %d attempts, parked: %s",
                  item.id, item.kind, item.attempts, item.last_error)
        return
    item.due_at = now + backoff(item.attempts)
    report.retried.append(item.id or 0)
    log.warning("work item %s (%s) failed (attempt %d of %d), retrying at %s: %s",
                item.id, item.kind, item.attempts, max_attempts, item.due_at.isoformat(), item.last_error)
