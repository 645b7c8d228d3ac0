"""The stored reviews: each SER's sign-off, the list of past reviews, one review's record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.reviews.runs import message_data, root_key
from commands.rmp import access, audit
from storage.reviews import Review, ReviewSignature


@dataclass(frozen=True)
class ReviewRecord:
    """A stored review with its sign-offs, as the list and the summary show it."""

    review: Review
    signatures: list[ReviewSignature]

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


def sign_off(db: Session, *, actor: Actor, number: int, now: datetime) -> ReviewRecord:
    """The SER of the actor's party signs review `number` off; the summary shows it at once."""
    me = access.member(db, actor, lock=True)
    if me.role != "ser":
        raise Refused(f"Only each party's SER signs a review off; you are {access.article(me.role)} {me.role}.")
    review = _find(db, me, number)
    signatures = signatures_of(db, review)
    if (mine := next((s for s in signatures if s.party_slot == me.party.slot), None)) is not None:
        raise Refused(f"*{me.party.name}* signed review #{number} off already (<@{mine.user_id}>, "
                      f"{mine.signed_at:%d %b %Y %H:%M} UTC).")
    signature = ReviewSignature(review_id=review.id or 0, party_slot=me.party.slot, party=me.party.name,
                                user_id=actor.user_id, signed_at=now)
    db.add(signature)
    db.flush()
    audit.record(db, me.relationship, by=me, user_id=actor.user_id, entity="review", entity_id=number,
                 verb="signed", before=None, after={"party": me.party.name}, now=now)
    signatures = signatures_of(db, review)
    record = ReviewRecord(review, signatures)
    root = root_key(review)
    outgoing.update_message(db, key=f"{root}:signed:{me.party.slot}", updates=root, view="review_summary",
                          data=message_data(review, signatures), now=now)
    outgoing.post_message(db, key=f"review:{review.id}:signed:{me.party.slot}", channel=me.relationship.channel_id,
                        thread_of=root, view="review_signed", now=now,
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
    return ReviewRecord(review, signatures_of(db, review))
