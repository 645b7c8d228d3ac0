"""The plan's slash subcommands and buttons: translate, call one use case, render."""

from __future__ import annotations

import uuid
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.ids import Act
from bot.listeners.requests import Request, Route, button_listener, open_modal
from bot.views import leaving as leaving_views
from bot.views import plan_modals as form_views
from bot.views import rmp as views
from commands import outgoing
from commands.errors import InputError, Refused
from commands.numbers import whole_number
from commands.rmp import access, actions, editing, exits, history, leaving, people, setup, status

NOT_INVITED = ("Accord is not in this channel yet, so it could not post the plan here. Type `/invite @accord`, "
               "then set up again.")


def _not_invited(request: Request) -> bool:
    """Whether Slack says Accord is not a member of the request's channel (asked within the request's budget;
    when Slack does not answer in time, the setup goes on and the welcome post says the rest)."""
    if request.client is None or not request.actor.channel_id:
        return False
    try:
        info = request.client.conversations_info(channel=request.actor.channel_id)
    except SlackApiError as exc:
        return exc.response.get("error") in ("channel_not_found", "not_in_channel")
    except OSError:  # TimeoutError, NoTimeLeft, URLError: no answer in time
        return False
    return not bool((info.get("channel") or {}).get("is_member", True))


def open_setup(request: Request) -> dict[str, Any]:
    """Open the setup form (after checking Accord is in the channel)."""
    if _not_invited(request):  # before anything is recorded
        raise Refused(NOT_INVITED)
    with request.deps.reading() as db:
        form = setup.current_form(db, request.actor)
    return open_modal(request, form_views.setup_modal(form, channel=request.actor.channel_id or ""))


