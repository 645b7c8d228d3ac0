"""Disputes and their log in the plan's export, and back (their timers re-armed on import)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.calendar import DAY_SECONDS
from commands.disputes import ladder
from commands.rmp import calendars
from storage.disputes import OPEN, RESOLVED, Dispute, DisputeEvent
from storage.rmp import Relationship

DISPUTE_FIELDS = (
    "number", "title", "description", "severity", "desired_outcome", "raised_by", "raising_slot",
    "evidence_channel", "evidence_ts", "ladder", "level", "level_started_at", "level_due_at", "paused_remaining",
    "status", "proposal", "proposal_slot", "proposal_by", "resolution", "lessons", "opened_at", "resolved_at", "log",
)
EVENT_FIELDS = ("at", "user_id", "party", "kind", "detail")


def export_disputes(db: Session, relationship_id: int, plain: Any) -> list[dict[str, Any]]:
    """Every dispute of the relationship with its log, by number."""
    result = []
    for dispute in db.exec(select(Dispute).where(Dispute.relationship_id == relationship_id)
                           .order_by(col(Dispute.number))):
        events = db.exec(select(DisputeEvent).where(DisputeEvent.dispute_id == dispute.id)
                         .order_by(col(DisputeEvent.at), col(DisputeEvent.id)))
        row = {name: plain(getattr(dispute, name)) for name in DISPUTE_FIELDS[:-1]}
        row["log"] = [{name: plain(getattr(event, name)) for name in EVENT_FIELDS} for event in events]
        result.append(row)
    return result


def import_disputes(db: Session, relationship: Relationship, rows: list[dict[str, Any]], *, now: datetime) -> None:
    """Recreate the disputes as exported, and queue the timers of the open ones."""
    for row in rows:
        dispute = Dispute(relationship_id=relationship.id or 0, **{k: v for k, v in row.items() if k != "log"})
        db.add(dispute)
        db.flush()
        db.add_all(DisputeEvent(dispute_id=dispute.id or 0, **event) for event in row["log"])
        if dispute.status != RESOLVED:  # its thread starts again here: a new root message in the channel
            outgoing.post_message(db, key=ladder.root_key(dispute), channel=relationship.channel_id,
                                view="dispute_root", now=now,
                                data={**ladder.state(db, dispute, relationship, now), "mentions": False})
        if dispute.status == OPEN and dispute.level_due_at is not None:
            _rearm(db, dispute, relationship, now=now)


def _rearm(db: Session, dispute: Dispute, relationship: Relationship, *, now: datetime) -> None:
    """Queue the escalation at the recorded deadline, and the warning if it is still to come."""
    dispute.timer_epoch += 1
    due = dispute.level_due_at
    assert due is not None
    calendar = calendars.joint(db, relationship)
    total = (dispute.ladder[dispute.level].get("days") or 0) * DAY_SECONDS
    ladder.queue_timers(db, dispute, calendar, start=now, left=calendar.working_seconds_between(now, due),
                        total=total, now=now)
    db.add(dispute)
