"""The /accord slash command: split the text and route to the subcommand's listener."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.deps import Deps, answer_errors
from bot.listeners import charter, checkins, disputes, ideas, plan, promises, report, reviews, wins
from bot.listeners.requests import Request, Route
from bot.payloads import command_actor, split_command
from bot.views.help import help_message
from bot.views.reminders import reminder_scheduled
from commands.help import get_help
from commands.reminders import schedule_reminder
from commands.rmp import access


def reader_help(request: Request, *, unknown: str | None = None, slash: bool = True) -> dict[str, Any]:
    """The help for the request's person: the subcommands they may use, as `/accord …` (`slash`) or as mentions."""
    with request.deps.reading() as db:
        reader = access.standing(db, request.actor)
    return help_message(get_help(unknown=unknown, reader=reader, slash=slash))


def _help(request: Request) -> dict[str, Any]:
    return reader_help(request)


def _remind(request: Request) -> dict[str, Any]:
    with request.deps.one_write() as db:
        result = schedule_reminder(db, actor=request.actor, text=request.rest, now=request.deps.clock())
    return reminder_scheduled(result)


ROUTES: Mapping[str, Route] = {"help": _help, "remind": _remind, **plan.ROUTES, **checkins.ROUTES,
                               **disputes.ROUTES, **reviews.ROUTES, **wins.ROUTES, **charter.ROUTES,
                               **ideas.ROUTES, **promises.ROUTES, **report.ROUTES}


def register(app: App, deps: Deps) -> None:
    """Listen for /accord."""

    @app.command("/accord")
    def accord(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        name, rest = split_command(body.get("text"))
        route = ROUTES.get(name)
        request = Request(deps, command_actor(body), rest, body.get("trigger_id", ""), client)
        if route is None:
            ack(answer_errors(lambda: reader_help(request, unknown=name)))
            return
        answer = answer_errors(lambda: route(request))
        ack(answer) if answer else ack()  # a modal opened: nothing to say
