"""The outbox sender: delivers queued Slack calls once each, paced, retried, and recorded."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import func, or_
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot import outbox_calls
from bot.ids import Event
from bot.outbox_calls import Matcher, Permanent, Transient
from bot.views.registry import UnknownView, render, render_file
from storage.clock import utcnow
from storage.engine import lock_for_update, reading
from storage.models import FAILED, PENDING, SENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# held back at claim while their channel's pace runs (sharing a file posts a message too); a "dm" waits at posting
PACED_METHODS = {"chat.postMessage", "files.upload"}
RECONCILE_WINDOW = 200  # recent messages searched for an earlier attempt's idempotency key
RECONCILE_SLACK = timedelta(minutes=5)  # searched from this long before the message was queued


class Waiting(Exception):
    """The message depends on one not yet sent."""


@dataclass
class DrainReport:
    """What one drain did."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)


@dataclass
class OutboxSender:
    """Drains the outbox through `client`. One per process; safe beside other replicas."""

    engine: Engine
    client: WebClient
    worker: str
    pace_seconds: float = 1.0
    max_attempts: int = 8
    lease: timedelta = timedelta(minutes=5)
    clock: Callable[[], datetime] = utcnow
    _next_post: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def drain(self, *, max_seconds: float = 60.0, stop: threading.Event | None = None) -> DrainReport:
        """Send every ready message, waiting for paced channels, until none is ready or time runs out."""
        report = DrainReport()
        deadline = time.monotonic() + max_seconds
        with self._lock:
            idle_retry = True
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                row = self._claim()
                if row is not None:
                    self._deliver(row, report)
                    idle_retry = True
                    continue
                if not self._has_ready(ignore_pacing=True):
                    break
                wait = self._paced_wait()
                if wait is None:
                    # ready rows, none claimable: a channel's pace ran out meanwhile (look again),
                    # or another sender holds them (its business: stop after one more look)
                    if not idle_retry:
                        break
                    idle_retry, wait = False, 0.01
                time.sleep(min(wait, max(deadline - time.monotonic(), 0)))
        return report

    # -- claiming ---------------------------------------------------------------------------

    def _paced_channels(self) -> list[str]:
        now = time.monotonic()
        return [channel for channel, at in self._next_post.items() if at > now]

    def _paced_wait(self) -> float | None:
        now = time.monotonic()
        waits = [at - now for at in self._next_post.values() if at > now]
        return min(waits) if waits else None

    def _ready(self, now: datetime, *, paced: list[str]) -> Any:
        stale = now - self.lease
        query = select(OutboxMessage).where(
            or_(
                # A new message is ready at once, whatever clock its creator ran on (`tick --as-of`);
                # a retry waits for its backoff in wall-clock time.
                (col(OutboxMessage.status) == PENDING)
                & ((col(OutboxMessage.attempts) == 0) | (col(OutboxMessage.next_attempt_at) <= now)),
                (col(OutboxMessage.status) == SENDING) & (col(OutboxMessage.claimed_at) < stale),
            )
        )
        if paced:  # only posts are paced; ephemeral answers and updates go at once
            query = query.where(
                or_(col(OutboxMessage.method).not_in(PACED_METHODS), col(OutboxMessage.channel).is_(None),
                    col(OutboxMessage.channel).not_in(paced))
            )
        # a reply or an update is ready once the message it depends on is sent (or failed for good), or
        # when there is no such message at all (claiming it then parks it as failed, with the reason)
        parent = aliased(OutboxMessage)
        of_parent = select(parent.id).where(
            parent.idempotency_key == func.coalesce(OutboxMessage.updates, OutboxMessage.thread_of))
        query = query.where(
            or_(col(OutboxMessage.updates).is_(None) & col(OutboxMessage.thread_of).is_(None),
                of_parent.where(col(parent.status).in_([SENT, FAILED])).exists(), ~of_parent.exists())
        )
        return query.order_by(col(OutboxMessage.id))

    def _has_ready(self, *, ignore_pacing: bool) -> bool:
        with reading(self.engine) as db:
            paced = [] if ignore_pacing else self._paced_channels()
            return db.exec(self._ready(self.clock(), paced=paced).limit(1)).first() is not None

    def _claim(self) -> OutboxMessage | None:
        """Mark the oldest ready message as ours (status sending) and return it."""
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as db, db.begin():
            candidates = db.exec(
                self._ready(now, paced=self._paced_channels()).limit(20).with_for_update(**lock_for_update(self.engine))
            ).all()
            for row in candidates:
                try:
                    self._resolve_parent(db, row)
                except Waiting:
                    continue
                except Permanent as exc:
                    self._park(row, str(exc))
                    db.add(row)
                    continue
                row.status, row.claimed_by, row.claimed_at = SENDING, self.worker, now
                row.attempts += 1
                db.add(row)
                return row
        return None

    def _resolve_parent(self, db: Session, row: OutboxMessage) -> None:
        """Fill in the channel and ts this row needs from the message it replies to or updates."""
        parent_key = row.updates or row.thread_of
        if parent_key is None:
            return
        parent = db.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == parent_key)).first()
        if parent is None or parent.status == FAILED:
            raise Permanent(f"the message it depends on ({parent_key}) was never sent")
        if parent.status != SENT:
            raise Waiting(parent_key)
        row.channel = parent.sent_channel or parent.channel
        if row.updates:
            row.ts = parent.ts
        else:
            row.thread_ts = parent.ts

    # -- sending ----------------------------------------------------------------------------

    def _deliver(self, row: OutboxMessage, report: DrainReport) -> None:
        error: str | None = None
        permanent = False
        result: dict[str, Any] = {}
        try:
            result = self._call(row)
        except Permanent as exc:
            error, permanent = str(exc), True
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown_error"))
            error = f"{row.method}: {code} (HTTP {exc.response.status_code})"
            permanent = exc.response.status_code not in TRANSIENT_STATUS and code not in TRANSIENT_ERRORS
        except Transient as exc:
            error = f"{row.method}: {exc}"
        except (URLError, TimeoutError, OSError) as exc:
            error = f"{row.method}: {type(exc).__name__}: {exc}"
        # pace the channel posted to: a post's own, a DM's (or its fallback channel) once it is known
        posted = result.get("channel") if row.method == "dm" else row.channel
        if posted and (row.method in PACED_METHODS or row.method == "dm"):
            self._next_post[posted] = time.monotonic() + self.pace_seconds
        self._record(row, result=result, error=error, permanent=permanent, report=report)

    def _await_pace(self, channel: str) -> None:
        """Wait until `channel` may take another post (for messages whose channel is known only when sent)."""
        wait = self._next_post.get(channel, 0.0) - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def _call(self, row: OutboxMessage) -> dict[str, Any]:
        if row.method == "users.info":
            return outbox_calls.lookup_user(self.client, row)
        if row.method == "files.upload":
            return self._upload(row)
        try:
            message = render(row.view, row.data)
        except (UnknownView, KeyError, TypeError, ValueError) as exc:
            raise Permanent(f"cannot render view {row.view!r}: {exc}") from None
        message.pop("response_type", None)
        if row.method == "chat.postMessage":
            if row.attempts > 1 and (found := self._find_posted(row)) is not None:
                return found  # an earlier attempt reached Slack before this sender could record it
            response = self.client.chat_postMessage(
                channel=row.channel, thread_ts=row.thread_ts, metadata=outbox_calls.metadata(row.idempotency_key),
                **message,
            )
            return {"ts": response["ts"], "channel": response["channel"]}
        if row.method == "dm":
            find = partial(self._find_posted, row) if row.attempts > 1 else None
            return outbox_calls.send_dm(self.client, row, message, find=find, pace=self._await_pace)
        if row.method == "chat.update":
            response = self.client.chat_update(channel=row.channel, ts=row.ts, **message)
            return {"ts": response["ts"], "channel": response["channel"]}
        if row.method == "chat.postEphemeral":
            response = self.client.chat_postEphemeral(
                channel=row.channel, user=row.user, thread_ts=row.thread_ts, **message
            )
            return {"ts": response.get("message_ts"), "channel": row.channel}
        if row.method == "views.publish":
            self.client.views_publish(user_id=row.user or "", view=message["view"])
            return {"ts": None, "channel": None}
        raise Permanent(f"unknown outbox method {row.method!r}")

    def _upload(self, row: OutboxMessage) -> dict[str, Any]:
        try:
            file = render_file(row.view, row.data)
        except (UnknownView, KeyError, TypeError, ValueError) as exc:
            raise Permanent(f"cannot render file view {row.view!r}: {exc}") from None
        find = partial(self._find_posted, row, match=outbox_calls.file_titled(file.title)) if row.attempts > 1 else None
        return outbox_calls.upload_file(self.client, row, file, find=find)

    def _find_posted(
        self, row: OutboxMessage, channel: str | None = None, *, match: Matcher | None = None
    ) -> dict[str, Any] | None:
        """Look for this row's idempotency key in the metadata of the channel's (or thread's) recent messages.

        `channel` overrides the row's (a direct message searches the DM, then its fallback channel);
        `match` replaces the key's test (a file is known by its title).

        When Slack cannot be asked (a missing scope, say), the message is posted again: a rare
        duplicate is better than a message never delivered.
        """
        oldest = f"{(min(row.created_at, self.clock()) - RECONCILE_SLACK).timestamp():.6f}"
        channel = channel or row.channel or ""
        try:
            if row.thread_ts:
                response = self.client.conversations_replies(
                    channel=channel, ts=row.thread_ts, include_all_metadata=True, limit=RECONCILE_WINDOW,
                    oldest=oldest,
                )
            else:
                response = self.client.conversations_history(
                    channel=channel, include_all_metadata=True, limit=RECONCILE_WINDOW, oldest=oldest
                )
        except SlackApiError as exc:
            log.warning("outbox %s: could not look for an earlier attempt (%s) in %s; posting again",
                        row.idempotency_key, exc.response.get("error"), channel)
            return None
        match = match or partial(_carries_key, row.idempotency_key)
        for message in response.get("messages", []):
            if match(message):
                log.info("outbox %s was already in Slack (ts %s): recorded, not posted again",
                         row.idempotency_key, message["ts"])
                return {"ts": message["ts"], "channel": channel}
        return None

    def _record(
        self, row: OutboxMessage, *, result: dict[str, Any], error: str | None, permanent: bool,
        report: DrainReport,
    ) -> None:
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as db, db.begin():
            fresh = db.get(OutboxMessage, row.id)
            if fresh is None or fresh.claimed_by != self.worker or fresh.status != SENDING:
                log.warning("outbox %s was taken over by another sender; leaving it", row.idempotency_key)
                return
            fresh.channel, fresh.thread_ts = row.channel, row.thread_ts
            if error is None:
                fresh.status, fresh.sent_at, fresh.last_error = SENT, now, None
                fresh.ts, fresh.sent_channel = result.get("ts"), result.get("channel")
                if (after_sent := outbox_calls.AFTER_SENT.get(fresh.method)) is not None:
                    after_sent(db, fresh, result)
                report.sent.append(fresh.idempotency_key)
            elif permanent or fresh.attempts >= self.max_attempts:
                self._park(fresh, error)
                report.failed.append(fresh.idempotency_key)
            else:
                fresh.status, fresh.last_error = PENDING, error
                fresh.next_attempt_at = now + timedelta(seconds=min(2**fresh.attempts, 300))
                report.retried.append(fresh.idempotency_key)
                log.warning("outbox %s: %s; retry %d at %s", fresh.idempotency_key, error,
                            fresh.attempts, fresh.next_attempt_at.isoformat())
            db.add(fresh)

    @staticmethod
    def _park(row: OutboxMessage, error: str) -> None:
        row.status, row.last_error = FAILED, error[:2000]
        log.error("outbox %s parked as failed after %d attempt(s): %s", row.idempotency_key, row.attempts, error)


def _carries_key(key: str, message: dict[str, Any]) -> bool:
    """Whether a message's metadata carries the outbox idempotency key `key`."""
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == Event.OUTBOX.value and (metadata.get("event_payload") or {}).get("key") == key


class OutboxPump(threading.Thread):
    """A background thread that drains the outbox when told to, and every `every` seconds."""

    def __init__(self, sender: OutboxSender, *, every: float) -> None:
        super().__init__(name="accord-outbox", daemon=True)
        self.sender, self.every = sender, every
        self._wake, self._halt = threading.Event(), threading.Event()

    def notify(self) -> None:
        """Ask for a drain now (after a transaction that queued messages)."""
        self._wake.set()

    def run(self) -> None:
        """Drain until stopped; an error in one drain is logged and the next one tries again."""
        while not self._halt.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            try:
                self.sender.drain(stop=self._halt)
            except Exception:
                log.exception("outbox drain failed; will try again")

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the message in flight, then stop."""
        self._halt.set()
        self._wake.set()
        self.join(timeout)