def _join(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        joined = people.join(db, actor=request.actor, now=request.deps.clock())
    verb = "You are already in" if joined.already else "You joined"
    return views.saved(f"{verb} *{joined.party}* as {people.role_phrase(joined.role)}.")


def _people(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:
        return views.people_message(people.list_people(db, actor=request.actor))


def _role(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        user, role = people.set_role(db, actor=request.actor, text_args=request.rest, now=request.deps.clock())
    return views.saved(f"<@{user}> is now {people.role_phrase(role)}.")


def _party(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        user, party, role = people.add_to_party(db, actor=request.actor, text_args=request.rest,
                                                now=request.deps.clock())
    return views.saved(f"<@{user}> is in *{party}* as {people.role_phrase(role)}.")


def _leave(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:  # checked here, done by the button
        check = leaving.check_leave(db, actor=request.actor, text_args=request.rest)
    return leaving_views.confirm_leave(check, channel=request.actor.channel_id or "")


def _leave_confirmed(request: Request, value: dict[str, Any]) -> dict[str, Any]:
    successor = str(value.get("successor") or "")
    with request.deps.unit_of_work() as db:
        gone = leaving.leave(db, actor=request.actor, text_args=f"<@{successor}>" if successor else "",
                             now=request.deps.clock())
    return leaving_views.gone_message(gone, self_=True)


def _remove(request: Request) -> dict[str, Any]:
    with request.deps.unit_of_work() as db:
        gone = leaving.remove(db, actor=request.actor, text_args=request.rest, now=request.deps.clock())
    return leaving_views.gone_message(gone, self_=gone.user_id == request.actor.user_id)


def _status(request: Request) -> dict[str, Any]:
    public = request.rest.strip().lower() == "public"
    if request.rest.strip() and not public:
        raise InputError("Usage: `/accord status` (only you see it) or `/accord status public`.")
    with request.deps.unit_of_work() as db:
        current = status.relationship_status(db, actor=request.actor, now=request.deps.clock())
        role = access.member(db, request.actor).role  # the buttons of the forms they may use
        message = views.status_message(current, public=public, role=role)
        if public:
            outgoing.post_message(db, key=f"status:{uuid.uuid4().hex}", channel=current.channel_id, view="raw",
                                data={"text": message["text"], "blocks": message["blocks"]}, now=request.deps.clock())
    return views.saved("Posted the status to the channel.") if public else message


def _history(request: Request) -> dict[str, Any]:
    with request.deps.reading() as db:
        return views.history_message(history.latest_changes(db, actor=request.actor))


def form_number(rest: str, name: str) -> int | None:
    """`""`/`add` → None (a new item); `3`/`edit 3`/`#3` → 3."""
    words = rest.replace("#", " ").split()
    if not words or words == ["add"]:
        return None
    if words[0] == "edit":
        words = words[1:]
    if len(words) == 1 and (number := whole_number(words[0])) is not None:
        return number
    raise InputError(f"Usage: `/accord {name}` to add one, `/accord {name} edit 3` to edit #3.")


def plan_form(request: Request, name: str, number: int | None) -> dict[str, Any]:
    """Open the add or edit form `name` (editors only)."""
    with request.deps.reading() as db:
        context = editing.open_form(db, actor=request.actor, name=name, number=number)
        view = form_views.plan_modal(name, context, channel=request.actor.channel_id or "", number=number)
    return open_modal(request, view)


def _form_route(name: str) -> Route:
    def route(request: Request) -> dict[str, Any]:
        return plan_form(request, name, form_number(request.rest, name))

    return route


def _action(request: Request) -> dict[str, Any]:
    words = request.rest.replace("#", " ").split()
    if len(words) == 2 and words[0] in ("done", "cannot") and (number := whole_number(words[1])) is not None:
        if words[0] == "done":
            return mark_done(request, number)
        return ask_cannot_complete(request, number)
    return plan_form(request, "action", form_number(request.rest, "action"))


def mark_done(request: Request, number: int) -> dict[str, Any]:
    """Mark action `number` done."""
    with request.deps.unit_of_work() as db:
        action = actions.complete_action(db, actor=request.actor, number=number, now=request.deps.clock())
        if action.status != actions.DONE:  # the other party asked: the owner's party confirms
            return views.saved(f"Asked <@{action.owner_user_id}> to confirm action #{number} is done: only their "
                               f"party marks it done. {action.description}")
    return views.saved(f"Action #{number} is done: {action.description}")


def ask_cannot_complete(request: Request, number: int) -> dict[str, Any]:
    """Open the cannot-complete form for action `number`."""
    with request.deps.reading() as db:
        action = actions.updatable(db, actor=request.actor, number=number)
    return open_modal(request, form_views.cannot_complete_modal(number, action.description,
                                                                channel=request.actor.channel_id or ""))


def _exit(request: Request) -> dict[str, Any]:
    if request.rest.strip().lower() == "reviewed":
        with request.deps.unit_of_work() as db:
            day = exits.mark_reviewed(db, actor=request.actor, now=request.deps.clock())
        return views.saved(f"The exit strategy is recorded as reviewed on {day.isoformat()}.")
    return plan_form(request, "exit", form_number(request.rest, "exit"))


ROUTES: dict[str, Route] = {
    "setup": open_setup, "join": _join, "people": _people, "role": _role, "party": _party, "status": _status,
    "leave": _leave, "remove": _remove,
    "history": _history, "objective": _form_route("objective"), "kpi": _form_route("kpi"),
    "risk": _form_route("risk"), "action": _action, "exit": _exit,
}


# -- buttons -------------------------------------------------------------------------------------


def register(app: App, deps: Deps) -> None:
    """Listen for the plan's buttons (the slash subcommands are routed by listeners.slash, the form buttons by
    listeners.openers)."""
    app.action(Act.JOIN.value)(button_listener(deps, lambda request, value: _join(request)))
    app.action(Act.LEAVE.value)(button_listener(deps, _leave_confirmed))
    app.action(Act.STATUS.value)(button_listener(deps, lambda request, value: _status(request)))
    app.action(Act.ACTION_DONE.value)(button_listener(deps, lambda request, value: mark_done(request,
                                                                                             int(value["number"]))))
    app.action(Act.ACTION_CANNOT.value)(button_listener(
        deps, lambda request, value: ask_cannot_complete(request, int(value["number"]))))
