"""Costs and benefits each party reports (`/accord value`), summed per party in each review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.rmp import access, audit, fields
from commands.rmp.actions import local_today
from storage import limits
from storage.reviews import BENEFIT, COST, ValueEntry

KINDS = (COST, BENEFIT)


@dataclass(frozen=True)
class ValueInput:
    """The value form as typed: whose, cost or benefit, an amount and/or a description, the day (default today)."""

    party_slot: str
    kind: str
    amount: str = ""
    description: str = ""
    on: str = ""


@dataclass(frozen=True)
class ValueForm:
    """What the value form offers: the two parties, the actor's own, and today."""

    parties: list[tuple[int, str]]
    my_slot: int
    today: str


def value_form(db: Session, *, actor: Actor, now: datetime) -> ValueForm:
    """The value form for the actor (anyone in the relationship but observers)."""
    me = _recorder(db, actor, lock=False)
    return ValueForm([(p.slot, p.name) for p in access.parties(db, me.relationship)], me.party.slot,
                     local_today(me.relationship, now).isoformat())


def _recorder(db: Session, actor: Actor, *, lock: bool) -> access.Member:
    me = access.member(db, actor, lock=lock)
    if me.role not in access.ACTORS:
        raise Refused("Observers follow the relationship but do not record costs or benefits.")
    return me


def record_value(db: Session, *, actor: Actor, form: ValueInput, now: datetime) -> ValueEntry:
    """Record a cost or a benefit of either party (anyone in the relationship but observers)."""
    me = _recorder(db, actor, lock=True)
    slot = int(fields.choice(form.party_slot, ("1", "2"), field="party_slot", label="The party"))
    kind = fields.choice(form.kind, KINDS, field="kind", label="Cost or benefit")
    amount = fields.number(form.amount, field="amount", label="The amount") if form.amount.strip() else None
    if amount is not None and amount < 0:
        raise InputError("Give the amount as a positive number: a cost is recorded as a cost.", field="amount")
    description = fields.text(form.description, field="description", label="The description", limit=limits.DETAIL,
                             required=False)
    if amount is None and not description:
        raise InputError("Give an amount, a description, or both.", field="amount")
    today = local_today(me.relationship, now)
    on = fields.iso_date(form.on, field="on", label="The date") if form.on.strip() else today
    if on > today:
        raise InputError("Record costs and benefits once they happen: the date is in the future.", field="on")
    entry = ValueEntry(relationship_id=me.relationship.id or 0, party_slot=slot, kind=kind, amount=amount,
                       description=description, on=on, recorded_by=actor.user_id, recorded_at=now)
    db.add(entry)
    db.flush()
    party = next(p.name for p in access.parties(db, me.relationship) if p.slot == slot)
    audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="value", entity_id=entry.id, verb="add",
                 before=None, after={"party": party, "kind": kind, "amount": amount, "description": description,
                                     "on": on.isoformat()}, now=now)
    return entry
