"""In-memory state of the fake Slack workspace: teams, users, channels, messages, calls and faults."""

from __future__ import annotations

import collections
import copy
import hashlib
import itertools
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.fakeslack import tiers

RESPONSE_URL_MAX_USES = 5


class Monotonic(Protocol):
    """A clock the fake's time can follow (a SteppedClock: seconds waited without really waiting)."""

    def monotonic(self) -> float: ...


_IMMUTABLE = (str, int, float, bool, bytes, type(None))


def snapshot(value: Any) -> Any:
    """A copy of what the fake stores (JSON-like: dicts, lists and plain values) that the caller may change
    freely: several times faster than `copy.deepcopy`, which tests call for every look at the fake."""
    if isinstance(value, _IMMUTABLE):
        return value
    if isinstance(value, dict):
        return {key: snapshot(item) for key, item in value.items()}
    if isinstance(value, list):
        return [snapshot(item) for item in value]
    if isinstance(value, tuple):
        return tuple(snapshot(item) for item in value)
    return copy.deepcopy(value)


@dataclass(frozen=True)
class Call:
    """One request received by the fake, as recorded after it was answered."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float
    status: int
    response: dict[str, Any]
    # the fake's clock when the call came (seconds; real time plus the waits of the clocks it follows): what its
    # rate limits are measured on, so that a wait on a SteppedClock counts as time passed (see FakeSlack.follow)
    clock: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the fake answered with ok: true."""
        return bool(self.response.get("ok"))


@dataclass
class Fault:
    """A fault to inject into chosen calls of one method ("*" = any Web API method)."""

    method: str
    status: int | None = None
    error: str | None = None
    retry_after: int | None = None
    delay: float | None = None
    drop: bool = False  # process the call, then close the connection without answering
    hold: float | None = None  # process the call, then wait this long before answering
    times: int | None = 1
    probability: float | None = None
    seed: int | None = None
    fired: int = 0  # how many calls this fault hit
    rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def matches(self, method: str) -> bool:
        """Whether this fault targets `method` (the wildcard only covers Web API methods)."""
        if self.method == method:
            return True
        return self.method == "*" and method not in ("response_url", "upload")

    def fires(self) -> bool:
        """Roll the dice (when probabilistic) and consume one use; True when the fault applies."""
        if self.times is not None and self.times <= 0:
            return False
        if self.probability is not None and self.rng.random() >= self.probability:
            return False
        if self.times is not None:
            self.times -= 1
        self.fired += 1
        return True


class ApiError(Exception):
    """A Slack-style error answer: HTTP status plus {"ok": false, "error": ...} body."""

    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack would answer with."""
        return {"ok": False, "error": self.error, **self.extra}


@dataclass(frozen=True)
class BotBinding:
    """What a bot token stands for: the app's installation in one workspace."""

    team_id: str
    bot_user_id: str
    bot_id: str


