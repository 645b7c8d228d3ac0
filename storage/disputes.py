"""Tables of disputes: each dispute with its frozen ladder and timers, and its log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.clock import UtcDateTime

OPEN, PAUSED, RESOLVED = "open", "paused", "resolved"


class Dispute(SQLModel, table=True):
    """A dispute raised by one party, climbing the ladder frozen when it opened."""

    __tablename__ = "dispute"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    title: str = Field(max_length=150)
    description: str = Field(max_length=3000)
    severity: str = Field(max_length=16)
    desired_outcome: str = Field(default="", max_length=1000)
    raised_by: str = Field(max_length=64)
    raising_slot: int
    evidence_channel: str | None = Field(default=None, max_length=64)
    evidence_ts: str | None = Field(default=None, max_length=32)
    ladder: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    level: int = 0
    level_started_at: datetime = Field(sa_type=UtcDateTime)
    level_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    paused_remaining: float | None = None  # working seconds left at this level while paused
    timer_epoch: int = 0  # raised whenever timers are re-armed: older timer rows no longer fire
    status: str = Field(default=OPEN, max_length=16)
    proposal: str | None = Field(default=None, max_length=2000)
    proposal_slot: int | None = None
    proposal_by: str | None = Field(default=None, max_length=64)
    proposal_id: int | None = None  # the log entry of the proposal: Accept names it, so a newer one is not taken
    resolution: str | None = Field(default=None, max_length=2000)
    lessons: str | None = Field(default=None, max_length=2000)
    opened_at: datetime = Field(sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int = 0  # raised on every change: the root message's updates are keyed by it


class DisputeEvent(SQLModel, table=True):
    """The dispute log: every state change with who, which party, and when."""

    __tablename__ = "dispute_event"

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="dispute.id", index=True)
    at: datetime = Field(sa_type=UtcDateTime)
    user_id: str = Field(max_length=64)
    party: str = Field(default="", max_length=80)
    kind: str = Field(max_length=24)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
