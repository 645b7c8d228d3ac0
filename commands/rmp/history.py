"""`/accord history`: the latest changes of the plan, newest first, each said in one sentence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.rmp import access, sentences
from storage.rmp import Change


@dataclass(frozen=True)
class Entry:
    """One change as the history shows it: its version, when, and what happened in words."""

    version: int
    at: datetime
    text: str


@dataclass(frozen=True)
class History:
    """The plan's version, its channel's time zone and its latest changes in words."""

    name: str
    version: int
    timezone: str
    entries: list[Entry]


def entries(db: Session, relationship_id: int, changes: list[Change]) -> list[Entry]:
    """The changes in words, named with the relationship's people, parties and things."""
    names = sentences.names_for(db, relationship_id, changes)
    return [Entry(change.version, change.at, sentences.sentence(change, names)) for change in changes]


def latest_changes(db: Session, *, actor: Actor, limit: int = 15) -> History:
    """The `limit` latest changes (anyone in the relationship may look)."""
    me = access.member(db, actor)
    rid = me.relationship.id or 0
    changes = list(db.exec(
        select(Change).where(Change.relationship_id == rid)
        .order_by(col(Change.version).desc(), col(Change.id).desc()).limit(limit)
    ))
    return History(me.relationship.name, me.relationship.version, me.relationship.timezone,
                   entries(db, rid, changes))
