"""The day's plan changes, announced in the channel: one top-level post a day, updated as changes add up."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.calendar import zone
from commands.rmp import sentences
from storage.rmp import Change, Relationship

SHOWN = 40  # the latest changes listed; the post counts the others
# changes that have a message of their own (or that would say who answered a check-in): not in the digest
OWN_MESSAGE = {("kpi", "reported"), ("exit_trigger", "fired"), ("person", "exported")}  # exported: the person's own
OWN_ENTITIES = {"review", "proposal", "idea"}  # an idea's message keeps up with it (commands.rmp.ideas)


def announced(change: Change) -> bool:
    """Whether the digest lists this change."""
    return change.entity not in OWN_ENTITIES and (change.entity, change.verb) not in OWN_MESSAGE


def announce(db: Session, relationship: Relationship, *, now: datetime) -> None:
    """Post today's digest (the channel's day) or update it in place with the changes so far.

    A burst of changes makes one message: while the post, or its latest update, still waits in the outbox it
    takes the newer list instead of another call to Slack."""
    tz = zone(relationship.timezone)
    day = now.astimezone(tz).date()
    since = datetime.combine(day, time(0), tz)
    today = select(Change).where(Change.relationship_id == relationship.id, col(Change.at) >= since,
                                 col(Change.entity).not_in(OWN_ENTITIES))
    latest = [change for change in db.exec(today.order_by(col(Change.version).desc()).limit(SHOWN * 2))
              if announced(change)][:SHOWN]
    if not latest:
        return
    count = sum(1 for change in db.exec(today) if announced(change)) if len(latest) == SHOWN else len(latest)
    names = sentences.names_for(db, relationship.id or 0, latest)
    data: dict[str, Any] = {"relationship": relationship.name, "day": day.isoformat(), "count": count,
                            "timezone": relationship.timezone,
                            "changes": [_entry(change, names) for change in reversed(latest)]}
    outgoing.post_or_update(db, root=f"rel:{relationship.id}:digest:{day.isoformat()}",
                            version=str(relationship.version), channel=relationship.channel_id, view="plan_digest",
                            data=data, now=now)


def _entry(change: Change, names: sentences.Names) -> dict[str, Any]:
    """A change as the digest lists it: its version, when, and the change in words."""
    return {"version": change.version, "at": change.at.isoformat(), "text": sentences.sentence(change, names)}
