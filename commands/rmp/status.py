"""The relationship at a glance: parties, actions, risks, KPIs, objectives, exit, what comes next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.calendar import next_occurrence, parse_cadence, zone
from commands.rmp import access, calendars, exits, items, kpis, objectives, risks
from commands.rmp.actions import OPEN, is_overdue
from storage.reviews import Review, ReviewSignature
from storage.rmp import Action, ExitTrigger, Kpi, Objective, Party, Person, Relationship, Risk


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
    objectives: list[tuple[Objective, str]] = field(default_factory=list)
    exits: list[tuple[ExitTrigger, str]] = field(default_factory=list)
    exit_reviewed_on: date | None = None
    open_disputes: list[str] = field(default_factory=list)
    next_checkin: datetime | None = None
    next_review: datetime | None = None
    last_review: str | None = None  # "#3 on 2027-04-01, signed off by both parties"


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
    status.kpis = [_kpi_line(db, kpi) for kpi in items.all_of(db, Kpi, rid) if kpi.active]
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
    return status


def _last_review(db: Session, rid: int) -> str | None:
    review = db.exec(select(Review).where(Review.relationship_id == rid).order_by(col(Review.number).desc())).first()
    if review is None:
        return None
    signed = len(db.exec(select(ReviewSignature.id).where(ReviewSignature.review_id == review.id)).all())
    state = "signed off by both parties" if signed >= 2 else f"awaiting {2 - signed} sign-off(s)"
    return f"#{review.number} of {review.figures['period']['last_day']}, {state}"


def _kpi_line(db: Session, kpi: Kpi) -> KpiLine:
    values = kpis.latest_values(db, kpi, limit=2)
    latest = values[0].value if values else None
    trend = None
    if len(values) == 2:
        trend = "up" if values[0].value > values[1].value else "down" if values[0].value < values[1].value else "flat"
    return KpiLine(kpi.number, kpi.name, kpi.unit, kpi.direction, kpi.target, latest,
                   kpis.rag(kpi, latest) if latest is not None else None, trend)


def statuses_for_user(db: Session, *, user_id: str, now: datetime) -> list[Status]:
    """Every relationship `user_id` is in, as their party sees it (for the App Home)."""
    people = db.exec(select(Person).where(Person.user_id == user_id).order_by(Person.relationship_id))
    result = []
    for person in people:
        relationship = db.get(Relationship, person.relationship_id)
        party = db.get(Party, person.party_id)
        if relationship is not None and party is not None:
            result.append(status_of(db, relationship, viewer_slot=party.slot, now=now,
                                    viewer_zone=calendars.local_zone_name(person, party)))
    return result
