"""Raising, escalating, pausing, proposing and resolving disputes; and their timers firing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.checkins import triggers
from commands.disputes import ladder
from commands.errors import FieldChecks, InputError, Refused
from commands.rmp import access
from commands.rmp.fields import choice, text
from storage import limits
from storage.disputes import OPEN, PAUSED, RESOLVED, Dispute
from storage.models import WorkItem
from storage.rmp import Relationship

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True)
class RaiseInput:
    """The raise form as typed; evidence is the message or thread it was raised from, if any."""

    title: str
    description: str
    raising_slot: str
    severity: str
    desired_outcome: str = ""
    evidence_channel: str | None = None
    evidence_ts: str | None = None


def participant(db: Session, actor: Actor, *, lock: bool = True) -> access.Member:
    me = access.member(db, actor, lock=lock)
    if me.role == "observer":
        raise Refused("Observers follow disputes but do not act on them.")
    return me


def find(db: Session, me: access.Member, number: int) -> Dispute:
    """Dispute `number` of the actor's relationship."""
    dispute = db.exec(select(Dispute).where(Dispute.relationship_id == me.relationship.id,
                                            Dispute.number == number).with_for_update()).first()
    if dispute is None:
        raise InputError(f"There is no dispute #{number} in this relationship.")
    return dispute


def _open(db: Session, actor: Actor, number: int) -> tuple[access.Member, Dispute]:
    me = participant(db, actor)
    dispute = find(db, me, number)
    if dispute.status == RESOLVED:
        raise Refused(f"Dispute #{number} is resolved.")
    return me, dispute


def _raising_slot(typed: str, mine: int) -> int:
    """The raising party's slot, which must be the actor's own."""
    slot = int(choice(typed, ("1", "2"), field="raising_slot", label="The raising party"))
    if slot != mine:
        raise InputError("You can raise a dispute for your own party only.", field="raising_slot")
    return slot


def raise_dispute(db: Session, *, actor: Actor, form: RaiseInput, now: datetime) -> Dispute:
    """Open a dispute at the first level of the ladder in force now (frozen for this dispute)."""
    me = participant(db, actor)
    checks = FieldChecks()
    slot = checks.read(_raising_slot, form.raising_slot, me.party.slot)
    title = checks.read(text, form.title, field="title", label="The title", limit=limits.TITLE)
    description = checks.read(text, form.description, field="description", label="The description",
                              limit=limits.DISPUTE)
    severity = checks.read(choice, form.severity, SEVERITIES, field="severity", label="The severity")
    desired = checks.read(text, form.desired_outcome, field="desired_outcome", label="The desired outcome",
                          limit=limits.DETAIL, required=False)
    checks.raise_if_any()
    assert slot is not None and title and description and severity  # raise_if_any saw to it
    relationship = me.relationship
    number = int(db.exec(select(func.max(Dispute.number)).where(Dispute.relationship_id == relationship.id))
                 .one() or 0) + 1
    dispute = Dispute(
        relationship_id=relationship.id or 0, number=number, title=title, description=description,
        severity=severity, desired_outcome=desired or "", raised_by=actor.user_id, raising_slot=slot,
        evidence_channel=form.evidence_channel, evidence_ts=form.evidence_ts, ladder=list(relationship.ladder),
        level_started_at=now, opened_at=now,
    )
    db.add(dispute)
    db.flush()
    ladder.arm(db, dispute, relationship, start=now, seconds=None, now=now)
    outgoing.post_message(db, key=ladder.root_key(dispute), channel=relationship.channel_id, view="dispute_root",
                        data={**ladder.state(db, dispute, relationship, now), "mentions": False}, now=now)
    if form.evidence_channel and form.evidence_ts:
        outgoing.post_message(db, key=f"dispute:{dispute.id}:evidence", channel=form.evidence_channel,
                            thread_ts=form.evidence_ts, view="dispute_linked", now=now,
                            data={"number": number, "title": dispute.title, "channel": relationship.channel_id})
    ladder.log_and_tell(db, dispute, relationship, user_id=actor.user_id, party=me.party.name, kind="raised",
                        detail={"level": ladder_name(dispute)}, now=now,
                        mention=[u for users in ladder.holders(db, relationship, 0).values() for u in users])
    return dispute


def ladder_name(dispute: Dispute) -> str:
    """`L2 Relationship managers`."""
    return f"L{dispute.level + 1} {dispute.ladder[dispute.level]['name']}"


