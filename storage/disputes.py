"""Tables of disputes: each dispute with its frozen ladder and timers, and its log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage import limits
from storage.utc import UtcDateTime

OPEN, PAUSED, RESOLVED = "open", "paused", "resolved"


class Dispute(SQLModel, table=True):
    """A dispute raised by one party, climbing the ladder frozen when it opened."""

    __tablename__ = "dispute"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    title: str = Field(max_length=limits.TITLE)
    description: str = Field(max_length=limits.DISPUTE)
    severity: str = Field(max_length=16)
    desired_outcome: str = Field(default="", max_length=limits.DETAIL)
    raised_by: str = Field(max_length=limits.SLACK_ID)
    raising_slot: int
    evidence_channel: str | None = Field(default=None, max_length=limits.SLACK_ID)
    evidence_ts: str | None = Field(default=None, max_length=limits.TS)
    ladder: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    level: int = 0
    level_started_at: datetime = Field(sa_type=UtcDateTime)
    level_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    paused_remaining: float | None = None  # working seconds left at this level while paused
    timer_epoch: int = 0  # raised whenever timers are re-armed: older timer rows no longer fire
    status: str = Field(default=OPEN, max_length=16)
    proposal: str | None = Field(default=None, max_length=limits.LONG)
    proposal_slot: int | None = None
    proposal_by: str | None = Field(default=None, max_length=limits.SLACK_ID)
    proposal_id: int | None = None  # the log entry of the proposal: Accept names it, so a newer one is not taken
    resolution: str | None = Field(default=None, max_length=limits.LONG)
    lessons: str | None = Field(default=None, max_length=limits.LONG)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int = 0  # raised on every change: the root message's updates are keyed by it


class DisputeEvent(SQLModel, table=True):
    """The dispute log: every state change with who, which party, and when."""

    __tablename__ = "dispute_event"

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="dispute.id", index=True)
    at: datetime = Field(sa_type=UtcDateTime)
    user_id: str = Field(max_length=limits.SLACK_ID)
    party: str = Field(default="", max_length=limits.PARTY)
    kind: str = Field(max_length=limits.CODE)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
