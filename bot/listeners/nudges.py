"""The nudge's own button: Snooze 2 days (its Done and Cannot complete are the plan's action buttons)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.ids import Act
from bot.listeners.requests import button_actor_or_tell
from bot.views.rmp import saved
from commands.rmp import actions


def register(app: App, deps: Deps) -> None:
    """Listen for Snooze 2 days."""

    @app.action(Act.ACTION_SNOOZE.value)
    def snooze(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        actor, value = button_actor_or_tell(deps, body)
        if actor is None:
            return

        def run() -> dict[str, Any]:
            number = int(value.get("number") or 0)
            with deps.unit_of_work() as db:
                until = actions.snooze_action(db, actor=actor, number=number, now=deps.clock())
            return saved(f"Snoozed action #{number}: no reminder about it before {until:%a %d %b}.")

        answer = answer_errors(run)
        if answer.get("text"):
            deps.tell(actor, answer)
