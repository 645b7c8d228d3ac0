"""Events: @accord mentions, handled once per event id whatever Slack retries."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.ids import Act
from bot.listeners.requests import NeedsForm, Request, button_actor_or_tell, button_request
from bot.listeners.slash import ROUTES
from bot.payloads import deactivated_user, mention
from bot.views.blocks import section
from bot.views.rmp import actions_block, button
from commands import outgoing
from commands.actor import Actor
from commands.events import first_delivery
from commands.rmp import leaving

log = logging.getLogger(__name__)


# every /accord subcommand but help works as a mention too, answered to the person (only they see it)
ANSWERED = tuple(name for name in ROUTES if name != "help")
# answered with a button that opens the form (events carry no trigger id to open it with)
FORMS = ("setup", "objective", "kpi", "risk", "action", "exit", "checkin", "dispute", "value")


def answer_mention(deps: Deps, actor: Actor, name: str, rest: str, thread_ts: str | None = None) -> None:
    """`@accord status`, `@accord action done 3` and the like answered ephemerally; `@accord kpi` and any other
    command that needs a form with a button that opens it (mentions carry no trigger to open one with)."""
    if name in FORMS and not rest.strip():
        value: dict[str, Any] = {"channel": actor.channel_id, "form": name}
        if name == "dispute" and thread_ts:  # raised on the thread the mention is in
            value.update(evidence_channel=actor.channel_id, evidence_ts=thread_ts)
        message = _form_button(actor, name, Act.OPEN_FORM, value)
    else:
        request = Request(deps, actor, rest, "", None)

        def run() -> dict[str, Any]:
            try:
                return ROUTES[name](request)
            except NeedsForm:
                value = {"channel": actor.channel_id, "command": name, "rest": rest}  # button() shortens rest to fit
                return _form_button(actor, name, Act.CONTINUE, value)

        message = answer_errors(run)
    deps.tell(actor, message)


def _form_button(actor: Actor, name: str, action_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"text": f"Open the {name} form", "blocks": [
        section(f"<@{actor.user_id}>, here is the {name} form:"),
        actions_block([button(f"Open the {name} form", action_id, value, style="primary")]),
    ]}


def register(app: App, deps: Deps) -> None:
    """Listen for app_mention (and acknowledge the message events Accord does not use)."""

    @app.event("app_mention")
    def on_mention(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        said = mention(body)
        actor, name, rest, event_id = said.actor, said.name, said.rest, said.event_id
        answered = name in ANSWERED or name in FORMS
        with deps.unit_of_work() as db:
            first = first_delivery(db, event_id=event_id, now=deps.clock())
            if first and not answered:
                outgoing.post_message(
                    db, key=f"event:{event_id}:reply", channel=actor.channel_id or "", view="mention_help",
                    data={"user": actor.user_id, "asked": name},
                    thread_ts=said.thread_ts, now=deps.clock(),
                )
        if not first:
            log.info("event %s already handled; Slack retry ignored", event_id)
        elif answered:
            answer_mention(deps, actor, name, rest, said.thread_ts)

    @app.action(Act.CONTINUE.value)
    def continue_command(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        actor, value = button_actor_or_tell(deps, body)
        route = ROUTES.get(str(value.get("command")))
        if actor is None or route is None or value.get("command") == "help":
            return
        request = button_request(deps, body, actor, client, rest=str(value.get("rest") or ""))
        answer = answer_errors(lambda: route(request))
        if answer.get("text"):
            deps.tell(actor, answer)

    @app.event("message")
    def ignore_messages(ack: Ack) -> None:
        ack()

    @app.event("user_change")
    def user_changed(ack: Ack, body: dict[str, Any]) -> None:
        """A user deactivated in Slack (`deleted: true`) goes from their relationships, as "deactivated"."""
        ack()
        user = deactivated_user(body)
        if user:
            with deps.unit_of_work() as db:
                leaving.deactivated(db, user_id=user, now=deps.clock())
