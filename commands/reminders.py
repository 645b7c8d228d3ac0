"""Reminders: `/accord remind <when> <text>` posts a message to the channel when it is due."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from commands import outbox, work
from commands.actor import Actor
from commands.errors import InputError
from storage.models import WorkItem

KIND = "reminder.post"
MAX_TEXT = 2000
MAX_AHEAD = timedelta(days=366)
_RELATIVE = re.compile(r"^in\s+(\d{1,4})\s*(m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)(?:\s+(.*))?$", re.I | re.S)
_ABSOLUTE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}))?(?:\s+(.*))?$", re.S)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
USAGE = "Usage: `/accord remind in 3d Send the revised plan` or `/accord remind 2026-12-01 09:00 Review`."


@dataclass(frozen=True)
class ReminderScheduled:
    """A reminder accepted: when it will post, and what it will say."""

    due_at: datetime
    text: str


def parse_when(text: str, *, now: datetime) -> tuple[datetime, str]:
    """Split `in 3d rest` or `YYYY-MM-DD [HH:MM] rest` into a due time (UTC) and the rest."""
    text = text.strip()
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit, rest = relative.groups()
        return now + timedelta(**{_UNITS[unit[0].lower()]: int(amount)}), rest or ""
    absolute = _ABSOLUTE.match(text)
    if absolute:
        day, clock, rest = absolute.groups()
        try:
            due = datetime.fromisoformat(f"{day}T{clock or '09:00'}").replace(tzinfo=UTC)
        except ValueError:
            raise InputError(f"`{day} {clock or ''}`".strip() + " is not a real date and time. " + USAGE,
                             field="when") from None
        return due, rest or ""
    raise InputError("I could not read when to remind. " + USAGE, field="when")


def schedule_reminder(db: Session, *, actor: Actor, text: str, now: datetime) -> ReminderScheduled:
    """Schedule a reminder in the actor's channel."""
    if actor.channel_id is None:
        raise InputError("Reminders are posted to a channel: run this in one.", field="channel")
    due_at, message = parse_when(text, now=now)
    message = message.strip()
    if not message:
        raise InputError("What should the reminder say? " + USAGE, field="text")
    if len(message) > MAX_TEXT:
        raise InputError(f"A reminder holds at most {MAX_TEXT} characters; this one has {len(message)}.",
                         field="text")
    if due_at <= now:
        raise InputError("That time has passed: pick a time in the future.", field="when")
    if due_at - now > MAX_AHEAD:
        raise InputError("Reminders can be set up to a year ahead.", field="when")
    work.schedule_new(
        # a key unique by chance, as a uuid4's, but drawn without a system call (uuid4 reads os.urandom,
        # which gives up the GIL: under load the request then waited its turn to get it back)
        db, kind=KIND, key=f"reminder:{random.getrandbits(128):032x}", due_at=due_at, now=now,
        payload={"channel": actor.channel_id, "text": message, "by": actor.user_id},
    )
    return ReminderScheduled(due_at=due_at, text=message)


def post_reminder(db: Session, item: WorkItem, now: datetime) -> None:
    """Due-work handler: queue the reminder's message to its channel."""
    payload = item.payload
    outbox.post_message(
        db, key=f"work:{item.id}:reminder", channel=payload["channel"], view="reminder",
        data={"text": payload["text"], "by": payload["by"]}, now=now,
    )
