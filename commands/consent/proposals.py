"""Proposing a change of what both parties share: posted with Approve and Reject for the other party.

Once each party has an SER or a manager, a shared change made by one party waits as a proposal until the
other party approves it; it lapses after LAPSE_DAYS working days of both parties. Before that (the partner
has nobody to ask yet) the change takes effect at once and the day's digest announces it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from commands import quiet, work
from commands.calendar import DAY_SECONDS
from commands.errors import Refused
from commands.rmp import access, audit, calendars
from storage.rmp import PROPOSAL_OPEN, Person, Proposal, Relationship

LAPSE_DAYS = 5
LAPSE_KIND = "proposal.lapse"
SUBJECT_TITLES = {"relationship": "the relationship's settings", "checkins": "the check-in settings",
                  "objective": "joint objective", "exit_trigger": "exit trigger",
                  "charter": "the partnership charter"}


@dataclass(frozen=True)
class Change:
    """One field's change in words: what it is, before and after."""

    field: str
    before: str
    after: str

    def as_data(self) -> dict[str, str]:
        """JSON for the proposal's row and message."""
        return {"field": self.field, "before": self.before, "after": self.after}


def title_of(subject: str) -> str:
    """`the check-in settings`, `joint objective #3`, `a new exit trigger`."""
    kind, _, number = subject.partition(":")
    title = SUBJECT_TITLES.get(kind, kind.replace("_", " "))
    if not number:
        return title
    return f"a new {title}" if number == "new" else f"{title} #{number}"


def editors(db: Session, party_id: int | None) -> list[str]:
    """The SERs and managers of a party."""
    return sorted(p.user_id for p in db.exec(select(Person).where(Person.party_id == party_id, access.present()))
                  if p.role in access.EDITORS)


def partner_can_decide(db: Session, by: access.Member) -> bool:
    """Whether the other party has an SER or a manager to decide (until then changes take effect at once)."""
    other = next(p for p in access.parties(db, by.relationship) if p.id != by.party.id)
    return bool(editors(db, other.id))


def open_for(db: Session, relationship: Relationship, subject: str) -> Proposal | None:
    """The open proposal about `subject`, if any."""
    return db.exec(select(Proposal).where(Proposal.relationship_id == relationship.id,
                                          Proposal.status == PROPOSAL_OPEN, Proposal.subject == subject)).first()


def propose(db: Session, by: access.Member, *, subject: str, values: dict[str, Any], changes: list[Change],
            now: datetime) -> Proposal:
    """Record the proposal, post it to the channel for the other party, and queue its lapse."""
    relationship = by.relationship
    pending = open_for(db, relationship, subject)
    if pending is not None:
        raise Refused(f"Proposal #{pending.number} about {title_of(subject)} is still open: it is approved, "
                      "rejected or withdrawn first.")
    number = int(db.exec(select(func.max(Proposal.number)).where(Proposal.relationship_id == relationship.id))
                 .one() or 0) + 1
    calendar = calendars.joint(db, relationship)
    proposal = Proposal(relationship_id=relationship.id or 0, number=number, subject=subject, values=values,
                        changes=[change.as_data() for change in changes], proposed_by=by.person.user_id,
                        proposing_slot=by.party.slot, created_at=now,
                        lapses_at=calendar.due_after(now, LAPSE_DAYS * DAY_SECONDS, fallback=by.party.slot - 1))
    db.add(proposal)
    db.flush()
    audit.record(db, relationship, by=by, user_id=by.person.user_id, entity="proposal", entity_id=number,
                 verb="propose", before=None, after={"subject": subject, "changes": proposal.changes}, now=now)
    other = next(p for p in access.parties(db, relationship) if p.id != by.party.id)
    quiet.addressed_post(db, relationship_id=relationship.id or 0, key=message_key(proposal),
                         channel=relationship.channel_id, view="proposal", users=editors(db, other.id),
                         data=message_data(db, proposal, relationship), now=now,
                         about=f"proposal #{number} ({title_of(subject)}) waits for your approval.")
    work.schedule(db, kind=LAPSE_KIND, key=f"{LAPSE_KIND}:{proposal.id}", due_at=proposal.lapses_at, now=now,
                  payload={"proposal_id": proposal.id})
    return proposal


def change_settings(
    db: Session, by: access.Member, *, subject: str, values: dict[str, Any], labels: dict[str, str],
    words: Callable[[Any], str], apply: Callable[..., object], now: datetime,
) -> tuple[bool, Proposal | None]:
    """Change the relationship's joint settings to `values`: nothing when none differs (False), else at once with
    `apply(db, by, values, now=now)` while the partner has nobody to decide, else proposed to them (the
    proposal). `labels` and `words` say each setting and its value in the proposal."""
    relationship = by.relationship
    changes = [Change(labels[key], words(getattr(relationship, key)), words(value))
               for key, value in values.items() if getattr(relationship, key) != value]
    if not changes:
        return False, None
    if partner_can_decide(db, by):
        return True, propose(db, by, subject=subject, values=values, changes=changes, now=now)
    apply(db, by, values, now=now)
    return True, None


def message_key(proposal: Proposal) -> str:
    """The outbox key of the proposal's message (its updates and thread hang on it)."""
    return f"proposal:{proposal.id}"


def message_data(db: Session, proposal: Proposal, relationship: Relationship) -> dict[str, Any]:
    """What the proposal's message shows, as JSON for the outbox."""
    names = {p.slot: p.name for p in access.parties(db, relationship)}
    return {"number": proposal.number, "title": title_of(proposal.subject), "changes": proposal.changes,
            "by": proposal.proposed_by, "party": names[proposal.proposing_slot],
            "other": names[3 - proposal.proposing_slot], "status": proposal.status,
            "decided_by": proposal.decided_by, "channel": relationship.channel_id, "id": proposal.id,
            "lapses_at": proposal.lapses_at.isoformat(), "timezones": sorted({p.timezone for p in
                                                                               access.parties(db, relationship)}),
            "reason": proposal.reason}
