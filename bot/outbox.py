"""The outbox sender: delivers queued Slack calls once each, paced, retried, and recorded."""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy import Integer, String, and_, bindparam, case, cast, func, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot import outbox_calls, pace
from bot import outbox_reconcile as reconcile
from bot.ids import Event
from bot.outbox_calls import Matcher, Permanent, Transient
from bot.outbox_reconcile import Deferred, HistoryBudget, HistoryTier, Notes, Seen, Unconfirmed, view_data
from bot.tokens import TokenSource
from bot.views.registry import UnknownView, render, render_file
from bot.wait_clock import RealClock, WaitClock
from commands import quiet
from storage.clock import utcnow
from storage.engine import lock_for_update, reading
from storage.models import FAILED, PENDING, SENDING, SENT, OutboxMessage

log = logging.getLogger(__name__)

TRANSIENT_STATUS = {408, 429, 500, 502, 503, 504}
TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
# held back at claim while their channel's pace runs (sharing a file posts a message too); a "dm" waits at posting
PACED_METHODS = {"chat.postMessage", "files.upload"}
# a row left by a sender that kept no notes (see bot.outbox_reconcile) is looked for from this long before it was
# queued
RECONCILE_SLACK = timedelta(minutes=5)
SEARCHED = {"chat.postMessage", "dm", "files.upload"}  # looked for in Slack before a retry may post them again
# Messages of one lane are delivered one at a time, in order: a channel's posts and ephemeral answers; one
# person's DMs (a round's prompts to a hundred people go side by side, each person's DM paced on its own); the
# updates of one message; the calls about one user (Home tab, users.info).
LANE = case((col(OutboxMessage.method) == "dm", OutboxMessage.user),
            else_=func.coalesce(OutboxMessage.channel, OutboxMessage.updates, OutboxMessage.user,
                                cast(OutboxMessage.id, String)))
CLAIM_INTERVAL = 0.02  # seconds between claims while every lane is busy or paced
CLAIM_ROUNDS = 50  # heads set aside (held for working hours, parked) before a claim gives up for now
POLL_SECONDS = 0.1  # while delivering, look for new messages at least this often
PACE_MARGIN = 0.05  # seconds added to a shared slot: posts a slot apart arrive at Slack a little unevenly
WORKSPACE_MARGIN = 1.03  # a workspace's posts spaced 3% wider than its budget: Slack counts them on arrival
PACE_ENTRIES = 1000  # channels remembered for pacing before the ones whose pace ran out are forgotten


@dataclass(frozen=True)
class _ReadyStatements:
    """The statements that find ready messages, built once: their parameters are `now`, `stale`, and the
    channels `paced` and the lanes `busy` (lists, maybe empty)."""

    any_ready: Any  # the id of one ready message, if any
    heads: Any  # the oldest ready message of each of up to `limit` lanes: (id, lane)
    candidates: Any  # those of the messages `ids` still ready, with their rows
    locking: Any  # the same, each row locked, skipping rows another sender holds (PostgreSQL)


def _ready_clause() -> Any:
    """Ready to send: new, or a retry whose backoff is over, or claimed by a sender whose lease ran out; not
    paced, not in a busy lane; and not a reply or update still waiting for its parent."""
    now, stale = bindparam("now", type_=OutboxMessage.__table__.c.next_attempt_at.type), \
        bindparam("stale", type_=OutboxMessage.__table__.c.claimed_at.type)
    # a reply or an update is ready once the message it depends on is sent (or failed for good), or
    # when there is no such message at all (claiming it then parks it as failed, with the reason)
    parent = aliased(OutboxMessage)
    of_parent = select(parent.id).where(
        parent.idempotency_key == func.coalesce(OutboxMessage.updates, OutboxMessage.thread_of))
    return and_(
        or_(
            # A new message is ready at once, whatever clock its creator ran on (`tick --as-of`);
            # a retry waits for its backoff in wall-clock time.
            (col(OutboxMessage.status) == PENDING)
            & ((col(OutboxMessage.attempts) == 0) | (col(OutboxMessage.next_attempt_at) <= now)),
            (col(OutboxMessage.status) == SENDING) & (col(OutboxMessage.claimed_at) < stale),
        ),
        # a message addressed to people waits for their working hours
        or_(col(OutboxMessage.not_before).is_(None),
            col(OutboxMessage.not_before) <= bindparam("as_of", type_=OutboxMessage.__table__.c.not_before.type)),
        # only posts are paced; ephemeral answers and updates go at once
        or_(col(OutboxMessage.method).not_in(PACED_METHODS), col(OutboxMessage.channel).is_(None),
            col(OutboxMessage.channel).not_in(bindparam("paced", expanding=True))),
        LANE.not_in(bindparam("busy", expanding=True)),
        or_(col(OutboxMessage.updates).is_(None) & col(OutboxMessage.thread_of).is_(None),
            of_parent.where(col(parent.status).in_([SENT, FAILED])).exists(), ~of_parent.exists()),
    )