def _climb(db: Session, dispute: Dispute, relationship: Relationship, *, start: datetime, now: datetime,
           user_id: str, party: str, reason: str) -> None:
    dispute.level += 1
    dispute.level_started_at = start
    ladder.arm(db, dispute, relationship, start=start, seconds=None, now=now)
    mention = [u for users in ladder.holders(db, relationship, dispute.level).values() for u in users]
    ladder.log_and_tell(db, dispute, relationship, user_id=user_id, party=party, kind="escalated", now=now,
                        detail={"level": ladder_name(dispute), "reason": reason}, mention=mention)
    if dispute.level == len(dispute.ladder) - 1:
        triggers.on_last_level(db, relationship, dispute_number=dispute.number, level=ladder_name(dispute), now=now)


def escalate_now(db: Session, *, actor: Actor, number: int, reason: str, now: datetime) -> Dispute:
    """Move up one level at once, with a reason."""
    me, dispute = _open(db, actor, number)
    reason = text(reason, field="reason", label="The reason", limit=limits.DETAIL)
    if dispute.level + 1 >= len(dispute.ladder):
        raise Refused(f"Dispute #{number} is at the last level ({ladder_name(dispute)}).")
    if dispute.status == PAUSED:
        raise Refused(f"Dispute #{number} is paused: resume it first.")
    _climb(db, dispute, me.relationship, start=now, now=now, user_id=actor.user_id, party=me.party.name,
           reason=reason)
    return dispute


def pause(db: Session, *, actor: Actor, number: int, reason: str, now: datetime) -> Dispute:
    """Stop the clock (an SER of either party), keeping the working time left."""
    me, dispute = _open(db, actor, number)
    if me.role != "ser":
        raise Refused("Only an SER of either party pauses a dispute.")
    if dispute.status == PAUSED:
        raise Refused(f"Dispute #{number} is already paused.")
    reason = text(reason, field="reason", label="The reason", limit=limits.DETAIL)
    dispute.paused_remaining = ladder.paused_seconds(db, dispute, me.relationship, now)
    dispute.status = PAUSED
    ladder.disarm(dispute)
    ladder.log_and_tell(db, dispute, me.relationship, user_id=actor.user_id, party=me.party.name, kind="paused",
                        detail={"reason": reason}, now=now)
    return dispute


def resume(db: Session, *, actor: Actor, number: int, now: datetime) -> Dispute:
    """Restart the clock with the time that was left (an SER)."""
    me, dispute = _open(db, actor, number)
    if me.role != "ser":
        raise Refused("Only an SER of either party resumes a dispute.")
    if dispute.status != PAUSED:
        raise Refused(f"Dispute #{number} is not paused.")
    dispute.status = OPEN
    left, dispute.paused_remaining = dispute.paused_remaining, None
    ladder.arm(db, dispute, me.relationship, start=now, seconds=left, now=now)
    ladder.log_and_tell(db, dispute, me.relationship, user_id=actor.user_id, party=me.party.name, kind="resumed",
                        detail={"due_at": dispute.level_due_at.isoformat() if dispute.level_due_at else None},
                        now=now)
    return dispute


def propose(db: Session, *, actor: Actor, number: int, resolution: str, now: datetime) -> Dispute:
    """One party proposes a resolution; the other party decides."""
    me, dispute = _open(db, actor, number)
    dispute.proposal = text(resolution, field="resolution", label="The resolution", limit=limits.LONG)
    dispute.proposal_slot, dispute.proposal_by = me.party.slot, actor.user_id
    event = ladder.log_and_tell(db, dispute, me.relationship, user_id=actor.user_id, party=me.party.name,
                                kind="proposed", detail={"resolution": dispute.proposal}, now=now, buttons=True)
    dispute.proposal_id = event.id
    db.add(dispute)
    return dispute


def _decider(db: Session, actor: Actor, number: int, proposal: int | None) -> tuple[access.Member, Dispute]:
    me, dispute = _open(db, actor, number)
    if dispute.proposal is None:
        raise Refused(f"Nobody has proposed a resolution of dispute #{number} yet.")
    if proposal is not None and proposal != dispute.proposal_id:
        raise Refused("That proposal has been replaced or answered: read the latest one in the dispute's thread.")
    if me.party.slot == dispute.proposal_slot:
        raise Refused("The other party decides on a resolution your party proposed.")
    needed = ladder.level_role(dispute.level)
    if ladder.RANK[me.role] < ladder.RANK[needed]:
        raise Refused(f"At {ladder_name(dispute)} a resolution is accepted by a {needed} or above.")
    return me, dispute


