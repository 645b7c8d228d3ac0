"""Fake Web API methods for messages: chat.* and conversations.history / conversations.replies."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from bot.fakeslack.state import ApiError, SlackState
from bot.fakeslack.validate import decode_json, validate_blocks

Handler = Callable[[SlackState, dict[str, Any]], dict[str, Any]]
_MISSING = object()


def as_bool(value: Any) -> bool:
    """Slack-style boolean argument: true/1 (strings or JSON values)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def paginate(items: list[Any], args: dict[str, Any], *, default_limit: int = 100) -> tuple[list[Any], str]:
    """Cut a page out of `items` by Slack cursor/limit; returns (page, next_cursor or "")."""
    try:
        limit = int(args.get("limit") or default_limit)
    except ValueError as exc:
        raise ApiError("invalid_limit") from exc
    limit = max(1, min(limit, 1000))
    cursor = str(args.get("cursor") or "")
    start = 0
    if cursor:
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("next:"))
        except ValueError as exc:
            raise ApiError("invalid_cursor") from exc
    page = items[start:start + limit]
    more = start + limit < len(items)
    next_cursor = base64.b64encode(f"next:{start + limit}".encode()).decode() if more else ""
    return page, next_cursor


def blocks_arg(args: dict[str, Any]) -> Any:
    """The decoded, validated `blocks` argument (_MISSING when absent); raises invalid_blocks."""
    if "blocks" not in args or args["blocks"] is None:
        return _MISSING
    blocks = decode_json(args["blocks"])
    if blocks == "":
        return _MISSING
    errors = validate_blocks(blocks)
    if errors:
        raise ApiError("invalid_blocks", errors=errors,
                       response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
    return blocks


def metadata_arg(args: dict[str, Any]) -> Any:
    """The decoded `metadata` argument (_MISSING when absent); raises invalid_metadata_format."""
    if args.get("metadata") in (None, ""):
        return _MISSING
    metadata = decode_json(args["metadata"])
    if (not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str)
            or not isinstance(metadata.get("event_payload", {}), dict)):
        raise ApiError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata.get("event_payload", {})}


def _content(args: dict[str, Any]) -> tuple[str, list[Any] | None]:
    """Text and blocks of a new message; raises no_text when both (and attachments) are missing."""
    blocks = blocks_arg(args)
    text = str(args.get("text") or "")
    blocks = None if blocks is _MISSING else blocks
    if not text and not blocks and not decode_json(args.get("attachments")):
        raise ApiError("no_text")
    return text, blocks


def _member_channel(st: SlackState, channel_id: str) -> dict[str, Any]:
    """A channel the bot is a member of."""
    chan = st.channel(channel_id)
    if not chan["bot_member"]:
        raise ApiError("not_in_channel")
    return chan


