"""The plan's history: every change recorded with who, which party, when, before and after."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from commands.rmp import digest
from commands.rmp.access import Member
from storage.rmp import Change, Relationship


def snapshot(row: SQLModel, *, exclude: tuple[str, ...] = ("id", "relationship_id")) -> dict[str, Any]:
    """A row's fields as JSON-ready values (dates as ISO text)."""
    values: dict[str, Any] = {}
    for name, value in row.model_dump().items():
        if name in exclude:
            continue
        values[name] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


def record(
    db: Session,
    relationship: Relationship,
    *,
    by: Member | None,
    user_id: str,
    entity: str,
    entity_id: int | None,
    verb: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
    raises_version: bool = True,
) -> Change:
    """Add a change, raising the plan's version by one; a record that changes nothing of the plan (a review's
    minutes or sign-off: `raises_version` False) is kept at the current version, so that both SERs sign off the
    same version when nothing else changed."""
    if raises_version:
        relationship.version += 1
        relationship.updated_at = now
        db.add(relationship)
    change = Change(
        relationship_id=relationship.id or 0, version=relationship.version, at=now, user_id=user_id,
        party=by.party.name if by else "", entity=entity, entity_id=entity_id, verb=verb,
        before=before, after=after,
    )
    db.add(change)
    db.flush()
    if digest.announced(change):
        digest.announce(db, relationship, now=now)
    return change


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, before and after."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
