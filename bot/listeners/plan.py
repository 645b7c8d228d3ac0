"""The plan's slash subcommands and buttons: translate, call one use case, render."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps, answer_errors
from bot.ids import Act
from bot.payloads import interaction_actor, where_clicked
from bot.slack_client import NoTimeLeft
from bot.views import forms as form_views
from bot.views import leaving as leaving_views
from bot.views import rmp as views
from commands import outbox
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.numbers import whole_number
from commands.rmp import actions, editing, exits, history, leaving, people, setup, status

log = logging.getLogger(__name__)

SLACK_DID_NOT_OPEN = "Slack did not open the form (it may be having trouble). Please try again."
SLACK_BUSY = "Slack is busy and did not open the form. Please try again in a moment."
# Slack may still act on a views.open it did not answer in time: say so rather than that the form is not open
SLACK_TOO_SLOW = "Slack did not answer in time, so the form may not have opened. If it did not, please try again."
FORM_TOO_LATE = "The form could not open in time (Slack allows 3 seconds). Please try again."


class NeedsForm(InputError):
    """The request would open a form, and Slack gave no trigger to open it with (a mention, say)."""


@dataclass(frozen=True)
class Request:
    """One slash subcommand or button: who, where, the rest of the text, and how to open a modal."""

    deps: Deps
    actor: Actor
    rest: str
    trigger_id: str
    client: WebClient | None


def open_modal(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    """Open `view` with the request's trigger id (a Slack call that must happen within 3 s): {} when it opened,
    else what to tell the person.

    The call goes through the request's RequestPathClient (bot.app.budget_slack_calls): once, no retries, over
    within the request's budget whatever Slack does, so the ack still comes in time.
    """
    if request.client is None or not request.trigger_id:
        raise NeedsForm("Forms open from a button or a slash command: mention `@accord` with the form's name.")
    text = ""
    try:
        request.client.views_open(trigger_id=request.trigger_id, view=view)
    except SlackApiError as exc:
        text = _not_opened(exc)
    except NoTimeLeft:
        log.warning("views.open not called: no time left before the ack")
        text = FORM_TOO_LATE
    except (TimeoutError, URLError) as exc:  # URLError: the connection timed out, or failed
        timed_out = isinstance(exc, TimeoutError) or isinstance(exc.reason, TimeoutError)
        log.warning("views.open failed: %s", "no answer in time" if timed_out else type(exc).__name__)
        text = SLACK_TOO_SLOW if timed_out else SLACK_DID_NOT_OPEN
    except OSError as exc:
        log.warning("views.open failed: %s", type(exc).__name__)
        text = SLACK_DID_NOT_OPEN
    return {"response_type": "ephemeral", "text": text} if text else {}


def _not_opened(exc: SlackApiError) -> str:
    """What to tell the person when Slack answered views.open with an error ("" for nothing)."""
    error, status = str(exc.response.get("error") or ""), exc.response.status_code
    if error == "exchanged_trigger_id":  # the trigger was used already: the form it opened is open
        log.info("views.open: trigger already exchanged; the form is open")
        return ""
    log.warning("views.open failed: %s (HTTP %s)", error or "no error code", status)
    if error == "expired_trigger_id":
        return FORM_TOO_LATE
    if status == 429 or error == "ratelimited":
        return SLACK_BUSY
    return SLACK_DID_NOT_OPEN


NOT_INVITED = ("Accord is not in this channel yet, so it could not post the plan here. Type `/invite @accord`, "
               "then set up again.")


def _not_invited(request: Request) -> bool:
    """Whether Slack says Accord is not a member of the request's channel (asked within the request's budget;
    when Slack does not answer in time, the setup goes on and the welcome post says the rest)."""
    if request.client is None or not request.actor.channel_id:
        return False
    try:
        info = request.client.conversations_info(channel=request.actor.channel_id)
    except SlackApiError as exc:
        return exc.response.get("error") in ("channel_not_found", "not_in_channel")
    except OSError:  # TimeoutError, NoTimeLeft, URLError: no answer in time
        return False
    return not bool((info.get("channel") or {}).get("is_member", True))


def _setup(request: Request) -> dict[str, Any]:
    if _not_invited(request):  # before anything is recorded
        raise Refused(NOT_INVITED)
    with request.deps.reading() as db:
        form = setup.current_form(db, request.actor)
    return open_modal(request, form_views.setup_modal(form, channel=request.actor.channel_id or ""))


def _join(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        joined = people.join(db, actor=request.actor, now=request.deps.clock())
    verb = "You are already in" if joined.already else "You joined"
    return views.saved(f"{verb} *{joined.party}* as {people.ROLE_NAMES[joined.role]}.")


def _people(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:
        return views.people_message(people.list_people(db, actor=request.actor))


def _role(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        user, role = people.set_role(db, actor=request.actor, text_args=request.rest, now=request.deps.clock())
    return views.saved(f"<@{user}> is now {people.ROLE_NAMES[role]}.")


def _party(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        user, party, role = people.add_to_party(db, actor=request.actor, text_args=request.rest,
                                                now=request.deps.clock())
    return views.saved(f"<@{user}> is in *{party}* as {people.ROLE_NAMES[role]}.")


def _leave(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:  # checked here, done by the button
        check = leaving.check_leave(db, actor=request.actor, text_args=request.rest)
    return leaving_views.confirm_leave(check, channel=request.actor.channel_id or "")


def _leave_confirmed(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    successor = str(value.get("successor") or "")
    with request.deps.unit_of_work() as db:
        gone = leaving.leave(db, actor=request.actor, text_args=f"<@{successor}>" if successor else "",
                             now=request.deps.clock())
    return leaving_views.gone_message(gone, self_=True)


def _remove(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        gone = leaving.remove(db, actor=request.actor, text_args=request.rest, now=request.deps.clock())
    return leaving_views.gone_message(gone, self_=gone.user_id == request.actor.user_id)


def _status(request: Request) -> dict[str, Any]:
    public = request.rest.strip().lower() == "public"
    if request.rest.strip() and not public:
        raise InputError("Usage: `/accord status` (only you see it) or `/accord status public`.")
    with request.deps.unit_of_work() as db:
        current = status.relationship_status(db, actor=request.actor, now=request.deps.clock())
        message = views.status_message(current, public=public)
        if public:
            outbox.post_message(db, key=f"status:{uuid.uuid4().hex}", channel=current.channel_id, view="raw",
                                data={"text": message["text"], "blocks": message["blocks"]}, now=request.deps.clock())
    return views.saved("Posted the status to the channel.") if public else message


def _history(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:
        return views.history_message(history.latest_changes(db, actor=request.actor))


def form_number(rest: str, name: str) -> int | None:
    """`""`/`add` → None (a new item); `3`/`edit 3`/`#3` → 3."""
    words = rest.replace("#", " ").split()
    if not words or words == ["add"]:
        return None
    if words[0] == "edit":
        words = words[1:]
    if len(words) == 1 and (number := whole_number(words[0])) is not None:
        return number
    raise InputError(f"Usage: `/accord {name}` to add one, `/accord {name} edit 3` to edit #3.")


def plan_form(request: Request, name: str, number: int | None) -> dict[str, Any]:
    """Open the add or edit form `name` (editors only)."""
    with request.deps.reading() as db:
        context = editing.open_form(db, actor=request.actor, name=name, number=number)
        view = form_views.plan_modal(name, context, channel=request.actor.channel_id or "", number=number)
    return open_modal(request, view)


def _form_route(name: str) -> Callable[[Request], dict[str, Any]]:
    def route(request: Request) -> dict[str, Any]:
        return plan_form(request, name, form_number(request.rest, name))

    return route


def _action(request: Request) -> dict[str, Any]:
    words = request.rest.replace("#", " ").split()
    if len(words) == 2 and words[0] in ("done", "cannot") and (number := whole_number(words[1])) is not None:
        if words[0] == "done":
            return mark_done(request, number)
        return ask_cannot_complete(request, number)
    return plan_form(request, "action", form_number(request.rest, "action"))


def mark_done(request: Request, number: int) -> dict[str, Any]:
    """Mark action `number` done."""
    with request.deps.unit_of_work() as db:
        action = actions.complete_action(db, actor=request.actor, number=number, now=request.deps.clock())
        if action.status != actions.DONE:  # the other party asked: the owner's party confirms
            return views.saved(f"Asked <@{action.owner_user_id}> to confirm action #{number} is done: only their "
                               f"party marks it done. {action.description}")
    return views.saved(f"Action #{number} is done: {action.description}")


def ask_cannot_complete(request: Request, number: int) -> dict[str, Any]:
    """Open the cannot-complete form for action `number`."""
    with request.deps.reading() as db:
        action = actions.updatable(db, actor=request.actor, number=number)
    return open_modal(request, form_views.cannot_complete_modal(number, action.description,
                                                                channel=request.actor.channel_id or ""))


def _exit(request: Request) -> dict[str, Any]:
    if request.rest.strip().lower() == "reviewed":
        with request.deps.unit_of_work() as db:
            day = exits.mark_reviewed(db, actor=request.actor, now=request.deps.clock())
        return views.saved(f"The exit strategy is recorded as reviewed on {day.isoformat()}.")
    return plan_form(request, "exit", form_number(request.rest, "exit"))


ROUTES: dict[str, Callable[[Request], dict[str, Any]]] = {
    "setup": _setup, "join": _join, "people": _people, "role": _role, "party": _party, "status": _status,
    "leave": _leave, "remove": _remove,
    "history": _history, "objective": _form_route("objective"), "kpi": _form_route("kpi"),
    "risk": _form_route("risk"), "action": _action, "exit": _exit,
}


# -- buttons -------------------------------------------------------------------------------------


def button_actor(body: dict[str, Any]) -> tuple[Actor, dict[str, Any]]:
    """The clicker (their own team) and the button's value; the channel comes from the value."""
    action = (body.get("actions") or [{}])[0]
    try:
        value = json.loads(action.get("value") or "{}")
    except ValueError:
        value = {}
    channel = value.get("channel") if isinstance(value, dict) else None
    body_channel = (body.get("channel") or {}).get("id")
    # a button in the shared channel must name that channel; one in a DM (D…) names the relationship's
    if body_channel and channel and body_channel != channel and not body_channel.startswith("D"):
        raise Refused("This button belongs to another channel's relationship.")
    actor = interaction_actor(body, channel or body_channel)
    return actor, value if isinstance(value, dict) else {}


