"""Reviews in Slack: `/accord review now`, `/accord reviews [N]`, `/accord value`; the review message's buttons
(sign-off, expectations, lessons) are in listeners.review_minutes."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Callback
from bot.listeners import review_minutes
from bot.listeners.requests import Request, Route, open_modal
from bot.listeners.submissions import Save, form_listener
from bot.views import reviews as views
from bot.views.rmp import saved
from commands.actor import Actor
from commands.errors import InputError
from commands.numbers import whole_number
from commands.reviews import records, runs, values


def _review(request: Request) -> dict[str, Any]:
    if (minutes_answer := review_minutes.route(request)) is not None:
        return minutes_answer
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


def _save_value(deps: Deps, actor: Actor, fields: dict[str, Any], meta: dict[str, Any]) -> str:
    form = values.ValueInput(**{name: str(fields.get(name, "")) for name in (
        "party_slot", "kind", "amount", "description", "on")})
    with deps.unit_of_work() as db:
        return values.recorded(db, values.record_value(db, actor=actor, form=form, now=deps.clock()))


ROUTES: dict[str, Route] = {"review": _review, "reviews": _reviews, "value": open_value_form}
SAVES: dict[str, Save] = {Callback.REVIEW_VALUE.value: _save_value}


def register(app: App, deps: Deps) -> None:
    """Listen for the value form (its button opens through listeners.openers), and the review message's
    buttons and forms (listeners.review_minutes)."""
    review_minutes.register(app, deps)

    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
