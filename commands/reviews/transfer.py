"""Reviews (their figures and sign-offs) and reported costs and benefits in the plan's export, and back.

A review is an immutable record: import inserts it exactly as exported, figures included, and
never changes it. A review still awaiting a sign-off gets its summary message again in the
channel, so that the sign-off that comes later has a message to update and a thread to reply in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.reviews import minutes, runs
from storage.reviews import Review, ReviewExpectation, ReviewLesson, ReviewSignature, ValueEntry
from storage.rmp import Relationship

ENTRY_FIELDS = ("party_slot", "kind", "amount", "description", "on", "recorded_by", "recorded_at")
REVIEW_FIELDS = ("number", "starts_at", "ends_at", "trigger", "requested_by", "created_at", "figures", "signatures",
                 "expectations", "lessons")
SIGNATURE_FIELDS = ("party_slot", "party", "user_id", "signed_at", "plan_version", "exit_reviewed")
EXPECTATION_FIELDS = ("party_slot", "score", "note", "user_id", "at")
LESSON_FIELDS = ("number", "party_slot", "user_id", "failure", "reason", "avoidance", "at")
ATTACHED = 3  # the review's rows of other tables, last in REVIEW_FIELDS: signatures, expectations, lessons
TRIGGERS = ("scheduled", "now")
PARTIES = 2  # a review is signed off once both parties' SERs signed


def export_values(db: Session, relationship_id: int, plain: Any) -> list[dict[str, Any]]:
    """Every cost and benefit of the relationship, by day and then as recorded."""
    rows = db.exec(select(ValueEntry).where(ValueEntry.relationship_id == relationship_id)
                   .order_by(col(ValueEntry.on), col(ValueEntry.recorded_at), col(ValueEntry.id)))
    return [{name: plain(getattr(row, name)) for name in ENTRY_FIELDS} for row in rows]


def export_reviews(db: Session, relationship_id: int, plain: Any) -> list[dict[str, Any]]:
    """Every review of the relationship by number, with its figures, its sign-offs and its parties' expectations
    (slot 1 first), and its lessons by number."""
    reviews = list(db.exec(select(Review).where(Review.relationship_id == relationship_id)
                           .order_by(col(Review.number))))
    ids = [review.id for review in reviews]
    attached = {"signatures": _by_review(db, ReviewSignature, ids, SIGNATURE_FIELDS, plain),
                "expectations": _by_review(db, ReviewExpectation, ids, EXPECTATION_FIELDS, plain),
                "lessons": _by_review(db, ReviewLesson, ids, LESSON_FIELDS, plain)}
    result = []
    for review in reviews:
        row = {name: plain(getattr(review, name)) for name in REVIEW_FIELDS[:-ATTACHED]}
        result.append({**row, **{kind: rows[review.id or 0] for kind, rows in attached.items()}})
    return result


def _by_review(db: Session, model: Any, ids: list[int | None], fields: tuple[str, ...],
               plain: Any) -> dict[int, list[dict[str, Any]]]:
    """The rows of `model` of each review, as the file has them, in order (by party slot or by number)."""
    order = model.number if "number" in fields else model.party_slot
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in db.exec(select(model).where(col(model.review_id).in_(ids)).order_by(col(order), col(model.id))):
        found[row.review_id].append({name: plain(getattr(row, name)) for name in fields})
    return found


def import_values(db: Session, relationship: Relationship, rows: list[dict[str, Any]]) -> None:
    """Recreate the costs and benefits as exported."""
    db.add_all(ValueEntry(relationship_id=relationship.id or 0, **row) for row in rows)


def import_reviews(db: Session, relationship: Relationship, rows: list[dict[str, Any]], *, now: datetime) -> None:
    """Insert the reviews and their sign-offs as exported; re-post the summary of those awaiting a sign-off."""
    for row in rows:
        review = Review(relationship_id=relationship.id or 0,
                        **{k: v for k, v in row.items() if k not in REVIEW_FIELDS[-ATTACHED:]})
        db.add(review)
        db.flush()
        signatures = [ReviewSignature(review_id=review.id or 0, **s) for s in row["signatures"]]
        db.add_all(signatures)
        db.add_all(ReviewExpectation(review_id=review.id or 0, **e) for e in row["expectations"])
        db.add_all(ReviewLesson(review_id=review.id or 0, **lesson) for lesson in row["lessons"])
        db.flush()
        if len(signatures) < PARTIES:  # its thread starts again here: a new summary message in the channel
            outgoing.post_message(db, key=runs.root_key(review), channel=relationship.channel_id,
                                view="review_summary", data=minutes.summary_data(db, review), now=now)
