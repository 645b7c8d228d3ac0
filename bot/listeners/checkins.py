"""Check-ins in Slack: `/accord checkin` and `/accord away`, the buttons of prompts and of a round's message,
the answer, away and settings forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlmodel import select

from bot.deps import Deps
from bot.ids import Act, Callback, CheckinAct
from bot.listeners.requests import Request, Route, button_listener, open_modal
from bot.listeners.submissions import Save, form_listener, proposed
from bot.views import checkins as views
from bot.views import rounds
from bot.views.rmp import saved
from commands.actor import Actor
from commands.checkins import answers, choices, comments, settings
from commands.errors import InputError
from storage.checkins import Prompt


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


def _away(request: Request) -> dict[str, Any]:
    if not request.rest.strip():
        raise InputError("Usage: `/accord away until 2027-01-15` (no check-in prompts until then), or "
                         "`/accord away off`.")
    return saved(_set_away(request.deps, request.actor, request.rest))


def _set_away(deps: Deps, actor: Actor, until: str) -> str:
    with deps.unit_of_work() as db:
        away = choices.set_away(db, actor=actor, until=until, now=deps.clock())
    if away.until is None:
        return "Welcome back: check-in rounds ask you again."
    return f"You are away until {away.until:%a %d %b %Y}: no check-in prompts until then, and the rounds you " \
           "miss do not count against participation. `/accord away off` when you are back."


def _save_away(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    return _set_away(deps, actor, str(values.get("until") or ""))


def _save_answer(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    ratings = {key.removeprefix("stmt_"): value for key, value in values.items() if key.startswith("stmt_")}
    kpi_values = {key.removeprefix("kpi_"): value for key, value in values.items() if key.startswith("kpi_")}
    with deps.unit_of_work() as db:
        answer, edited = answers.submit_answer(db, actor=actor, round_id=int(meta.get("round") or 0),
                                               ratings=ratings, kpi_values=kpi_values,
                                               comment=values.get("comment", ""), now=deps.clock(),
                                               share_comment="share" in (values.get("share") or []))
        round_ = db.get(answers.Round, answer.round_id)
        round_number = round_.number if round_ is not None else "?"
    verb = "updated" if edited else "recorded"
    return f"Thank you: your check-in for round {round_number} is {verb}. You can change it until the round closes."


def _save_settings(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    form = settings.SettingsInput(**{name: str(values.get(name, "")) for name in (
        "statements", "scale", "window_days", "min_respondents", "gap_threshold", "reminders", "retention_months")})
    with deps.unit_of_work() as db:
        saved = settings.save_settings(db, actor=actor, form=form, now=deps.clock())
        number = saved.proposal.number if saved.proposal else None
    if number is not None:
        return proposed(number)
    return "Check-in settings saved; they apply from the next round." if saved.changed else "Nothing changed."


def _skip(request: Request, round_id: int | None) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        round_ = choices.skip(db, actor=request.actor, round_id=round_id, now=request.deps.clock())
        number = round_.number
    return saved(f"You skipped round {number}: no reminder will come, and it does not count against "
                 "participation. You can still answer until it closes.")


def _remind_tomorrow(request: Request, round_id: int | None) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        at = choices.remind_tomorrow(db, actor=request.actor, round_id=round_id, now=request.deps.clock())
        prompt_tz = db.exec(select(Prompt.tz).where(Prompt.round_id == round_id,
                                                    Prompt.user_id == request.actor.user_id)).first()
    tz = ZoneInfo(prompt_tz or "UTC")
    return saved(f"I will remind you on {at.astimezone(tz):%a %d %b at %H:%M} ({tz.key}).")


def _away_form(request: Request, round_id: int | None) -> dict[str, Any]:
    today = request.deps.clock().date().isoformat()
    return open_modal(request, views.away_modal(channel=request.actor.channel_id or "", today=today))


def _comments(request: Request, round_id: int | None) -> dict[str, Any]:
    with request.deps.reading() as db:
        data = comments.for_lead(db, actor=request.actor, round_id=round_id or 0)
    return {"response_type": "ephemeral", **rounds.comments(data)}


SAVES: dict[str, Save] = {Callback.CHECKIN_ANSWER.value: _save_answer,
                          Callback.CHECKIN_SETTINGS.value: _save_settings,
                          Callback.CHECKIN_AWAY.value: _save_away}
ROUTES: dict[str, Route] = {"checkin": _checkin, "away": _away}
BUTTONS: dict[str, Callable[[Request, int | None], dict[str, Any]]] = {
    Act.CHECKIN_OPEN.value: open_answer_form, CheckinAct.SKIP.value: _skip,
    CheckinAct.REMIND_TOMORROW.value: _remind_tomorrow, CheckinAct.AWAY.value: _away_form,
    CheckinAct.COMMENTS.value: _comments}


def _button(deps: Deps, handle: Callable[[Request, int | None], dict[str, Any]]) -> Callable[..., None]:
    """A listener for a button on a prompt or a round's message (its value names the round): the answer goes to
    the clicker only."""
    return button_listener(deps, lambda request, value: handle(request, int(value.get("round") or 0) or None))


def register(app: App, deps: Deps) -> None:
    """Listen for the prompt's button and the check-in forms."""
    for action_id, handle in BUTTONS.items():
        app.action(action_id)(_button(deps, handle))

    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
