"""Slack's budgets shared by every replica: each use of a budget reserves the next free slot in the database.

A channel takes about one post a second, whichever replica posts; a distributed app reads a workspace's
history once a minute. `reserve` moves the budget's next free moment on by `every` seconds in one atomic
statement and says how long the caller must wait for the slot it got, so replicas never spend one slot twice.
"""

from __future__ import annotations

import time

from sqlalchemy import case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from storage.models import SlackPace


def _ensure(db: Session, engine: Engine, key: str, next_at: float) -> None:
    """The row of budget `key`, created with `next_at` unless it exists (whoever creates it first wins)."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(SlackPace).values(key=key, next_at=next_at).on_conflict_do_nothing())


def reserve(engine: Engine, key: str, *, every: float, now: float | None = None) -> float:
    """Reserve the next slot of budget `key` (one use per `every` seconds); the seconds to wait for it."""
    at = time.time() if now is None else now
    with Session(engine) as db, db.begin():
        _ensure(db, engine, key, 0.0)
        later = case((col(SlackPace.next_at) > at, col(SlackPace.next_at)), else_=at) + every
        next_at = db.execute(update(SlackPace).where(col(SlackPace.key) == key).values(next_at=later)
                             .returning(col(SlackPace.next_at))).scalar_one()
    return max(0.0, float(next_at) - every - at)


def postpone(engine: Engine, key: str, *, seconds: float, now: float | None = None) -> None:
    """Nobody spends budget `key` for `seconds` from now (Slack answered 429 with that Retry-After)."""
    at = (time.time() if now is None else now) + seconds
    with Session(engine) as db, db.begin():
        _ensure(db, engine, key, at)
        db.execute(update(SlackPace).where(col(SlackPace.key) == key, col(SlackPace.next_at) < at)
                   .values(next_at=at))
