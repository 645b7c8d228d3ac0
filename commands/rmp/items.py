"""The shared life of plan items (objectives, KPIs, risks, actions, exit triggers): numbered per
relationship, created and edited by editors, every change recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from commands.errors import InputError
from commands.rmp import audit
from commands.rmp.access import Member

Item = TypeVar("Item", bound=SQLModel)


def next_number(db: Session, model: type[SQLModel], relationship_id: int) -> int:
    """The next free number for this kind of item in the relationship (the plan is locked)."""
    highest = db.exec(
        select(func.max(model.number)).where(model.relationship_id == relationship_id)  # type: ignore[attr-defined]
    ).one()
    return int(highest or 0) + 1


def find(db: Session, model: type[Item], relationship_id: int, number: int, *, label: str) -> Item:
    """Item `number`; InputError when there is none."""
    found = db.exec(
        select(model).where(model.relationship_id == relationship_id, model.number == number)  # type: ignore[attr-defined]
    ).first()
    if found is None:
        raise InputError(f"There is no {label} #{number} in this relationship.", field="number")
    return found


def all_of(db: Session, model: type[Item], relationship_id: int) -> list[Item]:
    """Every item of this kind in the relationship, by number."""
    return list(db.exec(
        select(model).where(model.relationship_id == relationship_id)  # type: ignore[attr-defined]
        .order_by(col(model.number))  # type: ignore[attr-defined]
    ))


def save(
    db: Session, by: Member, *, entity: str, values: dict[str, Any], model: type[Item], number: int | None,
    user_id: str, now: datetime,
) -> Item:
    """Create the item (number None) or change item `number` to `values`; record the change."""
    relationship = by.relationship
    rid = relationship.id or 0
    if number is None:
        item = model(relationship_id=rid, number=next_number(db, model, rid), **values)
        db.add(item)
        db.flush()
        audit.record(db, relationship, by=by, user_id=user_id, entity=entity, entity_id=item.number,  # type: ignore[attr-defined]
                     verb="create", before=None, after=audit.snapshot(item), now=now)
        return item
    item = find(db, model, rid, number, label=entity)
    before = audit.snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    old, new = audit.changed_fields(before, audit.snapshot(item))
    if new:
        db.add(item)
        audit.record(db, relationship, by=by, user_id=user_id, entity=entity, entity_id=number,
                     verb="update", before=old, after=new, now=now)
    return item
