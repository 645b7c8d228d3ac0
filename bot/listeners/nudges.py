"""The nudge's own button: Snooze 2 days (its Done and Cannot complete are the plan's action buttons)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Act
from bot.listeners.requests import Request, button_listener
from bot.views.rmp import saved
from commands.rmp import actions


def _snooze(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    number = int(value.get("number") or 0)
    with request.deps.unit_of_work() as db:
        until = actions.snooze_action(db, actor=request.actor, number=number, now=request.deps.clock())
    return saved(f"Snoozed action #{number}: no reminder about it before {until:%a %d %b}.")


def register(app: App, deps: Deps) -> None:
    """Listen for Snooze 2 days."""
    app.action(Act.ACTION_SNOOZE.value)(button_listener(deps, _snooze))
