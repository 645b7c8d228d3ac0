"""Promises in Slack: `/accord sla` (a service level's form, `remove N`), `/accord commit …` and its form,
`/accord commitments` with its Not honoured, Honoured and Withdraw buttons; each also as `@accord …`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Callback, CommitmentAct
from bot.listeners.plan import form_number, plan_form
from bot.listeners.requests import Request, Route, button_listener, open_modal
from bot.listeners.submissions import Save, form_listener, proposed
from bot.views import promises as views
from bot.views.rmp import saved
from commands.actor import Actor
from commands.errors import InputError
from commands.numbers import whole_number
from commands.rmp import access, commitments, service_levels
from storage.rmp import Proposal


def _sla(request: Request) -> dict[str, Any]:
    """`/accord sla` adds a service level, `edit N` changes one, `remove N` retires one (both with consent)."""
    words = request.rest.replace("#", " ").split()
    if len(words) == 2 and words[0] == "remove" and (number := whole_number(words[1])) is not None:
        with request.deps.unit_of_work() as db:
            result = service_levels.remove_service_level(db, actor=request.actor, number=number,
                                                         now=request.deps.clock())
            if isinstance(result, Proposal):
                return saved(proposed(result.number))
        return saved(f"Service level #{number} is removed.")
    return plan_form(request, "service_level", form_number(request.rest, "sla"))


def _commit(request: Request) -> dict[str, Any]:
    """`/accord commit <resource> <quantity> – <description>` records at once; bare, it opens the form."""
    if not request.rest.strip():
        return open_commit_form(request, {})
    form = commitments.parse(request.rest)
    with request.deps.unit_of_work() as db:
        commitment = commitments.record(db, actor=request.actor, form=form, now=request.deps.clock())
        party = access.member(db, request.actor).party.name
        return saved(views.recorded(commitment, party))


def _commitments(request: Request) -> dict[str, Any]:
    if request.rest.strip():
        raise InputError("Usage: `/accord commitments` lists both parties' resource commitments.")
    with request.deps.reading() as db:
        return views.commitments_message(commitments.listing(db, actor=request.actor))


def open_commit_form(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    """The "Commit a resource" button (or a bare `/accord commit`): the form, for SERs and managers."""
    with request.deps.reading() as db:
        party = access.editor(db, request.actor).party.name
    return open_modal(request, views.commit_modal(channel=request.actor.channel_id or "", party=party))


def _not_honoured_form(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    number = int(value["number"])
    with request.deps.reading() as db:
        by = access.editor(db, request.actor)
        commitment = commitments.find(db, by, number)
    return open_modal(request, views.not_honoured_modal(number, commitment.description,
                                                        channel=request.actor.channel_id or ""))


def _honoured(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    number = int(value["number"])
    with request.deps.unit_of_work() as db:
        commitments.mark_honoured(db, actor=request.actor, number=number, now=request.deps.clock())
    return saved(f"Commitment #{number} is honoured again.")


def _withdraw(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    number = int(value["number"])
    with request.deps.unit_of_work() as db:
        commitments.withdraw(db, actor=request.actor, number=number, now=request.deps.clock())
    return saved(f"Commitment #{number} is withdrawn.")


def _save_commit(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    form = commitments.CommitInput(str(fields.get("resource") or ""), str(fields.get("quantity") or ""),
                                   str(fields.get("description") or ""))
    with deps.unit_of_work() as db:
        commitment = commitments.record(db, actor=actor, form=form, now=deps.clock())
        party = access.member(db, actor).party.name
        return views.recorded(commitment, party)


def _save_not_honoured(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    number = int(meta.get("number") or 0)
    with deps.unit_of_work() as db:
        commitments.mark_not_honoured(db, actor=actor, number=number, reason=str(fields.get("reason") or ""),
                                      now=deps.clock())
    return f"Commitment #{number} is marked not honoured; the channel is told."


ROUTES: dict[str, Route] = {"sla": _sla, "commit": _commit, "commitments": _commitments}
SAVES: dict[str, Save] = {Callback.COMMIT.value: _save_commit, Callback.NOT_HONOURED.value: _save_not_honoured}


def register(app: App, deps: Deps) -> None:
    """Listen for the commitments' buttons and forms (the form button opens through listeners.openers)."""
    app.action(CommitmentAct.NOT_HONOURED.value)(button_listener(deps, _not_honoured_form))
    app.action(CommitmentAct.HONOURED.value)(button_listener(deps, _honoured))
    app.action(CommitmentAct.WITHDRAW.value)(button_listener(deps, _withdraw))
    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