class SlackState:
    """All mutable state of the fake, guarded by a single re-entrant lock."""

    def __init__(self, *, bot_token: str, team_id: str, bot_user_id: str, bot_id: str,
                 app_id: str, trigger_ttl: float) -> None:
        self.lock = threading.RLock()
        self.bot_token = bot_token
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.base_url = ""
        self.allow_external_dm = False
        self.teams: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.rate_limits: dict[str, float] = {}
        self.rate_last: dict[tuple[str, str], float] = {}
        self.workspace_limits: dict[str, int] = {}  # method -> calls accepted in any one second, all channels
        self.workspace_minutes: dict[str, int] = {}  # method -> calls accepted in any minute, all channels
        self.workspace_calls: dict[str, collections.deque[float]] = {}
        # Slack's published tiers (bot.fakeslack.tiers), per workspace and method, on the fake's clock
        self.tiers_enabled = True
        self.marketplace = False  # conversations.history/.replies: the non-Marketplace limit unless True
        self.windows = tiers.Windows()
        self.followed: list[tuple[Monotonic, float]] = []  # clocks whose waits move the fake's time on
        self.advanced = 0.0  # seconds the fake's time was moved on by hand (FakeSlack.advance)
        self.triggers: dict[str, dict[str, Any]] = {}
        self.response_urls: dict[str, dict[str, Any]] = {}
        self.response_url_posts: list[dict[str, Any]] = []
        self.files: dict[str, dict[str, Any]] = {}
        self.open_views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.dms: dict[frozenset[str], str] = {}
        # every bot token Slack accepts, each bound to its workspace's installation (OAuth installs add more)
        self.tokens: dict[str, BotBinding] = {bot_token: BotBinding(team_id, bot_user_id, bot_id)}
        self.caller = self.tokens[bot_token]  # the binding of the token of the call being answered (lock held)
        self.client_id, self.client_secret = "fake-client-id", "fake-client-secret"  # the app's, for oauth.v2.access
        self.oauth_codes: dict[str, dict[str, Any]] = {}  # one-time codes handed out by authorize_code
        self._last_ts_us = 0
        self._ids = itertools.count(1)

    # ---- identifiers -------------------------------------------------------------------------------------
    def new_ts(self) -> str:
        """A unique, strictly increasing Slack message timestamp like "1732540000.000100"."""
        with self.lock:
            now_us = int(time.time() * 1_000_000)
            self._last_ts_us = max(self._last_ts_us + 1, now_us)
            return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        """A unique Slack-looking id with the given prefix (V..., F..., ...)."""
        with self.lock:
            return f"{prefix}{next(self._ids):06d}FAKE"

    def dm_id(self, users: frozenset[str]) -> str:
        """The stable conversation id of a DM / group DM between `users` and the bot."""
        digest = hashlib.sha1(",".join(sorted(users)).encode(), usedforsecurity=False).hexdigest()
        return "D" + digest[:10].upper()

    # ---- lookups -----------------------------------------------------------------------------------------
    def team_domain(self, team_id: str) -> str:
        """The workspace domain of a team (derived from its name)."""
        team = self.teams.get(team_id)
        name = team["name"] if team else team_id
        return "".join(ch for ch in name.lower() if ch.isalnum()) or team_id.lower()

    def channel(self, channel_id: str) -> dict[str, Any]:
        """A known channel or DM, else ApiError channel_not_found."""
        chan = self.channels.get(channel_id)
        if chan is None:
            raise ApiError("channel_not_found")
        return chan

    def user(self, user_id: str) -> dict[str, Any]:
        """A known user, else ApiError user_not_found."""
        user = self.users.get(user_id)
        if user is None:
            raise ApiError("user_not_found")
        return user

    def message(self, channel_id: str, ts: str) -> dict[str, Any] | None:
        """The stored message with this ts in this channel, or None."""
        for msg in self.messages.get(channel_id, []):
            if msg["ts"] == ts:
                return msg
        return None

    def resolve_channel(self, channel: str) -> dict[str, Any]:
        """A channel by id; a user id (as Slack allows for chat.postMessage) means the app's DM with that user,
        refused (channel_not_found) for a user of another organisation that takes no DMs from the app."""
        if channel in self.channels:
            return self.channels[channel]
        if channel in self.users:
            if self.users[channel]["team_id"] != self.caller.team_id and not self.allow_external_dm:
                raise ApiError("channel_not_found")
            return self.open_dm(frozenset([channel]))
        raise ApiError("channel_not_found")

    def open_dm(self, users: frozenset[str]) -> dict[str, Any]:
        """Create (or return) the DM channel between the bot and `users`."""
        dm_id = self.dm_id(users)
        if dm_id not in self.channels:
            self.channels[dm_id] = {
                "id": dm_id, "name": dm_id, "members": [self.bot_user_id, *sorted(users)],
                "is_shared": False, "is_im": len(users) == 1, "is_mpim": len(users) > 1,
                "bot_member": True, "created": int(time.time()),
            }
            self.messages[dm_id] = []
            self.dms[users] = dm_id
        return self.channels[dm_id]

    # ---- messages ----------------------------------------------------------------------------------------
    def store_message(self, channel_id: str, *, user: str, text: str, blocks: list[Any] | None = None,
                      thread_ts: str | None = None, metadata: dict[str, Any] | None = None,
                      files: list[dict[str, Any]] | None = None, ts: str | None = None) -> dict[str, Any]:
        """Append a message to a channel and return the stored dict."""
        msg: dict[str, Any] = {
            "ts": ts or self.new_ts(), "channel": channel_id, "text": text, "blocks": blocks,
            "thread_ts": thread_ts, "metadata": metadata, "user": user, "edited": False,
        }
        if files is not None:
            msg["files"] = files
        self.messages.setdefault(channel_id, []).append(msg)
        return msg

    def api_message(self, msg: dict[str, Any], *, include_metadata: bool = True) -> dict[str, Any]:
        """A stored message in the shape the Web API returns it."""
        out: dict[str, Any] = {"type": "message", "user": msg["user"], "text": msg["text"], "ts": msg["ts"]}
        user = self.users.get(msg["user"])
        out["team"] = user["team_id"] if user else self.team_id
        if msg["user"] == self.bot_user_id:
            out.update(bot_id=self.bot_id, app_id=self.app_id, team=self.team_id)
        if msg["blocks"]:
            out["blocks"] = msg["blocks"]
        if msg["thread_ts"]:
            out["thread_ts"] = msg["thread_ts"]
        if msg.get("files"):
            out["files"] = msg["files"]
            out["upload"] = True
        if msg["edited"]:
            out["edited"] = {"user": self.bot_user_id, "ts": msg.get("edited_ts", msg["ts"])}
        if include_metadata and msg["metadata"]:
            out["metadata"] = msg["metadata"]
        return out

    # ---- faults and rate limits --------------------------------------------------------------------------
    def take_fault(self, method: str) -> Fault | None:
        """The first fault that fires for this call (consuming one of its uses), if any."""
        with self.lock:
            for fault in self.faults:
                if fault.matches(method) and fault.fires():
                    if fault.times is not None and fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def now(self) -> float:
        """The fake's clock (seconds): the machine's monotonic time, plus what the clocks it follows have waited
        since it began following them (virtual seconds in tests), plus what `advance` added."""
        with self.lock:
            return time.monotonic() + self.advanced + sum(clock.monotonic() - start for clock, start in self.followed)

    def throttle(self, method: str, args: dict[str, Any], team: str) -> int | None:
        """Retry-After (seconds) when this call must be answered 429 by the limits set by hand (enforce_rate_limit,
        enforce_workspace_rate_limit: Retry-After 1) or by Slack's tiers; else None, and the call is counted."""
        with self.lock:
            channel = str(args.get("channel") or args.get("channel_id") or "")
            now = self.now()
            limit = tiers.limit_of(method, marketplace=self.marketplace) if self.tiers_enabled else None
            if method in self.workspace_limits and limit is not None:  # set by hand: it replaces the tier's
                limit = tiers.Limit(limit.tier, (), limit.per_channel, limit.page)
            if method in self.workspace_minutes and limit is not None:
                window = tiers.Window(self.workspace_minutes[method], tiers.MINUTE)
                limit = tiers.Limit(limit.tier, (window,), limit.per_channel, limit.page)
            if self.rate_limited(method, channel, now=now, commit=False):
                return 1
            if limit is not None and (retry := self.windows.refuse(limit, team, method, channel, now)) is not None:
                return retry
            self.rate_limited(method, channel, now=now, commit=True)
            return None

    def shape(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments as the method takes them under its tier (a `limit` above 15 is cut to 15 for
        conversations.history/.replies of a non-Marketplace app)."""
        limit = tiers.limit_of(method, marketplace=self.marketplace) if self.tiers_enabled else None
        return tiers.shape_arguments(limit, args)

    def rate_limited(self, method: str, channel: str, *, now: float | None = None, commit: bool = True) -> bool:
        """The limits set by hand: True when a call must be refused with 429; else, with `commit`, the call is
        recorded for them (a refused call counts for neither)."""
        with self.lock:
            rate, per_second = self.rate_limits.get(method), self.workspace_limits.get(method)
            if not rate and not per_second:
                return False
            now = self.now() if now is None else now
            last = self.rate_last.get((method, channel))
            if rate and last is not None and now - last < 1.0 / rate:
                return True
            if per_second:
                window = self.workspace_calls.setdefault(method, collections.deque())
                while window and now - window[0] >= 1.0:
                    window.popleft()
                if len(window) >= per_second:
                    return True
                if commit:
                    window.append(now)
            if rate and commit:
                self.rate_last[(method, channel)] = now
            return False

    # ---- triggers and response urls ----------------------------------------------------------------------
    def new_trigger_id(self) -> str:
        """Register a fresh trigger id (valid for trigger_ttl seconds, usable once)."""
        with self.lock:
            n = next(self._ids)
            digest = hashlib.md5(str(n).encode(), usedforsecurity=False).hexdigest()
            trigger_id = f"{int(time.time())}.{n:010d}.{digest}"
            self.triggers[trigger_id] = {"created": time.monotonic(), "used": False}
            return trigger_id

    def use_trigger(self, trigger_id: str | None) -> None:
        """Consume a trigger id, else ApiError invalid_trigger_id / expired_trigger_id."""
        trig = self.triggers.get(trigger_id or "")
        if trig is None or trig["used"]:
            raise ApiError("invalid_trigger_id")
        if time.monotonic() - trig["created"] > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        trig["used"] = True

    def register_response_url(self, url_id: str, **context: Any) -> None:
        """Remember where a response URL points (channel, message_ts, user) for replace/delete/in_channel."""
        with self.lock:
            entry = self.response_urls.setdefault(url_id, {"uses": 0})
            entry.update({k: v for k, v in context.items() if v is not None})
