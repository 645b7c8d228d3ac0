"""`/accord history`: the latest changes of the plan, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.rmp import access
from storage.rmp import Change


@dataclass(frozen=True)
class History:
    """The plan's version and its latest changes."""

    name: str
    version: int
    changes: list[Change]


def latest_changes(db: Session, *, actor: Actor, limit: int = 15) -> History:
    """The `limit` latest changes (anyone in the relationship may look)."""
    me = access.member(db, actor)
    changes = db.exec(
        select(Change).where(Change.relationship_id == me.relationship.id)
        .order_by(col(Change.version).desc(), col(Change.id).desc()).limit(limit)
    )
    return History(me.relationship.name, me.relationship.version, list(changes))
