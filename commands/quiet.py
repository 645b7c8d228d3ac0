"""Quiet hours: nothing addressed to a person reaches them outside their working hours.

A direct message waits for the start of its person's working hours. A channel message that asks people to
act is posted when it falls due, mentioning those in their hours; each of the others is mentioned by a reply
in its thread when their hours start. The outbox checks again as it sends (`hold_until`), so a message held
up (a Slack outage, a stopped sender) still does not arrive at night; and any other channel post names the
people outside their hours instead of mentioning them (`unmentioned`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from commands import outgoing
from commands.calendar import PartyCalendar
from commands.rmp.calendars import people_hours
from storage.models import CANCELLED, PENDING, OutboxMessage
from storage.rmp import Person, Relationship
from storage.utc import as_utc

ROUNDS = 60  # people whose hours never meet: give up aligning them after this many steps


def next_allowed(hours: dict[str, PartyCalendar], users: list[str], at: datetime) -> datetime:
    """The first moment from `at` when each of `users` who has working hours is inside them."""
    cursor = as_utc(at)
    for _ in range(ROUNDS):
        latest = max((as_utc(hours[user].next_working_moment(cursor)) for user in users if user in hours),
                     default=cursor)
        if latest == cursor:
            return cursor
        cursor = latest
    return cursor


def spec(relationship_id: int, users: list[str]) -> dict[str, Any]:
    """What the outbox keeps with a message to check the people's hours again as it sends."""
    return {"relationship": relationship_id, "users": sorted(set(users))}


def hold_until(db: Session, data: dict[str, Any], now: datetime) -> datetime | None:
    """For the sender: None when everyone the message addresses is in their hours at `now`, else when to try."""
    quiet = data.get("quiet")
    if not quiet:
        return None
    users = list(quiet["users"])
    allowed = next_allowed(people_hours(db, int(quiet["relationship"]), users), users, now)
    return None if allowed <= as_utc(now) else allowed


def when_each(db: Session, relationship_id: int, users: list[str], at: datetime) -> dict[datetime, list[str]]:
    """`users` grouped by when each may be addressed from `at` (`at` itself for those in their hours)."""
    hours = people_hours(db, relationship_id, users)
    groups: dict[datetime, list[str]] = {}
    for user in dict.fromkeys(users):
        groups.setdefault(next_allowed(hours, [user], at), []).append(user)
    return groups


MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def unmentioned(db: Session, channel: str, text: str, at: datetime) -> dict[str, str]:
    """For a channel post about to be sent: the people it mentions who are outside their working hours at
    `at`, each with the name to show instead of a mention (which would notify them)."""
    users = sorted(set(MENTION.findall(text)))
    if not users:
        return {}
    relationship = db.exec(select(Relationship.id).where(Relationship.channel_id == channel)).first()
    if relationship is None:
        return {}
    hours = people_hours(db, relationship, users)
    outside = [user for user in users if user in hours and next_allowed(hours, [user], at) > as_utc(at)]
    if not outside:
        return {}
    names = dict(db.exec(select(Person.user_id, Person.name).where(Person.relationship_id == relationship,
                                                                  col(Person.user_id).in_(outside))).all())
    return {user: names.get(user) or "a colleague" for user in outside}


def withdraw_mentions(db: Session, key_prefix: str) -> None:
    """Cancel the mentions still waiting for working hours under `key_prefix` (what they asked for is decided,
    or a newer message asks again)."""
    db.exec(update(OutboxMessage).where(
        col(OutboxMessage.status) == PENDING, col(OutboxMessage.view) == "mention_later",
        col(OutboxMessage.idempotency_key).like(f"{key_prefix}%"),
    ).values(status=CANCELLED))


def direct_messages(db: Session, relationship_id: int, messages: list[outgoing.DirectMessage], *,
                    now: datetime, at: datetime | None = None) -> None:
    """Queue direct messages, each held until its person's working hours from `at` (default `now`)."""
    users = [message.user for message in messages]
    hours = people_hours(db, relationship_id, users)
    start = as_utc(at or now)
    outgoing.direct_messages(db, [
        outgoing.DirectMessage(m.key, m.user, m.fallback_channel, m.view, {**m.data, "quiet": spec(relationship_id,
                                                                                                [m.user])},
                             not_before=next_allowed(hours, [m.user], start))
        for m in messages], now=now)


def addressed_post(
    db: Session, *, relationship_id: int, key: str, channel: str, view: str, data: dict[str, Any],
    users: list[str], about: str, now: datetime, thread_of: str | None = None, mention_field: str = "mention",
) -> None:
    """Post `view` now, mentioning (in `data[mention_field]`) those of `users` in their working hours; mention
    each of the others when their hours start, by a reply saying `about` in the post's thread (or in
    `thread_of`, the thread the post itself is in)."""
    groups = when_each(db, relationship_id, users, now)
    at_once = groups.pop(as_utc(now), [])
    outgoing.post_message(db, key=key, channel=channel, view=view, data={**data, mention_field: at_once},
                        thread_of=thread_of, now=now)
    for at, group in sorted(groups.items()):
        outgoing.post_message(db, key=f"{key}:later:{at.isoformat()}", channel=channel, thread_of=thread_of or key,
                            view="mention_later", now=now, not_before=at,
                            data={"users": group, "about": about, "quiet": spec(relationship_id, group)})
