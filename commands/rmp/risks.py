"""Risks: likelihood and impact from 1 to 5, scored as their product, listed by score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from commands.actor import Actor
from commands.errors import FieldChecks
from commands.rmp import access, items
from commands.rmp.fields import choice, iso_date, text, user_id, whole
from storage import limits
from storage.rmp import Proposal, Risk

STATUSES = ("open", "mitigated", "closed")


@dataclass(frozen=True)
class RiskInput:
    """The risk form as typed."""

    description: str
    likelihood: str
    impact: str
    owner: str
    mitigation: str = ""
    status: str = "open"
    review_on: str = ""


def score(risk: Risk) -> int:
    """Likelihood × impact, 1 to 25."""
    return risk.likelihood * risk.impact


def by_score(risks: list[Risk]) -> list[Risk]:
    """Highest score first, then by number."""
    return sorted(risks, key=lambda risk: (-score(risk), risk.number))


def save_risk(db: Session, *, actor: Actor, form: RiskInput, number: int | None, now: datetime) -> Risk | Proposal:
    """Add (number None) or edit a risk; editors only; the owner must be in the relationship. A party changes
    the risks its people own; a risk of the partner's people is changed by proposal."""
    by = access.editor(db, actor)
    checks = FieldChecks()
    owner = checks.read(user_id, form.owner, field="owner", label="The owner")
    owning = checks.read(access.require_person, db, by.relationship, owner, field="owner") if owner else None
    values = {
        "description": checks.read(text, form.description, field="description", label="The risk",
                                   limit=limits.DESCRIPTION),
        "likelihood": checks.read(whole, form.likelihood, field="likelihood", label="Likelihood", low=1, high=5),
        "impact": checks.read(whole, form.impact, field="impact", label="Impact", low=1, high=5),
        "owner_user_id": owner,
        "mitigation": checks.read(text, form.mitigation, field="mitigation", label="The mitigation",
                                  limit=limits.DETAIL, required=False),
        "status": checks.read(choice, form.status, STATUSES, field="status", label="The status"),
        "review_on": checks.read(iso_date, form.review_on, field="review_on", label="The review date")
        if (form.review_on or "").strip() else None,
    }
    checks.raise_if_any()
    assert owning is not None  # raise_if_any saw to it
    before = items.find(db, Risk, by.relationship.id or 0, number, label="risk") if number else None
    return items.save_or_propose(db, by, entity="risk", model=Risk, values=values, number=number,
                                 user_id=actor.user_id,
                                 owners={owning.party.slot,
                                         *([access.owner_slot(db, by.relationship, before.owner_user_id)]
                                           if before else [])}, now=now)
