"""Claiming outbox rows, and keeping the claim (its lease) until the post goes.

A row is claimed (status sending, claimed_by and claimed_at set, attempts counted) when it is ready: new, or a
retry whose backoff is over, or claimed by a sender whose lease ran out; not held for its people's working hours;
its channel not paced and its lane not busy in this sender; and, a reply or an update, its parent sent. On
PostgreSQL the rows are locked with SKIP LOCKED, so that replicas never claim one row twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import Integer, String, and_, bindparam, case, cast, func, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.outbox_calls import Permanent
from bot.outbox_look import SEARCHED, taken_over
from bot.outbox_pacing import PACED_METHODS
from bot.outbox_record import park
from commands import quiet
from storage.engine import lock_for_update, reading
from storage.models import FAILED, PENDING, SENDING, SENT, OutboxMessage

# Messages of one lane are delivered one at a time, in order: a channel's posts and ephemeral answers; one
# person's DMs (a round's prompts to a hundred people go side by side, each person's DM paced on its own); the
# updates of one message; the calls about one user (Home tab, users.info).
LANE = case((col(OutboxMessage.method) == "dm", OutboxMessage.user),
            else_=func.coalesce(OutboxMessage.channel, OutboxMessage.updates, OutboxMessage.user,
                                cast(OutboxMessage.id, String)))

Claimed = list[tuple[OutboxMessage, str]]  # rows claimed, each with its lane


class Waiting(Exception):
    """The message depends on one not yet sent."""


class TakenOver(Exception):
    """The sender's lease on the message ran out and another sender claimed it: this one must not post it."""


@dataclass(frozen=True)
class _ReadyStatements:
    """The statements that find ready messages, built once: their parameters are `now`, `stale`, `as_of`, and the
    channels `paced` and the lanes `busy` (lists, maybe empty)."""

    any_ready: Any  # the id of one ready message, if any
    heads: Any  # the oldest ready message of each of up to `limit` lanes: (id, lane)
    candidates: Any  # those of the messages `ids` still ready, with their rows
    locking: Any  # the same, each row locked, skipping rows another sender holds (PostgreSQL)


_COLUMNS = OutboxMessage.metadata.tables["outbox_message"].c  # the table's columns, for the binds' types


def _ready_clause() -> Any:
    """Ready to send (see the module's docstring)."""
    now, stale = bindparam("now", type_=_COLUMNS.next_attempt_at.type), \
        bindparam("stale", type_=_COLUMNS.claimed_at.type)
    # a reply or an update is ready once the message it depends on is sent (or failed for good), or
    # when there is no such message at all (claiming it then parks it as failed, with the reason)
    parent = aliased(OutboxMessage)
    of_parent = select(parent.id).where(
        parent.idempotency_key == func.coalesce(OutboxMessage.updates, OutboxMessage.thread_of))
    return and_(
        or_(
            # A new message is ready at once, whatever clock its creator ran on (`tick --as-of`);
            # a retry waits for its backoff in wall-clock time.
            (col(OutboxMessage.status) == PENDING)
            & ((col(OutboxMessage.attempts) == 0) | (col(OutboxMessage.next_attempt_at) <= now)),
            (col(OutboxMessage.status) == SENDING) & (col(OutboxMessage.claimed_at) < stale),
        ),
        # a message addressed to people waits for their working hours
        or_(col(OutboxMessage.not_before).is_(None),
            col(OutboxMessage.not_before) <= bindparam("as_of", type_=_COLUMNS.not_before.type)),
        # only posts are paced; ephemeral answers and updates go at once
        or_(col(OutboxMessage.method).not_in(PACED_METHODS), col(OutboxMessage.channel).is_(None),
            col(OutboxMessage.channel).not_in(bindparam("paced", expanding=True))),
        LANE.not_in(bindparam("busy", expanding=True)),
        or_(col(OutboxMessage.updates).is_(None) & col(OutboxMessage.thread_of).is_(None),
            of_parent.where(col(parent.status).in_([SENT, FAILED])).exists(), ~of_parent.exists()),
    )


@cache
def _ready_statements() -> _ReadyStatements:
    ready = _ready_clause()
    candidates = (select(OutboxMessage).where(col(OutboxMessage.id).in_(bindparam("ids", expanding=True)), ready)
                  .order_by(col(OutboxMessage.id)))
    return _ReadyStatements(
        any_ready=select(OutboxMessage.id).where(ready).limit(1),
        # the lanes with the most waiting first (a lane goes one message at a time, paced: the longest takes
        # longest, so it starts first), then the oldest
        heads=(select(func.min(OutboxMessage.id), LANE).where(ready).group_by(LANE)
               .order_by(func.count().desc(), func.min(OutboxMessage.id)).limit(bindparam("limit", type_=Integer))),
        candidates=candidates,
        locking=candidates.with_for_update(skip_locked=True),
    )