def check_can_decide(db: Session, *, actor: Actor, number: int, proposal: int | None) -> Dispute:
    """Dispute `number` if the actor may accept or reject its proposal `proposal` (Refused otherwise)."""
    return _decider(db, actor, number, proposal)[1]


def accept(db: Session, *, actor: Actor, number: int, lessons: str, now: datetime,
           proposal: int | None = None) -> Dispute:
    """Accept proposal `proposal` (the current one when None): the dispute closes with it and the lessons
    learned, and its timers stop."""
    me, dispute = _decider(db, actor, number, proposal)
    dispute.lessons = text(lessons, field="lessons", label="The lessons learned", limit=limits.LONG)
    dispute.resolution, dispute.status, dispute.resolved_at = dispute.proposal, RESOLVED, now
    ladder.disarm(dispute)
    relationship = me.relationship
    ladder.log_and_tell(db, dispute, relationship, user_id=actor.user_id, party=me.party.name, kind="resolved",
                        detail={"resolution": dispute.resolution, "lessons": dispute.lessons}, now=now)
    outgoing.post_message(db, key=f"dispute:{dispute.id}:closed", channel=relationship.channel_id,
                        view="dispute_closed", data=ladder.state(db, dispute, relationship, now), now=now)
    return dispute


def reject(db: Session, *, actor: Actor, number: int, reason: str, now: datetime,
           proposal: int | None = None) -> Dispute:
    """Reject the proposal; the dispute stays open at its level."""
    me, dispute = _decider(db, actor, number, proposal)
    reason = text(reason, field="reason", label="The reason", limit=limits.DETAIL, required=False)
    proposal_text = dispute.proposal
    dispute.proposal, dispute.proposal_slot, dispute.proposal_by, dispute.proposal_id = None, None, None, None
    ladder.log_and_tell(db, dispute, me.relationship, user_id=actor.user_id, party=me.party.name, kind="rejected",
                        detail={"resolution": proposal_text, "reason": reason}, now=now)
    return dispute


def add_note(db: Session, *, actor: Actor, number: int, note: str, now: datetime) -> Dispute:
    """A note in the dispute's log and thread."""
    me, dispute = _open(db, actor, number)
    ladder.log_and_tell(db, dispute, me.relationship, user_id=actor.user_id, party=me.party.name, kind="note",
                        detail={"note": text(note, field="note", label="The note", limit=limits.LONG)}, now=now)
    return dispute


def _timer_target(db: Session, item: WorkItem) -> tuple[Dispute, Relationship] | None:
    dispute = db.exec(select(Dispute).where(Dispute.id == item.payload["dispute_id"]).with_for_update()).first()
    if dispute is None or dispute.status != OPEN or dispute.timer_epoch != item.payload["epoch"]:
        return None  # resolved, paused, escalated by hand or re-armed since: this timer is void
    relationship = db.get(Relationship, dispute.relationship_id)
    return (dispute, relationship) if relationship else None


def warn(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: 75% of the level's time has gone."""
    target = _timer_target(db, item)
    if target is None:
        return
    dispute, relationship = target
    mention = [u for users in ladder.holders(db, relationship, dispute.level).values() for u in users]
    ladder.log_and_tell(db, dispute, relationship, user_id="accord", party="", kind="warning", now=now,
                        detail={"level": ladder_name(dispute),
                                "due_at": dispute.level_due_at.isoformat() if dispute.level_due_at else None,
                                "timezone": relationship.timezone}, mention=mention)


def escalate_on_timer(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: the level's time ran out; the dispute moves up one level."""
    target = _timer_target(db, item)
    if target is None:
        return
    dispute, relationship = target
    if dispute.level + 1 >= len(dispute.ladder):
        return
    _climb(db, dispute, relationship, start=dispute.level_due_at or now, now=now, user_id="accord", party="",
           reason="the time at the level ran out")


@dataclass(frozen=True)
class OpenDispute:
    """A line of `/accord disputes`."""

    number: int
    title: str
    level: str
    status: str
    days_left: float | None


def list_open(db: Session, *, actor: Actor, now: datetime) -> list[OpenDispute]:
    """The relationship's open and paused disputes, with level and time left."""
    me = access.member(db, actor)
    disputes = db.exec(select(Dispute).where(Dispute.relationship_id == me.relationship.id,
                                             col(Dispute.status).in_([OPEN, PAUSED])).order_by(col(Dispute.number)))
    return [OpenDispute(d.number, d.title, ladder_name(d), d.status,
                        ladder.working_days_left(db, d, me.relationship, now)) for d in disputes]
