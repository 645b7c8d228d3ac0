"""Writing Slack messages to the outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from storage.models import PENDING, OutboxMessage

KEYS_PER_QUERY = 500
QUEUED = "accord_outbox_queued"  # set in a session's info when it queued a message (see queued())


def queued(db: Session) -> bool:
    """Whether this session queued a message (then the sender is told when it commits)."""
    return bool(db.info.get(QUEUED))


def _enqueue(db: Session, message: OutboxMessage) -> OutboxMessage:
    """Add a message unless one with its idempotency key exists; the existing one wins."""
    existing = db.exec(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == message.idempotency_key)
    ).first()
    if existing is not None:
        return existing
    db.add(message)
    db.flush()
    db.info[QUEUED] = True
    return message


def _enqueue_many(db: Session, rows: Sequence[dict[str, Any]]) -> None:
    """`_enqueue` for many messages (column values) at once: one look-up of the keys that exist, then one
    batch of inserts of the others, without building an object per message."""
    keys = [row["idempotency_key"] for row in rows]
    existing: set[str] = set()
    for start in range(0, len(keys), KEYS_PER_QUERY):
        existing.update(db.exec(select(OutboxMessage.idempotency_key).where(
            col(OutboxMessage.idempotency_key).in_(keys[start:start + KEYS_PER_QUERY]))))
    fresh = {row["idempotency_key"]: row for row in rows if row["idempotency_key"] not in existing}
    if fresh:
        db.flush()  # the session's own pending rows go first, in order
        db.execute(insert(OutboxMessage).values(status=PENDING, attempts=0), list(fresh.values()))
        db.info[QUEUED] = True


def post_message(
    db: Session,
    *,
    key: str,
    channel: str,
    view: str,
    data: dict[str, Any],
    now: datetime,
    thread_of: str | None = None,
    thread_ts: str | None = None,
    not_before: datetime | None = None,
) -> OutboxMessage:
    """Queue a channel message rendered by `view` (not sent before `not_before`, if given).

    A reply goes in a thread: `thread_of` names the key of a root Accord queued itself,
    `thread_ts` the ts of any other message.
    """
    return _enqueue(
        db,
        OutboxMessage(
            idempotency_key=key, method="chat.postMessage", channel=channel, view=view, data=data,
            thread_of=thread_of, thread_ts=thread_ts, next_attempt_at=now, created_at=now, not_before=not_before,
        ),
    )


def update_message(
    db: Session, *, key: str, updates: str, view: str, data: dict[str, Any], now: datetime
) -> OutboxMessage:
    """Queue an in-place update of the message queued earlier under key `updates`."""
    return _enqueue(
        db,
        OutboxMessage(
            idempotency_key=key, method="chat.update", updates=updates, view=view, data=data,
            next_attempt_at=now, created_at=now,
        ),
    )


def post_or_update(
    db: Session, *, root: str, version: str, channel: str, view: str, data: dict[str, Any], now: datetime,
    not_before: datetime | None = None,
) -> None:
    """Post the message `root`, or update it in place with `data`: one message that keeps up with a state.

    A burst of changes makes one call to Slack: while the post, or its latest update, still waits in the
    outbox untried, it takes the newer data instead. `version` names this update (unique per root)."""
    waiting = db.exec(select(OutboxMessage).where(
        col(OutboxMessage.idempotency_key).in_([root]) | col(OutboxMessage.idempotency_key).like(f"{root}:v%"),
        OutboxMessage.status == PENDING, OutboxMessage.attempts == 0)
        .order_by(col(OutboxMessage.id).desc()).with_for_update()).first()  # not while a sender claims it
    if waiting is not None:
        waiting.data = data
        if waiting.view != view:
            waiting.view = view
        db.add(waiting)
    elif db.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == root)).first() is None:
        post_message(db, key=root, channel=channel, view=view, data=data, now=now, not_before=not_before)
    else:
        update_message(db, key=f"{root}:v{version}", updates=root, view=view, data=data, now=now)


def post_ephemeral(
    db: Session, *, key: str, channel: str, user: str, view: str, data: dict[str, Any], now: datetime,
    thread_ts: str | None = None,
) -> OutboxMessage:
    """Queue a message only `user` sees in `channel` (in the thread `thread_ts`, if given)."""
    return _enqueue(
        db,
        OutboxMessage(
            idempotency_key=key, method="chat.postEphemeral", channel=channel, user=user, view=view,
            data=data, next_attempt_at=now, created_at=now, thread_ts=thread_ts,
        ),
    )


def publish_home(db: Session, *, key: str, user: str, data: dict[str, Any], now: datetime) -> OutboxMessage:
    """Queue a views.publish of `user`'s App Home (`data` holds the rendered view under "view")."""
    return _enqueue(
        db,
        OutboxMessage(idempotency_key=key, method="views.publish", user=user, view="raw", data=data,
                      next_attempt_at=now, created_at=now),
    )


def direct_message(
    db: Session, *, key: str, user: str, fallback_channel: str, view: str, data: dict[str, Any], now: datetime
) -> OutboxMessage:
    """Queue a direct message to `user`; when Slack refuses a DM it goes to `fallback_channel`, mentioning them."""
    return _enqueue(
        db,
        OutboxMessage(idempotency_key=key, method="dm", user=user, channel=fallback_channel, view=view, data=data,
                      next_attempt_at=now, created_at=now),
    )


@dataclass(frozen=True)
class DirectMessage:
    """One of the messages `direct_messages` queues."""

    key: str
    user: str
    fallback_channel: str
    view: str
    data: dict[str, Any]
    not_before: datetime | None = None


def direct_messages(db: Session, messages: Sequence[DirectMessage], *, now: datetime) -> None:
    """`direct_message` for many people at once (a round's prompts): the same rows, written in one batch."""
    _enqueue_many(db, [
        {"idempotency_key": m.key, "method": "dm", "user": m.user, "channel": m.fallback_channel, "view": m.view,
         "data": m.data, "next_attempt_at": now, "created_at": now, "not_before": m.not_before}
        for m in messages])


def lookup_user(db: Session, *, key: str, user: str, now: datetime) -> OutboxMessage:
    """Queue a users.info of `user`, whose answer sets the time zone of their people (see bot.outbox_calls)."""
    return _enqueue(
        db,
        OutboxMessage(idempotency_key=key, method="users.info", user=user, view="none", data={},
                      next_attempt_at=now, created_at=now),
    )


def upload_file(
    db: Session, *, key: str, channel: str, view: str, data: dict[str, Any], now: datetime,
    thread_of: str | None = None, user: str | None = None,
) -> OutboxMessage:
    """Queue a file (rendered by the file view `view` at send time) shared into `channel`, in the thread of
    the message queued under `thread_of` if given, through Slack's files upload v2 flow; with `user`, shared in
    the app's DM with that person instead (`channel` when Slack refuses a DM)."""
    return _enqueue(
        db,
        OutboxMessage(idempotency_key=key, method="files.upload", channel=channel, thread_of=thread_of, view=view,
                      user=user, data=data, next_attempt_at=now, created_at=now),
    )
