"""Objectives of three kinds: ours (joint), and each party's own that the partner supports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from commands.actor import Actor
from commands.errors import InputError
from commands.rmp import access, items
from commands.rmp.forms import choice, text
from storage.rmp import Objective, Proposal

STATUSES = ("open", "met", "dropped")


@dataclass(frozen=True)
class ObjectiveInput:
    """The objective form: whose (`ours`, `1` or `2`), title, each party's benefit, status."""

    whose: str
    title: str
    benefit_1: str = ""
    benefit_2: str = ""
    status: str = "open"


def kind_for(objective: Objective, viewer_slot: int | None) -> str:
    """`ours`; or `mine` when it is the viewer's party's own objective, `yours` when the partner's."""
    if objective.party_slot is None:
        return "ours"
    if viewer_slot is None:
        return "theirs"
    return "mine" if objective.party_slot == viewer_slot else "yours"


def save_objective(db: Session, *, actor: Actor, form: ObjectiveInput, number: int | None,
                   now: datetime) -> Objective | Proposal:
    """Add (number None) or edit an objective; editors only. A party's own objective is its own to change;
    a joint one, or the partner's, changes by proposal."""
    by = access.editor(db, actor)
    whose = choice(form.whose, ("ours", "1", "2"), field="whose", label="Whose objective")
    values = {
        "party_slot": None if whose == "ours" else int(whose),
        "title": text(form.title, field="title", label="The objective", limit=150),
        "benefit_1": text(form.benefit_1, field="benefit_1", label="The benefit", limit=1000, required=False),
        "benefit_2": text(form.benefit_2, field="benefit_2", label="The benefit", limit=1000, required=False),
        "status": choice(form.status, STATUSES, field="status", label="The status"),
    }
    if not values["benefit_1"] and not values["benefit_2"]:
        raise InputError("Say what this brings at least one of the parties.", field="benefit_1")
    before = items.find(db, Objective, by.relationship.id or 0, number, label="objective") if number else None
    return items.save_or_propose(db, by, entity="objective", values=values, number=number, user_id=actor.user_id,
                                 owners={values["party_slot"], *([before.party_slot] if before else [])}, now=now)
