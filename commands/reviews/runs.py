"""Running a review: on the relationship's review cadence as due work, or at once with `/accord review now`.

A review covers the time since the previous one (or since the relationship began), is stored
with its figures, and is posted to the shared channel: the summary, a thread reply per part,
and a chart.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from commands import outgoing, work
from commands.actor import Actor
from commands.calendar import next_occurrence, parse_cadence, zone
from commands.errors import InputError
from commands.reviews import figures, rules
from commands.rmp import access, audit, calendars
from storage.models import WorkItem
from storage.reviews import Review, ReviewSignature
from storage.rmp import Relationship

KIND = "review.run"
SECTIONS = ("performance", "trust", "disputes", "actions", "risks", "objectives", "values", "exits")


def schedule_next_review(db: Session, relationship: Relationship, *, after: datetime, now: datetime) -> datetime:
    """Queue the relationship's next scheduled review after `after`; returns when it is due."""
    moment = next_occurrence(parse_cadence(relationship.review_cadence, field="review_cadence"), after,
                             zone(relationship.timezone), calendars.joint(db, relationship))
    work.schedule(db, kind=KIND, key=f"{KIND}:{relationship.id}:{moment.isoformat()}", due_at=moment, now=now,
                  payload={"relationship_id": relationship.id, "due": moment.isoformat()})
    return moment


def reschedule(db: Session, relationship: Relationship, *, now: datetime) -> datetime:
    """After the review cadence or the calendar changed: cancel the queued review and queue the new one."""
    work.cancel_pending(db, kind=KIND, key_prefix=f"{KIND}:{relationship.id}:")
    return schedule_next_review(db, relationship, after=now, now=now)


def run_scheduled(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: hold the review that fell due, then queue the next one."""
    relationship = db.exec(select(Relationship).where(Relationship.id == item.payload["relationship_id"])
                           .with_for_update()).first()
    if relationship is None:
        return
    due = datetime.fromisoformat(item.payload["due"])
    hold(db, relationship, trigger="scheduled", by="accord", now=now)
    schedule_next_review(db, relationship, after=due, now=now)


def review_now(db: Session, *, actor: Actor, text: str, now: datetime) -> Review:
    """`/accord review now`: hold a review at once (SERs and managers)."""
    if text.strip().lower() != "now":
        raise InputError("Usage: `/accord review now` holds a review of the time since the last one; "
                         "`/accord review expectations [N]` and `/accord review lesson [N]` record its minutes; "
                         "`/accord reviews` lists past reviews.")
    me = access.editor(db, actor)
    return hold(db, me.relationship, trigger="now", by=actor.user_id, now=now)


def latest(db: Session, relationship: Relationship) -> Review | None:
    """The relationship's most recent review."""
    return db.exec(select(Review).where(Review.relationship_id == relationship.id)
                   .order_by(col(Review.number).desc()).limit(1)).first()


def hold(db: Session, relationship: Relationship, *, trigger: str, by: str, now: datetime) -> Review:
    """Compute, store and post a review of the time since the previous one (the caller locked the relationship)."""
    previous = latest(db, relationship)
    starts_at = previous.ends_at if previous is not None else relationship.created_at
    data = figures.compute(db, relationship, starts_at=starts_at, ends_at=now, previous=previous)
    data["recommendations"] = rules.recommendations(data)
    data["wins"] = rules.wins(data)
    number = int(db.exec(select(func.max(Review.number)).where(Review.relationship_id == relationship.id)).one()
                 or 0) + 1
    data["number"] = number
    review = Review(relationship_id=relationship.id or 0, number=number, starts_at=starts_at, ends_at=now,
                    trigger=trigger, requested_by=by, figures=data, created_at=now)
    db.add(review)
    db.flush()
    audit.record(db, relationship, by=None, user_id=by, entity="review", entity_id=number, verb="held", before=None,
                 after={"period": f"{data['period']['first_day']} to {data['period']['last_day']}",
                        "recommendations": len(data["recommendations"])}, now=now)
    channel = relationship.channel_id
    root = root_key(review)
    outgoing.post_message(db, key=root, channel=channel, view="review_summary", now=now,
                        data=message_data(review, []))
    for name in SECTIONS:
        outgoing.post_message(db, key=f"review:{review.id}:part:{name}", channel=channel, thread_of=root,
                            view="review_part", data={"part": name, "figures": data}, now=now)
    outgoing.upload_file(db, key=f"review:{review.id}:chart", channel=channel, thread_of=root, view="review_chart",
                       data=data, now=now)
    return review


def root_key(review: Review) -> str:
    """The outbox key of the review's summary message (its thread holds the details and the chart)."""
    return f"review:{review.id}:root"


def message_data(review: Review, signatures: list[ReviewSignature]) -> dict[str, object]:
    """What the summary message shows: the figures and who signed off, when."""
    return {"review": review.id, "figures": review.figures, "trigger": review.trigger,
            "requested_by": review.requested_by, "created_at": review.created_at.isoformat(),
            "signatures": [{"slot": s.party_slot, "party": s.party, "user": s.user_id, "at": s.signed_at.isoformat(),
                            "plan_version": s.plan_version, "exit_reviewed": s.exit_reviewed} for s in signatures]}