@cache
def _ready_statements() -> _ReadyStatements:
    ready = _ready_clause()
    candidates = (select(OutboxMessage).where(col(OutboxMessage.id).in_(bindparam("ids", expanding=True)), ready)
                  .order_by(col(OutboxMessage.id)))
    return _ReadyStatements(
        any_ready=select(OutboxMessage.id).where(ready).limit(1),
        # the lanes with the most waiting first (a lane goes one message at a time, paced: the longest takes
        # longest, so it starts first), then the oldest
        heads=(select(func.min(OutboxMessage.id), LANE).where(ready).group_by(LANE)
               .order_by(func.count().desc(), func.min(OutboxMessage.id)).limit(bindparam("limit", type_=Integer))),
        candidates=candidates,
        locking=candidates.with_for_update(skip_locked=True),
    )


@dataclass
class _Attempt:
    """One delivery of a row: the sender's notes as it began (see bot.outbox_reconcile), whether it posted (when,
    where), and whether it only waited to look for an earlier attempt."""

    notes: Notes
    posting_since: float | None = None
    posted_to: str | None = None
    waited: bool = False

    def posting(self, channel: str) -> None:
        """The post is made now, to `channel` (a person's id: their DM with the app, its channel not yet known)."""
        self.posting_since, self.posted_to = time.time(), None if _is_person(channel) else channel


class Waiting(Exception):
    """The message depends on one not yet sent."""


