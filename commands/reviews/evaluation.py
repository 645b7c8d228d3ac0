"""The review's evaluation of the actions carried out by each party (by the owner's party): done, done late,
overdue with the days late, and those that cannot be completed with their reason. Computed once, into the
review's figures, so it stays as the review recorded it. Nobody is named: each line is the party's."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, or_, select

from storage.rmp import Action, Party, Person


def actions_by_party(db: Session, rid: int, parties: list[Party], first_day: date,
                     last_day: date) -> list[dict[str, Any]]:
    """Per party, slot 1 first: the actions open at the period's end or closed in it, owned by its people."""
    rows = list(db.exec(select(Action).where(Action.relationship_id == rid, or_(
        Action.status == "open", (col(Action.closed_on) >= first_day) & (col(Action.closed_on) <= last_day)))
        .order_by(col(Action.due_on), col(Action.number))))
    slot_of_party = {p.id: p.slot for p in parties}
    owner_slot = {person.user_id: slot_of_party.get(person.party_id)
                  for person in db.exec(select(Person).where(Person.relationship_id == rid))}
    out = []
    for party in parties:
        mine = [a for a in rows if owner_slot.get(a.owner_user_id) == party.slot]
        done = [a for a in mine if a.status == "done"]
        out.append({
            "slot": party.slot, "name": party.name, "done": len(done),
            "done_late": [{"number": a.number, "description": a.description,
                           "days_late": (a.closed_on - a.due_on).days}
                          for a in done if a.closed_on is not None and a.closed_on > a.due_on],
            "overdue": [{"number": a.number, "description": a.description, "due_on": a.due_on.isoformat(),
                         "days_late": (last_day - a.due_on).days}
                        for a in mine if a.status == "open" and a.due_on < last_day],
            "cannot": [{"number": a.number, "description": a.description, "reason": a.reason}
                       for a in mine if a.status == "cannot_complete"],
        })
    return out
