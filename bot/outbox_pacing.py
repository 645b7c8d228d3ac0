"""Pacing the outbox's posts under Slack's rates: a channel's (about one post a second, a DM's per person), the
workspace's (`posts_per_minute`), and the rows Slack's 429 put back until its Retry-After.

The channel's pace is kept twice: by this sender (`ChannelPace`'s own next-post times, which claiming skips), and
across every replica through the database (bot.pace), which each post waits for right before it goes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot import pace
from bot.wait_clock import RealClock, WaitClock
from storage.engine import reading
from storage.models import PENDING, OutboxMessage

# held back at claim while their channel's pace runs (sharing a file posts a message too); a "dm" waits at posting
PACED_METHODS = {"chat.postMessage", "files.upload"}
PACE_MARGIN = 0.05  # seconds added to a shared slot: posts a slot apart arrive at Slack a little unevenly
WORKSPACE_MARGIN = 1.03  # a workspace's posts spaced 3% wider than its budget: Slack counts them on arrival
PACE_ENTRIES = 1000  # channels remembered for pacing before the ones whose pace ran out are forgotten
POLL_SECONDS = 0.1  # while delivering, look for new messages at least this often

KeepClaim = Callable[[float], None]  # told the seconds a shared slot is waited for: the claim must outlast them


class PaceSettings(Protocol):
    """What pacing reads of its sender's settings (read at each use: a sender's may change between drains)."""

    @property
    def engine(self) -> Engine: ...

    @property
    def wait_clock(self) -> WaitClock: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...

    @property
    def pace_seconds(self) -> float: ...

    @property
    def posts_per_minute(self) -> int: ...  # every replica together (0: not paced)

    @property
    def claim_ahead(self) -> float: ...  # a paced channel's next post is claimed this long before its turn


@dataclass
class ChannelPace:
    """The channels' and the workspace's pace, for one sender (its workers share it)."""

    settings: PaceSettings
    _next_post: dict[str, float] = field(default_factory=dict)  # this sender's next post per channel (monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def paced_channels(self) -> list[str]:
        """Channels whose next post must wait: their turn is more than claim_ahead away."""
        with self._lock:
            now = self.settings.wait_clock.monotonic() + self.settings.claim_ahead
            return [channel for channel, at in self._next_post.items() if at > now]

    def paced_wait(self, in_flight: set[str]) -> float | None:
        """Seconds until the next channel not in `in_flight` may be claimed for, if one is paced."""
        with self._lock:
            now = self.settings.wait_clock.monotonic() + self.settings.claim_ahead
            waits = [at - now for channel, at in self._next_post.items() if at > now and channel not in in_flight]
        return min(waits) if waits else None

    def pace_time(self) -> float:
        """Seconds since the epoch as the shared pace counts them: the wall clock, moved on by the waits a
        stepped clock skipped (tests), so that the slots reserved match the waits made."""
        return time.time() + float(getattr(self.settings.wait_clock, "waited", 0.0))

    def await_post(self, token: str, channel: str, keep_claim: KeepClaim) -> None:
        """Wait for a slot of the workspace's posts (`posts_per_minute`, every replica together), then for
        `channel`'s pace: the channel's, the shorter, last, so that its posts reach Slack spaced as reserved
        however long the workspace's queue made them wait."""
        if self.settings.posts_per_minute:
            every = WORKSPACE_MARGIN * 60.0 / self.settings.posts_per_minute
            self._await_slot(f"posts:{pace.workspace_of(token)}", every, keep_claim)
        self.await_channel(channel, keep_claim)

    def await_channel(self, channel: str, keep_claim: KeepClaim) -> None:
        """Wait until `channel` may take another post (a DM: `channel` is its person's id, where it is posted):
        this sender's own pace, then a slot of the channel's pace shared with every replica (one person's DMs
        from several partnerships may go from several replicas at once)."""
        with self._lock:
            wait = self._next_post.get(channel, 0.0) - self.settings.wait_clock.monotonic()
        self.settings.wait_clock.sleep(wait)
        every = self.settings.pace_seconds + PACE_MARGIN if self.settings.pace_seconds else 0.0
        self._await_slot(f"post:{channel}", every, keep_claim)
        # and a pace after the last post's start and its answer (or its Retry-After), whichever replica made it: a
        # post held up past its slot moves the next one on, though its slot was reserved already
        wait = pace.reserve(self.settings.engine, f"posted:{channel}", every=every, now=self.pace_time)
        self.settings.wait_clock.sleep(wait)

    def _await_slot(self, key: str, every: float, keep_claim: KeepClaim) -> None:
        """Reserve a slot of the shared budget `key` and wait for it, the claim kept meanwhile."""
        wait = pace.reserve(self.settings.engine, key, every=every, now=self.pace_time)
        keep_claim(wait)
        self.settings.wait_clock.sleep(wait)

    def posted(self, channel: str, retry_after: float | None) -> None:
        """A post to `channel` was answered (a DM's: its person's id): its next post, from this sender and from
        any replica, a pace from now (a post that reached Slack late must not leave the next one, its slot reserved
        already, arriving early), or as long as Slack's Retry-After said."""
        with self._lock:
            pause = max(self.settings.pace_seconds, retry_after or 0.0)
            self._next_post[channel] = self.settings.wait_clock.monotonic() + pause
            if len(self._next_post) > PACE_ENTRIES:  # forget the channels whose pace has long run out
                now = self.settings.wait_clock.monotonic()
                self._next_post = {paced: at for paced, at in self._next_post.items() if at > now}
        hold = max(self.settings.pace_seconds + PACE_MARGIN if self.settings.pace_seconds else 0.0, retry_after or 0.0)
        if hold:
            # not under the lock
            pace.postpone(self.settings.engine, f"posted:{channel}", seconds=hold, now=self.pace_time())


