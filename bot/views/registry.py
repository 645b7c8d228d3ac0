"""Views by name: the outbox stores a view's name and data, the sender renders at send time."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.views import checkins, disputes, help, reminders, rmp

Rendered = dict[str, Any]

VIEWS: Mapping[str, Callable[[dict[str, Any]], Rendered]] = {
    "reminder": reminders.reminder,
    "mention_help": help.mention_help,
    "rmp_welcome": rmp.welcome,
    "action_cannot_complete": rmp.cannot_complete,
    "checkin_prompt": checkins.prompt,
    "checkin_summary": checkins.summary,
    "exit_warning": checkins.exit_warning,
    "dispute_root": disputes.root,
    "dispute_event": disputes.event,
    "dispute_linked": disputes.linked,
    "dispute_closed": disputes.closed,
    "raw": dict,  # already rendered by a listener (ephemeral answers, App Home views)
}


class UnknownView(LookupError):
    """The outbox names a view this version cannot render."""


def render(view: str, data: dict[str, Any]) -> Rendered:
    """Render the named view; raises UnknownView for a name not registered."""
    try:
        builder = VIEWS[view]
    except KeyError:
        raise UnknownView(f"unknown view {view!r}") from None
    return builder(data)
