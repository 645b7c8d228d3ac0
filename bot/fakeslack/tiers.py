"""Slack's published rate limits, as the fake enforces them: per workspace (the calling token's team) and method,
and for chat.postMessage per channel too. A call beyond a limit is answered as Slack answers it: HTTP 429 Too
Many Requests, a `Retry-After` header (whole seconds until a call would be taken) and
`{"ok": false, "error": "ratelimited"}`; a refused call takes nothing from any limit.

What Slack publishes (read from its documentation in 2025):

- docs.slack.dev/apis/web-api/rate-limits: limits apply "per API method per workspace/team per app"; Tier 1
  "1+ per minute", Tier 2 "20+ per minute", Tier 3 "50+ per minute" ("sporadic bursts are welcome"), Tier 4
  "100+ per minute" ("generous burst behavior"); a special tier for some methods: chat.postMessage "generally
  allows posting one message per second per channel, while also maintaining a workspace-wide limit" ("Short
  bursts >1 allowed"); past a limit, HTTP 429 with a Retry-After header giving the seconds to wait.
- The changelog of 29 May 2025 (docs.slack.dev/changelog/2025/05/29/rate-limit-changes-for-non-marketplace-apps)
  and the pages of conversations.history and conversations.replies: for apps commercially distributed outside
  the Slack Marketplace, "rate limited to 1 request per minute. The maximum and default values for the limit
  parameter have both been reduced to 15 objects"; Marketplace apps and internal apps keep Tier 3. Accord,
  installed in two organisations and not in the Marketplace, is such an app: that is the fake's default
  (`FakeSlack(marketplace=True)` gives the Marketplace tier).
- The methods' pages ("Rate limits" in their facts): chat.update Tier 3, chat.delete Tier 3,
  chat.postEphemeral Tier 4, chat.getPermalink special ("hundreds of requests per minute"), conversations.open
  Tier 3, conversations.info Tier 3, conversations.members Tier 4, users.info Tier 4, views.open, views.update,
  views.push and views.publish Tier 4, files.getUploadURLExternal and files.completeUploadExternal Tier 4,
  auth.test special ("hundreds of requests per minute"); chat.postMessage special: about one a second per
  channel, and "several hundred messages per minute" over a workspace (Slack's Java SDK says the same).

How the fake reads them: a tier's "N+ per minute" is a sliding window of N calls in any 60 seconds (a burst of
up to N at once is taken, as the "+" and the burst notes allow, and then the window must slide); "hundreds per
minute" is 600; a channel takes up to POST_BURST posts in any POST_BURST seconds (one a second, short bursts);
a workspace takes 600 posts in any minute. oauth.v2.access (the app's credentials, no token: no workspace yet)
and the response URLs are not limited here.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Window:
    """At most `calls` calls in any `seconds` seconds."""

    calls: int
    seconds: float


@dataclass(frozen=True)
class Limit:
    """One method's limit: its tier's name, its windows per workspace and (chat.postMessage) per channel, and the
    largest `limit` argument it honours (a larger one is cut to it; also its default, when given)."""

    tier: str
    per_workspace: tuple[Window, ...]
    per_channel: tuple[Window, ...] = ()
    page: int | None = None


MINUTE = 60.0
POST_BURST = 4  # chat.postMessage: up to 4 posts in any 4 s per channel, i.e. one a second with short bursts
TIER_1 = Limit("Tier 1 (1+ per minute)", (Window(1, MINUTE),))
TIER_2 = Limit("Tier 2 (20+ per minute)", (Window(20, MINUTE),))
TIER_3 = Limit("Tier 3 (50+ per minute)", (Window(50, MINUTE),))
TIER_4 = Limit("Tier 4 (100+ per minute)", (Window(100, MINUTE),))
HUNDREDS = Limit("special (hundreds per minute)", (Window(600, MINUTE),))
POSTING = Limit("special (1 per second per channel, short bursts; several hundred per minute per workspace)",
                (Window(600, MINUTE),), per_channel=(Window(POST_BURST, float(POST_BURST)),))
# conversations.history and conversations.replies
NON_MARKETPLACE_HISTORY = Limit("non-Marketplace app (1 per minute, at most 15 messages a call)",
                                (Window(1, MINUTE),), page=15)
MARKETPLACE_HISTORY = Limit("Tier 3 (50+ per minute; Marketplace or internal app)", (Window(50, MINUTE),))
HISTORY_METHODS = ("conversations.history", "conversations.replies")

TIERS: dict[str, Limit] = {
    "chat.postMessage": POSTING,
    "chat.update": TIER_3,
    "chat.delete": TIER_3,
    "chat.postEphemeral": TIER_4,
    "chat.getPermalink": HUNDREDS,
    "conversations.history": NON_MARKETPLACE_HISTORY,
    "conversations.replies": NON_MARKETPLACE_HISTORY,
    "conversations.open": TIER_3,
    "conversations.info": TIER_3,
    "conversations.members": TIER_4,
    "users.info": TIER_4,
    "views.open": TIER_4,
    "views.update": TIER_4,
    "views.push": TIER_4,
    "views.publish": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
    "auth.test": HUNDREDS,
}


def limit_of(method: str, *, marketplace: bool) -> Limit | None:
    """The limit the fake holds `method` to (None: not limited), for a Marketplace app or not."""
    if marketplace and method in HISTORY_METHODS:
        return MARKETPLACE_HISTORY
    return TIERS.get(method)


class Windows:
    """The calls each limit took lately, by (workspace, method) and (workspace, method, channel), on the fake's
    clock (seconds); not thread-safe (the fake's lock is held)."""

    def __init__(self) -> None:
        self._taken: dict[tuple[str, ...], collections.deque[float]] = {}

    def clear(self) -> None:
        """Forget every call taken."""
        self._taken.clear()

    def _wait(self, key: tuple[str, ...], window: Window, now: float) -> float:
        """Seconds until `window` takes another call under `key` (0: now)."""
        taken = self._taken.get(key)
        if not taken:
            return 0.0
        while taken and now - taken[0] >= window.seconds:
            taken.popleft()
        if len(taken) < window.calls:
            return 0.0
        return taken[-window.calls] + window.seconds - now

    def refuse(self, limit: Limit, team: str, method: str, channel: str, now: float) -> int | None:
        """Retry-After (whole seconds, at least 1) when a call now would exceed `limit`; else None, and the call is
        counted in each of its windows."""
        keys: list[tuple[tuple[str, ...], Window]] = [((team, method, str(w.seconds), str(w.calls)), w)
                                                      for w in limit.per_workspace]
        keys += [((team, method, channel, str(w.seconds), str(w.calls)), w) for w in limit.per_channel]
        wait = max((self._wait(key, window, now) for key, window in keys), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait))
        for key, window in keys:
            self._taken.setdefault(key, collections.deque(maxlen=max(window.calls, 1))).append(now)
        return None


def shape_arguments(limit: Limit | None, args: dict[str, Any]) -> dict[str, Any]:
    """`args` as the method honours them under `limit`: a `limit` argument above the tier's page is cut to it,
    and a missing one is the page (an unreadable one is left for the method to refuse)."""
    if limit is None or limit.page is None:
        return args
    raw = args.get("limit")
    if raw in (None, "", 0, "0"):
        return {**args, "limit": limit.page}
    try:
        wanted = int(raw)
    except (TypeError, ValueError):
        return args
    return {**args, "limit": min(wanted, limit.page)} if wanted > limit.page else args
