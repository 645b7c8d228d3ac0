"""What listeners share: the Request a subcommand or button becomes, opening a modal within the ack's budget,
and a button's listener (the clicker told when the button is refused)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps, answer_errors
from bot.payloads import button_actor, clicker
from bot.slack_client import NoTimeLeft
from commands.actor import Actor
from commands.errors import InputError, Refused

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


Route = Callable[[Request], dict[str, Any]]
"""A slash subcommand (or a mention of it): the request -> the answer ({} when a modal opened)."""
ButtonHandler = Callable[[Request, dict[str, Any]], dict[str, Any]]
"""A button: the request and the button's value -> the answer to tell the clicker."""


def open_modal(request: Request, view: dict[str, Any]) -> dict[str, Any]:
    """Open `view` with the request's trigger id (a Slack call that must happen within 3 s): {} when it opened,
    else what to tell the person.

    The call goes through the request's RequestPathClient (bot.app.BudgetSlackCalls): once, no retries, over
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


def button_actor_or_tell(deps: Deps, body: dict[str, Any]) -> tuple[Actor | None, dict[str, Any]]:
    """The clicker and the button's value; (None, {}) after telling them when the button is refused."""
    try:
        return button_actor(body)
    except Refused as exc:
        deps.tell(clicker(body), {"text": exc.message})
        return None, {}


def button_request(deps: Deps, body: dict[str, Any], actor: Actor, client: WebClient | None,
                   rest: str = "") -> Request:
    """The Request of a click (or any interaction carrying a trigger id to open a modal with)."""
    return Request(deps, actor, rest, body.get("trigger_id") or "", client)


def button_listener(deps: Deps, handler: ButtonHandler) -> Callable[..., None]:
    """A block_actions listener: ack, read the clicker and the button's value, run `handler`, and tell the
    clicker its answer when it has text (a modal that opened says nothing)."""

    def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, value = button_actor_or_tell(deps, body)
        if actor is None:
            return
        request = button_request(deps, body, actor, client)
        answer = answer_errors(lambda: handler(request, value))
        if answer.get("text"):
            deps.tell(actor, answer)

    return listener
