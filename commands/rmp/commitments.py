"""Resource commitments: the people, budget, systems or other resources a party commits to the relationship.

A party's SERs and managers record their own party's commitments: its own decision, so no consent is asked (it
binds only that party), and each is recorded in the history. Either party's SERs and managers may mark a
commitment not honoured, with a reason (required): the shared channel is told, naming the parties, never a
person, and the next review counts it. The committing party may withdraw its commitment, or mark it honoured
again once it is.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.errors import FieldChecks, InputError, Refused
from commands.rmp import access, audit, items
from commands.rmp.actions import local_today
from commands.rmp.fields import choice, text
from storage import limits
from storage.partnership import Commitment
from storage.rmp import Party

RESOURCES = ("people", "budget", "systems", "other")
COMMITTED, NOT_HONOURED, WITHDRAWN = "committed", "not_honoured", "withdrawn"
STATUS_LABELS = {COMMITTED: "committed", NOT_HONOURED: "not honoured", WITHDRAWN: "withdrawn"}
ENTITY = "commitment"
USAGE = ("Usage: `/accord commit <people|budget|systems|other> <quantity> – <description>`, for example "
         "`/accord commit people 2 FTE – two engineers for the integration`. Nothing was recorded.")
_DASH = re.compile(r"\s+[–—-]\s+|\s*--\s*")  # the dash between the quantity and the description


@dataclass(frozen=True)
class CommitInput:
    """The commitment form as typed."""

    resource: str
    quantity: str
    description: str


def parse(typed: str) -> CommitInput:
    """`<resource> <quantity> – <description>` (the quantity may be empty); InputError with the usage."""
    parts = _DASH.split(typed.strip(), maxsplit=1)
    if len(parts) != 2 or not parts[0].strip():
        raise InputError(USAGE)
    head = parts[0].split(maxsplit=1)
    return CommitInput(head[0].lower(), head[1] if len(head) > 1 else "", parts[1])


def _values(form: CommitInput) -> dict[str, str]:
    checks = FieldChecks()
    values = {
        "resource": checks.read(choice, form.resource.strip().lower(), RESOURCES, field="resource",
                                label="The resource"),
        "quantity": checks.read(text, form.quantity, field="quantity", label="The quantity", limit=limits.TITLE,
                                required=False),
        "description": checks.read(text, form.description, field="description", label="The description",
                                   limit=limits.DESCRIPTION),
    }
    checks.raise_if_any()
    return {key: value or "" for key, value in values.items()}


def record(db: Session, *, actor: Actor, form: CommitInput, now: datetime) -> Commitment:
    """Record a commitment of the actor's own party (SERs and managers); bad input changes nothing."""
    values = _values(form)
    by = access.editor(db, actor)
    rid = by.relationship.id or 0
    commitment = Commitment(relationship_id=rid, number=items.next_number(db, Commitment, rid),
                            party_slot=by.party.slot, resource=values["resource"], quantity=values["quantity"],
                            description=values["description"], created_at=now)
    db.add(commitment)
    db.flush()
    audit.record(db, by.relationship, by=by, user_id=actor.user_id, entity=ENTITY, entity_id=commitment.number,
                 verb="create", before=None, after={**values, "party": by.party.name}, now=now)
    return commitment


def find(db: Session, by: access.Member, number: int) -> Commitment:
    return items.find(db, Commitment, by.relationship.id or 0, number, label="commitment")


def _own(by: access.Member, commitment: Commitment, doing: str) -> None:
    if commitment.party_slot != by.party.slot:
        raise Refused(f"Only the party that made commitment #{commitment.number} {doing} it.")


def _change(db: Session, by: access.Member, commitment: Commitment, *, verb: str, now: datetime,
            **changes: Any) -> int:
    """Change the commitment and record it in the history; the change's plan version."""
    before = {key: getattr(commitment, key) for key in changes}
    for key, value in changes.items():
        setattr(commitment, key, value)
    db.add(commitment)
    return audit.record(db, by.relationship, by=by, user_id=by.person.user_id, entity=ENTITY,
                        entity_id=commitment.number, verb=verb, before=_jsonable(before), after=_jsonable(changes),
                        now=now).version


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in values.items()}