class TakenOver(Exception):
    """The sender's lease on the message ran out and another sender claimed it: this one must not post it."""


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
    # the instant people's working hours are judged at (data["quiet"], not_before): now, or a tick's --as-of
    as_of: Callable[[], datetime] = utcnow
    # which bot token each message goes with (OAuth: its organisation's installation); None: always `client`
    tokens: TokenSource | None = None
    # messages delivered at once, never two of one lane (see LANE) together; 1 delivers them one by one
    workers: int = 1
    # a paced channel's next post is claimed this long before its turn (its worker waits for the turn), so
    # that claiming, which looks for the next message of every free channel at once, keeps no channel waiting
    claim_ahead: float = 0.05
    # the clock a channel's pace is waited on (tests: a SteppedClock, which never really waits)
    wait_clock: WaitClock = field(default_factory=RealClock)
    _next_post: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # guards the pacing state below, shared by the workers; notified when a delivery ends
    _state: threading.Condition = field(default_factory=threading.Condition)
    _in_flight: set[str] = field(default_factory=set)  # lanes with a message being delivered
    _delivered: int = 0  # deliveries ended, so that the dispatcher never misses one
    _rate_limited: set[int] = field(default_factory=set)  # rows put back until Slack's Retry-After (429)
    # how often this app may read a workspace's history (an app outside the Slack Marketplace: once a minute,
    # unless ACCORD_SLACK_HISTORY_TIER=marketplace)
    history: HistoryTier = field(default_factory=reconcile.history_tier)
    _budget: HistoryBudget = field(init=False)
    # the posts a workspace takes a minute, every replica together (Slack: "several hundred"; 0: not paced)
    posts_per_minute: int = 600
    _seen: Seen = field(default_factory=Seen)  # the history read lately, shared by the looks it can serve

    def __post_init__(self) -> None:
        self._budget = HistoryBudget(self.history, self.engine, self._pace_time)

    def drain(self, *, max_seconds: float = 60.0, stop: threading.Event | None = None) -> DrainReport:
        """Send every ready message, waiting for paced channels, until none is ready or time runs out.

        With several `workers`, this thread claims the next message of each free lane (at most one claim
        every CLAIM_INTERVAL while every lane is busy or paced) and the workers deliver them.
        """
        report = DrainReport()
        deadline = time.monotonic() + max_seconds
        with self._lock, _Workers(self.workers) as workers:
            idle_retry = True
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                with self._state:
                    busy, delivered = len(self._in_flight), self._delivered
                free = self.workers - busy
                if free > 0:
                    rows = self._claim(free)
                    for row, lane in rows:
                        workers.run(self._send, row, lane, report)
                    if rows:
                        idle_retry = True
                        if len(rows) == free:
                            continue
                    elif not busy:
                        if not self._has_ready(ignore_pacing=True):
                            # none ready: wait for a message Slack told this sender to send later (429), or one
                            # waiting for the history budget, if any
                            wait = self._rate_limit_wait()
                            if wait is None:
                                break
                            self._wait_rate_limited(wait, max(deadline - time.monotonic(), 0), stop)
                            continue
                        if (wait := self._paced_wait()) is not None:  # a channel's turn comes
                            self.wait_clock.sleep(min(wait, max(deadline - time.monotonic(), 0)), stop)
                            continue
                        # ready rows, none claimable: a channel's pace ran out meanwhile (look again),
                        # or another sender holds them (its business: stop after one more look)
                        if not idle_retry:
                            break
                        idle_retry = False
                        if stop is not None:
                            stop.wait(0.01)
                        else:
                            time.sleep(0.01)
                        continue
                # deliveries under way: claim again when one ends or a channel's turn comes, not more often
                # than every CLAIM_INTERVAL
                claimed_at = time.monotonic()
                with self._state:
                    self._state.wait_for(lambda seen=delivered: self._delivered != seen,  # type: ignore[misc]
                                         timeout=min(self._paced_wait() or POLL_SECONDS, POLL_SECONDS))
                time.sleep(max(claimed_at + CLAIM_INTERVAL - time.monotonic(), 0))
        return report

    def _rate_limit_wait(self) -> float | None:
        """Seconds until the first message this sender put back on a 429 may go again; None when none waits."""
        with self._state:
            ids = list(self._rate_limited)
        if not ids:
            return None
        with reading(self.engine) as db:
            waiting = db.exec(select(OutboxMessage.id, OutboxMessage.next_attempt_at).where(
                col(OutboxMessage.id).in_(ids), OutboxMessage.status == PENDING)).all()
        now = self.clock()
        still = {row_id: at for row_id, at in waiting if at > now}  # a due one not ready is held for another reason
        with self._state:  # the others went meanwhile (from here or another replica), were parked, or are due
            self._rate_limited.difference_update(set(ids) - set(still))
        if not still:
            return None
        return (min(still.values()) - now).total_seconds() + 0.01

    def _wait_rate_limited(self, seconds: float, left: float, stop: threading.Event | None) -> None:
        """Wait `seconds` on the wait clock for the rows put back until a Retry-After or the history budget, then
        bring forward those whose time has come by it. A real wait is cut into POLL_SECONDS x 10 steps (a new
        message is not kept waiting behind a minute's history budget), and to the `left` seconds of the drain; a
        SteppedClock's passes whole at once, and the rows' time comes though the machine's clock hardly moved."""
        if isinstance(self.wait_clock, RealClock):
            seconds = min(seconds, 10 * POLL_SECONDS, left)
        started = self.clock()
        self.wait_clock.sleep(seconds, stop)
        now, due = self.clock(), started + timedelta(seconds=seconds)
        with self._state:
            ids = list(self._rate_limited)
        if not ids or due <= now or (stop is not None and stop.is_set()):
            return
        with self.engine.begin() as connection:
            connection.execute(update(OutboxMessage).where(
                col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == PENDING,
                col(OutboxMessage.next_attempt_at) > now, col(OutboxMessage.next_attempt_at) <= due,
            ).values(next_attempt_at=now))

    def _send(self, row: OutboxMessage, lane: str, report: DrainReport) -> None:
        """Deliver one claimed message (in a worker), then free its lane."""
        try:
            self._deliver(row, report)
        except Exception:  # the row stays claimed: another attempt takes it over when its lease ends
            log.exception("outbox %s: delivery failed", row.idempotency_key)
        finally:
            with self._state:
                self._in_flight.discard(lane)
                self._delivered += 1
                self._state.notify_all()

    # -- claiming ---------------------------------------------------------------------------

    def _paced_channels(self) -> list[str]:
        """Channels whose next post must wait (the lock held): their turn is more than claim_ahead away."""
        now = self.wait_clock.monotonic() + self.claim_ahead
        return [channel for channel, at in self._next_post.items() if at > now]

    def _paced_wait(self) -> float | None:
        """Seconds until the next channel not under way may be claimed for, if one is paced."""
        with self._state:
            now = self.wait_clock.monotonic() + self.claim_ahead
            waits = [at - now for channel, at in self._next_post.items()
                     if at > now and channel not in self._in_flight]
        return min(waits) if waits else None

    def _ready_parameters(self, now: datetime, *, paced: list[str] = (),  # type: ignore[assignment]
                          busy: list[str] = ()) -> dict[str, Any]:  # type: ignore[assignment]
        """The values of the ready statements' parameters (see _ready_clause)."""
        return {"now": now, "stale": now - self.lease, "paced": list(paced), "busy": list(busy), "as_of": self.as_of()}

    def _has_ready(self, *, ignore_pacing: bool) -> bool:
        with self._state:
            paced = [] if ignore_pacing else self._paced_channels()
        with reading(self.engine) as db:
            found = db.execute(_ready_statements().any_ready, self._ready_parameters(self.clock(), paced=paced))
            return found.first() is not None

    def _claim(self, limit: int = 1) -> list[tuple[OutboxMessage, str]]:
        """Mark as ours (status sending) the oldest ready message of each of up to `limit` lanes that are
        neither paced nor under way; return them, oldest first, each with its lane (now under way).

        A head put back for its people's working hours, or parked, lets the next message of its lane be the
        head: look again then, so that held messages never keep the ready ones behind them waiting."""
        for _ in range(CLAIM_ROUNDS):
            claimed, set_aside = self._claim_heads(limit)
            if claimed or not set_aside:
                return claimed
        return []

    def _claim_heads(self, limit: int) -> tuple[list[tuple[OutboxMessage, str]], bool]:
        now = self.clock()
        with self._state:
            paced = self._paced_channels()
            busy = list(self._in_flight)
        claimed: list[tuple[OutboxMessage, str]] = []
        set_aside = False
        statements = _ready_statements()
        with Session(self.engine, expire_on_commit=False) as db, db.begin():
            heads = dict(db.execute(statements.heads, {  # type: ignore[arg-type]
                **self._ready_parameters(now, paced=paced, busy=busy), "limit": limit,
            }).all())
            if not heads:
                return [], False
            locking = statements.locking if lock_for_update(self.engine) else statements.candidates
            candidates = db.scalars(locking, {**self._ready_parameters(now), "ids": list(heads)}).all()
            for row in candidates:
                try:
                    self._resolve_parent(db, row)
                except Waiting:
                    continue
                except Permanent as exc:
                    self._park(row, str(exc))
                    db.add(row)
                    set_aside = True
                    continue
                if (hold := quiet.hold_until(db, row.data, self.as_of())) is not None:
                    row.not_before = hold  # its people's working hours ended while it waited: until they start
                    db.add(row)
                    set_aside = True
                    continue
                if row.status == SENDING and row.method in SEARCHED:
                    row.data = self._taken_over(row, now)
                row.status, row.claimed_by, row.claimed_at = SENDING, self.worker, now
                row.attempts += 1
                db.add(row)
                claimed.append((row, heads[row.id]))
        with self._state:
            self._in_flight.update(lane for _, lane in claimed)
        return claimed, set_aside

    @staticmethod
    def _taken_over(row: OutboxMessage, now: datetime) -> dict[str, Any]:
        """The data of a row claimed from a sender whose lease ran out (it died, or stalled): whether it posted
        the message is not known, from its claim until now. So it is looked for first."""
        notes = Notes.of(row.data)
        since = min(row.claimed_at or now, now).timestamp()
        until = time.time()
        notes.unconfirmed = notes.unconfirmed.widened(since, until) if notes.unconfirmed is not None \
            else Unconfirmed(since=since, until=until)
        return notes.into(row.data)

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
        retry_after: float | None = None  # Slack's Retry-After, on a 429
        failure: BaseException | None = None
        attempt = _Attempt(self._notes(row))
        try:
            result = self._call(row, attempt)
        except TakenOver:
            log.warning("outbox %s was taken over by another sender before it was posted; leaving it",
                        row.idempotency_key)
            return
        except Deferred as exc:  # the look for an earlier attempt waits: nothing was posted
            error, retry_after, attempt.waited = f"{row.method}: {exc}", exc.wait, True
            attempt.notes.unconfirmed = exc.state
        except Permanent as exc:
            error, permanent, failure = str(exc), True, exc
        except SlackApiError as exc:
            code = str(exc.response.get("error", "unknown_error"))
            error, failure = f"{row.method}: {code} (HTTP {exc.response.status_code})", exc
            permanent = exc.response.status_code not in TRANSIENT_STATUS and code not in TRANSIENT_ERRORS
            if exc.response.status_code == 429:
                retry_after = _retry_after(exc.response.headers)
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
        # waits posted nothing)
        posted = None if result.get("ephemeral") or attempt.waited else row.user if row.method == "dm" else row.channel
        with self._state:
            if posted and (row.method in PACED_METHODS or row.method == "dm"):
                # after a 429 the channel waits as long as Slack said, not only its pace (every replica does)
                self._next_post[posted] = self.wait_clock.monotonic() + max(self.pace_seconds, retry_after or 0.0)
            if len(self._next_post) > PACE_ENTRIES:  # forget the channels whose pace has long run out
                now = self.wait_clock.monotonic()
                self._next_post = {channel: at for channel, at in self._next_post.items() if at > now}
        hold = max(self.pace_seconds + PACE_MARGIN if self.pace_seconds else 0.0, retry_after or 0.0)
        if posted and hold and (row.method in PACED_METHODS or row.method == "dm"):
            # the channel's next post, from any replica, a pace after this one's answer (a post that reached Slack
            # late must not leave the next one, its slot reserved already, arriving early), or as long as Slack's
            # Retry-After said
            pace.postpone(self.engine, f"posted:{posted}", seconds=hold, now=self._pace_time())  # not under lock
        self._record(row, result=result, error=error, permanent=permanent, report=report, retry_after=retry_after,
                     attempt=attempt if row.method in SEARCHED else None)

    def _notes(self, row: OutboxMessage) -> Notes:
        """The sender's notes in `row` (see bot.outbox_reconcile). A row left by a sender that kept none, tried
        before and not refused by Slack's answer, may be in Slack since it was queued: looked for from then."""
        notes = Notes.of(row.data)
        if not notes.kept and row.method in SEARCHED and row.attempts > 1 and "(HTTP " not in (row.last_error or ""):
            since = (min(row.created_at, self.clock()) - RECONCILE_SLACK).timestamp()
            notes.unconfirmed = Unconfirmed(since=since, until=time.time())
        return notes

    def _await_pace(self, row: OutboxMessage, channel: str) -> None:
        """Wait until `channel` may take another post (a DM: `channel` is its person's id, where it is posted):
        this sender's own pace, then a slot of the channel's pace shared with every replica through the database
        (bot.pace: one person's DMs from several partnerships may go from several replicas at once)."""
        with self._state:
            wait = self._next_post.get(channel, 0.0) - self.wait_clock.monotonic()
        self.wait_clock.sleep(wait)
        every = self.pace_seconds + PACE_MARGIN if self.pace_seconds else 0.0
        self._await_slot(row, f"post:{channel}", every)
        # and a pace after the last post's start and its answer (or its Retry-After), whichever replica made it: a
        # post held up past its slot moves the next one on, though its slot was reserved already
        self.wait_clock.sleep(pace.reserve(self.engine, f"posted:{channel}", every=every, now=self._pace_time))

    def _await_post(self, row: OutboxMessage, client: WebClient, channel: str) -> None:
        """Wait for a slot of the workspace's posts (`posts_per_minute`, every replica together; bot.pace), then
        for `channel`'s pace: the channel's, the shorter, last, so that its posts reach Slack spaced as reserved
        however long the workspace's queue made them wait."""
        if self.posts_per_minute:
            every = WORKSPACE_MARGIN * 60.0 / self.posts_per_minute
            self._await_slot(row, f"posts:{pace.workspace_of(client.token or '')}", every)
        self._await_pace(row, channel)

    def _await_slot(self, row: OutboxMessage, key: str, every: float) -> None:
        """Reserve a slot of the shared budget `key` and wait for it. A slot further off than a quarter of the
        lease keeps `row`'s claim until then (the wait is the budget's, not a stalled sender's: no other sender
        may take the message over meanwhile, and wait for a slot of its own behind this one)."""
        wait = pace.reserve(self.engine, key, every=every, now=self._pace_time)
        if wait > self.lease.total_seconds() / 4:
            self._renew(row, hold=wait)
        self.wait_clock.sleep(wait)

    def _pace_time(self) -> float:
        """Seconds since the epoch as the shared pace counts them: the wall clock, moved on by the waits a
        stepped clock skipped (tests), so that the slots reserved match the waits made."""
        return time.time() + float(getattr(self.wait_clock, "waited", 0.0))

    def _before_post(self, row: OutboxMessage, attempt: _Attempt, client: WebClient, channel: str) -> None:
        """Wait for `channel`'s pace and the workspace's, then make sure `row` is still this sender's to post; it
        is posted now (to `channel`: a DM's channel, or the person's id, where Slack posts in the app's DM)."""
        self._await_post(row, client, channel)
        self._renew(row)
        attempt.posting(channel)

    def _renew(self, row: OutboxMessage, *, hold: float = 0.0) -> None:
        """Right before a post: check that the claim on `row` is still this sender's and start its lease again
        (from `hold` seconds on: the time a shared budget's slot is waited for).

        A sender held up between its claim and its post for longer than the lease (a slow answer, a stalled
        machine) may have lost the message to another sender, which found it not yet in Slack and posted it:
        TakenOver then, so that it is not posted twice. A claim younger than a quarter of the lease needs no
        look (replicas' clocks agree far better than that).
        """
        now = self.clock()
        if not hold and row.claimed_at is not None and now - row.claimed_at < self.lease / 4:
            return
        now += timedelta(seconds=hold)
        with self.engine.begin() as connection:
            renewed = connection.execute(update(OutboxMessage).where(
                col(OutboxMessage.id) == row.id, col(OutboxMessage.status) == SENDING,
                col(OutboxMessage.claimed_by) == self.worker, col(OutboxMessage.attempts) == row.attempts,
            ).values(claimed_at=now)).rowcount
        if renewed != 1:
            raise TakenOver(row.idempotency_key)
        row.claimed_at = now

    def _call(self, row: OutboxMessage, attempt: _Attempt) -> dict[str, Any]:
        # the bot token this message goes with (OAuth: its organisation's installation; NotInstalled is permanent)
        client = self.tokens.client_for(row) if self.tokens is not None else self.client
        client = _answering_429_at_once(client)
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
            if (found := self._look(row, attempt, client, row.channel or "")) is not None:
                return found  # an earlier attempt reached Slack before this sender could record it
            self._await_post(row, client, row.channel or "")
            self._renew(row)
            attempt.posting(row.channel or "")
            response = client.chat_postMessage(
                channel=row.channel, thread_ts=row.thread_ts, metadata=outbox_calls.metadata(row.idempotency_key),
                **message,
            )
            return {"ts": response["ts"], "channel": response["channel"]}
        if row.method == "dm":
            # an earlier attempt that may be in Slack is looked for in the DM first
            find = partial(self._look, row, attempt, client) if attempt.notes.unconfirmed is not None else None
            return outbox_calls.send_dm(client, row, message, find=find,
                                        pace=partial(self._before_post, row, attempt, client))
        if row.method == "chat.update":
            response = client.chat_update(channel=row.channel, ts=row.ts, **message)
            return {"ts": response["ts"], "channel": response["channel"]}
        if row.method == "chat.postEphemeral":
            response = client.chat_postEphemeral(
                channel=row.channel, user=row.user, thread_ts=row.thread_ts, **message
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
        with reading(self.engine) as db:
            names = quiet.unmentioned(db, row.channel, shown, self.as_of())
        for user, name in names.items():
            named = json.dumps(name, ensure_ascii=False)[1:-1]  # as it reads inside the JSON text
            shown = re.sub(rf"<@{user}(?:\|[^>]*)?>", lambda _, named=named: named, shown)
        return json.loads(shown) if names else message

    def _upload(self, row: OutboxMessage, client: WebClient, attempt: _Attempt) -> dict[str, Any]:
        try:
            file = render_file(row.view, view_data(row.data))
        except (UnknownView, KeyError, TypeError, ValueError) as exc:
            raise Permanent(f"cannot render file view {row.view!r}: {exc}") from None

        def find(channel: str) -> dict[str, Any] | None:
            found = self._look(row, attempt, client, channel, match=outbox_calls.file_titled(file.title))
            if found is None:
                attempt.posting(channel)  # not there: shared now
            return found

        self._await_pace(row, row.channel or "")  # sharing a file posts a message in the channel
        self._renew(row)
        return outbox_calls.upload_file(client, row, file, find=find)

    def _look(
        self, row: OutboxMessage, attempt: _Attempt, client: WebClient, channel: str, *, match: Matcher | None = None,
    ) -> dict[str, Any] | None:
        """Before posting `row` again: look for the attempt that may be in Slack unrecorded, if there is one (see
        bot.outbox_reconcile). The message found (its ts and channel), or None: none to look for, or it is not
        there (post it). Raises Deferred when the look must wait for the history budget or Slack's Retry-After.

        `channel` is where the row posts (a DM's channel, once opened), unless the attempt noted where it posted;
        `match` replaces the key's test (a file is known by its title). When Slack cannot be asked (a missing
        scope, say), the message is posted again: a rare duplicate is better than a message never delivered."""
        state = attempt.notes.unconfirmed
        if state is None:
            return None
        channel = state.channel or channel
        match = match or partial(_carries_key, row.idempotency_key)
        method = "conversations.replies" if row.thread_ts else "conversations.history"
        token = client.token or ""
        where = (token, channel, row.thread_ts or "")
        if (message := self._seen.find(where, match)) is not None:
            self._seen.release(where, row.id or 0)
            return self._found(row, attempt, message, channel)
        if self._seen.ruled_out(where, state):
            self._seen.release(where, row.id or 0)
            attempt.notes.unconfirmed = None
            return None
        while True:
            if (holder := self._seen.hold(where, row.id or 0, self.wait_clock.monotonic())) is not None:
                # another row's look reads this channel: wait for what it finds rather than read it twice (until
                # just after its next page, which comes first)
                wait = max(self._budget.peek(token, method), reconcile.MINUTE / self.history.per_minute) + 1.0
                raise Deferred(wait, state, f"waiting {wait:.0f} s for the look under way in {channel} (outbox row "
                               f"{holder}) to look for an earlier attempt there")
            wait = self._budget.take(token, method)
            if wait > reconcile.WAIT_IN_PLACE:
                raise Deferred(wait, state, f"waiting {wait:.0f} s for Slack's history limit ({method}, "
                               f"{self.history.per_minute} a minute) to look for an earlier attempt in {channel}")
            if wait > 0:
                self.wait_clock.sleep(wait)
                continue
            try:
                page = self._history_page(client, method, channel, row.thread_ts, state)
            except SlackApiError as exc:
                if exc.response.status_code != 429:
                    self._budget.answered(token, method)
                    log.warning("outbox %s: could not look for an earlier attempt (%s) in %s; posting again",
                                row.idempotency_key, exc.response.get("error"), channel)
                    self._seen.release(where, row.id or 0)
                    attempt.notes.unconfirmed = None
                    return None
                retry_after = _retry_after(exc.response.headers)
                self._budget.refused(token, method, retry_after)
                state.refused += 1
                if state.refused >= reconcile.MAX_REFUSED:
                    log.warning("outbox %s: Slack refused %d looks in a row for an earlier attempt (from %s) in %s; "
                                "decided it was not posted: posting again (a duplicate is possible)",
                                row.idempotency_key, state.refused,
                                datetime.fromtimestamp(state.since, UTC).isoformat(timespec="seconds"), channel)
                    self._seen.release(where, row.id or 0)
                    attempt.notes.unconfirmed = None
                    return None
                raise Deferred(retry_after, state, f"{method}: ratelimited (HTTP 429) looking for an earlier "
                               f"attempt in {channel}; looking again in {retry_after:.0f} s") from None
            except Exception:  # no answer (a timeout, a lost connection): the call may have counted
                self._budget.answered(token, method)
                raise
            self._budget.answered(token, method)
            state.refused, state.pages = 0, state.pages + 1
            messages = page.get("messages") or []
            self._seen.note(where, messages)
            if (message := next((m for m in messages if match(m)), None)) is not None:
                self._seen.release(where, row.id or 0)
                return self._found(row, attempt, message, channel)
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:  # the window read whole: not there
                self._seen.release(where, row.id or 0)
                self._seen.read_whole(where, state.oldest, state.latest)
                log.info("outbox %s: not in Slack (%d page(s) of %s read); posting it", row.idempotency_key,
                         state.pages, channel)
                attempt.notes.unconfirmed = None
                return None
            state.cursor = cursor

    def _history_page(self, client: WebClient, method: str, channel: str, thread_ts: str | None,
                      state: Unconfirmed) -> Any:
        """The next page of the window `state` is looked for in, newest first (a thread's, oldest first).

        One try (no retry of a timeout or a lost connection): Slack may have counted the call though its answer
        never came, and a second call within the minute is refused; the look carries on with the next budget."""
        client = _retrying_only(client, lambda _: False)
        arguments: dict[str, Any] = {
            "channel": channel, "include_all_metadata": True, "limit": self.history.page, "inclusive": True,
            "oldest": f"{state.oldest:.6f}", "latest": f"{state.latest:.6f}",
        }
        if state.cursor:
            arguments["cursor"] = state.cursor
        if method == "conversations.replies":
            return client.conversations_replies(ts=thread_ts or "", **arguments)
        return client.conversations_history(**arguments)

    @staticmethod
    def _found(row: OutboxMessage, attempt: _Attempt, message: dict[str, Any], channel: str) -> dict[str, Any]:
        log.info("outbox %s was already in Slack (ts %s): recorded, not posted again",
                 row.idempotency_key, message["ts"])
        attempt.notes.unconfirmed = None
        return {"ts": message["ts"], "channel": channel}

    def _record(
        self, row: OutboxMessage, *, result: dict[str, Any], error: str | None, permanent: bool,
        report: DrainReport, retry_after: float | None = None, attempt: _Attempt | None = None,
    ) -> None:
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as db, db.begin():
            fresh = db.get(OutboxMessage, row.id)
            # claimed again since (by another sender, or by this one after its lease ran out: attempts tells)
            if fresh is None or fresh.claimed_by != self.worker or fresh.status != SENDING \
                    or fresh.attempts != row.attempts:
                log.warning("outbox %s was taken over by another sender; leaving it", row.idempotency_key)
                return
            fresh.channel, fresh.thread_ts = row.channel, row.thread_ts
            waits = 0
            if attempt is not None:
                attempt.notes.waits += attempt.waited  # a claim spent waiting to look is no attempt at Slack
                waits = attempt.notes.waits
            if error is None or permanent or (fresh.attempts - waits >= self.max_attempts and retry_after is None):
                fresh.data = view_data(fresh.data)  # decided: the sender's notes go
            elif attempt is not None:
                fresh.data = attempt.notes.into(fresh.data)
            if error is None:
                fresh.status, fresh.sent_at, fresh.last_error = SENT, now, None
                fresh.ts, fresh.sent_channel = result.get("ts"), result.get("channel")
                if (after_sent := outbox_calls.AFTER_SENT.get(fresh.method)) is not None:
                    after_sent(db, fresh, result)
                report.sent.append(fresh.idempotency_key)
            elif permanent or (fresh.attempts - waits >= self.max_attempts and retry_after is None):
                self._park(fresh, error)  # a 429 is never the last word: Slack said when to come back
                report.failed.append(fresh.idempotency_key)
            else:
                fresh.status, fresh.last_error = PENDING, error
                backoff = min(2**fresh.attempts, 300) if retry_after is None else retry_after
                fresh.next_attempt_at = now + timedelta(seconds=backoff)
                with self._state:  # after a Retry-After (or for the history budget) this drain waits for it
                    if retry_after is not None:  # (see _rate_limit_wait); after a backoff, a later drain takes it
                        self._rate_limited.add(fresh.id or 0)
                    else:
                        self._rate_limited.discard(fresh.id or 0)
                report.retried.append(fresh.idempotency_key)
                log.log(logging.INFO if attempt is not None and attempt.waited else logging.WARNING,
                        "outbox %s: %s; retry %d at %s", fresh.idempotency_key, error, fresh.attempts,
                        fresh.next_attempt_at.isoformat())
            db.add(fresh)

    @staticmethod
    def _park(row: OutboxMessage, error: str) -> None:
        row.status, row.last_error = FAILED, error[:2000]
        log.error("outbox %s parked as failed after %d attempt(s): %s", row.idempotency_key, row.attempts, error)


def _answering_429_at_once(client: WebClient) -> WebClient:
    """`client` without its 429 retries: the outbox waits out Slack's Retry-After itself, with the message put
    back and its channel paced. A client sleeping through Retry-After inside the call, claim in hand, could
    post after its lease ran out and another sender had taken the message over (and posted it)."""
    return _retrying_only(client, lambda handler: not isinstance(handler, RateLimitErrorRetryHandler))


def _retrying_only(client: WebClient, keep: Callable[[Any], bool]) -> WebClient:
    """`client` with only the retry handlers `keep` accepts (a copy: the same token and settings; the caller's
    client keeps its retries)."""
    handlers = [handler for handler in client.retry_handlers if keep(handler)]
    if len(handlers) == len(client.retry_handlers):
        return client
    own = copy.copy(client)
    own.retry_handlers = handlers
    return own


def _is_person(channel: str) -> bool:
    """Whether `channel` is a person's id (U…, or W… on Enterprise Grid): a post there goes to their DM."""
    return channel[:1] in ("U", "W")


def _retry_after(headers: Any) -> float:
    """Seconds from a 429's Retry-After header (1 when it is missing or unreadable)."""
    for name, value in dict(headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value[0] if isinstance(value, list) else value), 0.0)
            except (TypeError, ValueError, IndexError):
                break
    return 1.0


def _carries_key(key: str, message: dict[str, Any]) -> bool:
    """Whether a message's metadata carries the outbox idempotency key `key`."""
    metadata = message.get("metadata") or {}
    return metadata.get("event_type") == Event.OUTBOX.value and (metadata.get("event_payload") or {}).get("key") == key


class _Workers:
    """Runs deliveries: in the calling thread for one worker, else in a pool of `count` threads."""

    def __init__(self, count: int) -> None:
        self._pool = ThreadPoolExecutor(count, thread_name_prefix="accord-outbox-send") if count > 1 else None

    def run(self, task: Callable[..., None], *args: Any) -> None:
        if self._pool is None:
            task(*args)
        else:
            self._pool.submit(task, *args)

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *_: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # the deliveries under way finish


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
