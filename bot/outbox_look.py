"""Before a post goes again: looking in Slack for an earlier attempt it may hold unrecorded (the reconciliation).

The notes, history budget and shared reads it uses are bot.outbox_reconcile's, which explains the look's limits.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import outbox_reconcile as reconcile
from bot.ids import Event
from bot.outbox_calls import Matcher
from bot.outbox_clients import DerivedClients
from bot.outbox_reconcile import Deferred, HistoryBudget, HistoryTier, Notes, Seen, Unconfirmed
from bot.wait_clock import WaitClock
from storage.models import OutboxMessage

log = logging.getLogger("bot.outbox")

SEARCHED = {"chat.postMessage", "dm", "files.upload"}  # looked for in Slack before a retry may post them again
# a row left by a sender that kept no notes is looked for from this long before it was queued
RECONCILE_SLACK = timedelta(minutes=5)


@dataclass
class Attempt:
    """One delivery of a row: the sender's notes as it began, whether it posted (when, where), and whether it only
    waited to look for an earlier attempt."""

    notes: Notes
    posting_since: float | None = None
    posted_to: str | None = None
    waited: bool = False

    def posting(self, channel: str) -> None:
        """The post is made now, to `channel` (a person's id: their DM with the app, its channel not yet known)."""
        self.posting_since, self.posted_to = time.time(), None if is_person(channel) else channel


def notes_of(row: OutboxMessage, now: datetime) -> Notes:
    """The sender's notes in `row`. A row left by a sender that kept none, tried before and not refused by Slack's
    answer, may be in Slack since it was queued: looked for from then."""
    notes = Notes.of(row.data)
    if not notes.kept and row.method in SEARCHED and row.attempts > 1 and "(HTTP " not in (row.last_error or ""):
        since = (min(row.created_at, now) - RECONCILE_SLACK).timestamp()
        notes.unconfirmed = Unconfirmed(since=since, until=time.time())
    return notes


def taken_over(row: OutboxMessage, now: datetime) -> dict[str, Any]:
    """The data of a row claimed from a sender whose lease ran out (it died, or stalled): whether it posted the
    message is not known, from its claim until now. So it is looked for first."""
    notes = Notes.of(row.data)
    since = min(row.claimed_at or now, now).timestamp()
    until = time.time()
    notes.unconfirmed = notes.unconfirmed.widened(since, until) if notes.unconfirmed is not None \
        else Unconfirmed(since=since, until=until)
    return notes.into(row.data)


def is_person(channel: str) -> bool:
    """Whether `channel` is a person's id (U…, or W… on Enterprise Grid): a post there goes to their DM."""
    return channel[:1] in ("U", "W")


def retry_after(headers: Any) -> float:
    """Seconds from a 429's Retry-After header (1 when it is missing or unreadable)."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value[0] if isinstance(value, list) else value), 0.0)
            except (TypeError, ValueError, IndexError):
                break
    return 1.0


def carries_key(key: str, message: dict[str, Any]) -> bool:
    """Whether a message's metadata carries the outbox idempotency key `key`."""
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == Event.OUTBOX.value and (metadata.get("event_payload") or {}).get("key") == key


class LookSettings(Protocol):
    """What a look reads of its sender's settings (read at each use: a sender's may change between drains)."""

    @property
    def history(self) -> HistoryTier: ...  # how often this app may read a workspace's history, how much a call gives

    @property
    def wait_clock(self) -> WaitClock: ...


@dataclass
class Looker:
    """Looks for earlier attempts within the history budget every replica shares, and the reads this process made."""

    settings: LookSettings
    budget: HistoryBudget
    seen: Seen
    clients: DerivedClients

    def look(self, row: OutboxMessage, attempt: Attempt, client: WebClient, channel: str, *,
             match: Matcher | None = None) -> dict[str, Any] | None:
        """Before posting `row` again: look for the attempt that may be in Slack unrecorded, if there is one. The
        message found (its ts and channel), or None: none to look for, or it is not there (post it). Raises
        Deferred when the look must wait for the history budget or Slack's Retry-After.

        `channel` is where the row posts (a DM's channel, once opened), unless the attempt noted where it posted;
        `match` replaces the key's test (a file is known by its title). When Slack cannot be asked (a missing
        scope, say), the message is posted again: a rare duplicate is better than a message never delivered."""
        state = attempt.notes.unconfirmed
        if state is None:
            return None
        channel = state.channel or channel
        match = match or partial(carries_key, row.idempotency_key)
        method = "conversations.replies" if row.thread_ts else "conversations.history"
        token = client.token or ""
        where = (token, channel, row.thread_ts or "")
        if (message := self.seen.find(where, match)) is not None:
            self.seen.release(where, row.id or 0)
            return _found(row, attempt, message, channel)
        if self.seen.ruled_out(where, state):
            self._not_there(where, row, attempt)
            return None
        while True:
            if (holder := self.seen.hold(where, row.id or 0, self.settings.wait_clock.monotonic())) is not None:
                # another row's look reads this channel: wait for what it finds rather than read it twice (until
                # just after its next page, which comes first)
                wait = max(self.budget.peek(token, method), reconcile.MINUTE / self.settings.history.per_minute) + 1.0
                raise Deferred(wait, state, f"waiting {wait:.0f} s for the look under way in {channel} (outbox row "
                               f"{holder}) to look for an earlier attempt there")
            wait = self.budget.take(token, method)
            if wait > reconcile.WAIT_IN_PLACE:
                raise Deferred(wait, state, f"waiting {wait:.0f} s for Slack's history limit ({method}, "
                               f"{self.settings.history.per_minute} a minute) to look for an earlier attempt in "
                               f"{channel}")
            if wait > 0:
                self.settings.wait_clock.sleep(wait)
                continue
            try:
                page = self._history_page(client, method, channel, row.thread_ts, state)
            except SlackApiError as exc:
                self._refused(exc, row, state, token, method, channel)  # raises Deferred on a 429, unless given up
                self._not_there(where, row, attempt)
                return None
            except Exception:  # no answer (a timeout, a lost connection): the call may have counted
                self.budget.answered(token, method)
                raise
            self.budget.answered(token, method)
            state.refused, state.pages = 0, state.pages + 1
            messages = page.get("messages") or []
            self.seen.note(where, messages)
            if (message := next((m for m in messages if match(m)), None)) is not None:
                self.seen.release(where, row.id or 0)
                return _found(row, attempt, message, channel)
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:  # the window read whole: not there
                self.seen.read_whole(where, state.oldest, state.latest)
                log.info("outbox %s: not in Slack (%d page(s) of %s read); posting it", row.idempotency_key,
                         state.pages, channel)
                self._not_there(where, row, attempt)
                return None
            state.cursor = cursor

    def _not_there(self, where: tuple[str, str, str], row: OutboxMessage, attempt: Attempt) -> None:
        """The look ended without finding it (or gave up): post it."""
        self.seen.release(where, row.id or 0)
        attempt.notes.unconfirmed = None

    def _refused(self, exc: SlackApiError, row: OutboxMessage, state: Unconfirmed, token: str, method: str,
                 channel: str) -> None:
        """Slack refused a history read. A 429 defers the look (Deferred), until MAX_REFUSED in a row decide "not
        posted"; another error means Slack cannot be asked. Returns when the message is to be posted again."""
        if exc.response.status_code != 429:
            self.budget.answered(token, method)
            log.warning("outbox %s: could not look for an earlier attempt (%s) in %s; posting again",
                        row.idempotency_key, exc.response.get("error"), channel)
            return
        wait = retry_after(exc.response.headers)
        self.budget.refused(token, method, wait)
        state.refused += 1
        if state.refused >= reconcile.MAX_REFUSED:
            log.warning("outbox %s: Slack refused %d looks in a row for an earlier attempt (from %s) in %s; "
                        "decided it was not posted: posting again (a duplicate is possible)",
                        row.idempotency_key, state.refused,
                        datetime.fromtimestamp(state.since, UTC).isoformat(timespec="seconds"), channel)
            return
        raise Deferred(wait, state, f"{method}: ratelimited (HTTP 429) looking for an earlier "
                       f"attempt in {channel}; looking again in {wait:.0f} s") from None

    def _history_page(self, client: WebClient, method: str, channel: str, thread_ts: str | None,
                      state: Unconfirmed) -> Any:
        """The next page of the window `state` is looked for in, newest first (a thread's, oldest first).

        One try (no retry of a timeout or a lost connection): Slack may have counted the call though its answer
        never came, and a second call within the minute is refused; the look carries on with the next budget."""
        client = self.clients.one_try(client)
        arguments: dict[str, Any] = {
            "channel": channel, "include_all_metadata": True, "limit": self.settings.history.page, "inclusive": True,
            "oldest": f"{state.oldest:.6f}", "latest": f"{state.latest:.6f}",
        }
        if state.cursor:
            arguments["cursor"] = state.cursor
        if method == "conversations.replies":
            return client.conversations_replies(ts=thread_ts or "", **arguments)
        return client.conversations_history(**arguments)


def _found(row: OutboxMessage, attempt: Attempt, message: dict[str, Any], channel: str) -> dict[str, Any]:
    log.info("outbox %s was already in Slack (ts %s): recorded, not posted again", row.idempotency_key, message["ts"])
    attempt.notes.unconfirmed = None
    return {"ts": message["ts"], "channel": channel}
