"""Each person's to-do list, per relationship: what is waiting on them (the App Home shows it above the status).

Waiting on a person: the open check-in round they have not answered; their open actions (overdue first, then by
due date) and their risks whose review date has passed; the disputes they hold at the current level; the reviews
their party's SER has not signed off (for SERs); the other party's proposals their party decides (for SERs and
managers). Read-only: nothing here changes a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from commands import wording
from commands.consent.proposals import title_of
from commands.rmp import access, calendars
from commands.rmp.actions import OPEN, is_overdue
from commands.rmp.status import Status, status_of
from commands.wording import plural
from storage import checkins
from storage.checkins import Answer, Prompt, Round
from storage.reviews import Review, ReviewExpectation, ReviewSignature
from storage.rmp import PROPOSAL_OPEN, Action, Party, Person, Proposal, Relationship, Risk

CHECKIN, ACTION, RISK, DISPUTE, REVIEW, PROPOSAL = "checkin", "action", "risk", "dispute", "review", "proposal"
EXPECTATIONS = "expectations"  # the party's expectations to state in a review (SERs and managers)
ORDER = (CHECKIN, ACTION, RISK, DISPUTE, EXPECTATIONS, REVIEW, PROPOSAL)


@dataclass(frozen=True)
class Todo:
    """One thing waiting on the person: its kind, its number (the round's id for a check-in), what it is, and
    when it is due (a day for actions and risks, a moment for rounds and disputes)."""

    kind: str
    number: int
    title: str
    due_on: date | None = None
    due_at: datetime | None = None
    overdue: bool = False
    detail: str = ""


@dataclass
class TodoList:
    """What waits on one person in one relationship, with the relationship at a glance below it."""

    status: Status
    role: str
    items: list[Todo] = field(default_factory=list)


def todos_for_user(db: Session, *, user_id: str, now: datetime) -> list[TodoList]:
    """Every relationship `user_id` is a current member of, with what waits on them there."""
    rows = db.exec(select(Person, Party, Relationship)
                   .where(Person.user_id == user_id, col(Person.left_at).is_(None),
                          col(Party.id) == Person.party_id, col(Relationship.id) == Person.relationship_id)
                   .order_by(col(Person.relationship_id))).all()
    lists = []
    for person, party, relationship in rows:
        status = status_of(db, relationship, viewer_slot=party.slot, now=now,
                           viewer_zone=calendars.local_zone_name(person, party))
        todo = TodoList(status, person.role)
        todo.items += _checkins(db, relationship, user_id)
        todo.items += _actions(db, relationship, user_id, status.today)
        todo.items += _risks(db, relationship, user_id, status.today)
        todo.items += _disputes(status, user_id, party.slot)
        if person.role == "ser":
            todo.items += _reviews(db, relationship, party.slot)
        if person.role in access.EDITORS:
            todo.items += _proposals(db, relationship, party.slot)
            todo.items += unstated_expectations(db, relationship, party.slot)
        lists.append(todo)
    return lists


def _checkins(db: Session, relationship: Relationship, user_id: str) -> list[Todo]:
    answered = select(Answer.id).where(Answer.round_id == Round.id, Answer.user_id == user_id).exists()
    rounds = db.exec(select(Round).join(Prompt, col(Prompt.round_id) == Round.id)
                     .where(Round.relationship_id == relationship.id, Round.status == checkins.OPEN,
                            Prompt.user_id == user_id, Prompt.status == checkins.ASKED, ~answered)
                     .order_by(col(Round.number))).all()
    return [Todo(CHECKIN, r.id or 0, f"Check-in round {r.number}", due_at=r.closes_at) for r in rounds]


def _actions(db: Session, relationship: Relationship, user_id: str, today: date) -> list[Todo]:
    mine = db.exec(select(Action).where(Action.relationship_id == relationship.id, Action.owner_user_id == user_id,
                                        Action.status == OPEN).order_by(col(Action.due_on), col(Action.number)))
    return [Todo(ACTION, a.number, a.description, due_on=a.due_on, overdue=is_overdue(a, today)) for a in mine]


def _risks(db: Session, relationship: Relationship, user_id: str, today: date) -> list[Todo]:
    due = db.exec(select(Risk).where(Risk.relationship_id == relationship.id, Risk.owner_user_id == user_id,
                                     Risk.status != "closed", col(Risk.review_on).is_not(None),
                                     col(Risk.review_on) <= today).order_by(col(Risk.review_on), col(Risk.number)))
    return [Todo(RISK, r.number, r.description, due_on=r.review_on, overdue=bool(r.review_on and r.review_on < today),
                 detail="review its mitigation") for r in due]


def _disputes(status: Status, user_id: str, slot: int) -> list[Todo]:
    held = []
    for line in status.open_disputes:
        if not any(holder.user_id == user_id for _, holders in line.holders for holder in holders):
            continue
        left = wording.working_days_left(line.days_left) if line.days_left is not None else \
            "paused" if line.status == "paused" else "no timer at the last level"
        held.append(Todo(DISPUTE, line.number, line.title, due_at=line.due_at,
                         detail=f"L{line.level} {line.level_name} · {left}"))
    return held


def _reviews(db: Session, relationship: Relationship, slot: int) -> list[Todo]:
    signed = select(ReviewSignature.id).where(ReviewSignature.review_id == Review.id,
                                              ReviewSignature.party_slot == slot).exists()
    waiting = db.exec(select(Review).where(Review.relationship_id == relationship.id, ~signed)
                      .order_by(col(Review.number))).all()
    return [Todo(REVIEW, r.number, f"Review #{r.number}", due_on=None,
                 detail=f"period to {r.figures.get('period', {}).get('last_day', '?')}") for r in waiting]


def _proposals(db: Session, relationship: Relationship, slot: int) -> list[Todo]:
    waiting = db.exec(select(Proposal).where(Proposal.relationship_id == relationship.id,
                                             Proposal.status == PROPOSAL_OPEN, Proposal.proposing_slot != slot)
                      .order_by(col(Proposal.number))).all()
    return [Todo(PROPOSAL, p.number, f"Proposal #{p.number}: {title_of(p.subject)}", due_at=p.lapses_at,
                 detail=plural(len(p.changes), "change")) for p in waiting]


def unstated_expectations(db: Session, relationship: Relationship, slot: int) -> list[Todo]:
    """The reviews awaiting the party's sign-off in which it has not stated its expectations."""
    signed = select(ReviewSignature.id).where(ReviewSignature.review_id == Review.id,
                                              ReviewSignature.party_slot == slot).exists()
    stated = select(ReviewExpectation.id).where(ReviewExpectation.review_id == Review.id,
                                                ReviewExpectation.party_slot == slot).exists()
    waiting = db.exec(select(Review).where(Review.relationship_id == relationship.id, ~signed, ~stated)
                      .order_by(col(Review.number))).all()
    return [Todo(EXPECTATIONS, r.number, f"Expectations for review #{r.number}") for r in waiting]
