"""Deciding a proposal: the other party approves (it takes effect) or rejects it, the proposing party
withdraws it, or it lapses. Its message is updated in place; the history records each step and who."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlmodel import Session, select

from commands import outgoing, quiet
from commands.actor import Actor
from commands.checkins import settings
from commands.consent.proposals import message_data, message_key, title_of
from commands.errors import InputError, Refused
from commands.rmp import access, audit, charter, items, objectives, setup
from commands.rmp.fields import text
from commands.wording import possessive
from storage.models import WorkItem
from storage.rmp import PROPOSAL_OPEN, Proposal, Relationship

APPROVED, REJECTED, WITHDRAWN, LAPSED = "approved", "rejected", "withdrawn", "lapsed"
VERBS = {APPROVED: "approve", REJECTED: "reject", WITHDRAWN: "withdraw", LAPSED: "lapse"}
Apply = Callable[[Session, access.Member, Proposal, datetime], object]  # what it returns is not used

# What an approved proposal does, by the kind of its subject (`objective:3` → objective).
APPLIERS: Mapping[str, Apply] = {
    "relationship": lambda db, by, p, now: setup.apply_settings(db, by, p.values, now=now),
    "checkins": lambda db, by, p, now: settings.apply_settings(db, by, p.values, now=now),
    **{entity: lambda db, by, p, now: items.apply_proposal(db, by, p, now=now) for entity in items.MODELS},
    "objective": lambda db, by, p, now: objectives.apply_proposal(db, by, p, now=now),  # acted upon when failing
    "charter": lambda db, by, p, now: charter.apply_charter(db, by, p.values, now=now),
}


def _find(db: Session, actor: Actor, number: int) -> tuple[access.Member, Proposal]:
    me = access.member(db, actor, lock=True)
    proposal = db.exec(select(Proposal).where(Proposal.relationship_id == me.relationship.id,
                                              Proposal.number == number)).first()
    if proposal is None:
        raise InputError(f"There is no proposal #{number} in this relationship.")
    if proposal.status != PROPOSAL_OPEN:
        raise Refused(f"Proposal #{number} is already {proposal.status}.")
    return me, proposal


def _decider(db: Session, actor: Actor, number: int) -> tuple[access.Member, Proposal]:
    me, proposal = _find(db, actor, number)
    if me.party.slot == proposal.proposing_slot:
        raise Refused(f"{me.party.name} proposed this change: the other party approves or rejects it. "
                      "Your party can withdraw it.")
    if not me.can_edit:
        raise Refused(f"{possessive(me.party.name)} SERs and managers approve or reject proposals; you are "
                      f"{access.article(me.role)} {me.role}.")
    return me, proposal


def check_can_decide(db: Session, *, actor: Actor, number: int) -> Proposal:
    """Proposal `number` if the actor may approve or reject it (Refused otherwise)."""
    return _decider(db, actor, number)[1]


def approve(db: Session, *, actor: Actor, number: int, now: datetime) -> Proposal:
    """The other party approves: the change takes effect now, recorded as the proposer's."""
    me, proposal = _decider(db, actor, number)
    proposer = access.find_member(db, me.relationship, proposal.proposed_by) or me
    APPLIERS[proposal.subject.partition(":")[0]](db, proposer, proposal, now)
    _decide(db, me.relationship, proposal, status=APPROVED, by=me, user_id=actor.user_id, now=now)
    return proposal


def reject(db: Session, *, actor: Actor, number: int, reason: str, now: datetime) -> Proposal:
    """The other party rejects: nothing changes."""
    me, proposal = _decider(db, actor, number)
    proposal.reason = text(reason, field="reason", label="The reason", limit=1000, required=False)
    _decide(db, me.relationship, proposal, status=REJECTED, by=me, user_id=actor.user_id, now=now)
    return proposal


def withdraw(db: Session, *, actor: Actor, number: int, now: datetime) -> Proposal:
    """The proposing party takes its proposal back (its proposer, or its SERs and managers)."""
    me, proposal = _find(db, actor, number)
    if me.party.slot != proposal.proposing_slot:
        raise Refused("The party that proposed a change withdraws it; yours approves or rejects it.")
    if not me.can_edit and actor.user_id != proposal.proposed_by:
        raise Refused(f"{possessive(me.party.name)} SERs and managers, or whoever proposed it, withdraw a proposal.")
    _decide(db, me.relationship, proposal, status=WITHDRAWN, by=me, user_id=actor.user_id, now=now)
    return proposal


def lapse(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: a proposal nobody decided within its working days lapses, with a note in its thread."""
    proposal = db.get(Proposal, item.payload["proposal_id"])
    if proposal is None or proposal.status != PROPOSAL_OPEN:
        return
    relationship = db.get(Relationship, proposal.relationship_id)
    assert relationship is not None
    _decide(db, relationship, proposal, status=LAPSED, by=None, user_id="accord", now=now)
    outgoing.post_message(db, key=f"{message_key(proposal)}:lapsed", channel=relationship.channel_id,
                        thread_of=message_key(proposal), view="proposal_lapsed", now=now,
                        data={"number": proposal.number, "title": title_of(proposal.subject)})


def _decide(db: Session, relationship: Relationship, proposal: Proposal, *, status: str,
            by: access.Member | None, user_id: str, now: datetime) -> None:
    proposal.status, proposal.decided_by, proposal.decided_at = status, user_id, now
    quiet.withdraw_mentions(db, f"{message_key(proposal)}:later:")  # nobody is asked later to decide it
    proposal.version += 1
    db.add(proposal)
    audit.record(db, relationship, by=by, user_id=user_id, entity="proposal", entity_id=proposal.number,
                 verb=VERBS[status],
                 before={"status": PROPOSAL_OPEN}, after={"status": status, **({"reason": proposal.reason}
                                                                                if proposal.reason else {})},
                 now=now)
    outgoing.update_message(db, key=f"{message_key(proposal)}:v{proposal.version}", updates=message_key(proposal),
                          view="proposal", data=message_data(db, proposal, relationship), now=now)
