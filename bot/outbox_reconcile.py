"""Finding again a post whose answer was lost, within Slack's limits on reading a channel's history.

When an attempt to post may have reached Slack while its answer never reached Accord (a timeout, a dropped
connection, a 5xx or `internal_error`, a sender that died or lost its lease mid-post), the next attempt must
not post blindly: it first looks for the earlier one in the channel, by the idempotency key in its metadata (a
file by its title). Since 29 May 2025 Slack lets an app distributed outside its Marketplace, as Accord is, call
conversations.history once a minute per workspace, 15 messages a call (conversations.replies likewise, on its
own minute). So the look:

- is bounded by the post's own time: the window from the unconfirmed attempt's start to its end, each widened
  by MARGIN (`oldest`, `latest`, `inclusive`): however many messages came to the channel since, the first page
  holds those of the attempt's seconds;
- follows the cursor, one page per call the budget allows; between calls the row waits out of the way (put
  back until the next call may go, no worker held), its place in the search kept in the row (`Unconfirmed`,
  under OUTBOX_DATA in its data), so that any sender, this one or another replica, carries it on;
- is paced per workspace (token) and method across every replica (HistoryBudget, through the database), as Slack
  allows; a 429 (another app's process spent the minute, say) is waited out, by every replica, for as long as
  Slack says;
- remembers (Seen): one look at a time reads a channel, and the keys it meets and the windows it reads whole
  serve the other rows' looks there without a call;
- ends with a clear decision: found (recorded as sent, not posted again), or not there (posted), or, after
  MAX_REFUSED looks in a row that Slack refused, "not posted" decided without looking, logged once, and posted
  (at least once rather than never: a duplicate is then possible, a lost message is not).
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.error import URLError

from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.engine import Engine

from bot import pace
from bot.outbox_calls import Permanent, Transient

OUTBOX_DATA = "_outbox"  # the sender's own notes in a row's data (never rendered): {"unconfirmed": …, "waits": n}
MARGIN = 30.0  # seconds either side of an attempt: Slack's clock against ours, and a post Slack made late
MAX_REFUSED = 30  # looks in a row Slack refused (429) before deciding "not posted" without looking
WAIT_IN_PLACE = 2.0  # a budget wait at most this long is waited by the worker; a longer one puts the row back
MINUTE = 60.0
BUDGET_WINDOW = MINUTE + 1.0  # seconds a budget's calls are counted over: Slack's minute, and a second to spare
IN_FLIGHT = 600.0  # seconds a history call holds its workspace's budget while under way, unless answered sooner
# (a sender that died mid-call keeps the next look waiting that long)
# errors Slack answers (HTTP 200, ok false) after which some of the call may have been done (Slack's words)
ACTED_ERRORS = frozenset({"internal_error", "fatal_error"})


@dataclass(frozen=True)
class HistoryTier:
    """How often this app may read a workspace's history (each of conversations.history and .replies), and how
    many messages a call returns at most."""

    per_minute: int
    page: int


# an app distributed outside the Slack Marketplace (Accord): since 29 May 2025
NON_MARKETPLACE = HistoryTier(per_minute=1, page=15)
MARKETPLACE = HistoryTier(per_minute=50, page=200)  # Tier 3: Marketplace and internal apps
TIER_ENV = "ACCORD_SLACK_HISTORY_TIER"  # "marketplace" for an app approved for the Marketplace, or internal


def history_tier(environ: Mapping[str, str] = os.environ) -> HistoryTier:
    """The history tier a sender paces its looks by: NON_MARKETPLACE (Accord distributed outside the Marketplace,
    and the safe reading for any app), unless TIER_ENV says "marketplace" (Tier 3)."""
    return MARKETPLACE if environ.get(TIER_ENV, "").strip().lower() == "marketplace" else NON_MARKETPLACE


class Deferred(Exception):
    """The look for an earlier attempt waits (the budget's next call, or Slack's Retry-After): the row goes back
    until then, its search kept in `state`."""

    def __init__(self, wait: float, state: Unconfirmed, why: str) -> None:
        super().__init__(why)
        self.wait, self.state = wait, state


@dataclass
class Unconfirmed:
    """An attempt that may have posted, not yet found or ruled out: when it ran (epoch seconds, Slack's clock as
    far as ours knows it), where it posted (a DM's channel, once known), and how far the look for it got."""

    since: float
    until: float
    channel: str | None = None
    cursor: str = ""  # the next page of the window's history ("" from its start)
    pages: int = 0  # pages read so far
    refused: int = 0  # looks Slack refused in a row (429)

    @property
    def oldest(self) -> float:
        return self.since - MARGIN

    @property
    def latest(self) -> float:
        return self.until + MARGIN

    def widened(self, since: float, until: float) -> Unconfirmed:
        """This window and [since, until] together, the search started again."""
        return Unconfirmed(since=min(self.since, since), until=max(self.until, until), channel=self.channel)


@dataclass
class Notes:
    """The sender's notes in a row's data: the unconfirmed attempt, if any, and the claims spent waiting to look
    (they are no attempt at Slack: not counted against max_attempts)."""

    unconfirmed: Unconfirmed | None = None
    waits: int = 0
    kept: bool = False  # the row carried notes (written by a sender that keeps them)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Notes:
        """The notes in a row's data (none kept when they are missing or unreadable: the row is then looked for
        as one a sender without notes left, see OutboxSender._notes)."""
        raw = data.get(OUTBOX_DATA)
        if not isinstance(raw, dict):
            return cls()
        found = raw.get("unconfirmed")
        try:
            unconfirmed = None if found is None else Unconfirmed(**{
                name: found[name] for name in Unconfirmed.__dataclass_fields__ if name in found})
            return cls(unconfirmed=unconfirmed, waits=int(raw.get("waits") or 0), kept=True)
        except (TypeError, ValueError):
            return cls()

    def into(self, data: dict[str, Any]) -> dict[str, Any]:
        """`data` carrying these notes (a new dict)."""
        notes: dict[str, Any] = {"waits": self.waits}
        if self.unconfirmed is not None:
            notes["unconfirmed"] = asdict(self.unconfirmed)
        return {**view_data(data), OUTBOX_DATA: notes}


def view_data(data: dict[str, Any]) -> dict[str, Any]:
    """A row's data without the sender's notes: what its view renders."""
    return {key: value for key, value in data.items() if key != OUTBOX_DATA} if OUTBOX_DATA in data else data


def may_have_acted(exc: BaseException) -> bool:
    """Whether Slack may have done a call that ended with `exc`, so that the next attempt must look first.

    No: an answer refusing it (429, an error other than internal_error/fatal_error, a 4xx), a connection that
    failed before the request was sent (urllib's URLError), a failure Accord raised itself, and the upload of a
    file's bytes answered with an error (nothing shared yet). Yes: anything else (a timeout or a connection lost
    while waiting for the answer, a 5xx, an answer cut short)."""
    if isinstance(exc, SlackApiError):
        status = exc.response.status_code
        return status >= 500 or (status == 200 and exc.response.get("error") in ACTED_ERRORS)
    if isinstance(exc, Transient):
        return not isinstance(exc.__cause__, SlackRequestError)
    return not isinstance(exc, (Permanent, URLError))


class HistoryBudget:
    """The history calls every replica together may make, per workspace (its bot token) and method: one at a time,
    each BUDGET_WINDOW / per_minute seconds after the last one's answer (Slack counts a call when it arrives,
    after the take: spacing from the answer, the next can never arrive too soon), and none before a Retry-After
    Slack gave has run out. Shared through the database (bot.pace), on the senders' clock `now` (epoch seconds);
    a call whose sender died holds the budget IN_FLIGHT seconds at most."""

    def __init__(self, tier: HistoryTier, engine: Engine, now: Callable[[], float]) -> None:
        self.tier, self._engine, self._now = tier, engine, now

    def _key(self, token: str, method: str) -> str:
        return f"history:{pace.workspace_of(token)}:{method}"

    def take(self, token: str, method: str) -> float:
        """0 when a call may go now (the budget held until `answered`); else the seconds until one may."""
        every = BUDGET_WINDOW / self.tier.per_minute
        wait = pace.take(self._engine, self._key(token, method), every=every + IN_FLIGHT, now=self._now())
        # a call under way holds the budget until it is answered, most likely within a second: ask again then
        return min(wait, every)

    def answered(self, token: str, method: str) -> None:
        """A call taken was answered (not 429: see `refused`): the next may go a full spacing from now."""
        every = BUDGET_WINDOW / self.tier.per_minute
        pace.free_at(self._engine, self._key(token, method), at=self._now() + every)

    def peek(self, token: str, method: str) -> float:
        """The seconds until a call may go (0: now; at most a spacing, as in `take`), nothing taken."""
        every = BUDGET_WINDOW / self.tier.per_minute
        return min(pace.free_in(self._engine, self._key(token, method), now=self._now()), every)

    def refused(self, token: str, method: str, retry_after: float) -> None:
        """Slack answered 429: no replica calls `method` with `token` before `retry_after` seconds have passed."""
        pace.free_at(self._engine, self._key(token, method), at=self._now() + retry_after)  # the call was answered


Match = Callable[[dict[str, Any]], bool]


@dataclass
class _Read:
    """What this process read lately of one channel (or thread): messages carrying outbox keys or files, and the
    windows (oldest, latest, read at) read whole."""

    messages: collections.deque[dict[str, Any]] = field(default_factory=lambda: collections.deque(maxlen=500))
    whole: collections.deque[tuple[float, float, float]] = field(default_factory=lambda: collections.deque(maxlen=20))


class Seen:
    """The channels' history this process read lately, so that one look serves the others it can; and the look
    under way in each channel (one at a time: the others wait for what it reads)."""

    CHANNELS = 256
    STALE = 600.0  # seconds (wait clock) after which a look that stopped progressing no longer holds its channel

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: collections.OrderedDict[tuple[str, str, str], _Read] = collections.OrderedDict()
        self._looking: dict[tuple[str, str, str], tuple[int, float]] = {}

    def hold(self, where: tuple[str, str, str], row_id: int, now: float) -> int | None:
        """Let row `row_id` look in `where` (or carry on looking): None; or the row whose look is under way there."""
        with self._lock:
            holder, since = self._looking.get(where, (row_id, now))
            if holder != row_id and now - since < self.STALE:
                return holder
            self._looking[where] = (row_id, now)
            return None

    def release(self, where: tuple[str, str, str], row_id: int) -> None:
        """Row `row_id`'s look in `where` ended."""
        with self._lock:
            if self._looking.get(where, (None, 0.0))[0] == row_id:
                del self._looking[where]

    def _of(self, where: tuple[str, str, str]) -> _Read:
        read = self._read.pop(where, None) or _Read()
        self._read[where] = read  # most recently used last
        while len(self._read) > self.CHANNELS:
            self._read.popitem(last=False)
        return read

    def note(self, where: tuple[str, str, str], messages: list[dict[str, Any]]) -> None:
        """Remember the messages of a page that carry metadata or files (the ones a look can match)."""
        kept: list[dict[str, Any]] = [{k: m[k] for k in ("ts", "metadata", "files") if k in m} for m in messages
                if m.get("metadata") or m.get("files")]
        with self._lock:
            self._of(where).messages.extend(kept)

    def read_whole(self, where: tuple[str, str, str], oldest: float, latest: float) -> None:
        """Every message between `oldest` and `latest` was read just now."""
        with self._lock:
            self._of(where).whole.append((oldest, latest, time.time()))

    def find(self, where: tuple[str, str, str], match: Match) -> dict[str, Any] | None:
        """A remembered message `match` accepts."""
        with self._lock:
            read = self._read.get(where)
            return next((m for m in read.messages if match(m)), None) if read else None

    def ruled_out(self, where: tuple[str, str, str], state: Unconfirmed) -> bool:
        """Whether a window holding `state`'s was read whole after its attempt ended (a post of it would have
        been there; `find` found none)."""
        with self._lock:
            read = self._read.get(where)
            return read is not None and any(oldest <= state.oldest and state.latest <= latest and at > state.until
                                            for oldest, latest, at in read.whole)
