"""Tables of reviews: each review's immutable record, its SERs' sign-offs, and reported costs and benefits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint, event, select
from sqlmodel import Field, SQLModel

from storage import limits
from storage.utc import UtcDateTime

COST, BENEFIT = "cost", "benefit"


class Review(SQLModel, table=True):
    """A review of the period `starts_at`..`ends_at` with the figures it showed. Never changed once written."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    starts_at: datetime = Field(sa_type=UtcDateTime)
    ends_at: datetime = Field(sa_type=UtcDateTime)
    trigger: str = Field(max_length=16)  # "scheduled" or "now"
    requested_by: str = Field(max_length=limits.SLACK_ID)
    figures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_type=UtcDateTime)


class ReviewSignature(SQLModel, table=True):
    """One party's sign-off of a review by its SER."""

    __tablename__ = "review_signature"
    __table_args__ = (UniqueConstraint("review_id", "party_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    party_slot: int
    party: str = Field(max_length=limits.PARTY)
    user_id: str = Field(max_length=limits.SLACK_ID)
    signed_at: datetime = Field(sa_type=UtcDateTime)
    plan_version: int | None = None  # the RMP version the SER reviewed when signing
    exit_reviewed: bool = False  # the SER reviewed the exit strategy when signing


class ReviewExpectation(SQLModel, table=True):
    """How far one party's expectations were met in the review's period (1 to 5, with a note), stated before its
    SER signs off."""

    __tablename__ = "review_expectation"
    __table_args__ = (UniqueConstraint("review_id", "party_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    party_slot: int
    score: int
    note: str = Field(default="", max_length=limits.DETAIL)
    user_id: str = Field(max_length=limits.SLACK_ID)
    at: datetime = Field(sa_type=UtcDateTime)


class ReviewLesson(SQLModel, table=True):
    """A lesson recorded in a review: a failure or mistake, its reason, and how to avoid it."""

    __tablename__ = "review_lesson"
    __table_args__ = (UniqueConstraint("review_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True)
    number: int
    party_slot: int
    user_id: str = Field(max_length=limits.SLACK_ID)
    failure: str = Field(max_length=limits.DETAIL)
    reason: str = Field(default="", max_length=limits.DETAIL)
    avoidance: str = Field(default="", max_length=limits.DETAIL)
    at: datetime = Field(sa_type=UtcDateTime)


class ValueEntry(SQLModel, table=True):
    """A cost or a benefit one party reports for the relationship: an amount, a description, or both."""

    __tablename__ = "value_entry"

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    party_slot: int
    kind: str = Field(max_length=8)
    amount: float | None = None
    description: str = Field(default="", max_length=limits.DETAIL)
    on: date
    recorded_by: str = Field(max_length=limits.SLACK_ID)
    recorded_at: datetime = Field(sa_type=UtcDateTime)


class ImmutableRecord(RuntimeError):
    """A stored review or signature was about to be changed or deleted."""


def _refuse(mapper: Any, connection: Any, target: Any) -> None:
    raise ImmutableRecord(f"{type(target).__name__} {target.id} is an immutable record")


def _refuse_once_signed(mapper: Any, connection: Any, target: Any) -> None:
    """A party's stated expectations may be restated until its SER signed the review off, never after."""
    signed = connection.execute(select(ReviewSignature.__table__.c.id).where(  # type: ignore[attr-defined]
        ReviewSignature.__table__.c.review_id == target.review_id,  # type: ignore[attr-defined]
        ReviewSignature.__table__.c.party_slot == target.party_slot)).first()  # type: ignore[attr-defined]
    if signed is not None:
        raise ImmutableRecord(f"{type(target).__name__} {target.id} is part of a signed review")


for _table in (Review, ReviewSignature, ReviewLesson):
    event.listen(_table, "before_update", _refuse)
    event.listen(_table, "before_delete", _refuse)
event.listen(ReviewExpectation, "before_update", _refuse_once_signed)
event.listen(ReviewExpectation, "before_delete", _refuse_once_signed)
