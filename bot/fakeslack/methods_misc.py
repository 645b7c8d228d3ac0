"""Fake Web API methods: auth.test, users.*, conversations info/members/open, views.* and files.*."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import zoneinfo
from typing import Any

from bot.fakeslack.methods_chat import Handler, as_bool, paginate
from bot.fakeslack.state import ApiError, SlackState
from bot.fakeslack.validate import decode_json, validate_view


def auth_test(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """auth.test: the workspace and bot user of the calling token."""
    bot = st.caller
    team = st.teams.get(bot.team_id, {"name": bot.team_id})
    return {"ok": True, "url": f"https://{st.team_domain(bot.team_id)}.slack.com/", "team": team["name"],
            "user": st.users[bot.bot_user_id]["name"], "team_id": bot.team_id, "user_id": bot.bot_user_id,
            "bot_id": bot.bot_id, "is_enterprise_install": False}


def _tz_fields(tz: str) -> dict[str, Any]:
    """tz, tz_label and tz_offset (seconds east of UTC, right now) of an IANA zone."""
    try:
        zone = zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return {"tz": tz, "tz_label": tz, "tz_offset": 0}
    now = dt.datetime.now(zone)
    offset = now.utcoffset() or dt.timedelta(0)
    return {"tz": tz, "tz_label": now.tzname() or tz, "tz_offset": int(offset.total_seconds())}


def users_info(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """users.info; `tz` is absent for users added with tz=None; `deleted` is true once deactivated."""
    user = st.user(str(args.get("user") or ""))
    real_name = user["real_name"]
    out: dict[str, Any] = {
        "id": user["id"], "team_id": user["team_id"], "name": user["name"], "deleted": bool(user.get("deleted")),
        "real_name": real_name, "is_bot": user["is_bot"], "is_app_user": False,
        "updated": int(time.time()),
        "profile": {"real_name": real_name, "display_name": user["name"], "team": user["team_id"],
                    "real_name_normalized": real_name, "display_name_normalized": user["name"]},
    }
    if user["is_bot"]:
        out["profile"]["bot_id"] = st.bot_id if user["id"] == st.bot_user_id else f"B{user['id']}"
    if user["tz"] is not None:
        out.update(_tz_fields(user["tz"]))
    return {"ok": True, "user": out}


def _channel_info(st: SlackState, chan: dict[str, Any]) -> dict[str, Any]:
    """A channel object as conversations.info returns it."""
    out: dict[str, Any] = {
        "id": chan["id"], "name": chan["name"], "is_channel": not (chan["is_im"] or chan["is_mpim"]),
        "is_group": False, "is_im": chan["is_im"], "is_mpim": chan["is_mpim"],
        "is_private": chan.get("is_private", False), "is_archived": False, "is_general": False,
        "is_shared": chan["is_shared"], "is_ext_shared": chan.get("is_ext_shared", chan["is_shared"]),
        "is_org_shared": False, "is_pending_ext_shared": False, "is_member": chan["bot_member"],
        "created": chan["created"], "context_team_id": st.team_id,
    }
    if chan["is_im"]:
        out["user"] = next(u for u in chan["members"] if u != st.bot_user_id)
    return out


def conversations_info(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.info."""
    chan = st.channel(str(args.get("channel") or ""))
    out = _channel_info(st, chan)
    if as_bool(args.get("include_num_members")):
        out["num_members"] = len(chan["members"])
    return {"ok": True, "channel": out}


