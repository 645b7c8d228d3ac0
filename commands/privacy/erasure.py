"""`accord erase --user U… [--channel C…]`: a person's personal data removed from every relationship (or one).

In each relationship they are in: their check-in answers and comments are deleted; their name becomes
`Former participant N` (`Person.erased_at` set, and Slack's later updates no longer rename them); in the history
their Slack id, as who made a change and wherever a change names them, becomes a stable pseudonym
(`ERASED<N>`, named `Former participant N` in every sentence; see pseudonyms.py). What rounds already
published (`Result`) stays.

The live plan keeps their Slack id (their person row, the actions and risks they own, their check-in prompts)
so the relationship goes on working while they are in it; what they do after the erasure is recorded as usual.
The erasure itself is recorded in the history with counts only. Running it again changes nothing more."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands.errors import InputError
from commands.privacy.pseudonyms import former_name, stand_in_of
from commands.rmp import audit
from commands.rmp.sentences import ACCORD
from storage.checkins import Answer, Round
from storage.rmp import Change, Person, Relationship

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass
class Erased:
    """What one relationship's erasure did."""

    relationship: str
    channel_id: str
    name: str  # the pseudonymous name
    answers: int = 0
    comments: int = 0
    history: int = 0  # history rows that named them
    already: bool = False  # erased before: nothing new to do


@dataclass
class ErasureReport:
    """The erasure of one person, per relationship."""

    user_id: str
    relationships: list[Erased] = field(default_factory=list)


def checked_user(user_id: str) -> str:
    """A Slack user id as typed (`U0123ABC`); InputError otherwise."""
    clean = (user_id or "").strip()
    if not SLACK_USER.match(clean):
        raise InputError(f"`{clean[:40]}` is not a Slack user id like U0123ABCD.", field="user")
    return clean


def people_of(db: Session, user_id: str, channel_id: str | None) -> list[tuple[Person, Relationship]]:
    """The person rows of `user_id` (in `channel_id`'s relationship only, when given), with their relationship;
    InputError when there are none."""
    query = select(Person, Relationship).where(Person.relationship_id == Relationship.id, Person.user_id == user_id)
    if channel_id:
        query = query.where(Relationship.channel_id == channel_id)
    found = [(person, relationship) for person, relationship in db.exec(query.order_by(col(Relationship.id)))]
    if not found:
        where = f" in the relationship of channel {channel_id}" if channel_id else " in any relationship"
        raise InputError(f"No person {user_id}{where}: nothing was changed.", field="user")
    return found


def erase_user(db: Session, *, user_id: str, channel_id: str | None = None, now: datetime) -> ErasureReport:
    """Erase the personal data of `user_id` (see the module's docstring); idempotent."""
    user_id = checked_user(user_id)
    report = ErasureReport(user_id)
    for person, relationship in people_of(db, user_id, channel_id):
        report.relationships.append(_erase(db, person, relationship, now=now))
    return report


def _erase(db: Session, person: Person, relationship: Relationship, *, now: datetime) -> Erased:
    first = person.erased_at is None
    erased = list(db.exec(select(Person).where(Person.relationship_id == relationship.id,
                                               col(Person.erased_at).is_not(None))))
    if first:
        person.name, person.erased_at, person.tz = former_name(len(erased) + 1), now, None
        db.add(person)
        erased.append(person)
    stand_in = stand_in_of(erased, person)
    done = Erased(relationship.name, relationship.channel_id, person.name or "", already=not first)
    answers = list(db.exec(select(Answer).where(Answer.user_id == person.user_id, col(Answer.round_id).in_(
        select(Round.id).where(Round.relationship_id == relationship.id)))))
    done.answers, done.comments = len(answers), sum(1 for a in answers if a.comment.strip())
    for answer in answers:
        db.delete(answer)
    for change in db.exec(select(Change).where(Change.relationship_id == relationship.id)):
        if _pseudonymise(change, person.user_id, stand_in):
            db.add(change)
            done.history += 1
    db.flush()
    if first or done.answers or done.history:
        done.already = False
        audit.record(db, relationship, by=None, user_id=ACCORD, entity="person", entity_id=None, verb="erased",
                     before=None, after={"user_id": stand_in, "answers": done.answers, "comments": done.comments},
                     now=now)
    return done


def _pseudonymise(change: Change, user_id: str, stand_in: str) -> bool:
    """Replace `user_id` by `stand_in` in the change (who made it, and any value or mention naming them)."""
    touched = False
    if change.user_id == user_id:
        change.user_id, touched = stand_in, True
    for name in ("before", "after"):
        value = getattr(change, name)
        replaced = _replaced(value, user_id, stand_in)
        if replaced != value:
            setattr(change, name, replaced)
            touched = True
    return touched


def _replaced(value: Any, user_id: str, stand_in: str) -> Any:
    """`value` with every string equal to `user_id`, or mentioning it (`<@U…>`), naming `stand_in` instead."""
    if isinstance(value, str):
        return stand_in if value == user_id else value.replace(f"<@{user_id}", f"<@{stand_in}")
    if isinstance(value, dict):
        return {key: _replaced(item, user_id, stand_in) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, user_id, stand_in) for item in value]
    return value
