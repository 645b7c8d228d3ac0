"""The review's minutes in Slack: the buttons "State our expectations", "Add a lesson" and "Sign off (SER)" on
the review's message, their forms, and `/accord review expectations [N]` and `/accord review lesson [N]`."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.deps import Deps
from bot.ids import Act, Callback
from bot.listeners.requests import Request, button_listener, open_modal
from bot.listeners.submissions import Save, form_listener
from bot.views import review_minutes as views
from bot.views.blocks import possessive
from bot.views.rmp import saved
from commands.actor import Actor
from commands.errors import InputError
from commands.numbers import whole_number
from commands.reviews import minutes, records

USAGE = ("Usage: `/accord review expectations [N]` states how far your party's expectations were met in review #N "
         "(the latest by default); `/accord review lesson [N]` records a lesson in it.")


def _number(value: Any) -> int | None:
    return whole_number(str(value).lstrip("#")) if value not in (None, "") else None


def open_expectations(request: Request, number: int | None) -> dict[str, Any]:
    """The expectations form of the actor's party for review `number` (the latest when None)."""
    with request.deps.reading() as db:
        form = minutes.expectations_form(db, actor=request.actor, number=number)
    return open_modal(request, views.expectations_modal(form, channel=request.actor.channel_id or "",
                                                        home=request.actor.on_home))


def open_lesson(request: Request, number: int | None) -> dict[str, Any]:
    """The lesson form for review `number` (the latest when None)."""
    with request.deps.reading() as db:
        found = minutes.lesson_form(db, actor=request.actor, number=number)
    return open_modal(request, views.lesson_modal(found, channel=request.actor.channel_id or "",
                                                  home=request.actor.on_home))


def _open_sign(request: Request, number: int) -> dict[str, Any]:
    channel = request.actor.channel_id or ""
    try:
        with request.deps.reading() as db:
            form = minutes.sign_form(db, actor=request.actor, number=number)
    except minutes.ExpectationsFirst as exc:
        return views.expectations_first(exc.message, channel=channel, number=exc.number)
    return open_modal(request, views.sign_modal(form, channel=channel, home=request.actor.on_home))


def route(request: Request) -> dict[str, Any] | None:
    """`/accord review expectations [N]` and `/accord review lesson [N]`; None for any other `review …`."""
    words = request.rest.replace("#", " ").split()
    if not words or words[0].lower() not in ("expectations", "lesson"):
        return None
    number = _number(words[1]) if len(words) == 2 else None
    if len(words) > 2 or (len(words) == 2 and number is None):
        raise InputError(USAGE)
    return (open_expectations if words[0].lower() == "expectations" else open_lesson)(request, number)


def _redraw_home(deps: Deps, actor: Actor, meta: dict[str, Any]) -> None:
    """A form opened from the App Home draws it again once saved: what was done leaves the to-do list."""
    if meta.get("home"):
        deps.refresh_home(actor.user_id)


def _save_expectations(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    number = int(meta.get("number") or 0)
    with deps.unit_of_work() as db:
        stated = minutes.state_expectations(db, actor=actor, number=number, score=str(values.get("score", "")),
                                            note=str(values.get("note", "")), now=deps.clock())
        score = stated.score
    _redraw_home(deps, actor, meta)
    return (f"Stated for review #{number}: expectations {minutes.SCORES[score]} ({score}/5). You can restate them "
            "until your SER signs the review off.")


def _save_lesson(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    number = int(meta.get("number") or 0)
    with deps.unit_of_work() as db:
        lesson = minutes.add_lesson(db, actor=actor, number=number, failure=str(values.get("failure", "")),
                                    reason=str(values.get("reason", "")),
                                    avoidance=str(values.get("avoidance", "")), now=deps.clock())
        recorded = lesson.number
    _redraw_home(deps, actor, meta)
    return f"Recorded lesson {recorded} in review #{number}; the review's message shows it."


def _save_sign(deps: Deps, actor: Actor, values: dict[str, Any], meta: dict[str, Any]) -> str:
    number = int(meta.get("number") or 0)
    ticked = values.get("reviewed") or []
    version = _number(meta.get("plan_version")) if minutes.PLAN in ticked else None
    with deps.unit_of_work() as db:
        record = records.sign_off(db, actor=actor, number=number, now=deps.clock(), plan_version=version,
                                  exit_reviewed=minutes.EXIT in ticked)
        waiting = record.awaiting
    _redraw_home(deps, actor, meta)
    rest = f" Awaiting {possessive(waiting[0])} SER." if waiting else " It is signed off by both parties."
    return f"You signed review #{number} off.{rest}"


SAVES: dict[str, Save] = {Callback.REVIEW_EXPECT.value: _save_expectations,
                          Callback.REVIEW_LESSON.value: _save_lesson, Callback.REVIEW_SIGN.value: _save_sign}


def register(app: App, deps: Deps) -> None:
    """Listen for the review message's buttons and their forms."""
    app.action(Act.REVIEW_SIGN.value)(button_listener(
        deps, lambda request, value: _open_sign(request, int(value.get("number") or 0))))
    app.action(Act.REVIEW_EXPECT.value)(button_listener(
        deps, lambda request, value: open_expectations(request, _number(value.get("number")))))
    app.action(Act.REVIEW_LESSON.value)(button_listener(
        deps, lambda request, value: open_lesson(request, _number(value.get("number")))))
    for callback_id, save in SAVES.items():
        app.view(callback_id)(form_listener(deps, save, confirm=saved))