def chat_post_message(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postMessage."""
    chan = st.resolve_channel(str(args.get("channel") or ""))
    if not chan["bot_member"]:
        raise ApiError("not_in_channel")
    text, blocks = _content(args)
    metadata = metadata_arg(args)
    msg = st.store_message(chan["id"], user=st.bot_user_id, text=text, blocks=blocks,
                           thread_ts=str(args.get("thread_ts") or "") or None,
                           metadata=None if metadata is _MISSING else metadata)
    return {"ok": True, "channel": chan["id"], "ts": msg["ts"], "message": st.api_message(msg)}


def _own_message(st: SlackState, args: dict[str, Any], refused: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The channel and the bot's own message named by `channel` and `ts`; others' are `refused`."""
    chan = _member_channel(st, str(args.get("channel") or ""))
    msg = st.message(chan["id"], str(args.get("ts") or ""))
    if msg is None:
        raise ApiError("message_not_found")
    if msg["user"] != st.bot_user_id:
        raise ApiError(refused)
    return chan, msg


def chat_update(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.update: only the fields given are replaced (as Slack documents)."""
    chan, msg = _own_message(st, args, "cant_update_message")
    blocks = blocks_arg(args)
    metadata = metadata_arg(args)
    if "text" not in args and blocks is _MISSING and metadata is _MISSING and "attachments" not in args:
        raise ApiError("no_text")
    if "text" in args:
        msg["text"] = str(args.get("text") or "")
    if blocks is not _MISSING:
        msg["blocks"] = blocks or None
    if metadata is not _MISSING:
        msg["metadata"] = metadata
    msg["edited"] = True
    return {"ok": True, "channel": chan["id"], "ts": msg["ts"], "text": msg["text"],
            "message": st.api_message(msg)}


def chat_delete(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.delete."""
    chan, msg = _own_message(st, args, "cant_delete_message")
    st.messages[chan["id"]].remove(msg)
    return {"ok": True, "channel": chan["id"], "ts": msg["ts"]}


def chat_post_ephemeral(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.postEphemeral."""
    chan = _member_channel(st, str(args.get("channel") or ""))
    user = st.user(str(args.get("user") or ""))
    if user["id"] not in chan["members"]:
        raise ApiError("user_not_in_channel")
    text, blocks = _content(args)
    st.ephemerals.setdefault(chan["id"], []).append({
        "channel": chan["id"], "user": user["id"], "text": text, "blocks": blocks,
        "thread_ts": str(args.get("thread_ts") or "") or None,
    })
    return {"ok": True, "message_ts": st.new_ts()}


def chat_get_permalink(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """chat.getPermalink."""
    chan = st.channel(str(args.get("channel") or ""))
    msg = st.message(chan["id"], str(args.get("message_ts") or ""))
    if msg is None:
        raise ApiError("message_not_found")
    link = f"https://fake.slack/archives/{chan['id']}/p{msg['ts'].replace('.', '')}"
    if msg["thread_ts"] and msg["thread_ts"] != msg["ts"]:
        link += f"?thread_ts={msg['thread_ts']}&cid={chan['id']}"
    return {"ok": True, "channel": chan["id"], "permalink": link}


def _ts_key(ts: Any) -> float:
    """Sortable value of a Slack ts argument."""
    try:
        return float(ts)
    except (TypeError, ValueError) as exc:
        raise ApiError("invalid_ts_oldest") from exc


def _within(args: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    """Whether a message lies between the `oldest` and `latest` arguments (each bound included with `inclusive`)."""
    inclusive = as_bool(args.get("inclusive"))
    oldest = _ts_key(args["oldest"]) if args.get("oldest") else None
    latest = _ts_key(args["latest"]) if args.get("latest") else None

    def within(msg: dict[str, Any]) -> bool:
        key = float(msg["ts"])
        if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
            return False
        return latest is None or key < latest or (key == latest and inclusive)

    return within


def conversations_history(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.history: top-level messages, newest first; metadata only with include_all_metadata."""
    chan = _member_channel(st, str(args.get("channel") or ""))
    within = _within(args)
    picked = []
    for msg in st.messages.get(chan["id"], []):
        if msg["thread_ts"] and msg["thread_ts"] != msg["ts"] and st.message(chan["id"], msg["thread_ts"]):
            continue  # thread replies only appear in conversations.replies
        if within(msg):
            picked.append(msg)
    picked.sort(key=lambda m: float(m["ts"]), reverse=True)
    page, next_cursor = paginate(picked, args)
    with_meta = as_bool(args.get("include_all_metadata"))
    return {"ok": True, "messages": [st.api_message(m, include_metadata=with_meta) for m in page],
            "has_more": bool(next_cursor), "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor}}


def conversations_replies(st: SlackState, args: dict[str, Any]) -> dict[str, Any]:
    """conversations.replies: the parent then its replies (those between `oldest` and `latest`), oldest first."""
    chan = _member_channel(st, str(args.get("channel") or ""))
    ts = str(args.get("ts") or "")
    parent = st.message(chan["id"], ts)
    if parent is None:
        raise ApiError("thread_not_found")
    within = _within(args)
    thread = [parent] + [m for m in st.messages[chan["id"]] if m["thread_ts"] == ts and m["ts"] != ts and within(m)]
    page, next_cursor = paginate(thread, args, default_limit=1000)
    with_meta = as_bool(args.get("include_all_metadata"))
    return {"ok": True, "messages": [st.api_message(m, include_metadata=with_meta) for m in page],
            "has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}


CHAT_METHODS: dict[str, Handler] = {
    "chat.postMessage": chat_post_message,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.getPermalink": chat_get_permalink,
    "conversations.history": conversations_history,
    "conversations.replies": conversations_replies,
}