@dataclass
class RateLimited:
    """The rows this sender put back until a Retry-After (a 429, or the history budget's wait): a drain with
    nothing else to do waits for them rather than end, since they are due within it."""

    settings: PaceSettings
    _ids: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put_back(self, row_id: int, *, rate_limited: bool) -> None:
        """Row `row_id` was put back: until a Retry-After (waited for), or after a backoff (a later drain's)."""
        with self._lock:
            if rate_limited:
                self._ids.add(row_id)
            else:
                self._ids.discard(row_id)

    def wait(self) -> float | None:
        """Seconds until the first row put back may go again; None when none waits."""
        with self._lock:
            ids = list(self._ids)
        if not ids:
            return None
        with reading(self.settings.engine) as db:
            waiting = db.exec(select(OutboxMessage.id, OutboxMessage.next_attempt_at).where(
                col(OutboxMessage.id).in_(ids), OutboxMessage.status == PENDING)).all()
        now = self.settings.clock()
        still = {row_id: at for row_id, at in waiting if at > now}  # a due one not ready is held for another reason
        with self._lock:  # the others went meanwhile (from here or another replica), were parked, or are due
            self._ids.difference_update(set(ids) - set(still))
        if not still:
            return None
        return (min(still.values()) - now).total_seconds() + 0.01

    def sleep(self, seconds: float, left: float, stop: threading.Event | None) -> None:
        """Wait `seconds` on the wait clock for the rows put back, then bring forward those whose time has come by
        it. A real wait is cut into POLL_SECONDS x 10 steps (a new message is not kept waiting behind a minute's
        history budget), and to the `left` seconds of the drain; a SteppedClock's passes whole at once, and the
        rows' time comes though the machine's clock hardly moved."""
        if isinstance(self.settings.wait_clock, RealClock):
            seconds = min(seconds, 10 * POLL_SECONDS, left)
        started = self.settings.clock()
        self.settings.wait_clock.sleep(seconds, stop)
        now, due = self.settings.clock(), started + timedelta(seconds=seconds)
        with self._lock:
            ids = list(self._ids)
        if not ids or due <= now or (stop is not None and stop.is_set()):
            return
        with self.settings.engine.begin() as connection:
            connection.execute(update(OutboxMessage).where(
                col(OutboxMessage.id).in_(ids), col(OutboxMessage.status) == PENDING,
                col(OutboxMessage.next_attempt_at) > now, col(OutboxMessage.next_attempt_at) <= due,
            ).values(next_attempt_at=now))
