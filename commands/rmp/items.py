"""The shared life of plan items (objectives, KPIs, risks, actions, exit triggers): numbered per
relationship, every change recorded. A party changes alone what it owns (its own objectives, the KPIs it
owns, the actions and risks its people own); anything else, joint objectives and exit triggers included,
changes only with the other party: the change waits as a proposal until they approve it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from commands.consent import proposals
from commands.errors import InputError
from commands.rmp import access, audit, chasing
from commands.rmp.access import Member
from storage.rmp import Action, ExitTrigger, Kpi, Objective, Proposal, Risk

# ITEM: each table in MODELS has relationship_id and number, which a bound of SQLModel cannot say
Item = TypeVar("Item", bound=SQLModel)


def next_number(db: Session, model: type[SQLModel], relationship_id: int) -> int:
    """The next free number for this kind of item in the relationship (the plan is locked)."""
    highest = db.exec(
        select(func.max(model.number)).where(model.relationship_id == relationship_id)  # type: ignore[attr-defined]  # ITEM
    ).one()
    return int(highest or 0) + 1


def find(db: Session, model: type[Item], relationship_id: int, number: int, *, label: str) -> Item:
    """Item `number`; InputError when there is none."""
    found = db.exec(
        select(model).where(model.relationship_id == relationship_id, model.number == number)  # type: ignore[attr-defined]  # ITEM
    ).first()
    if found is None:
        raise InputError(f"There is no {label} #{number} in this relationship.", field="number")
    return found


def all_of(db: Session, model: type[Item], relationship_id: int) -> list[Item]:
    """Every item of this kind in the relationship, by number."""
    return list(db.exec(
        select(model).where(model.relationship_id == relationship_id)  # type: ignore[attr-defined]  # ITEM
        .order_by(col(model.number))  # type: ignore[attr-defined]  # ITEM
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
        change = audit.record(db, relationship, by=by, user_id=user_id, entity=entity, entity_id=item.number,  # type: ignore[attr-defined]  # ITEM
                              verb="create", before=None, after=audit.snapshot(item), now=now)
        chasing.saved(db, relationship, entity=entity, item=item, owner_before=None, by_user=user_id,
                      version=change.version, now=now)
        return item
    item = find(db, model, rid, number, label=entity)
    before = audit.snapshot(item)
    for key, value in values.items():
        setattr(item, key, value)
    old, new = audit.changed_fields(before, audit.snapshot(item))
    if new:
        db.add(item)
        change = audit.record(db, relationship, by=by, user_id=user_id, entity=entity, entity_id=number,
                              verb="update", before=old, after=new, now=now)
        chasing.saved(db, relationship, entity=entity, item=item, owner_before=before.get("owner_user_id"),
                      by_user=user_id, version=change.version, now=now)
    return item


MODELS: dict[str, type[SQLModel]] = {"objective": Objective, "kpi": Kpi, "risk": Risk, "action": Action,
                                     "exit_trigger": ExitTrigger}
LABELS = {"objective": "objective", "kpi": "KPI", "risk": "risk", "action": "action", "exit_trigger": "exit trigger"}
DATES = ("due_on", "on_date", "closed_on", "review_on")


def save_or_propose(
    db: Session, by: Member, *, entity: str, model: type[Item], values: dict[str, Any], number: int | None,
    owners: set[int | None], user_id: str, now: datetime,
) -> Item | Proposal:
    """Save the item when the actor's party owns it before and after the change (`owners`: the owning parties'
    slots, None for joint), or while the partner has nobody to ask; else propose the change to the partner.
    `model` is `entity`'s table (MODELS), given so that the caller gets its own type back."""
    assert MODELS[entity] is model, (entity, model)
    if owners == {by.party.slot} or not proposals.partner_can_decide(db, by):
        return save(db, by, entity=entity, values=values, model=model, number=number, user_id=user_id, now=now)
    current = audit.snapshot(find(db, model, by.relationship.id or 0, number, label=LABELS[entity])) \
        if number is not None else {}
    stored = {key: value.isoformat() if isinstance(value, date) else value for key, value in values.items()}
    names = {party.slot: party.name for party in access.parties(db, by.relationship)}
    changes = [proposals.Change(_label(key, names), _words(current.get(key), key, names), _words(value, key, names))
               for key, value in stored.items() if current.get(key) != value and key not in DERIVED_FIELDS]
    if not changes:
        return find(db, model, by.relationship.id or 0, number, label=LABELS[entity]) if number is not None \
            else save(db, by, entity=entity, values=values, model=model, number=number, user_id=user_id, now=now)
    return proposals.propose(db, by, subject=f"{entity}:{number if number is not None else 'new'}",
                             values=stored, changes=changes, now=now)


FIELD_LABELS = {"party_slot": "whose", "owner_slot": "owned by", "reporter_slot": "reported by",
                "owner_user_id": "owner", "due_on": "due", "kpi_number": "KPI", "on_date": "on", "active": "in force"}
SLOT_FIELDS = ("party_slot", "owner_slot", "reporter_slot")
DERIVED_FIELDS = ("amber",)  # a KPI's amber threshold is its target: not a change of its own


def _label(key: str, names: dict[int, str]) -> str:
    if key.startswith("benefit_"):
        return f"benefit to {names.get(int(key[-1]), key)}"
    return FIELD_LABELS.get(key, key.replace("_", " "))


def _words(value: Any, key: str, names: dict[int, str]) -> str:
    if key in SLOT_FIELDS:
        return "joint (ours)" if value is None and key == "party_slot" else names.get(value, "—")
    if value is None or value == "":
        return "—"
    if key == "owner_user_id":
        return f"<@{value}>"
    if isinstance(value, bool):  # a service level (Kpi.service_level), a KPI in force (active)
        return "yes" if value else "no"
    return f"{value:g}" if isinstance(value, float) else str(value)


def apply_proposal(db: Session, by: Member, proposal: Proposal, *, now: datetime) -> SQLModel:
    """An approved proposal about a plan item: create or change it as proposed."""
    entity, _, number = proposal.subject.partition(":")
    values = {key: date.fromisoformat(value) if key in DATES and isinstance(value, str) else value
              for key, value in proposal.values.items()}
    return save(db, by, entity=entity, values=values, model=MODELS[entity],
                number=None if number == "new" else int(number), user_id=by.person.user_id, now=now)
