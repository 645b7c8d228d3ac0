"""Check-in comments reach someone, and nothing tells who wrote them.

A party's comments of a round are shown only when at least the threshold of its people answered that round:
to its own SERs and managers, privately (their prompt DM becomes the round's private summary, and a button
on the round's message shows it them on demand), and, for the comments their writers chose to share, to the
other party too, in the round's thread. Comments are listed sorted, never in the order they came."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.checkins import disclosure
from commands.errors import Refused
from commands.rmp import access
from commands.wording import possessive
from storage.checkins import CLOSED, Answer, Prompt, Result, Round
from storage.models import SENT, OutboxMessage
from storage.rmp import Person, Relationship

LEADS = ("ser", "manager")


def _shown(db: Session, round_: Round, slot: int) -> list[Answer]:
    """The party's answers whose comments may be shown: none unless enough of its people answered."""
    answers = list(db.exec(select(Answer).where(Answer.round_id == round_.id, Answer.party_slot == slot)))
    return answers if len(answers) >= disclosure.threshold(round_) else []


def _sorted(answers: list[Answer], *, shared_only: bool = False) -> list[str]:
    return sorted(a.comment.strip() for a in answers if a.comment.strip() and (a.share_comment or not shared_only))


def prompt_key(round_id: int, user: str) -> str:
    """The outbox key of `user`'s prompt of a round."""
    return f"checkin:{round_id}:{user}:prompt"


def at_close(db: Session, round_: Round, *, now: datetime) -> dict[str, dict[str, Any]]:
    """At the round's close: each prompt that reached a DM becomes the round's closed notice (for a party's SERs
    and managers, with their party's comments); returns the comments each party shares with the other."""
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    parties = access.parties(db, relationship)
    names = {p.slot: p.name for p in parties}
    private = {p.slot: _sorted(_shown(db, round_, p.slot)) for p in parties}
    shared: dict[str, dict[str, Any]] = {}
    for party in parties:
        comments = _sorted(_shown(db, round_, party.slot), shared_only=True)
        if comments:
            partner = next((p.name for p in parties if p.slot != party.slot), "")
            shared[party.name] = {"party": party.name, "partner": partner, "comments": comments, "shared": True}
    leads = {p.user_id for p in db.exec(select(Person).where(Person.relationship_id == relationship.id,
                                                             col(Person.role).in_(LEADS),
                                                             col(Person.left_at).is_(None)))}
    prompts = {p.user_id: p for p in db.exec(select(Prompt).where(Prompt.round_id == round_.id))}
    keys = [prompt_key(round_.id or 0, user) for user in prompts]
    in_dms = db.exec(select(OutboxMessage.idempotency_key).where(
        col(OutboxMessage.idempotency_key).in_(keys), OutboxMessage.status == SENT,
        col(OutboxMessage.ts).is_not(None), OutboxMessage.sent_channel != relationship.channel_id))
    for key in in_dms:
        user = key.split(":")[2]
        slot = prompts[user].party_slot
        data: dict[str, Any] = {"number": round_.number, "relationship": relationship.name,
                                "party": names.get(slot, ""), "lead": user in leads}
        if user in leads:
            data["comments"] = private.get(slot, [])
        outgoing.update_message(db, key=f"{key}:closed", updates=key, view="checkin_closed", data=data, now=now)
    return shared


def for_lead(db: Session, *, actor: Actor, round_id: int) -> dict[str, Any]:
    """The private summary of a closed round's comments, for an SER or manager of the actor's party."""
    me = access.member(db, actor)
    if me.role not in LEADS:
        raise Refused(f"Only {possessive(me.party.name)} SERs and managers read its check-in comments.")
    round_ = db.get(Round, round_id)
    if round_ is None or round_.relationship_id != me.relationship.id:
        raise Refused("That check-in belongs to another relationship.")
    if round_.status != CLOSED:
        raise Refused(f"Round {round_.number} is still open: comments are shown when it closes.")
    answered = db.exec(select(Result.answered).where(Result.round_id == round_.id,
                                                     Result.party_slot == me.party.slot)).first() or 0
    return {"number": round_.number, "relationship": me.relationship.name, "party": me.party.name, "lead": True,
            "comments": _sorted(_shown(db, round_, me.party.slot)), "answered": answered,
            "threshold": disclosure.threshold(round_)}
