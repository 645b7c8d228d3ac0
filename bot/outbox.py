"""The outbox sender: delivers queued Slack calls once each, paced, retried, and recorded.

`OutboxSender` coordinates; each concern has its module, small enough to read whole:

- bot.outbox_claim: which rows are ready, claiming them (lanes, SKIP LOCKED), and the claim's lease;
- bot.outbox_pacing: the channels' and workspace's pace under Slack's rates, and the rows a 429 put back;
- bot.outbox_delivery: the Slack call of each method, and how a delivery ended;
- bot.outbox_look (with bot.outbox_reconcile): looking in Slack for an earlier attempt it may hold unrecorded;
- bot.outbox_record: recording the end (sent, retried after scheduler.backoff's OUTBOX policy, or parked);
- bot.outbox_calls and bot.outbox_clients: the calls beyond a post, and the clients they go through.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot import outbox_reconcile as reconcile
from bot.outbox_claim import Claimed, Claims
from bot.outbox_clients import DerivedClients
from bot.outbox_delivery import Delivery
from bot.outbox_look import Looker
from bot.outbox_pacing import POLL_SECONDS, ChannelPace, RateLimited
from bot.outbox_reconcile import HistoryBudget, HistoryTier, Seen
from bot.outbox_record import DrainReport, record
from bot.tokens import TokenSource
from bot.wait_clock import RealClock, WaitClock
from storage.models import OutboxMessage
from storage.utc import utcnow

__all__ = ["DrainReport", "OutboxPump", "OutboxSender"]

log = logging.getLogger(__name__)

CLAIM_INTERVAL = 0.02  # seconds between claims while every lane is busy or paced
CLAIM_ROUNDS = 50  # heads set aside (held for working hours, parked) before a claim gives up for now


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
    # messages delivered at once, never two of one lane (see bot.outbox_claim.LANE) together; 1: one by one
    workers: int = 1
    # a paced channel's next post is claimed this long before its turn (its worker waits for the turn), so
    # that claiming, which looks for the next message of every free channel at once, keeps no channel waiting
    claim_ahead: float = 0.05
    # the clock a channel's pace is waited on (tests: a SteppedClock, which never really waits)
    wait_clock: WaitClock = field(default_factory=RealClock)
    # how often this app may read a workspace's history (an app outside the Slack Marketplace: once a minute,
    # unless ACCORD_SLACK_HISTORY_TIER=marketplace)
    history: HistoryTier = field(default_factory=reconcile.history_tier)
    # the posts a workspace takes a minute, every replica together (Slack: "several hundred"; 0: not paced)
    posts_per_minute: int = 600
    _lock: threading.Lock = field(default_factory=threading.Lock)  # one drain at a time
    # guards the lanes under way, shared by the workers; notified when a delivery ends
    _state: threading.Condition = field(default_factory=threading.Condition)
    _in_flight: set[str] = field(default_factory=set)  # lanes with a message being delivered
    _delivered: int = 0  # deliveries ended, so that the dispatcher never misses one

    def __post_init__(self) -> None:
        # the parts read this sender's settings as they are at each use (tests and `tick --as-of` change some)
        self._pacing = ChannelPace(self)
        self._rate_limited = RateLimited(self)
        self._claims = Claims(self)
        clients = DerivedClients()
        budget = HistoryBudget(self.history, self.engine, self._pacing.pace_time)
        self._delivery = Delivery(self, self._claims, self._pacing, Looker(self, budget, Seen(), clients), clients)

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
                        if not self._claims.has_ready(paced=[]):
                            # none ready: wait for a message Slack told this sender to send later (429), or one
                            # waiting for the history budget, if any
                            wait = self._rate_limited.wait()
                            if wait is None:
                                break
                            self._rate_limited.sleep(wait, max(deadline - time.monotonic(), 0), stop)
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
                    self._state.wait_for(partial(self._delivered_since, delivered),
                                         timeout=min(self._paced_wait() or POLL_SECONDS, POLL_SECONDS))
                time.sleep(max(claimed_at + CLAIM_INTERVAL - time.monotonic(), 0))
        return report

    def _delivered_since(self, seen: int) -> bool:
        """Whether a delivery has ended since the count was `seen`."""
        return self._delivered != seen

    def _paced_wait(self) -> float | None:
        """Seconds until the next channel not under way may be claimed for, if one is paced."""
        with self._state:
            in_flight = set(self._in_flight)
        return self._pacing.paced_wait(in_flight)

    def _claim(self, limit: int = 1) -> Claimed:
        """Mark as ours (status sending) the oldest ready message of each of up to `limit` lanes that are
        neither paced nor under way; return them, oldest first, each with its lane (now under way).

        A head put back for its people's working hours, or parked, lets the next message of its lane be the
        head: look again then, so that held messages never keep the ready ones behind them waiting."""
        for _ in range(CLAIM_ROUNDS):
            with self._state:
                busy = list(self._in_flight)
            claimed, set_aside = self._claims.claim_heads(limit, paced=self._pacing.paced_channels(), busy=busy)
            with self._state:
                self._in_flight.update(lane for _, lane in claimed)
            if claimed or not set_aside:
                return claimed
        return []

    def _send(self, row: OutboxMessage, lane: str, report: DrainReport) -> None:
        """Deliver one claimed message (in a worker) and record how it ended, then free its lane."""
        try:
            delivered = self._delivery.deliver(row)
            if delivered is not None:
                outcome, attempt = delivered
                retried = record(self.engine, row, outcome, worker=self.worker, now=self.clock(),
                                 max_attempts=self.max_attempts, report=report, attempt=attempt)
                if retried is not None:  # after a Retry-After this drain waits for it; after a backoff, a later one
                    self._rate_limited.put_back(row.id or 0, rate_limited=retried)
        except Exception:  # the row stays claimed: another attempt takes it over when its lease ends
            log.exception("outbox %s: delivery failed", row.idempotency_key)
        finally:
            with self._state:
                self._in_flight.discard(lane)
                self._delivered += 1
                self._state.notify_all()


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
