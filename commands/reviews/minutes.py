"""The review's minutes beyond its figures: how far each party's expectations were met, the lessons learned,
and what each SER confirms reviewing when signing off (the plan's version and the exit strategy).

A party states its expectations (its SER or a manager) before its SER signs off, and may restate them until
then; lessons are recorded by anyone of either party but observers until both parties signed. Once both signed,
nothing of the review changes. The review's one message in the channel shows exactly what is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.errors import FieldChecks, InputError, Refused
from commands.reviews.runs import latest, message_data, root_key
from commands.rmp import access, audit, fields
from commands.rmp.actions import local_today
from commands.wording import possessive
from storage import limits
from storage.reviews import Review, ReviewExpectation, ReviewLesson, ReviewSignature
from storage.rmp import Change, Relationship

SCORES = {1: "not met", 2: "partly met", 3: "largely met", 4: "fully met", 5: "exceeded"}
MAX_LESSONS = 10  # lessons one review holds: its message shows each in full
PARTIES = 2
PLAN, EXIT = "plan", "exit"  # the sign-off form's confirmations


class ExpectationsFirst(Refused):
    """An SER would sign off before their party stated how far its expectations were met."""

    def __init__(self, message: str, number: int) -> None:
        super().__init__(message)
        self.number = number


@dataclass(frozen=True)
class ExpectationsForm:
    """What the expectations form offers: the review, the party, and what it stated so far (if anything)."""

    number: int
    party: str
    score: int | None
    note: str


@dataclass(frozen=True)
class SignForm:
    """What the sign-off form asks the SER to confirm: the review, their party and the plan's version."""

    number: int
    party: str
    plan_version: int


def _review(db: Session, me: access.Member, number: int | None) -> Review:
    """Review `number`, or the latest one when no number is given."""
    if number is None:
        found = latest(db, me.relationship)
        if found is None:
            raise InputError("There is no review yet: SERs and managers hold one with `/accord review now`.")
        return found
    review = db.exec(select(Review).where(Review.relationship_id == me.relationship.id,
                                          Review.number == number)).first()
    if review is None:
        raise InputError(f"There is no review #{number} in this relationship.")
    return review


def _signed(db: Session, review: Review) -> list[ReviewSignature]:
    return list(db.exec(select(ReviewSignature).where(ReviewSignature.review_id == review.id)
                        .order_by(col(ReviewSignature.party_slot))))


def expectations_of(db: Session, review: Review) -> list[ReviewExpectation]:
    """The parties' stated expectations, slot 1 first."""
    return list(db.exec(select(ReviewExpectation).where(ReviewExpectation.review_id == review.id)
                        .order_by(col(ReviewExpectation.party_slot))))


def lessons_of(db: Session, review: Review) -> list[ReviewLesson]:
    """The review's lessons by number."""
    return list(db.exec(select(ReviewLesson).where(ReviewLesson.review_id == review.id)
                        .order_by(col(ReviewLesson.number))))


def _closed(db: Session, review: Review) -> None:
    """Refuse any change once both parties signed the review off."""
    if len(_signed(db, review)) >= PARTIES:
        raise Refused(f"Review #{review.number} is signed off by both parties: its record no longer changes. "
                      "Record it in the next review.")


def _stater(db: Session, actor: Actor, number: int | None, *, lock: bool) -> tuple[access.Member, Review]:
    me = access.member(db, actor, lock=lock)
    if me.role not in access.EDITORS:
        raise Refused("Each party's SER or a manager states how far its expectations were met; "
                      f"you are {access.article(me.role)} {me.role}.")
    review = _review(db, me, number)
    mine = next((s for s in _signed(db, review) if s.party_slot == me.party.slot), None)
    if mine is not None:
        raise Refused(f"*{me.party.name}* signed review #{review.number} off already: the expectations it stated "
                      "are part of the record and no longer change.")
    return me, review


