"""Retention: individual check-in answers and comments are kept `Relationship.retention_months` after their round
closed, then deleted; what the round published (its `Result` rows: counts and thresholded means) stays.

A daily due-work item per relationship does it, queued when a round closes and again by each run. The history
records how many answers and comments went, never what they said."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from commands import work
from commands.rmp import audit
from commands.rmp.sentences import ACCORD
from storage.checkins import CLOSED, Answer, Round
from storage.models import WorkItem
from storage.rmp import Relationship

KIND = "privacy.retention"
RUN_AT = time(3, 0)  # each day's run, UTC: a quiet hour


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (the 31st becomes the month's last day)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def schedule_next(db: Session, relationship_id: int, *, now: datetime) -> None:
    """Queue the relationship's run of tomorrow at RUN_AT UTC (one a day, whoever queues it)."""
    day: date = now.astimezone(UTC).date() + timedelta(days=1)
    work.schedule(db, kind=KIND, key=f"{KIND}:{relationship_id}:{day.isoformat()}",
                  due_at=datetime.combine(day, RUN_AT, UTC), payload={"relationship_id": relationship_id}, now=now)


def purge(db: Session, item: WorkItem, now: datetime) -> None:
    """Due work: delete what is past the relationship's retention, then queue tomorrow's run."""
    relationship = db.get(Relationship, item.payload["relationship_id"])
    if relationship is None:
        return
    purge_expired(db, relationship, now=now)
    schedule_next(db, relationship.id or 0, now=now)


def purge_expired(db: Session, relationship: Relationship, *, now: datetime) -> tuple[int, int]:
    """Delete the answers (with their comments) of the rounds that closed more than `retention_months` before
    `now`; record the counts in the history when there were any. Returns (answers, comments) deleted."""
    cutoff = months_before(now, relationship.retention_months)
    rounds = dict(db.exec(select(Round.id, Round.number).where(
        Round.relationship_id == relationship.id, Round.status == CLOSED, col(Round.closes_at) < cutoff)).all())
    if not rounds:
        return 0, 0
    expired = col(Answer.round_id).in_(list(rounds))
    answers = db.exec(select(func.count()).select_from(Answer).where(expired)).one()
    comments = db.exec(select(func.count()).select_from(Answer).where(expired, Answer.comment != "")).one()
    if not answers:
        return 0, 0
    numbers = sorted({number for round_id, number in rounds.items() if db.exec(
        select(Answer.id).where(Answer.round_id == round_id)).first() is not None})
    db.exec(delete(Answer).where(expired))
    audit.record(db, relationship, by=None, user_id=ACCORD, entity="checkin_answers", entity_id=None, verb="purged",
                 before=None, after={"rounds": numbers, "answers": answers, "comments": comments,
                                     "months": relationship.retention_months}, now=now)
    return answers, comments
