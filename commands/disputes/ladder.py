"""The ladder in force for a dispute: who holds each level, its timers, and the time left."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from commands import outgoing, quiet, work
from commands.calendar import DAY_SECONDS, JointCalendar
from commands.rmp import access, calendars
from storage.disputes import OPEN, Dispute, DisputeEvent
from storage.rmp import Person, Relationship

WARN_KIND, ESCALATE_KIND = "dispute.warn", "dispute.escalate"
RANK = {"observer": 0, "member": 1, "manager": 2, "ser": 3}
LEVEL_ROLE = ("member", "manager", "ser")  # L1 working level, L2 managers, L3 and above SERs
WARN_AT = 0.75


def level_role(level: int) -> str:
    """The role that holds a level (and must accept a resolution at it)."""
    return LEVEL_ROLE[min(level, len(LEVEL_ROLE) - 1)]


def holders(db: Session, relationship: Relationship, level: int) -> dict[str, list[str]]:
    """Each party's people of the level's role (the next role up when a party has none)."""
    result: dict[str, list[str]] = {}
    for party in access.parties(db, relationship):
        people = list(db.exec(select(Person).where(Person.party_id == party.id, access.present())))
        for rank in range(RANK[level_role(level)], 4):
            found = sorted(p.user_id for p in people if RANK[p.role] == rank)
            if found:
                break
        result[party.name] = found
    return result


def arm(db: Session, dispute: Dispute, relationship: Relationship, *, start: datetime, seconds: float | None,
        now: datetime) -> None:
    """Start the level's clock at `start` with `seconds` of working time left (None: the level's full time).

    The clock runs on the days that are working days of both parties; the level falls due, and its warning
    is given, inside the working hours both parties share (see JointCalendar)."""
    dispute.timer_epoch += 1
    days = dispute.ladder[dispute.level].get("days")
    if days is None or dispute.level == len(dispute.ladder) - 1:  # nothing above the last level: no clock
        dispute.level_due_at = None
        return
    total = days * DAY_SECONDS
    left = total if seconds is None else seconds
    calendar = calendars.joint(db, relationship)
    dispute.level_due_at = calendar.due_after(start, left, fallback=dispute.raising_slot - 1)
    queue_timers(db, dispute, calendar, start=start, left=left, total=total, now=now)


def queue_timers(db: Session, dispute: Dispute, calendar: JointCalendar, *, start: datetime, left: float,
                 total: float, now: datetime) -> None:
    """Queue the level's escalation at its due time, and its warning (at 75 %) if that is still to come."""
    payload = {"dispute_id": dispute.id, "epoch": dispute.timer_epoch}
    if left > total * (1 - WARN_AT):
        warn_at = calendar.due_after(start, left - total * (1 - WARN_AT), fallback=dispute.raising_slot - 1)
        work.schedule(db, kind=WARN_KIND, key=f"{WARN_KIND}:{dispute.id}:{dispute.timer_epoch}", due_at=warn_at,
                      payload=payload, now=now)
    assert dispute.level_due_at is not None
    work.schedule(db, kind=ESCALATE_KIND, key=f"{ESCALATE_KIND}:{dispute.id}:{dispute.timer_epoch}",
                  due_at=dispute.level_due_at, payload=payload, now=now)


def disarm(dispute: Dispute) -> None:
    """Void the queued timers (they check the epoch when they fire)."""
    dispute.timer_epoch += 1


def working_days_left(db: Session, dispute: Dispute, relationship: Relationship, now: datetime) -> float | None:
    """Working days left at this level (None at a level with no timer or while paused)."""
    if dispute.level_due_at is None or dispute.status != OPEN:
        return None
    seconds = calendars.joint(db, relationship).working_seconds_between(now, dispute.level_due_at)
    return round(seconds / DAY_SECONDS, 1)


def paused_seconds(db: Session, dispute: Dispute, relationship: Relationship, now: datetime) -> float | None:
    """Working time left at this level, as the clock stops."""
    if dispute.level_due_at is None:
        return None
    return calendars.joint(db, relationship).working_seconds_between(now, dispute.level_due_at)


def state(db: Session, dispute: Dispute, relationship: Relationship, now: datetime) -> dict[str, Any]:
    """What the dispute's root message shows, as JSON for the outbox."""
    parties = {p.slot: p.name for p in access.parties(db, relationship)}
    level = dispute.ladder[dispute.level]
    return {
        "id": dispute.id, "number": dispute.number, "title": dispute.title, "severity": dispute.severity,
        "status": dispute.status, "level": dispute.level + 1, "level_name": level["name"],
        "levels": len(dispute.ladder), "holders": holders(db, relationship, dispute.level),
        "due_at": dispute.level_due_at.isoformat() if dispute.level_due_at else None,
        "days_left": working_days_left(db, dispute, relationship, now), "timezone": relationship.timezone,
        "raised_by": dispute.raised_by, "raising_party": parties[dispute.raising_slot],
        "channel": relationship.channel_id, "description": dispute.description,
        "desired_outcome": dispute.desired_outcome, "evidence_channel": dispute.evidence_channel,
        "evidence_ts": dispute.evidence_ts, "proposal": dispute.proposal,
        "proposal_party": parties.get(dispute.proposal_slot or 0), "resolution": dispute.resolution,
        "lessons": dispute.lessons,
    }


def root_key(dispute: Dispute) -> str:
    """The outbox key of the dispute's root message (its thread is the dispute's thread)."""
    return f"dispute:{dispute.id}:root"


def log_and_tell(
    db: Session, dispute: Dispute, relationship: Relationship, *, user_id: str, party: str, kind: str,
    detail: dict[str, Any], now: datetime, mention: list[str] | None = None, buttons: bool = False,
) -> DisputeEvent:
    """Record a state change in the log, reply in the thread, and update the root message in place.

    Mentions still waiting for someone's working hours are withdrawn when this one asks again (`mention`) or
    the dispute is settled or paused: nobody is asked later for what no longer waits on them."""
    if mention or kind in ("resolved", "paused"):
        quiet.withdraw_mentions(db, f"dispute:{dispute.id}:event:")
    event = DisputeEvent(dispute_id=dispute.id or 0, at=now, user_id=user_id, party=party, kind=kind, detail=detail)
    db.add(event)
    dispute.version += 1
    db.add(dispute)
    db.flush()
    data: dict[str, Any] = {
        "kind": kind, "user": user_id, "party": party, "detail": detail, "mention": [], "dispute": dispute.id,
        "number": dispute.number, "channel": relationship.channel_id, "buttons": buttons, "event": event.id}
    key = f"dispute:{dispute.id}:event:{event.id}"
    if mention:  # those outside their working hours are mentioned in the thread when their hours start
        level = f"L{dispute.level + 1} {dispute.ladder[dispute.level]['name']}"
        quiet.addressed_post(db, relationship_id=relationship.id or 0, key=key, channel=relationship.channel_id,
                             view="dispute_event", data=data, users=mention, thread_of=root_key(dispute), now=now,
                             about=f"dispute #{dispute.number} waits on you at {level}.")
    else:
        outgoing.post_message(db, key=key, channel=relationship.channel_id, thread_of=root_key(dispute),
                            view="dispute_event", data=data, now=now)
    outgoing.update_message(db, key=f"{root_key(dispute)}:v{dispute.version}", updates=root_key(dispute),
                          view="dispute_root", data=state(db, dispute, relationship, now), now=now)
    return event
