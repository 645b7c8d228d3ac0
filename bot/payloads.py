"""Reading Slack payloads: small pure functions from request bodies to typed input."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from commands.actor import Actor, is_enterprise
from commands.errors import Refused

_MENTION = re.compile(r"^\s*(<@[A-Z0-9]+(\|[^>]*)?>\s*)+")


def split_command(text: str | None) -> tuple[str, str]:
    """`"remind in 3d Hello"` -> `("remind", "in 3d Hello")`; empty text means help."""
    parts = (text or "").replace("\x00", "").strip().split(maxsplit=1)  # no database stores a NUL
    if not parts:
        return "help", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""


def strip_mentions(text: str | None) -> str:
    """Drop the leading `<@U…>` mentions from an app_mention's text."""
    return _MENTION.sub("", text or "").strip()


def command_actor(body: dict[str, Any]) -> Actor:
    """The actor of a slash command: commands run in the user's own workspace, so team_id is theirs, and
    `enterprise_id` (Enterprise Grid) is that workspace's org."""
    team = body.get("team_id", "")
    enterprise = body.get("enterprise_id") or None
    if is_enterprise(team):
        enterprise = enterprise or team
    return Actor(user_id=body["user_id"], team_id=team, channel_id=body.get("channel_id"), enterprise_id=enterprise,
                 name=body.get("user_name") or None)


def _organisation(team: str, receiving_team: str, receiving_enterprise: str | None) -> tuple[str, str | None]:
    """The user's (team, Grid org) from the team a payload gives for them and the receiving workspace and org.

    A user's team that is an org (E…) is their org; their workspace is then the receiving one when that is of
    the same org, else the org stands for it. A user's workspace (T…) takes the receiving org only when it is
    the receiving workspace itself: another workspace (a partner's, in a shared channel) may be of another org.
    """
    if is_enterprise(team):
        same_org = team == receiving_enterprise and bool(receiving_team) and not is_enterprise(receiving_team)
        return (receiving_team if same_org else team), team
    return team, (receiving_enterprise if team and team == receiving_team else None)


def _installation_enterprise(body: dict[str, Any]) -> str | None:
    """The Grid org of the installation receiving an event (None outside Enterprise Grid)."""
    for authorization in body.get("authorizations") or []:
        if isinstance(authorization, dict) and authorization.get("enterprise_id"):
            return str(authorization["enterprise_id"])
    return body.get("enterprise_id") or None


def event_actor(body: dict[str, Any]) -> Actor:
    """The actor of an event: the user's own team (`user_team`), falling back to the event's team.

    On Enterprise Grid `user_team` may be the org (E…): then the actor's workspace is the receiving one when
    that is of the same org, and otherwise unknown (the org stands for it); a workspace (T…) of the receiving
    workspace itself takes its org too."""
    event = body.get("event", {})
    team = event.get("user_team") or event.get("team") or body.get("team_id", "")
    team, enterprise = _organisation(team, body.get("team_id") or "", _installation_enterprise(body))
    return Actor(user_id=event.get("user", ""), team_id=team, channel_id=event.get("channel"),
                 enterprise_id=enterprise, thread_ts=event.get("thread_ts") or None)


def interaction_actor(body: dict[str, Any], channel_id: str | None) -> Actor:
    """The actor of a button, form or shortcut (block_actions, view_submission, message_action): the user's own
    team, falling back to the payload's.

    The payload's `team` is the workspace whose installation receives it and `enterprise` (or
    `team.enterprise_id`) that workspace's Grid org: it is the user's org only when the user is of that very
    workspace (a partner's person clicking in a shared channel is not). A `user.team_id` that is an org (E…)
    is their org."""
    user = body.get("user") or {}
    team_object, enterprise_object = body.get("team"), body.get("enterprise")
    team_object = team_object if isinstance(team_object, dict) else {}
    payload_team = team_object.get("id") or ""
    payload_enterprise = (enterprise_object.get("id") if isinstance(enterprise_object, dict) else enterprise_object) \
        or team_object.get("enterprise_id") or None
    team, enterprise = _organisation(user.get("team_id") or payload_team, payload_team, payload_enterprise)
    return Actor(user_id=user.get("id", ""), team_id=team, channel_id=channel_id, enterprise_id=enterprise,
                 name=user.get("name") or user.get("username") or None, **where_clicked(body, channel_id))