def conversations_members(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.members with cursor/limit pagination."""
    chan = st.channel(str(args.get("channel") or ""))
    page, next_cursor = paginate(list(chan["members"]), args)
    return {"ok": True, "members": page, "response_metadata": {"next_cursor": next_cursor}}


def conversations_open(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.open: DM with one or more users (external users refused unless allowed)."""
    raw = args.get("users")
    ids = raw if isinstance(raw, list) else [u.strip() for u in str(raw or "").split(",") if u.strip()]
    if not ids:
        raise ApiError("users_list_not_supplied")
    for user_id in ids:
        user = st.user(user_id)
        if user["team_id"] != st.caller.team_id and not st.allow_external_dm:  # external to the token's workspace
            raise ApiError("invalid_user_combination")
    users = frozenset(ids)
    existed = users in st.dms
    chan = st.open_dm(users)
    if as_bool(args.get("return_im")):
        return {"ok": True, "channel": _channel_info(st, chan), "no_op": existed, "already_open": existed}
    out: dict[str, Any] = {"ok": True, "channel": {"id": chan["id"]}}
    if existed:
        out.update(no_op=True, already_open=True)
    return out


# ---- views -----------------------------------------------------------------------------------------------
def _view_arg(args: dict[str, Any], *, view_type: str) -> dict[str, Any]:
    """The decoded, validated `view` argument; raises invalid_arguments like Slack."""
    view = decode_json(args.get("view"))
    errors = validate_view(view)
    if not errors and view.get("type") != view_type:
        errors = [f"view type must be '{view_type}' for this method [json-pointer:/view/type]"]
    if errors:
        raise ApiError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    return view


def _new_hash(st: SlackState) -> str:
    """A fresh view hash."""
    seed = st.new_id("H")
    return f"{int(time.time())}.{hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:8]}"


def _materialize(st: SlackState, view: dict[str, Any], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The full view object Slack returns, keeping id/state of `previous` when updating."""
    view_id = previous["id"] if previous else st.new_id("V")
    out: dict[str, Any] = {
        "id": view_id, "team_id": st.team_id, "type": view["type"], "blocks": [], "private_metadata": "",
        "callback_id": "", "state": {"values": {}}, "hash": "", "title": None, "clear_on_close": False,
        "notify_on_close": False, "close": None, "submit": None, "previous_view_id": None,
        "root_view_id": view_id, "app_id": st.app_id, "external_id": "", "app_installed_team_id": st.team_id,
        "bot_id": st.bot_id,
    }
    if previous:
        out["state"] = previous["state"]
    out.update({k: v for k, v in view.items() if k not in ("id", "hash", "state")})
    out["hash"] = _new_hash(st)
    return out


def _check_external_id(st: SlackState, view: dict[str, Any], own_id: str | None) -> None:
    """external_id must be unique among open views."""
    ext = view.get("external_id")
    if ext and any(v["external_id"] == ext and v["id"] != own_id for v in st.open_views.values()):
        raise ApiError("duplicate_external_id")


def views_open(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.open: needs a fresh, unused trigger id."""
    view = _view_arg(args, view_type="modal")
    st.use_trigger(args.get("trigger_id"))
    _check_external_id(st, view, None)
    full = _materialize(st, view, None)
    st.open_views[full["id"]] = full
    return {"ok": True, "view": full}


def views_update(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.update by view_id or external_id, honouring hash."""
    view_id, ext = args.get("view_id"), args.get("external_id")
    if not view_id and not ext:
        messages = ["[ERROR] view_id or external_id is required"]
        raise ApiError("invalid_arguments", response_metadata={"messages": messages})
    previous = st.open_views.get(str(view_id)) if view_id else next(
        (v for v in st.open_views.values() if v["external_id"] == ext), None)
    if previous is None:
        raise ApiError("not_found")
    if args.get("hash") and args["hash"] != previous["hash"]:
        raise ApiError("hash_conflict")
    view = _view_arg(args, view_type="modal")
    _check_external_id(st, view, previous["id"])
    full = _materialize(st, view, previous)
    st.open_views[full["id"]] = full
    return {"ok": True, "view": full}


def views_publish(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """views.publish: the Home tab of one user."""
    user = st.user(str(args.get("user_id") or ""))
    view = _view_arg(args, view_type="home")
    previous = st.home_views.get(user["id"])
    if previous and args.get("hash") and args["hash"] != previous["hash"]:
        raise ApiError("hash_conflict")
    full = _materialize(st, view, previous)
    st.home_views[user["id"]] = full
    return {"ok": True, "view": full}


# ---- files -----------------------------------------------------------------------------------------------
def files_get_upload_url_external(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """files.getUploadURLExternal."""
    filename = str(args.get("filename") or "")
    try:
        length = int(args.get("length") or 0)
    except ValueError as exc:
        raise ApiError("invalid_arguments") from exc
    if not filename or length <= 0:
        raise ApiError("invalid_arguments")
    file_id = st.new_id("F")
    st.files[file_id] = {"name": filename, "title": None, "bytes": None, "channel": None, "length": length}
    return {"ok": True, "upload_url": f"{st.base_url}/upload/{file_id}", "file_id": file_id}


def files_complete_upload_external(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """files.completeUploadExternal: optionally shares the files into one channel."""
    items = decode_json(args.get("files"))
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) for i in items):
        raise ApiError("invalid_arguments")
    entries = []
    for item in items:
        entry = st.files.get(str(item.get("id")))
        if entry is None or entry["bytes"] is None:
            raise ApiError("file_not_found")
        entries.append((str(item["id"]), entry, item.get("title")))
    channel_ids = [c for c in str(args.get("channels") or "").split(",") if c]
    if args.get("channel_id"):
        channel_ids.insert(0, str(args["channel_id"]))
    channels = [st.channel(c) for c in channel_ids]
    for chan in channels:
        if not chan["bot_member"]:
            raise ApiError("not_in_channel")
    out = []
    for file_id, entry, title in entries:
        entry["title"] = title or entry["name"]
        entry["channel"] = channels[0]["id"] if channels else None
        out.append({"id": file_id, "title": entry["title"], "name": entry["name"],
                    "size": len(entry["bytes"])})
    for chan in channels:
        st.store_message(chan["id"], user=st.bot_user_id, text=str(args.get("initial_comment") or ""),
                         thread_ts=str(args.get("thread_ts") or "") or None, files=[dict(f) for f in out])
    return {"ok": True, "files": out}


MISC_METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
    "views.open": views_open,
    "views.update": views_update,
    "views.publish": views_publish,
    "files.getUploadURLExternal": files_get_upload_url_external,
    "files.completeUploadExternal": files_complete_upload_external,
}
