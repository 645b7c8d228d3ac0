"""Reminder messages: the confirmation and the reminder itself."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import context, escape, section
from commands.calendar import zone
from commands.reminders import ReminderScheduled


def _when(result: ReminderScheduled) -> str:
    """The due time in the timezone it was read in: `Tue 05 Jan 2027 09:00 Europe/Paris`."""
    return f"{result.due_at.astimezone(zone(result.tz)):%a %d %b %Y %H:%M} {result.tz}"


def reminder_scheduled(result: ReminderScheduled) -> dict[str, Any]:
    """The ephemeral confirmation of a scheduled reminder, saying which timezone its time was read in."""
    text = (f"I will remind this channel on {_when(result)}: {escape(result.text)}\n"
            f"_Times you type are read in {result.tz} ({escape(result.tz_source)})._")
    return {"response_type": "ephemeral", "text": text}


def reminder(data: dict[str, Any]) -> dict[str, Any]:
    """The reminder as posted to the channel."""
    body = escape(data["text"])
    return {
        "text": f"Reminder: {body}",
        "blocks": [section(f":alarm_clock: *Reminder:* {body}"), context(f"Set by <@{data['by']}>")],
    }
