"""Tables of what each party commits and what both improve: resource commitments and the improvement log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from storage import limits
from storage.utc import UtcDateTime

RESOURCES = ("people", "budget", "systems", "other")
COMMITMENT_STATUSES = ("committed", "not_honoured", "withdrawn")
IDEA_STATUSES = ("proposed", "agreed", "in_progress", "done", "dropped")


class Commitment(SQLModel, table=True):
    """A resource one party commits to the relationship (people, budget, systems), and whether it was honoured."""

    __tablename__ = "commitment"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    party_slot: int
    resource: str = Field(max_length=16)  # people, budget, systems, other
    description: str = Field(max_length=limits.DESCRIPTION)
    quantity: str = Field(default="", max_length=limits.TITLE)  # "2 FTE", "GBP 50,000", "the shared CRM"
    status: str = Field(default="committed", max_length=16)  # committed, not_honoured, withdrawn
    reason: str = Field(default="", max_length=limits.DETAIL)  # why it was not honoured
    marked_by: str | None = Field(default=None, max_length=limits.SLACK_ID)
    marked_on: date | None = None
    created_at: datetime = Field(sa_type=UtcDateTime)


class Idea(SQLModel, table=True):
    """An idea or improvement either party raises, with an owner, a status and the benefit to each party."""

    __tablename__ = "idea"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    party_slot: int  # the raiser's party
    raised_by: str = Field(max_length=limits.SLACK_ID)
    title: str = Field(max_length=limits.DESCRIPTION)
    owner_user_id: str = Field(max_length=limits.SLACK_ID)
    status: str = Field(default="proposed", max_length=16)  # proposed, agreed, in_progress, done, dropped
    benefit_1: str = Field(default="", max_length=limits.DETAIL)
    benefit_2: str = Field(default="", max_length=limits.DETAIL)
    source_ts: str | None = Field(default=None, max_length=limits.TS)  # the message it was logged from
    created_at: datetime = Field(sa_type=UtcDateTime)
    agreed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
