"""Costs and benefits each party reports (`/accord value`), summed per party in each review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from commands import wording
from commands.actor import Actor
from commands.errors import FieldChecks, InputError, Refused
from commands.rmp import access, audit, fields, sentences
from commands.rmp.actions import local_today
from storage import limits
from storage.reviews import BENEFIT, COST, ValueEntry
from storage.rmp import Relationship

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


def _amount(typed: str) -> float | None:
    """The amount, positive, or None when none is given."""
    amount = fields.number(typed, field="amount", label="The amount") if typed.strip() else None
    if amount is not None and amount < 0:
        raise InputError("Give the amount as a positive number: a cost is recorded as a cost.", field="amount")
    return amount


def _day(typed: str, today: date) -> date:
    """The day it happened (default today), not in the future."""
    on = fields.iso_date(typed, field="on", label="The date") if typed.strip() else today
    if on > today:
        raise InputError("Record costs and benefits once they happen: the date is in the future.", field="on")
    return on


def record_value(db: Session, *, actor: Actor, form: ValueInput, now: datetime) -> ValueEntry:
    """Record a cost or a benefit of either party (anyone in the relationship but observers)."""
    me = _recorder(db, actor, lock=True)
    checks = FieldChecks()
    slot = checks.read(fields.choice, form.party_slot, ("1", "2"), field="party_slot", label="The party")
    kind = checks.read(fields.choice, form.kind, KINDS, field="kind", label="Cost or benefit")
    amount = checks.read(_amount, form.amount)
    description = checks.read(fields.text, form.description, field="description", label="The description",
                              limit=limits.DETAIL, required=False)
    if checks.fine("amount") and amount is None and description == "":
        checks.add("amount", "Give an amount, a description, or both.")
    today = local_today(me.relationship, now)
    on = checks.read(_day, form.on, today)
    checks.raise_if_any()
    assert slot is not None and kind is not None and on is not None  # raise_if_any saw to it
    slot_number, description = int(slot), description or ""
    entry = ValueEntry(relationship_id=me.relationship.id or 0, party_slot=slot_number, kind=kind, amount=amount,
                       description=description, on=on, recorded_by=actor.user_id, recorded_at=now)
    db.add(entry)
    db.flush()
    party = next(p.name for p in access.parties(db, me.relationship) if p.slot == slot_number)
    audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="value", entity_id=entry.id, verb="add",
                 before=None, after={"party": party, "kind": kind, "amount": amount, "description": description,
                                     "on": on.isoformat()}, now=now)
    return entry


def recorded(db: Session, entry: ValueEntry) -> str:
    """What the recorder is told: `Recorded Southwind's benefit of GBP 30,000 on 20 Jan 2027: …`."""
    relationship = db.get(Relationship, entry.relationship_id)
    assert relationship is not None  # the entry's own
    party = next(p.name for p in access.parties(db, relationship) if p.slot == entry.party_slot)
    worth = f" of {wording.money(entry.amount, relationship.currency)}" if entry.amount is not None else ""
    about = f" ({entry.description})" if entry.description else ""
    return (f"Recorded {wording.possessive(party)} {entry.kind}{worth}{about} on {sentences.day(entry.on)}; "
            "the next review counts it.")
