"""Notices about other messages: a deferred mention, and the day's digest of plan changes."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from bot.views.blocks import context, escape, sections
from bot.views.rmp import change_line


def mention_later(data: dict[str, Any]) -> dict[str, Any]:
    """In a thread, when the people's working hours start: what above is theirs to act on."""
    mentions = " ".join(f"<@{user}>" for user in data["users"])
    return {"text": f"{mentions} {data['about']}"}


def plan_digest(data: dict[str, Any]) -> dict[str, Any]:
    """Today's plan changes, one post a day updated in place."""
    changes = [change_line(SimpleNamespace(**{**entry, "at": datetime.fromisoformat(entry["at"])}))
               for entry in data["changes"]]
    count = data["count"]
    title = f":spiral_note_pad: *{escape(data['relationship'])}*: {count} plan change{'s' if count != 1 else ''} " \
            f"on {data['day']}"
    blocks = sections([title, *changes])
    if count > len(changes):
        blocks.append(context(f"…and {count - len(changes)} earlier today: `/accord history` lists them all."))
    return {"text": f"{count} plan change{'s' if count != 1 else ''} on {data['day']}", "blocks": blocks}
