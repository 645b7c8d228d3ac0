"""Outbox calls beyond a channel post: a direct message with its channel fallback, a user lookup, a file upload."""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlmodel import Session

from bot.charts import FileContent
from bot.ids import Event
from commands.rmp.people import record_user
from storage.models import OutboxMessage

log = logging.getLogger("bot.outbox")

# Answers of conversations.open, or of the post in the DM, meaning Accord cannot DM this person
# (an external user whose organisation forbids it, an admin setting, a deactivated user...): the
# message goes to the fallback channel instead. user_not_found is not among them: it is permanent.
DM_REFUSED = frozenset({
    "invalid_user_combination", "cannot_dm_bot", "user_disabled", "user_not_visible", "restricted_action",
    "not_allowed_token_type", "channel_not_found", "messages_tab_disabled",
})

Finder = Callable[[str], dict[str, Any] | None]  # looks for an earlier attempt in a channel
Matcher = Callable[[dict[str, Any]], bool]  # whether a message in Slack is an earlier attempt's
Pacer = Callable[[str], None]  # waits until a channel may take another post


class Permanent(Exception):
    """A failure that retrying cannot mend (the message is parked as failed)."""


class Transient(Exception):
    """A failure worth trying again later that is neither a Slack error answer nor a network error."""


def metadata(key: str) -> dict[str, Any]:
    """The message metadata carrying an outbox row's idempotency key."""
    return {"event_type": Event.OUTBOX.value, "event_payload": {"key": key}}


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error", "unknown_error"))


def _open_dm(client: WebClient, user: str) -> tuple[str | None, str | None]:
    """The DM channel with `user`, or None and the reason Slack refused it."""
    try:
        response = client.conversations_open(users=user)
    except SlackApiError as exc:
        if _error(exc) in DM_REFUSED:
            return None, _error(exc)
        raise
    return str(response["channel"]["id"]), None


def _post(client: WebClient, channel: str, key: str, message: dict[str, Any], pace: Pacer) -> dict[str, Any]:
    pace(channel)
    response = client.chat_postMessage(channel=channel, metadata=metadata(key), **message)
    return {"ts": response["ts"], "channel": response["channel"]}


def send_dm(
    client: WebClient, row: OutboxMessage, message: dict[str, Any], *, find: Finder | None, pace: Pacer
) -> dict[str, Any]:
    """Post `message` in the DM with `row.user`, or, when Slack refuses a DM, as a message only they see in
    `row.channel` (never a post naming them there: the shared channel would see who is being chased).

    The post goes to the person's id: Slack posts it in the app's DM with them and answers with that DM's
    channel, so that a round's thousands of first DMs need no conversations.open (Tier 3, 50 a minute) each.
    `find` (given when an earlier attempt may have reached Slack unrecorded) looks for it in the DM, opened for
    the look, so that it is not posted twice. (A message only its person sees cannot be looked for.)
    """
    user, key = row.user or "", row.idempotency_key
    refused: str | None = None
    if find is not None:
        dm_channel, refused = _open_dm(client, user)
        if dm_channel is not None and (found := find(dm_channel)) is not None:
            return found
    if refused is None:
        try:
            return _post(client, user, key, message, pace)
        except SlackApiError as exc:
            if _error(exc) not in DM_REFUSED:
                raise
            refused = _error(exc)
    if not row.channel:
        raise Permanent(f"dm: cannot DM {user} ({refused}) and no fallback channel")
    log.info("outbox %s: no DM with %s (%s); showing it to them only, in %s", key, user, refused, row.channel)
    client.chat_postEphemeral(channel=row.channel, user=user, **message)
    return {"ts": None, "channel": row.channel, "ephemeral": True}


def file_channel(client: WebClient, row: OutboxMessage) -> str:
    """Where a file is shared: `row.channel`, or for a file to one person (`row.user`) the app's DM with them
    (`row.channel` when Slack refuses a DM, as a DM's fallback)."""
    if not row.user:
        return row.channel or ""
    dm_channel, refused = _open_dm(client, row.user)
    if dm_channel is None:
        log.info("outbox %s: no DM with %s (%s); sharing the file in %s", row.idempotency_key, row.user, refused,
                 row.channel)
    return dm_channel or row.channel or ""


def file_titled(title: str) -> Matcher:
    """Matches a message sharing a file titled `title` (how an earlier upload of an outbox file is found again)."""

    def matches(message: dict[str, Any]) -> bool:
        return any(isinstance(f, dict) and f.get("title") == title for f in message.get("files") or [])

    return matches


def upload_file(client: WebClient, row: OutboxMessage, file: FileContent, *, find: Finder | None,
                channel: str | None = None) -> dict[str, Any]:
    """Share `file` in `channel` (default `row.channel`; in the thread `row.thread_ts` if set) through Slack's
    files upload v2.

    `find` (given on a retry) looks for the file's title among the thread's (or channel's) messages
    first, so that a file shared by an attempt whose answer was lost is not shared twice. The ts of
    the message sharing a new file is not known (Slack shares it asynchronously): None is recorded.

    files_upload_v2 makes three requests: files.getUploadURLExternal and files.completeUploadExternal
    (Web API calls: SlackApiError, with the client's retries) and a POST of the bytes to the upload URL,
    made with urllib directly (no retry handlers): an HTTP error there raises urllib's HTTPError (a
    URLError), another non-200 answer SlackRequestError, a broken answer http.client's exceptions.
    """
    channel = channel or row.channel
    if find is not None and (found := find(channel or "")) is not None:
        return found
    try:
        client.files_upload_v2(
            channel=channel, thread_ts=row.thread_ts, content=file.content, filename=file.filename,
            title=file.title, initial_comment=file.initial_comment,
        )
    except SlackRequestError as exc:  # the upload POST answered, but not 200
        raise Transient(f"upload of {file.filename} failed: {exc}") from exc
    except http.client.HTTPException as exc:  # a broken answer to any of the three (IncompleteRead, ...)
        if isinstance(exc, OSError):  # RemoteDisconnected: handled as a network error by the caller
            raise
        raise Transient(f"upload of {file.filename}: {type(exc).__name__}: {exc}") from exc
    return {"ts": None, "channel": channel}


def lookup_user(client: WebClient, row: OutboxMessage) -> dict[str, Any]:
    """users.info for `row.user`: what the outbox records, the timezone (None when Slack gives none) and the
    name people know them by."""
    response = client.users_info(user=row.user or "")
    user = response.get("user") or {}
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("real_name") or profile.get("real_name") or user.get("name")
    return {"ts": None, "channel": None, "tz": user.get("tz") or None, "name": name or None,
            "deleted": bool(user.get("deleted"))}


def record_lookup(db: Session, row: OutboxMessage, result: dict[str, Any]) -> None:
    """Store what users.info said, in the transaction recording the row as sent."""
    record_user(db, user_id=row.user or "", tz=result.get("tz"), name=result.get("name"),
                deleted=bool(result.get("deleted")), now=row.sent_at)


# Work done in the same transaction that records a row of this method as sent.
AFTER_SENT: dict[str, Callable[[Session, OutboxMessage, dict[str, Any]], None]] = {"users.info": record_lookup}
