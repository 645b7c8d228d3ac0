"""Tables of the Relationship Management Plan: one relationship per shared channel."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage import limits
from storage.utc import UtcDateTime

CONNECT = "connect"  # a Slack Connect channel: each party is one Slack organisation (team)
SINGLE = "single"  # one workspace: people are put in a party by hand

ROLES = ("ser", "manager", "member", "observer")
DEFAULT_STATEMENTS = (
    "Communication is open and timely",
    "Commitments are kept",
    "Problems are raised early and resolved rather than left to fester",
    "The partner brings ideas and innovation",
    "Decisions are made jointly",
    "I trust the partner to act in our joint interest",
)


class Relationship(SQLModel, table=True):
    """The partnership run in one Slack channel, with its cadences, ladder and check-in settings (each party
    keeps its own calendar)."""

    __tablename__ = "relationship"

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=limits.SLACK_ID, unique=True, index=True)
    name: str = Field(max_length=limits.TITLE)
    mode: str = Field(default=CONNECT, max_length=16)
    timezone: str = Field(default="UTC", max_length=limits.TIMEZONE)  # the channel's: cadences, shared posts' dates
    currency: str = Field(default="GBP", max_length=3)  # ISO 4217: the costs and benefits both parties record
    checkin_cadence: str = Field(default="every 2 weeks on monday at 09:30", max_length=limits.CADENCE)
    review_cadence: str = Field(default="quarterly on the first working day at 10:00", max_length=limits.CADENCE)
    ladder: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    exit_reviewed_on: date | None = None
    checkin_statements: list[str] = Field(default_factory=lambda: list(DEFAULT_STATEMENTS),
                                          sa_column=Column(JSON, nullable=False))
    checkin_scale: int = 5
    checkin_window_days: int = 3
    checkin_min_respondents: int = 3
    checkin_reminders: int = 1
    gap_threshold: float = 1.0
    # the partnership charter (changed only with both parties' consent): mission, shared values, behaviours
    charter_mission: str = Field(default="", max_length=limits.LONG)
    charter_values: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    charter_behaviours: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # data protection: individual check-in answers and comments older than this are deleted (aggregates kept)
    retention_months: int = 24
    version: int = 0
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)


class Party(SQLModel, table=True):
    """One of the two organisations; `slot` is 1 or 2; in Slack Connect `team_id` its Slack team (the first
    workspace seen), `enterprise_id` its Enterprise Grid org (when it has one) and `team_ids` every workspace
    seen of it; and its own calendar: timezone, working days (0 = Monday), working hours, listed holidays and a
    region's."""

    __tablename__ = "party"
    __table_args__ = (UniqueConstraint("relationship_id", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    slot: int
    name: str = Field(max_length=limits.PARTY)
    team_id: str | None = Field(default=None, max_length=limits.SLACK_ID)
    enterprise_id: str | None = Field(default=None, max_length=limits.SLACK_ID)
    team_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    timezone: str = Field(default="UTC", max_length=limits.TIMEZONE)
    working_days: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], sa_column=Column(JSON, nullable=False))
    working_hours: str = Field(default="09:00-17:30", max_length=limits.HOURS)
    holidays: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    holiday_region: str = Field(default="", max_length=limits.REGION)


