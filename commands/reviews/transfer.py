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
from commands.reviews import runs
from storage.reviews import Review, ReviewSignature, ValueEntry
from storage.rmp import Relationship

ENTRY_FIELDS = ("party_slot", "kind", "amount", "description", "on", "recorded_by", "recorded_at")
REVIEW_FIELDS = ("number", "starts_at", "ends_at", "trigger", "requested_by", "created_at", "figures", "signatures")
SIGNATURE_FIELDS = ("party_slot", "party", "user_id", "signed_at")
TRIGGERS = ("scheduled", "now")
PARTIES = 2  # a review is signed off once both parties' SERs signed


def export_values(db: Session, relationship_id: int, plain: Any) -> list[dict[str, Any]]:
    """Every cost and benefit of the relationship, by day and then as recorded."""
    rows = db.exec(select(ValueEntry).where(ValueEntry.relationship_id == relationship_id)
                   .order_by(col(ValueEntry.on), col(ValueEntry.recorded_at), col(ValueEntry.id)))
    return [{name: plain(getattr(row, name)) for name in ENTRY_FIELDS} for row in rows]


def export_reviews(db: Session, relationship_id: int, plain: Any) -> list[dict[str, Any]]:
    """Every review of the relationship by number, with its figures and its sign-offs (slot 1 first)."""
    reviews = list(db.exec(select(Review).where(Review.relationship_id == relationship_id)
                           .order_by(col(Review.number))))
    signed: dict[int, list[ReviewSignature]] = defaultdict(list)
    for signature in db.exec(select(ReviewSignature)
                             .where(col(ReviewSignature.review_id).in_([r.id for r in reviews]))
                             .order_by(col(ReviewSignature.party_slot), col(ReviewSignature.id))):
        signed[signature.review_id].append(signature)
    result = []
    for review in reviews:
        row = {name: plain(getattr(review, name)) for name in REVIEW_FIELDS[:-1]}
        row["signatures"] = [{name: plain(getattr(s, name)) for name in SIGNATURE_FIELDS}
                             for s in signed[review.id or 0]]
        result.append(row)
    return result


def import_values(db: Session, relationship: Relationship, rows: list[dict[str, Any]]) -> None:
    """Recreate the costs and benefits as exported."""
    db.add_all(ValueEntry(relationship_id=relationship.id or 0, **row) for row in rows)


def import_reviews(db: Session, relationship: Relationship, rows: list[dict[str, Any]], *, now: datetime) -> None:
    """Insert the reviews and their sign-offs as exported; re-post the summary of those awaiting a sign-off."""
    for row in rows:
        review = Review(relationship_id=relationship.id or 0,
                        **{k: v for k, v in row.items() if k != "signatures"})
        db.add(review)
        db.flush()
        signatures = [ReviewSignature(review_id=review.id or 0, **s) for s in row["signatures"]]
        db.add_all(signatures)
        db.flush()
        if len(signatures) < PARTIES:  # its thread starts again here: a new summary message in the channel
            outgoing.post_message(db, key=runs.root_key(review), channel=relationship.channel_id,
                                view="review_summary", data=runs.message_data(review, signatures), now=now)
