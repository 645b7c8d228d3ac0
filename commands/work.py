"""Scheduling due work: rows with a due time that a scheduler tick will run."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from storage.direct import Direct, Prepared, direct
from storage.models import CANCELLED, PENDING, WorkItem
from storage.utc import as_utc

_INSERT = Prepared(insert(WorkItem).inline(), keys=("kind", "idempotency_key", "due_at", "payload", "status",
                                                    "attempts", "created_at"))


def schedule(
    db: Session, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any], now: datetime
) -> WorkItem:
    """Add a work item unless one with the same key exists (then that one is returned)."""
    existing = db.exec(select(WorkItem).where(WorkItem.idempotency_key == key)).first()
    if existing is not None and existing.status == CANCELLED:  # queued again after a cancel: it counts again
        existing.status, existing.due_at, existing.payload, existing.attempts = PENDING, as_utc(due_at), payload, 0
        db.add(existing)
        return existing
    if existing is not None:
        return existing
    item = WorkItem(kind=kind, idempotency_key=key, due_at=as_utc(due_at), payload=payload, created_at=now)
    db.add(item)
    db.flush()
    return item


def schedule_new(db: Session | Direct, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any],
                 now: datetime) -> None:
    """Add a work item whose key is new by construction (a fresh uuid): one INSERT, no look-up first and no
    object built (a slash command's whole write, so its acknowledgement stays fast)."""
    direct(db).run(_INSERT, {"kind": kind, "idempotency_key": key, "due_at": as_utc(due_at), "payload": payload,
                             "status": PENDING, "attempts": 0, "created_at": now})


def cancel_pending(db: Session, *, kind: str, key_prefix: str) -> None:
    """Cancel the pending items of `kind` whose key starts with `key_prefix` (a cadence changed, say)."""
    db.exec(update(WorkItem).where(
        col(WorkItem.status) == PENDING, col(WorkItem.kind) == kind,
        col(WorkItem.idempotency_key).like(f"{key_prefix}%"),
    ).values(status=CANCELLED))