def button_actor_or_tell(deps: Deps, body: dict[str, Any]) -> tuple[Actor | None, dict[str, Any]]:
    """The clicker and the button's value; (None, {}) after telling them when the button is refused."""
    try:
        return button_actor(body)
    except Refused as exc:
        _tell_in_body(deps, body, exc.message)
        return None, {}


# forms that are not plan items, opened by the form button too: name -> opener (filled by other modules)
EXTRA_OPENERS: dict[str, Callable[[Request, dict[str, Any]], dict[str, Any]]] = {
    "setup": lambda request, value: _setup(request),
}


def _open_any_form(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    name = str(value.get("form"))
    opener = EXTRA_OPENERS.get(name)
    return opener(request, value) if opener else plan_form(request, name, value.get("number"))


def register(app: App, deps: Deps) -> None:
    """Listen for the plan's buttons (the slash subcommands are routed by listeners.slash)."""

    def on_button(handler: Callable[[Request, dict[str, Any]], dict[str, Any]]) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            actor, value = button_actor_or_tell(deps, body)
            if actor is None:
                return
            request = Request(deps, actor, "", body.get("trigger_id", ""), client)
            answer = answer_errors(lambda: handler(request, value))
            if answer.get("text"):
                deps.tell(actor, answer)

        return listener

    app.action(Act.JOIN.value)(on_button(lambda request, value: _join(request)))
    app.action(Act.LEAVE.value)(on_button(_leave_confirmed))
    app.action(Act.STATUS.value)(on_button(lambda request, value: _status(request)))
    # a row of form buttons needs an action id each: rmp.open_form:kpi, rmp.open_form:risk…
    app.action(re.compile(rf"^{re.escape(Act.OPEN_FORM.value)}(:[a-z_]+)?$"))(on_button(_open_any_form))
    app.action(Act.ACTION_DONE.value)(on_button(lambda request, value: mark_done(request, int(value["number"]))))
    app.action(Act.ACTION_CANNOT.value)(on_button(
        lambda request, value: ask_cannot_complete(request, int(value["number"]))))


def _tell_in_body(deps: Deps, body: dict[str, Any], text: str) -> None:
    user = body.get("user", {})
    channel = (body.get("channel") or {}).get("id")
    deps.tell(Actor(user.get("id", ""), user.get("team_id", ""), channel, **where_clicked(body, channel)),
              {"text": text})
