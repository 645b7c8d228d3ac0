"""Tables of check-ins: rounds, the prompt to each participant, and their answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage import limits
from storage.utc import UtcDateTime

OPEN, CLOSED = "open", "closed"
ASKED, SKIPPED, AWAY = "asked", "skipped", "away"  # a prompt's status
FLOOR = 3  # the fewest people whose ratings any published figure may rest on


class Round(SQLModel, table=True):
    """One check-in round: its window, and the statements and scale frozen when it opened."""

    __tablename__ = "checkin_round"
    __table_args__ = (UniqueConstraint("relationship_id", "number"), UniqueConstraint("relationship_id", "period"))

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    period: date
    opens_at: datetime = Field(sa_type=UtcDateTime)
    closes_at: datetime = Field(sa_type=UtcDateTime)
    status: str = Field(default=OPEN, max_length=16)
    statements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scale: int = 5
    min_respondents: int = 3
    gap_threshold: float = 1.0


class Prompt(SQLModel, table=True):
    """A participant invited to a round, with the moment their prompt is due in their own timezone."""

    __tablename__ = "checkin_prompt"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkin_round.id", index=True)
    user_id: str = Field(max_length=limits.SLACK_ID)
    party_slot: int
    due_at: datetime = Field(sa_type=UtcDateTime)
    tz: str = Field(max_length=limits.TIMEZONE)
    status: str = Field(default=ASKED, max_length=16)  # skipped and away people are not counted as asked
    reminded: bool = False  # each person is reminded at most once a round


class Answer(SQLModel, table=True):
    """A participant's answer to a round: ratings by statement, KPI values by KPI number, a comment."""

    __tablename__ = "checkin_answer"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkin_round.id", index=True)
    user_id: str = Field(max_length=limits.SLACK_ID)
    party_slot: int
    ratings: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kpi_values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str = Field(default="", max_length=limits.LONG)
    share_comment: bool = False  # also shown (anonymously) to the other party
    submitted_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class Result(SQLModel, table=True):
    """What a round's close published about one party: counts always, and the means of a block of rounds
    (this one, or this one pooled with the party's unpublished rounds before it) once enough people answered.

    Every figure about ratings that Accord shows anywhere is one of these means or is computed from them,
    never from answers, and blocks never overlap: so no figure rests on fewer people than the threshold."""

    __tablename__ = "checkin_result"
    __table_args__ = (UniqueConstraint("round_id", "party_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="checkin_round.id", index=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    round_number: int
    party_slot: int
    asked: int  # prompted and neither away nor skipping
    answered: int
    skipped: int = 0
    away: int = 0
    rounds: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # the block; [] withheld
    people: int = 0  # distinct people whose answers the block's means rest on
    answers: int = 0
    means: list[float | None] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
