"""The partnership charter in Slack: `/accord charter [edit]`, `@accord charter`, its Edit button and its form."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Callback
from bot.listeners.requests import Request, Route, open_modal
from bot.listeners.submissions import Save, form_listener, proposed
from bot.views import charter as views
from bot.views.rmp import saved
from commands.actor import Actor
from commands.errors import InputError
from commands.rmp import charter


def _charter(request: Request) -> dict[str, Any]:
    """`/accord charter` shows it; `/accord charter edit` opens its form (SERs and managers)."""
    words = request.rest.split()
    if words == ["edit"]:
        return open_charter_form(request, {})
    if words:
        raise InputError("Usage: `/accord charter` to read the partnership charter, `/accord charter edit` to "
                         "change it (SERs and managers; the other party approves).")
    with request.deps.reading() as db:
        shown = charter.show_charter(db, actor=request.actor)
    return views.charter_message(shown)


def open_charter_form(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    """The "Edit charter" button: the form, for SERs and managers."""
    with request.deps.reading() as db:
        form = charter.current(db, actor=request.actor)
    return open_modal(request, views.charter_modal(form, channel=request.actor.channel_id or ""))


def _save(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    form = charter.CharterInput(mission=str(values.get("mission") or ""), values=str(values.get("values") or ""),
                                behaviours=str(values.get("behaviours") or ""),
                                use_as_statements=views.USE_AS_STATEMENTS in (values.get("use_as_statements") or []))
    with deps.unit_of_work() as db:
        result = charter.save_charter(db, actor=actor, form=form, now=deps.clock())
        number = result.proposal.number if result.proposal else None
    if number is not None:
        return proposed(number)
    return "The partnership charter is saved." if result.changed else "Nothing changed."


ROUTES: dict[str, Route] = {"charter": _charter}
SAVES: dict[str, Save] = {Callback.CHARTER.value: _save}


def register(app: App, deps: Deps) -> None:
    """Listen for the charter form (its button opens through listeners.openers)."""
    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