def expectations_form(db: Session, *, actor: Actor, number: int | None) -> ExpectationsForm:
    """The expectations form for the actor's party, with what it stated so far."""
    me, review = _stater(db, actor, number, lock=False)
    stated = next((e for e in expectations_of(db, review) if e.party_slot == me.party.slot), None)
    return ExpectationsForm(review.number, me.party.name, stated.score if stated else None,
                            stated.note if stated else "")


def state_expectations(db: Session, *, actor: Actor, number: int, score: str, note: str,
                       now: datetime) -> ReviewExpectation:
    """The actor's party states (or restates) how far its expectations were met, 1 to 5 with a note."""
    me, review = _stater(db, actor, number, lock=True)
    checks = FieldChecks()
    value = checks.read(fields.whole, score, field="score", label="The score", low=1, high=5)
    text = checks.read(fields.text, note, field="note", label="The note", limit=limits.DETAIL, required=False)
    checks.raise_if_any()
    assert value is not None and text is not None  # raise_if_any saw to it
    stated = next((e for e in expectations_of(db, review) if e.party_slot == me.party.slot), None)
    before = {"score": stated.score, "note": stated.note} if stated else None
    if stated is None:
        stated = ReviewExpectation(review_id=review.id or 0, party_slot=me.party.slot, score=value, note=text,
                                   user_id=actor.user_id, at=now)
    else:
        stated.score, stated.note, stated.user_id, stated.at = value, text, actor.user_id, now
    db.add(stated)
    db.flush()
    audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="review", entity_id=review.number,
                 verb="expectations", before=before,
                 after={"party": me.party.name, "score": value, "note": text}, now=now, raises_version=False)
    refresh(db, me.relationship, review, now=now)
    return stated


def _recorder(db: Session, actor: Actor, number: int | None, *, lock: bool) -> tuple[access.Member, Review]:
    me = access.member(db, actor, lock=lock)
    if me.role not in access.ACTORS:
        raise Refused("Observers follow the relationship but do not record lessons.")
    review = _review(db, me, number)
    _closed(db, review)
    if len(lessons_of(db, review)) >= MAX_LESSONS:
        raise Refused(f"Review #{review.number} holds {MAX_LESSONS} lessons, the most one review shows. "
                      "Record further ones in the next review.")
    return me, review


def lesson_form(db: Session, *, actor: Actor, number: int | None) -> int:
    """The number of the review the actor may record a lesson in."""
    return _recorder(db, actor, number, lock=False)[1].number


def add_lesson(db: Session, *, actor: Actor, number: int, failure: str, reason: str, avoidance: str,
               now: datetime) -> ReviewLesson:
    """Record a lesson in review `number`: a failure or mistake, its reason, and how to avoid it."""
    me, review = _recorder(db, actor, number, lock=True)
    checks = FieldChecks()
    texts = {name: checks.read(fields.text, typed, field=name, label=label, limit=limits.DETAIL)
             for name, typed, label in (("failure", failure, "The failure or mistake"),
                                        ("reason", reason, "The reason"),
                                        ("avoidance", avoidance, "How to avoid it"))}
    checks.raise_if_any()
    number_in_review = int(db.exec(select(func.max(ReviewLesson.number))
                                   .where(ReviewLesson.review_id == review.id)).one() or 0) + 1
    lesson = ReviewLesson(review_id=review.id or 0, number=number_in_review, party_slot=me.party.slot,
                          user_id=actor.user_id, at=now, failure=texts["failure"] or "", reason=texts["reason"] or "",
                          avoidance=texts["avoidance"] or "")
    db.add(lesson)
    db.flush()
    audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="review", entity_id=review.number,
                 verb="lesson", before=None, after={"lesson": number_in_review, **texts}, now=now,
                 raises_version=False)
    refresh(db, me.relationship, review, now=now)
    return lesson


# -- signing off --------------------------------------------------------------------------------


