"""`accord export --user U…`: a person's own data, for them (a subject access request).

Per relationship they are in: their person row, their check-in answers with the round's dates and statements,
the actions and risks they own, their wins, the ideas they raised or own, the KPI values they reported, the
disputes they raised and their steps and notes in disputes, their review sign-offs, and the history entries they
made (in words). Nothing about other people beyond what those records name. The export is recorded in the
history (not announced in the channel)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, or_, select

from commands.privacy.erasure import checked_user, people_of
from commands.rmp import audit, sentences
from commands.rmp.export import dump_text
from commands.rmp.sentences import ACCORD
from storage.checkins import Answer, Round
from storage.disputes import Dispute, DisputeEvent
from storage.partnership import Idea
from storage.reviews import Review, ReviewSignature
from storage.rmp import Action, Change, Kpi, KpiValue, Party, Person, Relationship, Risk, Win

FORMAT = 1  # the layout of this file


def _row(row: SQLModel, *drop: str) -> dict[str, Any]:
    return audit.snapshot(row, exclude=("id", "relationship_id", *drop))


def export_user(db: Session, *, user_id: str, channel_id: str | None = None, now: datetime) -> dict[str, Any]:
    """The person's own data in every relationship they are in (or `channel_id`'s); InputError for someone no
    relationship knows. Recorded in each relationship's history."""
    user_id = checked_user(user_id)
    relationships = []
    for person, relationship in people_of(db, user_id, channel_id):
        relationships.append(_of(db, person, relationship))
        audit.record(db, relationship, by=None, user_id=ACCORD, entity="person", entity_id=None, verb="exported",
                     before=None, after={"user_id": user_id}, now=now)
    return {"accord_personal_data": FORMAT, "user_id": user_id, "exported_at": now.isoformat(),
            "relationships": relationships}


def _of(db: Session, person: Person, relationship: Relationship) -> dict[str, Any]:
    rid, uid = relationship.id or 0, person.user_id
    party = db.get(Party, person.party_id)
    rounds = {r.id: r for r in db.exec(select(Round).where(Round.relationship_id == rid))}
    answers = [{"round": rounds[a.round_id].number, "period": rounds[a.round_id].period.isoformat(),
                "submitted_at": a.submitted_at.isoformat(), "updated_at": a.updated_at.isoformat(),
                "ratings": dict(zip(rounds[a.round_id].statements, a.ratings, strict=False)),
                "kpi_values": a.kpi_values, "comment": a.comment, "comment_shared": a.share_comment}
               for a in db.exec(select(Answer).where(Answer.user_id == uid, col(Answer.round_id).in_(list(rounds)))
                                .order_by(col(Answer.submitted_at)))]
    kpis = {k.id: k.number for k in db.exec(select(Kpi).where(Kpi.relationship_id == rid))}
    disputes = {d.id: d for d in db.exec(select(Dispute).where(Dispute.relationship_id == rid))}
    reviews = {r.id: r.number for r in db.exec(select(Review).where(Review.relationship_id == rid))}
    changes = list(db.exec(select(Change).where(Change.relationship_id == rid, Change.user_id == uid)
                           .order_by(col(Change.version))))
    names = sentences.names_for(db, rid, changes)
    return {
        "relationship": relationship.name, "channel_id": relationship.channel_id,
        "person": {**_row(person, "party_id"), "party": party.name if party else ""},
        "checkin_answers": answers,
        "actions": [_row(a) for a in _owned(db, Action, rid, Action.owner_user_id == uid)],
        "risks": [_row(r) for r in _owned(db, Risk, rid, Risk.owner_user_id == uid)],
        "wins": [_row(w) for w in _owned(db, Win, rid, Win.user_id == uid)],
        "ideas": [_row(i) for i in _owned(db, Idea, rid, or_(Idea.raised_by == uid, Idea.owner_user_id == uid))],
        "kpi_values": [{"kpi": kpis.get(v.kpi_id), **_row(v, "kpi_id")} for v in db.exec(
            select(KpiValue).where(KpiValue.reported_by == uid, col(KpiValue.kpi_id).in_(list(kpis))))],
        "disputes_raised": [_row(d, "ladder", "timer_epoch", "version", "paused_remaining") for d in
                            disputes.values() if d.raised_by == uid],
        "dispute_steps": [{"dispute": disputes[e.dispute_id].number, **_row(e, "dispute_id")} for e in db.exec(
            select(DisputeEvent).where(DisputeEvent.user_id == uid, col(DisputeEvent.dispute_id).in_(list(disputes)))
            .order_by(col(DisputeEvent.at)))],
        "review_sign_offs": [{"review": reviews.get(s.review_id), **_row(s, "review_id")} for s in db.exec(
            select(ReviewSignature).where(ReviewSignature.user_id == uid,
                                          col(ReviewSignature.review_id).in_(list(reviews))))],
        "history": [{"version": c.version, "at": c.at.isoformat(), "entity": c.entity, "verb": c.verb,
                     "text": sentences.sentence(c, names)} for c in changes],
    }


def _owned(db: Session, model: Any, rid: int, condition: Any) -> list[Any]:
    return list(db.exec(select(model).where(model.relationship_id == rid, condition).order_by(col(model.number))))


def dump(document: dict[str, Any], fmt: str) -> str:
    """The export as JSON or YAML text (UTF-8, keys in the order written)."""
    return dump_text(document, fmt)
