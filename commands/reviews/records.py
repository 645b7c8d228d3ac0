"""The stored reviews: each SER's sign-off, the list of past reviews, one review's record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.errors import InputError
from commands.reviews import minutes
from commands.reviews.runs import root_key
from commands.rmp import access, audit
from storage.reviews import Review, ReviewSignature


@dataclass(frozen=True)
class ReviewRecord:
    """A stored review with its sign-offs, as the list and the summary show it."""

    review: Review
    signatures: list[ReviewSignature]
    minutes: dict[str, Any] = field(default_factory=dict)  # the expectations and lessons, when read for showing

    @property
    def awaiting(self) -> list[str]:
        """The parties whose SER has not signed yet."""
        signed = {s.party_slot for s in self.signatures}
        return [p["name"] for p in self.review.figures["parties"] if p["slot"] not in signed]


def signatures_of(db: Session, review: Review) -> list[ReviewSignature]:
    """The review's sign-offs, slot 1 first."""
    return list(db.exec(select(ReviewSignature).where(ReviewSignature.review_id == review.id)
                        .order_by(col(ReviewSignature.party_slot))))


def _find(db: Session, me: access.Member, number: int) -> Review:
    review = db.exec(select(Review).where(Review.relationship_id == me.relationship.id,
                                          Review.number == number)).first()
    if review is None:
        raise InputError(f"There is no review #{number} in this relationship.")
    return review


def sign_off(db: Session, *, actor: Actor, number: int, now: datetime, plan_version: int | None,
             exit_reviewed: bool) -> ReviewRecord:
    """The SER of the actor's party signs review `number` off, once the party stated its expectations,
    confirming the plan version they reviewed (and whether they reviewed the exit strategy); the review's
    message shows it at once."""
    me, review = minutes.signer(db, actor, number, lock=True)
    version = minutes.confirmed(me, plan_version)
    signature = ReviewSignature(review_id=review.id or 0, party_slot=me.party.slot, party=me.party.name,
                                user_id=actor.user_id, signed_at=now, plan_version=version,
                                exit_reviewed=exit_reviewed)
    db.add(signature)
    db.flush()
    audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="review", entity_id=number,
                 verb="signed", before=None, after={"party": me.party.name, "plan_version": version,
                                                    "exit_reviewed": exit_reviewed}, now=now, raises_version=False)
    signatures = signatures_of(db, review)
    record = ReviewRecord(review, signatures)
    minutes.after_signing(db, me, review, signatures, now=now)
    outgoing.post_message(db, key=f"review:{review.id}:signed:{me.party.slot}", channel=me.relationship.channel_id,
                        thread_of=root_key(review), view="review_signed", now=now,
                        data={"number": number, "user": actor.user_id, "party": me.party.name,
                              "awaiting": record.awaiting})
    return record


def list_reviews(db: Session, *, actor: Actor) -> list[ReviewRecord]:
    """Every review of the actor's relationship, newest first (anyone in it may look)."""
    me = access.member(db, actor)
    reviews = list(db.exec(select(Review).where(Review.relationship_id == me.relationship.id)
                           .order_by(col(Review.number).desc())))
    signed: dict[int, list[ReviewSignature]] = {r.id or 0: [] for r in reviews}
    for signature in db.exec(select(ReviewSignature).where(col(ReviewSignature.review_id).in_(list(signed)))
                             .order_by(col(ReviewSignature.party_slot))):
        signed[signature.review_id].append(signature)
    return [ReviewRecord(r, signed[r.id or 0]) for r in reviews]


def show_review(db: Session, *, actor: Actor, number: int) -> ReviewRecord:
    """Review `number` as it was recorded, with its sign-offs."""
    review = _find(db, access.member(db, actor), number)
    return ReviewRecord(review, signatures_of(db, review), minutes.minutes_data(db, review))
