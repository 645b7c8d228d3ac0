"""Reminder messages: the confirmation and the reminder itself."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import context, escape, section
from commands.reminders import ReminderScheduled


def _when(result: ReminderScheduled) -> str:
    return result.due_at.strftime("%a %d %b %Y %H:%M UTC")


def reminder_scheduled(result: ReminderScheduled) -> dict[str, Any]:
    """The ephemeral confirmation of a scheduled reminder."""
    text = f"I will remind this channel on {_when(result)}: {escape(result.text)}"
    return {"response_type": "ephemeral", "text": text}


def reminder(data: dict[str, Any]) -> dict[str, Any]:
    """The reminder as posted to the channel."""
    body = escape(data["text"])
    return {
        "text": f"Reminder: {body}",
        "blocks": [section(f":alarm_clock: *Reminder:* {body}"), context(f"Set by <@{data['by']}>")],
    }
