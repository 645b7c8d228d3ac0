"""Slack's budgets shared by every replica: each use of a budget reserves the next free slot in the database.

A channel takes about one post a second, whichever replica posts; a workspace takes several hundred posts a
minute; a distributed app reads a workspace's history once a minute. `reserve` moves the budget's next free
moment on by `every` seconds in one atomic statement and says how long the caller must wait for the slot it got,
so replicas never spend one slot twice; `take` spends the budget only when it is free now (a caller that would
rather do something else than wait); `free_at` sets when it is next free (a call that held it was answered);
`postpone` holds it for as long as Slack's Retry-After said.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from storage.models import SlackPace


def workspace_of(token: str) -> str:
    """The name a workspace's budgets go by: a digest of its bot token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _ensure(db: Session, engine: Engine, key: str, next_at: float) -> None:
    """The row of budget `key`, created with `next_at` unless it exists (whoever creates it first wins)."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(SlackPace).values(key=key, next_at=next_at).on_conflict_do_nothing())


def _hold(db: Session, engine: Engine, key: str) -> None:
    """Lock budget `key`'s row (created first if new) until the transaction ends: SQLite's write lock is taken by
    the insert; PostgreSQL locks the row."""
    _ensure(db, engine, key, 0.0)
    if engine.dialect.name == "postgresql":
        db.execute(select(col(SlackPace.key)).where(col(SlackPace.key) == key).with_for_update())


def reserve(engine: Engine, key: str, *, every: float, now: float | Callable[[], float] | None = None) -> float:
    """Reserve the next slot of budget `key` (one use per `every` seconds); the seconds to wait for it.

    `now` (epoch seconds, default the wall clock) may be a clock: it is then read once the budget is locked, so
    that a caller kept waiting for the lock by the others is not given a slot in the past (slots given late and
    used at once would bunch up)."""
    with Session(engine) as db, db.begin():
        _hold(db, engine, key)
        at = _read(now)
        later = case((col(SlackPace.next_at) > at, col(SlackPace.next_at)), else_=at) + every
        next_at = db.execute(update(SlackPace).where(col(SlackPace.key) == key).values(next_at=later)
                             .returning(col(SlackPace.next_at))).scalar_one()
    return max(0.0, float(next_at) - every - at)


def _read(now: float | Callable[[], float] | None) -> float:
    return time.time() if now is None else now() if callable(now) else now


def take(engine: Engine, key: str, *, every: float, now: float | None = None) -> float:
    """Spend budget `key` now if it is free (0), else the seconds until it is, nothing spent."""
    at = _read(now)
    with Session(engine) as db, db.begin():
        _ensure(db, engine, key, 0.0)
        taken = db.connection().execute(update(SlackPace).where(col(SlackPace.key) == key,
                                                                col(SlackPace.next_at) <= at)
                                        .values(next_at=at + every)).rowcount
        if taken == 1:
            return 0.0
        return max(0.0, float(db.execute(select(col(SlackPace.next_at)).where(col(SlackPace.key) == key)).scalar_one())
                   - at)


def free_in(engine: Engine, key: str, *, now: float | None = None) -> float:
    """The seconds until budget `key` may be spent (0: now), nothing spent."""
    at = _read(now)
    with Session(engine) as db:
        next_at = db.execute(select(col(SlackPace.next_at)).where(col(SlackPace.key) == key)).scalar_one_or_none()
    return max(0.0, float(next_at or 0.0) - at)


def free_at(engine: Engine, key: str, *, at: float) -> None:
    """Budget `key` may next be spent at `at` (epoch seconds), whatever was reserved: a call that held its budget
    while it was under way ended."""
    with Session(engine) as db, db.begin():
        db.execute(update(SlackPace).where(col(SlackPace.key) == key).values(next_at=at))


def postpone(engine: Engine, key: str, *, seconds: float, now: float | None = None) -> None:
    """Nobody spends budget `key` for `seconds` from now (Slack answered 429 with that Retry-After)."""
    at = _read(now) + seconds
    with Session(engine) as db, db.begin():
        _ensure(db, engine, key, at)
        db.execute(update(SlackPace).where(col(SlackPace.key) == key, col(SlackPace.next_at) < at)
                   .values(next_at=at))
