"""The relationship at a glance: parties, actions, risks, KPIs, objectives, exit, what comes next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.calendar import next_occurrence, parse_cadence, zone
from commands.checkins import round_post, summary
from commands.disputes import ladder
from commands.rmp import access, calendars, charter, commitments, exits, items, kpis, objectives, risks, service_levels
from commands.rmp.actions import OPEN, is_overdue
from commands.rmp.charter import CharterLine
from commands.rmp.service_levels import ServiceLevelLine
from commands.wording import plural
from storage import disputes
from storage.checkins import CLOSED, Round
from storage.disputes import Dispute
from storage.reviews import Review, ReviewSignature
from storage.rmp import Action, ExitTrigger, Kpi, Objective, Person, Relationship, Risk


@dataclass(frozen=True)
class KpiLine:
    """A KPI with its latest value, RAG and trend (up, down or flat against the value before)."""

    number: int
    name: str
    unit: str
    direction: str
    target: float
    value: float | None
    rag: str | None
    trend: str | None


@dataclass(frozen=True)
class Holder:
    """Someone who holds a dispute at its level: their Slack id, and their name when Slack told it (to name
    them in a post without a mention, which would notify them)."""

    user_id: str
    name: str | None


@dataclass(frozen=True)
class DisputeLine:
    """An open or paused dispute: its level on the ladder frozen when it opened, who holds it there (each party's
    people of the level's role, as the dispute's own message shows them), and the working time left."""

    number: int
    title: str
    severity: str
    status: str  # open or paused
    level: int  # 1-based: L1 …
    levels: int
    level_name: str
    holders: list[tuple[str, list[Holder]]]  # per party, in slot order
    days_left: float | None  # None: paused, or no timer at the last level
    due_at: datetime | None  # when it escalates (None: no timer, or paused)


@dataclass(frozen=True)
class CheckinLine:
    """The latest check-in round: while open, its answered counts per party as its message shows them; once
    closed, the summary its close published (`summary.as_data`: only thresholded figures, never answers)."""

    number: int
    state: str  # open or closed
    opens_at: datetime
    closes_at: datetime
    counts: list[dict[str, Any]] = field(default_factory=list)  # while open (round_post.counts)
    figures: dict[str, Any] | None = None  # once closed
    nobody: bool = False  # closed with no answers: no figures
    previous: CheckinLine | None = None  # while open: the last closed round, whose figures stand until this closes


@dataclass
class Status:
    """What `/accord status` and the App Home show."""

    relationship_id: int
    channel_id: str
    name: str
    version: int
    parties: list[str]
    viewer_slot: int | None
    today: date
    timezone: str
    actions: list[Action] = field(default_factory=list)
    overdue: set[int] = field(default_factory=set)
    risks: list[Risk] = field(default_factory=list)
    kpis: list[KpiLine] = field(default_factory=list)
    service_levels: list[ServiceLevelLine] = field(default_factory=list)
    commitments: list[tuple[str, int, int]] = field(default_factory=list)  # per party: in force, not honoured
    objectives: list[tuple[Objective, str]] = field(default_factory=list)
    exits: list[tuple[ExitTrigger, str]] = field(default_factory=list)
    exit_reviewed_on: date | None = None
    open_disputes: list[DisputeLine] = field(default_factory=list)
    checkin: CheckinLine | None = None  # the latest round; None before the first
    next_checkin: datetime | None = None
    next_review: datetime | None = None
    last_review: str | None = None  # "#3 on 2027-04-01, signed off by both parties"
    charter: CharterLine | None = None  # the partnership charter in brief; None before it is written


def relationship_status(db: Session, *, actor: Actor, now: datetime) -> Status:
    """The actor's channel's relationship (anyone in it may look)."""
    me = access.member(db, actor)
    return status_of(db, me.relationship, viewer_slot=me.party.slot, now=now,
                     viewer_zone=calendars.local_zone_name(me.person, me.party))


def status_of(db: Session, relationship: Relationship, *, viewer_slot: int | None, now: datetime,
              viewer_zone: str | None = None) -> Status:
    """The status of `relationship` as the party in `viewer_slot` sees it, with times and today in the viewer's
    timezone (`viewer_zone`; the channel's when None)."""
    rid = relationship.id or 0
    timezone = viewer_zone or relationship.timezone
    today = now.astimezone(zone(timezone)).date()
    status = Status(
        relationship_id=rid, channel_id=relationship.channel_id, name=relationship.name,
        version=relationship.version, parties=[party.name for party in access.parties(db, relationship)],
        viewer_slot=viewer_slot, today=today, timezone=timezone,
        exit_reviewed_on=relationship.exit_reviewed_on,
    )
    status.actions = sorted((a for a in items.all_of(db, Action, rid) if a.status == OPEN),
                            key=lambda a: (a.due_on, a.number))
    status.overdue = {a.number for a in status.actions if is_overdue(a, today)}
    status.risks = risks.by_score([r for r in items.all_of(db, Risk, rid) if r.status != "closed"])
    status.kpis = [_kpi_line(db, kpi) for kpi in items.all_of(db, Kpi, rid) if kpi.active and not kpi.service_level]
    status.service_levels = service_levels.status_lines(db, relationship)
    status.commitments = commitments.counts(db, rid, access.parties(db, relationship))
    status.objectives = [(o, objectives.kind_for(o, viewer_slot)) for o in items.all_of(db, Objective, rid)]
    status.exits = [(t, exits.current_status(db, t, relationship_id=rid, today=today))
                    for t in items.all_of(db, ExitTrigger, rid)]
    tz, calendar = zone(relationship.timezone), calendars.joint(db, relationship)
    cadence = parse_cadence(relationship.checkin_cadence, field="checkin_cadence")
    opens = next_occurrence(cadence, now, tz, calendar)  # the viewer is asked at the cadence's time in their zone
    status.next_checkin = datetime.combine(opens.astimezone(tz).date(), cadence.at, zone(timezone))
    status.next_review = next_occurrence(parse_cadence(relationship.review_cadence, field="review_cadence"),
                                         now, tz, calendar)
    status.last_review = _last_review(db, rid)
    status.open_disputes = open_disputes(db, relationship, now)
    status.checkin = latest_checkin(db, relationship)
    status.charter = charter.brief(relationship)
    return status


def open_disputes(db: Session, relationship: Relationship, now: datetime) -> list[DisputeLine]:
    """The relationship's open and paused disputes, by number, with level, holders and time left (read-only)."""
    rid = relationship.id or 0
    found = list(db.exec(select(Dispute).where(Dispute.relationship_id == rid,
                                               col(Dispute.status).in_([disputes.OPEN, disputes.PAUSED]))
                         .order_by(col(Dispute.number))))
    if not found:
        return []
    names = dict(db.exec(select(Person.user_id, Person.name).where(Person.relationship_id == rid)).all())
    by_level: dict[int, dict[str, list[str]]] = {}
    lines = []
    for dispute in found:
        if dispute.level not in by_level:
            by_level[dispute.level] = ladder.holders(db, relationship, dispute.level)
        holders = [(party, [Holder(user, names.get(user)) for user in users])
                   for party, users in by_level[dispute.level].items()]
        running = dispute.status == disputes.OPEN
        lines.append(DisputeLine(
            dispute.number, dispute.title, dispute.severity, dispute.status, dispute.level + 1, len(dispute.ladder),
            dispute.ladder[dispute.level]["name"], holders, ladder.working_days_left(db, dispute, relationship, now),
            dispute.level_due_at if running else None))
    return lines


def latest_checkin(db: Session, relationship: Relationship) -> CheckinLine | None:
    """The latest round: its counts while open; once closed, what its close published (see disclosure)."""
    round_ = db.exec(select(Round).where(Round.relationship_id == relationship.id)
                     .order_by(col(Round.number).desc())).first()
    if round_ is None:
        return None
    if round_.status != CLOSED:
        closed = db.exec(select(Round).where(Round.relationship_id == relationship.id, Round.status == CLOSED)
                         .order_by(col(Round.number).desc())).first()
        return CheckinLine(round_.number, "open", round_.opens_at, round_.closes_at,
                           counts=round_post.counts(db, round_, relationship),
                           previous=_closed_line(db, closed) if closed is not None else None)
    return _closed_line(db, round_)


def _closed_line(db: Session, round_: Round) -> CheckinLine:
    result = summary.summarise(db, round_)
    return CheckinLine(round_.number, "closed", round_.opens_at, round_.closes_at,
                       figures=summary.as_data(result), nobody=not any(p.answered for p in result.parties))


def _last_review(db: Session, rid: int) -> str | None:
    review = db.exec(select(Review).where(Review.relationship_id == rid).order_by(col(Review.number).desc())).first()
    if review is None:
        return None
    signed = len(db.exec(select(ReviewSignature.id).where(ReviewSignature.review_id == review.id)).all())
    state = "signed off by both parties" if signed >= 2 else f"awaiting {plural(2 - signed, 'sign-off')}"
    return f"#{review.number} of {review.figures['period']['last_day']}, {state}"


def _kpi_line(db: Session, kpi: Kpi) -> KpiLine:
    values = kpis.latest_values(db, kpi, limit=2)
    latest = values[0].value if values else None
    trend = None
    if len(values) == 2:
        trend = "up" if values[0].value > values[1].value else "down" if values[0].value < values[1].value else "flat"
    return KpiLine(kpi.number, kpi.name, kpi.unit, kpi.direction, kpi.target, latest,
                   kpis.rag(kpi, latest) if latest is not None else None, trend)
