"""Delivering one claimed row: the Slack call its method makes, paced, looked for first when an earlier attempt
may be in Slack, and how it ended (an Outcome to record)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot import outbox_calls
from bot import outbox_reconcile as reconcile
from bot.outbox_calls import Permanent, Transient
from bot.outbox_claim import Claims, TakenOver
from bot.outbox_clients import DerivedClients
from bot.outbox_look import SEARCHED, Attempt, Looker, notes_of, retry_after
from bot.outbox_pacing import PACED_METHODS, ChannelPace
from bot.outbox_reconcile import Deferred, Unconfirmed, view_data
from bot.outbox_record import Outcome
from bot.tokens import TokenSource
from bot.views.registry import UnknownView, render, render_file
from commands import quiet
from storage.engine import reading
from storage.models import OutboxMessage

log = logging.getLogger("bot.outbox")

TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


class DeliverySettings(Protocol):
    """What delivery reads of its sender's settings (read at each use: a sender's may change between drains)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def client(self) -> WebClient: ...

    @property
    def tokens(self) -> TokenSource | None: ...  # which bot token each row goes with (OAuth); None: always `client`

    @property
    def as_of(self) -> Callable[[], datetime]: ...  # the instant people's working hours are judged at

    @property
    def clock(self) -> Callable[[], datetime]: ...


