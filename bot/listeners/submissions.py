"""Modal submissions: bad input is shown inline (`response_action: errors`) and nothing is saved."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App

from bot.deps import SORRY, Deps
from bot.ids import Callback
from bot.payloads import submission_actor, view_metadata
from bot.views import rmp as views
from bot.views.inputs import submitted_values
from commands.actor import Actor
from commands.errors import GENERAL, InputError, Refused
from commands.numbers import whole_number
from commands.rmp import actions, editing, setup
from commands.wording import DEFAULT_CURRENCY
from storage.rmp import Proposal

log = logging.getLogger(__name__)

Save = Callable[[Deps, Actor, dict[str, Any], dict[str, Any]], str]
MAX_ERROR = 300  # characters of the message shown under one input block


def _errors(view: dict[str, Any], errors: Mapping[str, str]) -> dict[str, Any]:
    """Slack's `errors` answer showing every message under its field's input block. Slack shows errors under
    input blocks only: a message for a field the form lacks (or for none) joins the first input block's."""
    inputs = [block["block_id"] for block in view.get("blocks", []) if block.get("type") == "input"]
    first = inputs[0] if inputs else "name"
    shown: dict[str, list[str]] = {}
    for field, message in errors.items():
        shown.setdefault(field if field in inputs else first, []).append(message)
    return {"response_action": "errors",
            "errors": {key: " ".join(messages)[:MAX_ERROR] for key, messages in shown.items()}}


def _calendar(values: dict[str, Any], slot: int) -> setup.CalendarInput:
    return setup.CalendarInput(
        timezone=values.get(f"timezone_{slot}", ""),
        working_days=tuple(day for day in (whole_number(str(d)) for d in values.get(f"working_days_{slot}") or [])
                           if day is not None),
        working_hours=values.get(f"working_hours_{slot}", ""), holidays=values.get(f"holidays_{slot}", ""),
        holiday_region=values.get(f"holiday_region_{slot}", ""))


def _save_setup(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    form = setup.SetupInput(
        name=values.get("name", ""), party_1=values.get("party_1", ""), party_2=values.get("party_2", ""),
        mode=values.get("mode", ""), timezone=values.get("timezone", ""),
        currency=values.get("currency", DEFAULT_CURRENCY),
        checkin_cadence=values.get("checkin_cadence", ""), review_cadence=values.get("review_cadence", ""),
        ladder=values.get("ladder", ""), calendars=(_calendar(values, 1), _calendar(values, 2)),
    )
    with deps.unit_of_work() as db:
        result = setup.configure(db, actor=actor, form=form, now=deps.clock())
        name, version, proposal = result.relationship.name, result.relationship.version, result.proposal
        number = proposal.number if proposal else None
    if result.created:
        return f"*{name}* is set up (plan version {version})."
    if number is not None:
        return proposed(number)
    return f"*{name}* is updated (plan version {version})." if result.changed else "Nothing changed."


def proposed(number: int) -> str:
    """The confirmation of a change that waits for the partner."""
    return (f"Proposed as #{number}: it is posted in the channel and takes effect when the other party "
            "approves it.")


def _save_plan_form(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    name, number = str(meta.get("form")), meta.get("number")
    with deps.unit_of_work() as db:
        item: Any = editing.save_form(db, actor=actor, name=name, values=values, number=number, now=deps.clock())
        if isinstance(item, Proposal):
            return proposed(item.number)
        label = editing.form_kind(name).label
        title = getattr(item, "name", None) or getattr(item, "title", None) or getattr(item, "description", "")
    return f"Saved {label} #{item.number}: {title}"


def _save_cannot_complete(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    number = int(meta.get("number") or 0)
    with deps.unit_of_work() as db:
        actions.cannot_complete_action(db, actor=actor, number=number, reason=values.get("reason", ""),
                                       now=deps.clock())
    return f"Action #{number} is recorded as cannot complete; the partner's managers are told in the channel."


SAVES: dict[str, Save] = {
    Callback.SETUP.value: _save_setup,
    Callback.PLAN_FORM.value: _save_plan_form,
    Callback.CANNOT_COMPLETE.value: _save_cannot_complete,
}


def form_listener(
    deps: Deps, save: Save, *, confirm: Callable[[str], dict[str, Any]] = views.saved
) -> Callable[..., None]:
    """A view_submission listener: bad input inline (nothing saved), else close and confirm privately."""

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        actor = submission_actor(body)
        try:
            confirmation = save(deps, actor, submitted_values(view), view_metadata(view))
        except InputError as exc:
            ack(_errors(view, exc.errors))
            return
        except Refused as exc:
            ack(_errors(view, {GENERAL: exc.message}))
            return
        except Exception:
            log.exception("form %s failed", view.get("callback_id"))
            ack(_errors(view, {GENERAL: SORRY}))
            return
        ack()
        deps.tell(actor, confirm(confirmation))

    return listener


def register(app: App, deps: Deps) -> None:
    """Listen for the plan's modal submissions."""
    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save))
