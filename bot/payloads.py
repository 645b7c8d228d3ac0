"""Reading Slack payloads: small pure functions from request bodies to typed input."""

from __future__ import annotations

import re
from typing import Any

from commands.actor import Actor

_MENTION = re.compile(r"^\s*(<@[A-Z0-9]+(\|[^>]*)?>\s*)+")


def split_command(text: str | None) -> tuple[str, str]:
    """`"remind in 3d Hello"` -> `("remind", "in 3d Hello")`; empty text means help."""
    parts = (text or "").replace("\x00", "").strip().split(maxsplit=1)  # no database stores a NUL
    if not parts:
        return "help", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""


def strip_mentions(text: str | None) -> str:
    """Drop the leading `<@U…>` mentions from an app_mention's text."""
    return _MENTION.sub("", text or "").strip()


def command_actor(body: dict[str, Any]) -> Actor:
    """The actor of a slash command: commands run in the user's own workspace, so team_id is theirs."""
    return Actor(user_id=body["user_id"], team_id=body.get("team_id", ""), channel_id=body.get("channel_id"))


def event_actor(body: dict[str, Any]) -> Actor:
    """The actor of an event: the user's own team (`user_team`), falling back to the event's team."""
    event = body.get("event", {})
    team = event.get("user_team") or event.get("team") or body.get("team_id", "")
    return Actor(user_id=event.get("user", ""), team_id=team, channel_id=event.get("channel"))