@dataclass
class Delivery:
    """Makes the Slack call of a claimed row, through the client of its bot token."""

    settings: DeliverySettings
    claims: Claims
    pacing: ChannelPace
    looker: Looker
    clients: DerivedClients

    def deliver(self, row: OutboxMessage) -> tuple[Outcome, Attempt | None] | None:
        """Deliver `row`: how it ended, with the attempt's notes for a row looked for on a retry (SEARCHED); None
        when another sender took it over before it was posted (it must not be recorded)."""
        error: str | None = None
        permanent = False
        result: dict[str, Any] = {}
        wait: float | None = None  # Slack's Retry-After on a 429, or the look's wait
        failure: BaseException | None = None
        attempt = Attempt(notes_of(row, self.settings.clock()))
        try:
            result = self._call(row, attempt)
        except TakenOver:
            log.warning("outbox %s was taken over by another sender before it was posted; leaving it",
                        row.idempotency_key)
            return None
        except Deferred as exc:  # the look for an earlier attempt waits: nothing was posted
            error, wait, attempt.waited = f"{row.method}: {exc}", exc.wait, True
            attempt.notes.unconfirmed = exc.state
        except Permanent as exc:
            error, permanent, failure = str(exc), True, exc
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown_error"))
            error, failure = f"{row.method}: {code} (HTTP {exc.response.status_code})", exc
            permanent = exc.response.status_code not in TRANSIENT_STATUS and code not in TRANSIENT_ERRORS
            if exc.response.status_code == 429:
                wait = retry_after(exc.response.headers)
        except Transient as exc:
            error, failure = f"{row.method}: {exc}", exc
        except (URLError, TimeoutError, OSError) as exc:
            error, failure = f"{row.method}: {type(exc).__name__}: {exc}", exc
        if attempt.posting_since is not None:  # this attempt posted: an earlier one was ruled out or found
            attempt.notes.unconfirmed = None
            if failure is not None and reconcile.may_have_acted(failure):  # and its answer never came
                attempt.notes.unconfirmed = Unconfirmed(since=attempt.posting_since, until=time.time(),
                                                        channel=attempt.posted_to)
        # pace the channel posted to: a post's own, a DM's by its person's id, where DMs are posted (a DM refused
        # went as a message only its person sees in the fallback channel: not a post, not paced; a look that
        # waits posted nothing); after a 429 the channel waits as long as Slack said (every replica does)
        posted = None if result.get("ephemeral") or attempt.waited else row.user if row.method == "dm" else row.channel
        if posted and (row.method in PACED_METHODS or row.method == "dm"):
            self.pacing.posted(posted, wait)
        outcome = Outcome(result=result, error=error, permanent=permanent, retry_after=wait)
        return outcome, attempt if row.method in SEARCHED else None

    def _before_post(self, row: OutboxMessage, attempt: Attempt, client: WebClient, channel: str) -> None:
        """Wait for `channel`'s pace and the workspace's, then make sure `row` is still this sender's to post; it
        is posted now (to `channel`: a DM's channel, or the person's id, where Slack posts in the app's DM)."""
        self.pacing.await_post(client.token or "", channel, partial(self.claims.keep, row))
        self.claims.renew(row)
        attempt.posting(channel)

    def _call(self, row: OutboxMessage, attempt: Attempt) -> dict[str, Any]:
        # the bot token this message goes with (OAuth: its organisation's installation; NotInstalled is permanent)
        client = self.settings.tokens.client_for(row) if self.settings.tokens is not None else self.settings.client
        client = self.clients.posting(client)
        if row.method == "users.info":
            return outbox_calls.lookup_user(client, row)
        if row.method == "files.upload":
            return self._upload(row, client, attempt)
        try:
            message = render(row.view, view_data(row.data))
        except (UnknownView, KeyError, TypeError, ValueError) as exc:
            raise Permanent(f"cannot render view {row.view!r}: {exc}") from None
        message.pop("response_type", None)
        if row.method == "chat.postMessage":
            message = self._named_outside_hours(row, message)
            if (found := self.looker.look(row, attempt, client, row.channel or "")) is not None:
                return found  # an earlier attempt reached Slack before this sender could record it
            self._before_post(row, attempt, client, row.channel or "")
            response = client.chat_postMessage(
                channel=row.channel or "", thread_ts=row.thread_ts, metadata=outbox_calls.metadata(row.idempotency_key),
                **message,
            )
            return {"ts": response["ts"], "channel": response["channel"]}
        if row.method == "dm":
            # an earlier attempt that may be in Slack is looked for in the DM first
            find = partial(self.looker.look, row, attempt, client) if attempt.notes.unconfirmed is not None else None
            return outbox_calls.send_dm(client, row, message, find=find,
                                        pace=partial(self._before_post, row, attempt, client))
        if row.method == "chat.update":
            response = client.chat_update(channel=row.channel or "", ts=row.ts or "", **message)
            return {"ts": response["ts"], "channel": response["channel"]}
        if row.method == "chat.postEphemeral":
            response = client.chat_postEphemeral(
                channel=row.channel or "", user=row.user or "", thread_ts=row.thread_ts, **message
            )
            return {"ts": response.get("message_ts"), "channel": row.channel}
        if row.method == "views.publish":
            client.views_publish(user_id=row.user or "", view=message["view"])
            return {"ts": None, "channel": None}
        raise Permanent(f"unknown outbox method {row.method!r}")

    def _named_outside_hours(self, row: OutboxMessage, message: dict[str, Any]) -> dict[str, Any]:
        """`message` with each person it mentions who is outside their working hours named instead (a
        mention would notify them); the mentions that ask someone to act are held for their hours anyway."""
        shown = json.dumps(message, ensure_ascii=False)
        if "<@" not in shown or not row.channel:
            return message
        with reading(self.settings.engine) as db:
            names = quiet.unmentioned(db, row.channel, shown, self.settings.as_of())
        for user, name in names.items():
            shown = _named(shown, user, json.dumps(name, ensure_ascii=False)[1:-1])  # as it reads inside the JSON
        return json.loads(shown) if names else message

    def _upload(self, row: OutboxMessage, client: WebClient, attempt: Attempt) -> dict[str, Any]:
        try:
            file = render_file(row.view, view_data(row.data))
        except (UnknownView, KeyError, TypeError, ValueError) as exc:
            raise Permanent(f"cannot render file view {row.view!r}: {exc}") from None

        def find(channel: str) -> dict[str, Any] | None:
            found = self.looker.look(row, attempt, client, channel, match=outbox_calls.file_titled(file.title))
            if found is None:
                attempt.posting(channel)  # not there: shared now
            return found

        channel = outbox_calls.file_channel(client, row)  # a file for one person goes to the DM with them
        keep = partial(self.claims.keep, row)
        self.pacing.await_channel(channel, keep)  # sharing a file posts a message in the channel
        self.claims.renew(row)
        return outbox_calls.upload_file(client, row, file, find=find, channel=channel)


def _named(shown: str, user: str, name: str) -> str:
    """`shown` with each mention of `user` replaced by `name` (taken as it is, not as a pattern)."""
    return re.sub(rf"<@{user}(?:\|[^>]*)?>", lambda _: name, shown)