class Person(SQLModel, table=True):
    """A Slack user in a relationship: one party and one role."""

    __tablename__ = "person"
    __table_args__ = (UniqueConstraint("relationship_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    party_id: int = Field(foreign_key="party.id")
    user_id: str = Field(max_length=limits.SLACK_ID)
    role: str = Field(max_length=16)
    tz: str | None = Field(default=None, max_length=limits.TIMEZONE)  # from users.info; None: their party's
    name: str | None = Field(default=None, max_length=limits.PERSON_NAME)  # from users.info: named without a mention
    erased_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # `accord erase`: personal data removed
    away_until: date | None = None  # not prompted for check-ins until this day (inclusive)
    # gone: left, removed by their party or deactivated in Slack; not prompted or counted, history kept
    left_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    left_how: str = Field(default="", max_length=16)  # left, removed or deactivated
    left_by: str | None = Field(default=None, max_length=limits.SLACK_ID)  # who removed them


class Objective(SQLModel, table=True):
    """An objective: `ours` (joint) or one party's own (`party_slot` set), with each side's benefit."""

    __tablename__ = "objective"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    party_slot: int | None = None
    title: str = Field(max_length=limits.TITLE)
    benefit_1: str = Field(default="", max_length=limits.DETAIL)
    benefit_2: str = Field(default="", max_length=limits.DETAIL)
    status: str = Field(default="open", max_length=16)


class Kpi(SQLModel, table=True):
    """A measure with a target and a red threshold on the bad side of it: green at or better than the target,
    amber short of it but not past red, red past red. `amber` is kept for plan files and equals the target
    (migration 0011 carried older KPIs, whose amber could lie past the target, over)."""

    __tablename__ = "kpi"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    name: str = Field(max_length=limits.KPI_NAME)
    unit: str = Field(default="", max_length=limits.UNIT)
    direction: str = Field(default="higher", max_length=8)
    target: float
    amber: float
    red: float
    owner_slot: int
    reporter_slot: int
    cadence: str = Field(default="each check-in", max_length=limits.KPI_CADENCE)
    active: bool = True
    # a service level `owner_slot` promises the other party (its cadence is the period): missing it is a breach
    service_level: bool = False


class KpiValue(SQLModel, table=True):
    """A reported value of a KPI for a period."""

    __tablename__ = "kpi_value"
    __table_args__ = (Index("ix_kpi_value_kpi_period", "kpi_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    kpi_id: int = Field(foreign_key="kpi.id")
    period: date
    value: float
    reported_by: str = Field(max_length=limits.SLACK_ID)
    reported_at: datetime = Field(sa_type=UtcDateTime)


class Risk(SQLModel, table=True):
    """A risk to the relationship, scored likelihood × impact."""

    __tablename__ = "risk"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    description: str = Field(max_length=limits.DESCRIPTION)
    likelihood: int
    impact: int
    owner_user_id: str = Field(max_length=limits.SLACK_ID)
    mitigation: str = Field(default="", max_length=limits.DETAIL)
    status: str = Field(default="open", max_length=16)
    review_on: date | None = None  # the mitigation owner is reminded when this passes
    nudged_on: date | None = None  # the last day its owner was nudged about it


class Action(SQLModel, table=True):
    """An action with an owner and a due date."""

    __tablename__ = "action"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    description: str = Field(max_length=limits.DESCRIPTION)
    owner_user_id: str = Field(max_length=limits.SLACK_ID)
    due_on: date
    status: str = Field(default="open", max_length=20)
    reason: str = Field(default="", max_length=limits.DETAIL)
    closed_on: date | None = None
    snoozed_until: date | None = None  # no nudge before this day (the owner's Snooze)
    nudged_on: date | None = None  # the last day its owner was nudged about it
    done_asked_by: str | None = Field(default=None, max_length=limits.SLACK_ID)  # the other party asked: is it done?


class ExitTrigger(SQLModel, table=True):
    """A condition of the exit strategy and whether it has fired."""

    __tablename__ = "exit_trigger"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    kind: str = Field(max_length=limits.CODE)
    description: str = Field(max_length=limits.DESCRIPTION)
    kpi_number: int | None = None
    periods: int | None = None
    threshold: float | None = None
    on_date: date | None = None
    objective_number: int | None = None  # objective_failing: this objective failing
    status: str = Field(default="clear", max_length=16)


class Win(SQLModel, table=True):
    """A win recorded by either party when it happens: posted to the channel and counted in the next review."""

    __tablename__ = "win"
    __table_args__ = (UniqueConstraint("relationship_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    party_slot: int
    user_id: str = Field(max_length=limits.SLACK_ID)
    text: str = Field(max_length=limits.DETAIL)
    created_at: datetime = Field(sa_type=UtcDateTime)


class Change(SQLModel, table=True):
    """One recorded change of the plan: who, which party, when, what, before and after."""

    __tablename__ = "plan_change"
    __table_args__ = (Index("ix_plan_change_rel_version", "relationship_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id")
    version: int
    at: datetime = Field(sa_type=UtcDateTime)
    user_id: str = Field(max_length=limits.SLACK_ID)
    party: str = Field(default="", max_length=limits.PARTY)
    entity: str = Field(max_length=limits.ENTITY)
    entity_id: int | None = None
    verb: str = Field(max_length=limits.CODE)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


PROPOSAL_OPEN = "open"


class Proposal(SQLModel, table=True):
    """A change of what both parties share, made by one party and waiting for the other's decision.

    `subject` is what it changes (`relationship`, `checkins`, `objective:3`, `exit_trigger:new`): one open
    proposal per subject. `values` is what takes effect when approved; `changes` says it in words."""

    __tablename__ = "proposal"
    __table_args__ = (UniqueConstraint("relationship_id", "number"), Index("ix_proposal_open", "relationship_id",
                                                                         "status", "subject"))

    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    number: int
    subject: str = Field(max_length=64)
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    changes: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    proposed_by: str = Field(max_length=limits.SLACK_ID)
    proposing_slot: int
    status: str = Field(default=PROPOSAL_OPEN, max_length=16)
    created_at: datetime = Field(sa_type=UtcDateTime)
    lapses_at: datetime = Field(sa_type=UtcDateTime)
    decided_by: str | None = Field(default=None, max_length=limits.SLACK_ID)
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reason: str = Field(default="", max_length=limits.DETAIL)
    version: int = 0  # raised on every decision: the message's updates are keyed by it