def mark_not_honoured(db: Session, *, actor: Actor, number: int, reason: str, now: datetime) -> Commitment:
    """Either party's SERs and managers: the commitment was not honoured, for `reason`; the channel is told."""
    clean = text(reason, field="reason", label="The reason", limit=limits.DETAIL)
    by = access.editor(db, actor)
    commitment = find(db, by, number)
    if commitment.status != COMMITTED:
        raise Refused(f"Commitment #{number} is {STATUS_LABELS[commitment.status]} already.")
    version = _change(db, by, commitment, verb="not_honoured", now=now, status=NOT_HONOURED, reason=clean,
                      marked_by=actor.user_id, marked_on=local_today(by.relationship, now))
    names = {party.slot: party.name for party in access.parties(db, by.relationship)}
    rid = by.relationship.id or 0
    outgoing.post_message(
        db, key=f"rel:{rid}:commitment:{number}:not_honoured:v{version}",
        channel=by.relationship.channel_id, view="commitment_not_honoured", now=now,
        data={"number": number, "party": names.get(commitment.party_slot, "?"), "by_party": by.party.name,
              "resource": commitment.resource, "quantity": commitment.quantity,
              "description": commitment.description, "reason": clean})
    return commitment


def withdraw(db: Session, *, actor: Actor, number: int, now: datetime) -> Commitment:
    """The committing party's SERs and managers withdraw its commitment."""
    by = access.editor(db, actor)
    commitment = find(db, by, number)
    _own(by, commitment, "withdraws")
    if commitment.status == WITHDRAWN:
        raise Refused(f"Commitment #{number} is withdrawn already.")
    _change(db, by, commitment, verb="withdraw", now=now, status=WITHDRAWN)
    return commitment


def mark_honoured(db: Session, *, actor: Actor, number: int, now: datetime) -> Commitment:
    """The committing party's SERs and managers: a commitment marked not honoured is honoured again."""
    by = access.editor(db, actor)
    commitment = find(db, by, number)
    _own(by, commitment, "marks honoured")
    if commitment.status != NOT_HONOURED:
        raise Refused(f"Commitment #{number} is {STATUS_LABELS[commitment.status]}: only one marked not honoured "
                      "can be marked honoured again.")
    _change(db, by, commitment, verb="honoured", now=now, status=COMMITTED, reason="", marked_by=None,
            marked_on=None)
    return commitment


# -- the list, status and reviews ----------------------------------------------------------------


@dataclass(frozen=True)
class CommitmentList:
    """`/accord commitments`: every commitment with its party's name, what the viewer may do with them."""

    channel_id: str
    parties: dict[int, str]
    my_slot: int
    can_edit: bool
    commitments: list[Commitment]


def listing(db: Session, *, actor: Actor) -> CommitmentList:
    """The relationship's commitments, by number (anyone in it may look)."""
    me = access.member(db, actor)
    return CommitmentList(me.relationship.channel_id, {p.slot: p.name for p in access.parties(db, me.relationship)},
                          me.party.slot, me.can_edit, items.all_of(db, Commitment, me.relationship.id or 0))


def counts(db: Session, relationship_id: int, parties: list[Party]) -> list[tuple[str, int, int]]:
    """Per party: (name, commitments in force, of which not honoured); [] when there are none."""
    rows = [c for c in items.all_of(db, Commitment, relationship_id) if c.status != WITHDRAWN]
    if not rows:
        return []
    return [(p.name, sum(c.party_slot == p.slot for c in rows),
             sum(c.party_slot == p.slot and c.status == NOT_HONOURED for c in rows)) for p in parties]


def review_figures(db: Session, relationship_id: int, parties: list[Party], ends_at: datetime) -> list[dict[str, Any]]:
    """Per party, the commitments in force at the review's end and those not honoured, with their reasons;
    [] when the plan has none."""
    rows = list(db.exec(select(Commitment).where(Commitment.relationship_id == relationship_id,
                                                 Commitment.created_at < ends_at, Commitment.status != WITHDRAWN)
                        .order_by(col(Commitment.number))))
    if not rows:
        return []
    mine: dict[int, list[Commitment]] = defaultdict(list)
    for row in rows:
        mine[row.party_slot].append(row)
    return [{"slot": p.slot, "name": p.name, "committed": len(mine[p.slot]),
             "not_honoured": [{"number": c.number, "resource": c.resource, "quantity": c.quantity,
                               "description": c.description, "reason": c.reason}
                              for c in mine[p.slot] if c.status == NOT_HONOURED]} for p in parties]