class ClaimSettings(Protocol):
    """What claiming reads of its sender's settings (read at each use: a sender's may change between drains)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def worker(self) -> str: ...

    @property
    def lease(self) -> timedelta: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def as_of(self) -> Callable[[], datetime]: ...  # the instant people's working hours are judged at


@dataclass
class Claims:
    """One sender's claims: taking ready rows, and renewing a claim's lease before its post."""

    settings: ClaimSettings

    def _parameters(self, now: datetime, *, paced: list[str], busy: list[str]) -> dict[str, Any]:
        return {"now": now, "stale": now - self.settings.lease, "paced": paced, "busy": busy,
                "as_of": self.settings.as_of()}

    def has_ready(self, *, paced: list[str]) -> bool:
        """Whether a row is ready, its channel not among `paced`."""
        with reading(self.settings.engine) as db:
            parameters = self._parameters(self.settings.clock(), paced=paced, busy=[])
            found = db.execute(_ready_statements().any_ready, parameters)
            return found.first() is not None

    def claim_heads(self, limit: int, *, paced: list[str], busy: list[str]) -> tuple[Claimed, bool]:
        """Claim the oldest ready row of each of up to `limit` lanes not `busy`, their channels not `paced`: those
        claimed, oldest first, and whether a head was set aside (held for its people's hours, or parked), which
        makes the next row of its lane the head."""
        now = self.settings.clock()
        claimed: Claimed = []
        set_aside = False
        statements = _ready_statements()
        with Session(self.settings.engine, expire_on_commit=False) as db, db.begin():
            heads = dict(db.execute(statements.heads, {
                **self._parameters(now, paced=paced, busy=busy), "limit": limit,
            }).all())
            if not heads:
                return [], False
            locking = statements.locking if lock_for_update(self.settings.engine) else statements.candidates
            candidates = db.scalars(locking, {**self._parameters(now, paced=[], busy=[]), "ids": list(heads)}).all()
            for row in candidates:
                try:
                    _resolve_parent(db, row)
                except Waiting:
                    continue
                except Permanent as exc:
                    park(row, str(exc))
                    db.add(row)
                    set_aside = True
                    continue
                if (hold := quiet.hold_until(db, row.data, self.settings.as_of())) is not None:
                    row.not_before = hold  # its people's working hours ended while it waited: until they start
                    db.add(row)
                    set_aside = True
                    continue
                if row.status == SENDING and row.method in SEARCHED:
                    row.data = taken_over(row, now)
                row.status, row.claimed_by, row.claimed_at = SENDING, self.settings.worker, now
                row.attempts += 1
                db.add(row)
                claimed.append((row, heads[row.id]))
        return claimed, set_aside

    def keep(self, row: OutboxMessage, wait: float) -> None:
        """A shared budget's slot is `wait` seconds off: one further than a quarter of the lease keeps `row`'s claim
        until then (the wait is the budget's, not a stalled sender's: no other sender may take the message over
        meanwhile, and wait for a slot of its own behind this one)."""
        if wait > self.settings.lease.total_seconds() / 4:
            self.renew(row, hold=wait)

    def renew(self, row: OutboxMessage, *, hold: float = 0.0) -> None:
        """Right before a post: check that the claim on `row` is still this sender's and start its lease again
        (from `hold` seconds on: the time a shared budget's slot is waited for).

        A sender held up between its claim and its post for longer than the lease (a slow answer, a stalled
        machine) may have lost the message to another sender, which found it not yet in Slack and posted it:
        TakenOver then, so that it is not posted twice. A claim younger than a quarter of the lease needs no
        look (replicas' clocks agree far better than that)."""
        now = self.settings.clock()
        if not hold and row.claimed_at is not None and now - row.claimed_at < self.settings.lease / 4:
            return
        now += timedelta(seconds=hold)
        with self.settings.engine.begin() as connection:
            renewed = connection.execute(update(OutboxMessage).where(
                col(OutboxMessage.id) == row.id, col(OutboxMessage.status) == SENDING,
                col(OutboxMessage.claimed_by) == self.settings.worker, col(OutboxMessage.attempts) == row.attempts,
            ).values(claimed_at=now)).rowcount
        if renewed != 1:
            raise TakenOver(row.idempotency_key)
        row.claimed_at = now


def _resolve_parent(db: Session, row: OutboxMessage) -> None:
    """Fill in the channel and ts this row needs from the message it replies to or updates."""
    parent_key = row.updates or row.thread_of
    if parent_key is None:
        return
    parent = db.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == parent_key)).first()
    if parent is None or parent.status == FAILED:
        raise Permanent(f"the message it depends on ({parent_key}) was never sent")
    if parent.status != SENT:
        raise Waiting(parent_key)
    row.channel = parent.sent_channel or parent.channel
    if row.updates:
        row.ts = parent.ts
    else:
        row.thread_ts = parent.ts
