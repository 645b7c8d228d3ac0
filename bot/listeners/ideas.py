"""The improvement log in Slack: `/accord idea <text>`, `@accord idea <text>`, `/accord ideas`, the "Log an idea"
button, the message shortcut "Log as improvement", and the buttons on an idea's message (Agree, Start, Done, Set
our benefit, Drop), which the partner's people use without /accord."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.ids import SHORTCUT_IDEA, Callback, IdeaAct
from bot.listeners.requests import Request, Route, button_listener, button_request, open_modal
from bot.listeners.submissions import Save, form_listener
from bot.payloads import message_shortcut
from bot.views import ideas as views
from bot.views.rmp import saved
from commands.actor import Actor
from commands.rmp import ideas


def open_idea_form(request: Request, value: dict[str, Any], *, title: str = "",
                   source_ts: str | None = None) -> dict[str, Any]:
    """The idea form (the "Log an idea" button, `/accord idea` alone, the shortcut prefilled with the message)."""
    with request.deps.reading() as db:
        me = ideas.check_can_raise(db, actor=request.actor)
        party = me.party.name
    return open_modal(request, views.idea_modal(channel=request.actor.channel_id or "", party=party,
                                                owner=request.actor.user_id, title=title, source_ts=source_ts))


def _idea(request: Request) -> dict[str, Any]:
    """`/accord idea <text>` (or `@accord idea <text>`): logged at once; alone, it opens the form."""
    if not request.rest.strip():
        return open_idea_form(request, {})
    with request.deps.unit_of_work() as db:
        idea = ideas.raise_idea(db, actor=request.actor, title=request.rest, now=request.deps.clock())
    return saved(views.done(idea.number, idea.status))


def _ideas(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:
        listed, total = ideas.list_ideas(db, actor=request.actor)
    return views.idea_list(listed, total)


ROUTES: dict[str, Route] = {"idea": _idea, "ideas": _ideas}


def _save_idea(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    with deps.unit_of_work() as db:
        idea = ideas.raise_idea(db, actor=actor, title=str(fields.get("title") or ""), now=deps.clock(),
                                owner=str(fields.get("owner") or "") or None, benefit=str(fields.get("benefit") or ""),
                                source_ts=meta.get("source_ts") or None)
    return views.done(idea.number, idea.status)


def _save_drop(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    with deps.unit_of_work() as db:
        idea = ideas.drop(db, actor=actor, number=int(meta.get("number") or 0), reason=str(fields.get("reason") or ""),
                          now=deps.clock())
    return views.done(idea.number, idea.status)


def _save_benefit(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    number = int(meta.get("number") or 0)
    with deps.unit_of_work() as db:
        ideas.set_benefit(db, actor=actor, number=number, text=str(fields.get("benefit") or ""), now=deps.clock())
    return f"Your party's benefit of idea #{number} is saved: its message in the channel shows it."


SAVES: dict[str, Save] = {Callback.IDEA.value: _save_idea, Callback.IDEA_DROP.value: _save_drop,
                          Callback.IDEA_BENEFIT.value: _save_benefit}

Move = Callable[..., ideas.Done]
MOVES: dict[IdeaAct, Move] = {IdeaAct.AGREE: ideas.agree, IdeaAct.START: ideas.start, IdeaAct.DONE: ideas.finish}


def _move(move: Move) -> Callable[[Request, dict[str, Any]], dict[str, Any]]:
    def handler(request: Request, value: dict[str, Any]) -> dict[str, Any]:
        with request.deps.unit_of_work() as db:
            idea = move(db, actor=request.actor, number=int(value.get("number") or 0), now=request.deps.clock())
        return saved(views.done(idea.number, idea.status))

    return handler


def _open_drop(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    number = int(value.get("number") or 0)
    with request.deps.reading() as db:
        ideas.check_can_drop(db, actor=request.actor, number=number)
    return open_modal(request, views.drop_modal(channel=request.actor.channel_id or "", number=number))


def _open_benefit(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    with request.deps.reading() as db:
        idea, party, benefit = ideas.benefit_of(db, actor=request.actor, number=int(value.get("number") or 0))
        number, title = idea.number, idea.title
    return open_modal(request, views.benefit_modal(channel=request.actor.channel_id or "", number=number,
                                                   title=title, party=party, benefit=benefit))


def register(app: App, deps: Deps) -> None:
    """Listen for the idea buttons, the message shortcut and the forms (the "Log an idea" button opens through
    listeners.openers)."""
    for act, move in MOVES.items():
        app.action(act.value)(button_listener(deps, _move(move)))
    app.action(IdeaAct.DROP.value)(button_listener(deps, _open_drop))
    app.action(IdeaAct.BENEFIT.value)(button_listener(deps, _open_benefit))

    @app.shortcut(SHORTCUT_IDEA)
    def from_message(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        shortcut = message_shortcut(body)
        message = body.get("message") if isinstance(body.get("message"), dict) else {}
        request = button_request(deps, body, shortcut.actor, client)
        reply = answer_errors(lambda: open_idea_form(request, {}, title=str((message or {}).get("text") or ""),
                                                     source_ts=shortcut.ts or None))
        if reply.get("text"):
            deps.tell(shortcut.actor, reply)

    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
