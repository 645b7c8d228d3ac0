"""Wins: a success either party records when it happens, posted to the channel and counted in the next review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from commands import outgoing
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.rmp import access, items
from storage import limits
from storage.rmp import Win

LIMIT = limits.DETAIL  # characters of a win (the column's size)
EMPTY = "Say what the win was, for example `/accord win The first joint bid went in on time`. Nothing was recorded."


@dataclass(frozen=True)
class Recorded:
    """A win just recorded: its number, and the party it is of."""

    number: int
    party: str
    text: str


def clean_text(value: str | None) -> str:
    """The win's text, trimmed; InputError (field `text`) when empty or longer than LIMIT."""
    clean = (value or "").replace("\x00", "").strip()  # PostgreSQL cannot store a NUL
    if not clean:
        raise InputError(EMPTY, field="text")
    if len(clean) > LIMIT:
        raise InputError(f"A win holds at most {LIMIT} characters (this has {len(clean)}): shorten it. "
                         "Nothing was recorded.", field="text")
    return clean


def check_can_record(db: Session, *, actor: Actor) -> access.Member:
    """The actor, if they may record a win (anyone in the relationship but observers)."""
    me = access.member(db, actor)
    _not_observer(me)
    return me


def _not_observer(me: access.Member) -> None:
    if me.role not in access.ACTORS:
        raise Refused("Observers follow the relationship but do not record wins: ask a member of your party.")


def record_win(db: Session, *, actor: Actor, text: str, now: datetime) -> Recorded:
    """Record a win of the actor's party and post it to the shared channel (via the outbox)."""
    clean = clean_text(text)  # bad input changes nothing, whoever asks
    me = access.member(db, actor, lock=True)
    _not_observer(me)
    rid = me.relationship.id or 0
    win = Win(relationship_id=rid, number=items.next_number(db, Win, rid), party_slot=me.party.slot,
              user_id=actor.user_id, text=clean, created_at=now)
    db.add(win)
    db.flush()
    outgoing.post_message(db, key=f"rel:{rid}:win:{win.number}", channel=me.relationship.channel_id, view="win",
                        data={"number": win.number, "party": me.party.name, "user": actor.user_id, "text": clean,
                              "channel": me.relationship.channel_id},
                        now=now)
    return Recorded(win.number, me.party.name, clean)