def _part(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The mapping under `key`, or an empty one when the payload has none there."""
    part = body.get(key)
    return part if isinstance(part, dict) else {}


def where_clicked(body: dict[str, Any], channel_id: str | None) -> dict[str, Any]:
    """Where to answer a click: in the thread of a reply it was on, and in the DM it was in (a button in a DM
    names the relationship's channel, but the person is in the DM); and whether it was on their App Home."""
    container, message, view = (_part(body, key) for key in ("container", "message", "view"))
    thread = container.get("thread_ts") or message.get("thread_ts")
    in_thread = thread if thread and thread != (message.get("ts") or container.get("message_ts")) else None
    clicked_in = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else None
    in_dm = clicked_in if clicked_in and clicked_in != channel_id and clicked_in.startswith("D") else None
    return {"thread_ts": in_thread, "reply_channel": in_dm, "on_home": view.get("type") == "home"}


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def view_metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The private_metadata a modal was opened with ({} when it is missing or not a JSON object)."""
    try:
        loaded = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return _dict(loaded)


def submission_actor(body: dict[str, Any]) -> Actor:
    """The person submitting a modal (view_submission), in the channel the modal was opened for (its
    private_metadata's `channel`)."""
    return interaction_actor(body, view_metadata(_dict(body.get("view"))).get("channel"))


def button_value(body: dict[str, Any]) -> dict[str, Any]:
    """The JSON object in the clicked button's value ({} when there is none or it is not one)."""
    action = _dict((body.get("actions") or [{}])[0])
    try:
        value = json.loads(action.get("value") or "{}")
    except (TypeError, ValueError):
        return {}
    return _dict(value)


def clicked_channel(body: dict[str, Any]) -> str | None:
    """The conversation a button was clicked in (a channel, a DM; none on the App Home or in a modal)."""
    return _dict(body.get("channel")).get("id") or None


def clicker(body: dict[str, Any]) -> Actor:
    """Who clicked, and where, whatever the button says: what to answer a refused button in."""
    return interaction_actor(body, clicked_channel(body))


def button_actor(body: dict[str, Any]) -> tuple[Actor, dict[str, Any]]:
    """The clicker (their own team) and the button's value; the channel is the one the value names.

    A button in the shared channel must name that channel (Refused otherwise); one in a DM (D…) or on the App
    Home names the relationship's."""
    value = button_value(body)
    channel = value.get("channel") or None
    body_channel = clicked_channel(body)
    if body_channel and channel and body_channel != channel and not body_channel.startswith("D"):
        raise Refused("This button belongs to another channel's relationship.")
    return interaction_actor(body, channel or body_channel), value


@dataclass(frozen=True)
class MessageShortcut:
    """A message shortcut: who ran it, and on which message (channel, ts; a reply stands for its thread)."""

    actor: Actor
    channel_id: str
    ts: str


def message_shortcut(body: dict[str, Any]) -> MessageShortcut:
    """Read a message_action payload: the actor in the message's channel, and the message it was run on (the
    thread's root when the message is a reply)."""
    channel = clicked_channel(body)
    message = _dict(body.get("message"))
    return MessageShortcut(actor=interaction_actor(body, channel), channel_id=channel or "",
                           ts=message.get("thread_ts") or message.get("ts") or "")


@dataclass(frozen=True)
class Mention:
    """An app_mention: who, the subcommand and its rest, the event's id (for Slack's retries) and the thread an
    answer in the channel goes in (the mention's own thread, else the mention itself)."""

    actor: Actor
    name: str
    rest: str
    event_id: str
    thread_ts: str | None


def mention(body: dict[str, Any]) -> Mention:
    """Read an app_mention event_callback."""
    event = _dict(body.get("event"))
    name, rest = split_command(strip_mentions(event.get("text")))
    return Mention(actor=event_actor(body), name=name, rest=rest,
                   event_id=body.get("event_id") or f"{event.get('channel')}:{event.get('ts')}",
                   thread_ts=event.get("thread_ts") or event.get("ts") or None)


def home_opened(body: dict[str, Any]) -> tuple[str, str] | None:
    """The user and event id of an app_home_opened on the Home tab (None for the Messages or About tab)."""
    event = _dict(body.get("event"))
    if event.get("tab", "home") != "home":
        return None
    return event.get("user", ""), body.get("event_id") or f"home:{event.get('event_ts')}"


def deactivated_user(body: dict[str, Any]) -> str | None:
    """The user a user_change event says is deactivated (`deleted: true`), else None."""
    user = _dict(body.get("event")).get("user")
    if isinstance(user, dict) and user.get("deleted") and user.get("id"):
        return str(user["id"])
    return None
