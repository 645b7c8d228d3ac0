"""Tables of the foundation: due work, the outbox and handled Slack events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from storage.utc import UtcDateTime

# Status values are plain strings so they read well in SQL and in logs.
PENDING = "pending"
RUNNING = "running"
SENDING = "sending"
DONE = "done"
SENT = "sent"
FAILED = "failed"
CANCELLED = "cancelled"


class WorkItem(SQLModel, table=True):
    """A piece of due work (a prompt, a reminder, a timer, a review) and its fate."""

    __tablename__ = "work_item"
    __table_args__ = (Index("ix_work_item_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    due_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    idempotency_key: str = Field(max_length=255, unique=True, index=True)
    created_at: datetime = Field(sa_type=UtcDateTime)


class OutboxMessage(SQLModel, table=True):
    """A Slack call to make, written in the transaction of the change that caused it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_ready", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=255, unique=True, index=True)
    method: str = Field(max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    user: str | None = Field(default=None, max_length=64)
    thread_of: str | None = Field(default=None, max_length=255)
    thread_ts: str | None = Field(default=None, max_length=32)
    updates: str | None = Field(default=None, max_length=255)
    view: str = Field(max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    # a message addressed to people waits until then (the start of their working hours); data["quiet"] names them
    not_before: datetime | None = Field(default=None, sa_type=UtcDateTime)
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    last_error: str | None = Field(default=None, max_length=2000)
    ts: str | None = Field(default=None, max_length=32)
    sent_channel: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class HandledEvent(SQLModel, table=True):
    """A Slack event id already handled, so Slack's retries are not processed twice."""

    __tablename__ = "handled_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(sa_type=UtcDateTime)


class SlackPace(SQLModel, table=True):
    """When a Slack budget may next be spent, shared by every replica through the database: a channel's posts
    (about one a second), a workspace's reads of history (one a minute for a distributed app). `next_at` is in
    seconds since the epoch, so the same arithmetic runs on SQLite and PostgreSQL."""

    __tablename__ = "slack_pace"

    key: str = Field(primary_key=True, max_length=160)
    next_at: float = 0.0
