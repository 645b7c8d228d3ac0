"""Events: @accord mentions, handled once per event id whatever Slack retries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.distribution import InstallationStore
from bot.ids import Act
from bot.listeners.openers import open_any_form
from bot.listeners.requests import NeedsForm, Request, button_actor_or_tell, button_request
from bot.listeners.slash import ROUTES
from bot.payloads import deactivated_user, mention
from bot.views.blocks import section
from bot.views.help import help_message, unknown_mention
from bot.views.rmp import actions_block, button
from commands.actor import Actor
from commands.events import first_delivery
from commands.help import HelpResult, get_help
from commands.rmp import access, leaving

log = logging.getLogger(__name__)


# every /accord subcommand but help works as a mention too, answered to the person (only they see it)
ANSWERED = tuple(name for name in ROUTES if name != "help")
# answered with a button that opens the form (events carry no trigger id to open it with)
FORMS = ("setup", "objective", "kpi", "risk", "action", "exit", "checkin", "dispute", "value", "idea")


def receiving_team(body: dict[str, Any]) -> str | None:
    """The workspace whose installation of Accord receives an event or an interaction."""
    team = body.get("team")
    return body.get("team_id") or (team.get("id") if isinstance(team, dict) else team) or None


def has_slash_command(deps: Deps, actor: Actor, body: dict[str, Any]) -> bool:
    """Whether the actor's own workspace has `/accord` (Slack looks slash commands up there): it is the workspace
    whose installation receives the payload, or (OAuth distribution) one where Accord is installed too."""
    if actor.team_id and actor.team_id == receiving_team(body):
        return True
    if not deps.settings.distributed or not deps.settings.client_id or not actor.team_id:
        return False
    return InstallationStore(deps.settings.client_id, deps.engine).latest_bot(actor.team_id) is not None


def reader_help(deps: Deps, actor: Actor, *, slash: bool, unknown: str | None = None) -> HelpResult:
    """The help for `actor`: the subcommands they may use, as `/accord …` or (no slash command) `@accord …`."""
    with deps.reading() as db:
        reader = access.standing(db, actor)
    return get_help(unknown=unknown, reader=reader, slash=slash)


def _offered(run: Callable[[], dict[str, Any]], form_button: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run the command as a mention (no trigger to open a form with): what it says, or, when it would open a form,
    the button that opens it. A form the person may not use is refused here, with the words the form would say."""

    def attempt() -> dict[str, Any]:
        try:
            return run()
        except NeedsForm:
            return form_button()

    return answer_errors(attempt)


def answer_mention(deps: Deps, actor: Actor, name: str, rest: str, thread_ts: str | None = None) -> None:
    """`@accord status`, `@accord action done 3` and the like answered ephemerally; `@accord kpi` and any other
    command that needs a form with a button that opens it (mentions carry no trigger to open one with), offered
    only to people the form would take: the form is checked first as if it were opened."""
    request = Request(deps, actor, rest, "", None)
    if name in FORMS and not rest.strip():
        value: dict[str, Any] = {"channel": actor.channel_id, "form": name}
        if name == "dispute" and thread_ts:  # raised on the thread the mention is in
            value.update(evidence_channel=actor.channel_id, evidence_ts=thread_ts)
        message = _offered(lambda: open_any_form(request, value),
                           lambda: _form_button(actor, name, Act.OPEN_FORM, value))
    else:
        more = {"channel": actor.channel_id, "command": name, "rest": rest}  # button() shortens rest to fit
        message = _offered(lambda: ROUTES[name](request), lambda: _form_button(actor, name, Act.CONTINUE, more))
    deps.tell(actor, in_mentions(message))


def in_mentions(message: Any) -> Any:
    """An answer to a mention as it should read: every `/accord …` it names becomes `@accord …`, which works for
    everyone, the partner's people whose workspace has no slash command included (texts only: button values are
    left as they are)."""
    if isinstance(message, dict):
        return {key: (value.replace("`/accord", "`@accord") if key == "text" and isinstance(value, str)
                      else in_mentions(value)) for key, value in message.items()}
    if isinstance(message, list):
        return [in_mentions(item) for item in message]
    return message


def _form_button(actor: Actor, name: str, action_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"text": f"Open the {name} form", "blocks": [
        section(f"<@{actor.user_id}>, here is the {name} form:"),
        actions_block([button(f"Open the {name} form", action_id, value, style="primary")]),
    ]}


def _answer_help(deps: Deps, actor: Actor, name: str, slash: bool) -> None:
    """`@accord help`: the reader's help; `@accord <not a command>`: a "did you mean" and the Help button. Both
    only to the person."""
    unknown = None if name == "help" else name
    result = reader_help(deps, actor, slash=slash, unknown=unknown)
    message = help_message(result) if unknown is None else unknown_mention(result, actor.channel_id or "")
    message.pop("response_type", None)
    deps.tell(actor, message)


def register(app: App, deps: Deps) -> None:
    """Listen for app_mention (and acknowledge the message events Accord does not use)."""

    @app.event("app_mention")
    def on_mention(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        said = mention(body)
        actor, name, rest, event_id = said.actor, said.name, said.rest, said.event_id
        with deps.unit_of_work() as db:
            first = first_delivery(db, event_id=event_id, now=deps.clock())
        if not first:
            log.info("event %s already handled; Slack retry ignored", event_id)
        elif name in ANSWERED or name in FORMS:
            answer_mention(deps, actor, name, rest, said.thread_ts)
        else:
            _answer_help(deps, actor, name, has_slash_command(deps, actor, body))

    @app.action(Act.CONTINUE.value)
    def continue_command(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        actor, value = button_actor_or_tell(deps, body)
        route = ROUTES.get(str(value.get("command")))
        if actor is None or route is None:
            return
        if value.get("command") == "help":  # the Help button
            _answer_help(deps, actor, "help", has_slash_command(deps, actor, body))
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
