"""Wins in Slack: `/accord win <text>`, `@accord win <text>`, and the "Record a win" button's form."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Callback
from bot.listeners.requests import Request, Route, open_modal
from bot.listeners.submissions import Save, form_listener
from bot.views import wins as views
from bot.views.rmp import saved
from commands.actor import Actor
from commands.rmp import wins


def _win(request: Request) -> dict[str, Any]:
    """`/accord win <text>` (or `@accord win <text>`): recorded at once; no text is a mistake, said once."""
    with request.deps.unit_of_work() as db:
        win = wins.record_win(db, actor=request.actor, text=request.rest, now=request.deps.clock())
    return saved(views.recorded(win.number, win.party))


def open_win_form(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    """The "Record a win" button: the form, for anyone who may record one."""
    with request.deps.reading() as db:
        me = wins.check_can_record(db, actor=request.actor)
        party = me.party.name
    return open_modal(request, views.win_modal(channel=request.actor.channel_id or "", party=party))


def _save_win(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    with deps.unit_of_work() as db:
        win = wins.record_win(db, actor=actor, text=str(fields.get("text") or ""), now=deps.clock())
    return views.recorded(win.number, win.party)


ROUTES: dict[str, Route] = {"win": _win}
SAVES: dict[str, Save] = {Callback.WIN.value: _save_win}


def register(app: App, deps: Deps) -> None:
    """Listen for the win form (its button opens through listeners.openers)."""
    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
