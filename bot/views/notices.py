"""Notices about other messages: a deferred mention, and the day's digest of plan changes."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

from bot.views.blocks import context, escape, sections
from bot.views.rmp import change_line
from commands.rmp import sentences


def mention_later(data: dict[str, Any]) -> dict[str, Any]:
    """In a thread, when the people's working hours start: what above is theirs to act on."""
    mentions = " ".join(f"<@{user}>" for user in data["users"])
    return {"text": f"{mentions} {data['about']}"}


def plan_digest(data: dict[str, Any]) -> dict[str, Any]:
    """Today's plan changes, one post a day updated in place."""
    changes = [change_line(entry["version"], datetime.fromisoformat(entry["at"]), _text(entry),
                           timezone=data.get("timezone", "UTC")) for entry in data["changes"]]
    count = data["count"]
    title = f":spiral_note_pad: *{escape(data['relationship'])}*: {count} plan change{'s' if count != 1 else ''} " \
            f"on {data['day']}"
    blocks = sections([title, *changes])
    if count > len(changes):
        blocks.append(context(f"…and {count - len(changes)} earlier today: `/accord history` lists them all."))
    return {"text": f"{count} plan change{'s' if count != 1 else ''} on {data['day']}", "blocks": blocks}


def _text(entry: dict[str, Any]) -> str:
    """The change in words; a digest queued before the words were (its raw change) is said without names."""
    if "text" in entry:
        return str(entry["text"])
    change = SimpleNamespace(**{**entry, "at": datetime.fromisoformat(entry["at"])})
    return sentences.sentence(change, sentences.Names())
