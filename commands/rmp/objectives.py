"""Objectives of three kinds: ours (joint), and each party's own that the partner supports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from commands import outgoing
from commands.actor import Actor
from commands.checkins import triggers
from commands.errors import FieldChecks
from commands.rmp import access, exits, items
from commands.rmp.actions import local_today
from commands.rmp.fields import choice, text
from storage import limits
from storage.rmp import ExitTrigger, Objective, Proposal, Relationship

AT_RISK, FAILING = "at_risk", "failing"
STATUSES = ("open", AT_RISK, FAILING, "met", "dropped")
STATUS_LABELS = {"open": "Open", AT_RISK: "At risk", FAILING: "Failing", "met": "Met", "dropped": "Dropped"}


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
    checks = FieldChecks()
    whose = checks.read(choice, form.whose, ("ours", "1", "2"), field="whose", label="Whose objective")
    values: dict[str, Any] = {
        "party_slot": None if whose in (None, "ours") else int(whose),
        "title": checks.read(text, form.title, field="title", label="The objective", limit=limits.TITLE),
        "benefit_1": checks.read(text, form.benefit_1, field="benefit_1", label="The benefit", limit=limits.DETAIL,
                                 required=False),
        "benefit_2": checks.read(text, form.benefit_2, field="benefit_2", label="The benefit", limit=limits.DETAIL,
                                 required=False),
        "status": checks.read(choice, form.status, STATUSES, field="status", label="The status"),
    }
    if values["benefit_1"] == "" and values["benefit_2"] == "":
        checks.add("benefit_1", "Say what this brings at least one of the parties.")
    checks.raise_if_any()
    before = items.find(db, Objective, by.relationship.id or 0, number, label="objective") if number else None
    was = before.status if before else None
    saved = items.save_or_propose(db, by, entity="objective", model=Objective, values=values, number=number,
                                  user_id=actor.user_id, now=now,
                                  owners={values["party_slot"], *([before.party_slot] if before else [])})
    if isinstance(saved, Objective):
        after_change(db, by, saved, was=was, now=now)
    return saved


def apply_proposal(db: Session, by: access.Member, proposal: Proposal, *, now: datetime) -> Objective:
    """An approved proposal about an objective: applied, then acted upon if it turned the objective failing."""
    number = proposal.subject.partition(":")[2]
    was = None if number == "new" else items.find(db, Objective, by.relationship.id or 0, int(number),
                                                  label="objective").status
    objective = items.apply_proposal(db, by, proposal, now=now)
    assert isinstance(objective, Objective)
    after_change(db, by, objective, was=was, now=now)
    return objective


def after_change(db: Session, by: access.Member, objective: Objective, *, was: str | None, now: datetime) -> None:
    """An objective that just turned failing must be acted upon: tell the channel, naming the exit triggers it
    fires, then fire them (each trigger's own message warns the SERs)."""
    if objective.status != FAILING or was == FAILING:
        return
    relationship = by.relationship
    rid = relationship.id or 0
    due = triggers_met(db, relationship, now=now)
    reasons = {trigger.number: exits.objective_reason(db, trigger, relationship_id=rid) for trigger in due}
    whose = "ours" if objective.party_slot is None else next(
        (p.name for p in access.parties(db, relationship) if p.slot == objective.party_slot), "?")
    outgoing.post_message(db, key=f"rel:{rid}:objective:{objective.number}:failing:v{relationship.version}",
                        channel=relationship.channel_id, view="objective_failing", now=now,
                        data={"number": objective.number, "title": objective.title, "whose": whose,
                              "by": by.person.user_id,
                              "fired": [{"number": t.number, "description": t.description, "reason": reasons[t.number]}
                                        for t in due]})
    for trigger in due:
        triggers.fire(db, relationship, trigger, reason=reasons[trigger.number], now=now)


def triggers_met(db: Session, relationship: Relationship, *, now: datetime) -> list[ExitTrigger]:
    """The exit triggers on objectives failing, not fired yet, that the plan now meets."""
    rid = relationship.id or 0
    today = local_today(relationship, now)
    return [trigger for trigger in items.all_of(db, ExitTrigger, rid)
            if trigger.kind in exits.OBJECTIVE_KINDS and trigger.status != "triggered"
            and exits.current_status(db, trigger, relationship_id=rid, today=today) == "triggered"]
