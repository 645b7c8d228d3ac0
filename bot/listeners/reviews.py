"""Reviews in Slack: `/accord review now`, `/accord reviews [N]`, `/accord value`, the sign-off button."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Act, Callback
from bot.listeners.requests import Request, Route, button_listener, open_modal
from bot.listeners.submissions import Save, form_listener
from bot.views import reviews as views
from bot.views.blocks import possessive
from bot.views.rmp import saved
from commands.actor import Actor
from commands.errors import InputError
from commands.numbers import whole_number
from commands.reviews import records, runs, values


def _review(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        review = runs.review_now(db, actor=request.actor, text=request.rest, now=request.deps.clock())
        number = review.number
    return saved(f"Review #{number} is posted to the channel; each party's SER signs it off there.")


def _reviews(request: Request) -> dict[str, Any]:
    words = request.rest.replace("#", " ").split()
    number = whole_number(words[0]) if len(words) == 1 else None
    if words and number is None:
        raise InputError("Usage: `/accord reviews` lists the reviews, `/accord reviews 3` shows review #3.")
    with request.deps.reading() as db:
        if number is not None:
            return views.review_record(records.show_review(db, actor=request.actor, number=number))
        return views.review_list(records.list_reviews(db, actor=request.actor))


def open_value_form(request: Request) -> dict[str, Any]:
    """`/accord value` and the form button naming "value": the form for a cost or a benefit."""
    if request.rest.strip():
        raise InputError("Usage: `/accord value` opens the form for a cost or a benefit.")
    with request.deps.reading() as db:
        form = values.value_form(db, actor=request.actor, now=request.deps.clock())
    return open_modal(request, views.value_modal(form.parties, form.my_slot, channel=request.actor.channel_id or "",
                                                 today=form.today))


def _sign(request: Request, number: int) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        record = records.sign_off(db, actor=request.actor, number=number, now=request.deps.clock())
        waiting = record.awaiting
    rest = f" Awaiting {possessive(waiting[0])} SER." if waiting else " It is signed off by both parties."
    return saved(f"You signed review #{number} off.{rest}")


def _save_value(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    form = values.ValueInput(**{name: str(fields.get(name, "")) for name in (
        "party_slot", "kind", "amount", "description", "on")})
    with deps.unit_of_work() as db:
        return values.recorded(db, values.record_value(db, actor=actor, form=form, now=deps.clock()))


ROUTES: dict[str, Route] = {"review": _review, "reviews": _reviews, "value": open_value_form}
SAVES: dict[str, Save] = {Callback.REVIEW_VALUE.value: _save_value}


def register(app: App, deps: Deps) -> None:
    """Listen for the sign-off button and the value form (its button opens through listeners.openers)."""

    app.action(Act.REVIEW_SIGN.value)(button_listener(
        deps, lambda request, value: _sign(request, int(value.get("number") or 0))))

    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