def signer(db: Session, actor: Actor, number: int, *, lock: bool) -> tuple[access.Member, Review]:
    """The actor as the SER who may sign review `number` off now: refused otherwise, with why."""
    me = access.member(db, actor, lock=lock)
    if me.role != "ser":
        raise Refused(f"Only each party's SER signs a review off; you are {access.article(me.role)} {me.role}.")
    review = _review(db, me, number)
    if (mine := next((s for s in _signed(db, review) if s.party_slot == me.party.slot), None)) is not None:
        raise Refused(f"*{me.party.name}* signed review #{number} off already (<@{mine.user_id}>, "
                      f"{mine.signed_at:%d %b %Y %H:%M} UTC).")
    if not any(e.party_slot == me.party.slot for e in expectations_of(db, review)):
        raise ExpectationsFirst(f"Before signing review #{number} off, state how far *{possessive(me.party.name)}* "
                                "expectations were met (1 to 5, with a note): *State our expectations* on the "
                                "review's message.", number)
    return me, review


def sign_form(db: Session, *, actor: Actor, number: int) -> SignForm:
    """What the SER confirms in the sign-off form."""
    me, review = signer(db, actor, number, lock=False)
    return SignForm(review.number, me.party.name, me.relationship.version)


def confirmed(me: access.Member, plan_version: int | None) -> int:
    """The plan version the SER confirms having reviewed (required to sign off)."""
    if plan_version is None:
        raise InputError(f"Confirm that you reviewed the plan (version {me.relationship.version}) to sign off: "
                         "the sign-off records it.", field="reviewed")
    if not 1 <= plan_version <= me.relationship.version:
        raise InputError(f"The plan has no version {plan_version}.", field="reviewed")
    return plan_version


def after_signing(db: Session, me: access.Member, review: Review, signatures: list[ReviewSignature], *,
                  now: datetime) -> None:
    """Once both SERs confirmed reviewing the exit strategy, the relationship records it as reviewed today;
    then the review's message shows the sign-off."""
    relationship = me.relationship
    if len(signatures) >= PARTIES and all(s.exit_reviewed for s in signatures):
        today = local_today(relationship, now)
        before = relationship.exit_reviewed_on
        relationship.exit_reviewed_on = today
        audit.record(db, relationship, by=me, user_id=me.person.user_id, entity="exit_strategy", entity_id=None,
                     verb="reviewed", before={"exit_reviewed_on": before.isoformat() if before else None},
                     after={"exit_reviewed_on": today.isoformat(), "review": review.number}, now=now)
    refresh(db, relationship, review, now=now)


# -- the review's message ---------------------------------------------------------------------------


def summary_data(db: Session, review: Review) -> dict[str, Any]:
    """What the review's message shows: its figures, the sign-offs, the expectations and the lessons."""
    return {**message_data(review, _signed(db, review)), **minutes_data(db, review)}


def minutes_data(db: Session, review: Review) -> dict[str, Any]:
    """The stored expectations and lessons, as the message shows them."""
    return {"expectations": [{"slot": e.party_slot, "score": e.score, "note": e.note, "user": e.user_id,
                              "at": e.at.isoformat()} for e in expectations_of(db, review)],
            "lessons": [{"number": lesson.number, "slot": lesson.party_slot, "user": lesson.user_id,
                         "failure": lesson.failure, "reason": lesson.reason, "avoidance": lesson.avoidance,
                         "at": lesson.at.isoformat()} for lesson in lessons_of(db, review)]}


def refresh(db: Session, relationship: Relationship, review: Review, *, now: datetime) -> None:
    """Update the review's one message in place with what is stored now (a burst makes one call to Slack). Each
    update is named by the latest entry of the history (minutes and sign-offs keep the plan's version)."""
    latest = db.exec(select(func.max(Change.id)).where(Change.relationship_id == relationship.id)).one()
    outgoing.post_or_update(db, root=root_key(review), version=f"{relationship.version}.{latest or 0}",
                            channel=relationship.channel_id, view="review_summary", data=summary_data(db, review),
                            now=now)
