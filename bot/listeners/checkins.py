"""Check-ins in Slack: `/accord checkin`, the prompt's button, the answer and settings forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App

from bot.deps import Deps, answer_errors
from bot.ids import Act, Callback
from bot.listeners import plan
from bot.listeners.forms import Save, form_listener, proposed
from bot.listeners.plan import Request, open_modal
from bot.views import checkins as views
from bot.views.rmp import saved
from commands.actor import Actor
from commands.checkins import answers, settings
from commands.errors import InputError


def open_answer_form(request: Request, round_id: int | None = None) -> dict[str, Any]:
    """Open the check-in form of the open round (or of `round_id`)."""
    with request.deps.reading() as db:
        form = answers.answer_form(db, actor=request.actor, round_id=round_id, now=request.deps.clock())
        view = views.answer_modal(form, channel=request.actor.channel_id or "")
    return open_modal(request, view)


def _checkin(request: Request) -> dict[str, Any]:
    words = request.rest.split()
    if words == ["settings"]:
        with request.deps.reading() as db:
            form = settings.current(db, actor=request.actor)
        return open_modal(request, views.settings_modal(form, channel=request.actor.channel_id or ""))
    if words:
        raise InputError("Usage: `/accord checkin` to answer the open round, `/accord checkin settings` to "
                         "change the statements, scale and window.")
    return open_answer_form(request)


def _save_answer(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    ratings = {key.removeprefix("stmt_"): value for key, value in values.items() if key.startswith("stmt_")}
    kpi_values = {key.removeprefix("kpi_"): value for key, value in values.items() if key.startswith("kpi_")}
    with deps.unit_of_work() as db:
        answer, edited = answers.submit_answer(db, actor=actor, round_id=int(meta.get("round") or 0),
                                               ratings=ratings, kpi_values=kpi_values,
                                               comment=values.get("comment", ""), now=deps.clock())
        round_number = db.get(answers.Round, answer.round_id).number  # type: ignore[union-attr]
    verb = "updated" if edited else "recorded"
    return f"Thank you: your check-in for round {round_number} is {verb}. You can change it until the round closes."


def _save_settings(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    form = settings.SettingsInput(**{name: str(values.get(name, "")) for name in (
        "statements", "scale", "window_days", "min_respondents", "gap_threshold", "reminders")})
    with deps.unit_of_work() as db:
        saved = settings.save_settings(db, actor=actor, form=form, now=deps.clock())
        number = saved.proposal.number if saved.proposal else None
    if number is not None:
        return proposed(number)
    return "Check-in settings saved; they apply from the next round." if saved.changed else "Nothing changed."


SAVES: dict[str, Save] = {Callback.CHECKIN_ANSWER.value: _save_answer,
                          Callback.CHECKIN_SETTINGS.value: _save_settings}
ROUTES: dict[str, Callable[[Request], dict[str, Any]]] = {"checkin": _checkin}


def register(app: App, deps: Deps) -> None:
    """Listen for the prompt's button and the check-in forms."""
    plan.EXTRA_OPENERS["checkin"] = lambda request, value: open_answer_form(request)

    @app.action(Act.CHECKIN_OPEN.value)
    def answer_button(ack: Ack, body: dict[str, Any], client: Any) -> None:
        ack()
        actor, value = plan.button_actor_or_tell(deps, body)
        if actor is None:
            return
        request = Request(deps, actor, "", body.get("trigger_id", ""), client)
        reply = answer_errors(lambda: open_answer_form(request, int(value.get("round") or 0) or None))
        if reply.get("text"):
            deps.tell(actor, reply)

    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
