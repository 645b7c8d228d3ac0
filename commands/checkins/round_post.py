"""A round's one message in the shared channel: posted when the round opens with its window and an Answer
button, its counts per party updated in place as people answer, skip or are away, and at close turned into
the summary, with the details (KPIs, changes, comments shared with the partner) in its thread. It names
nobody: participation is shown as counts per party."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from commands import outgoing
from commands.checkins.summary import Summary, as_data
from commands.rmp import access
from storage.checkins import ASKED, AWAY, SKIPPED, Answer, Prompt, Round
from storage.rmp import Relationship


def root_key(round_: Round) -> str:
    """The outbox key of the round's message (its thread's root)."""
    return f"checkin:{round_.id}:round"


def _header(round_: Round, relationship: Relationship) -> dict[str, Any]:
    return {"round_id": round_.id, "number": round_.number, "relationship": relationship.name,
            "channel": relationship.channel_id, "timezone": relationship.timezone,
            "opens_at": round_.opens_at.isoformat(), "closes_at": round_.closes_at.isoformat()}


def counts(db: Session, round_: Round, relationship: Relationship) -> list[dict[str, Any]]:
    """Per party: asked (neither away nor skipping), answered, skipped, away; while the round is open."""
    answered = dict(db.exec(select(Answer.party_slot, func.count()).where(Answer.round_id == round_.id)
                            .group_by(col(Answer.party_slot))).all())
    answerers = select(Answer.user_id).where(Answer.round_id == round_.id)
    by_status: dict[tuple[int, str], int] = {
        (slot, status): count for slot, status, count in db.exec(
            select(Prompt.party_slot, Prompt.status, func.count())
            .where(Prompt.round_id == round_.id, col(Prompt.user_id).not_in(answerers))
            .group_by(col(Prompt.party_slot), col(Prompt.status))).all()}
    return [{"slot": party.slot, "name": party.name, "answered": answered.get(party.slot, 0),
             "asked": answered.get(party.slot, 0) + by_status.get((party.slot, ASKED), 0),
             "skipped": by_status.get((party.slot, SKIPPED), 0), "away": by_status.get((party.slot, AWAY), 0)}
            for party in access.parties(db, relationship)]


def show_open(db: Session, round_: Round, *, now: datetime, not_before: datetime | None = None) -> None:
    """Post the round's message, or bring its counts up to date (coalesced while an update waits)."""
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    data = {**_header(round_, relationship), "state": "open", "parties": counts(db, round_, relationship)}
    outgoing.post_or_update(db, root=root_key(round_), version=uuid.uuid4().hex, channel=relationship.channel_id,
                          view="checkin_round", data=data, now=now, not_before=not_before)


def show_closed(db: Session, round_: Round, summary: Summary, *, now: datetime,
                shared_comments: dict[str, dict[str, Any]]) -> None:
    """Turn the round's message into its summary; the details, and the comments each party shared with
    the other (anonymous, sorted), go in its thread. A round nobody answered says so, with no thread."""
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    figures = as_data(summary)
    nobody = not any(party.answered for party in summary.parties)
    data = {**_header(round_, relationship), "state": "closed", "nobody": nobody, "summary": figures}
    outgoing.post_or_update(db, root=root_key(round_), version="closed", channel=relationship.channel_id,
                          view="checkin_round", data=data, now=now)
    if nobody:
        return
    outgoing.post_message(db, key=f"checkin:{round_.id}:details", channel=relationship.channel_id,
                        view="checkin_details", data=figures, now=now, thread_of=root_key(round_))
    for party, shared in shared_comments.items():
        outgoing.post_message(db, key=f"checkin:{round_.id}:shared:{party}", channel=relationship.channel_id,
                            view="checkin_comments", now=now, thread_of=root_key(round_),
                            data={"number": round_.number, **shared})
