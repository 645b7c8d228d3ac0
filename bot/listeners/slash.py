"""The /accord slash command: split the text and route to the subcommand's listener."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.payloads import command_actor, split_command
from bot.views.help import help_message
from bot.views.reminders import reminder_scheduled
from commands.actor import Actor
from commands.help import get_help
from commands.reminders import schedule_reminder

Route = Callable[[Deps, Actor, str], dict[str, Any]]


def _help(deps: Deps, actor: Actor, rest: str) -> dict[str, Any]:
    return help_message(get_help())


def _remind(deps: Deps, actor: Actor, rest: str) -> dict[str, Any]:
    with deps.unit_of_work() as db:
        result = schedule_reminder(db, actor=actor, text=rest, now=deps.clock())
    return reminder_scheduled(result)


ROUTES: Mapping[str, Route] = {"help": _help, "remind": _remind}


def register(app: App, deps: Deps) -> None:
    """Listen for /accord."""

    @app.command("/accord")
    def accord(ack: Ack, body: dict[str, Any]) -> None:
        name, rest = split_command(body.get("text"))
        route = ROUTES.get(name)
        if route is None:
            ack(help_message(get_help(unknown=name)))
            return
        ack(answer_errors(lambda: route(deps, command_actor(body), rest)))
