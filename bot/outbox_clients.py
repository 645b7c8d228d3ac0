"""The WebClients the outbox calls Slack with: the token's client with fewer retries, derived once per client.

The outbox waits out Slack's Retry-After itself (the message put back, its channel paced): a client sleeping
through Retry-After inside the call, claim in hand, could post after its lease ran out and another sender had
taken the message over (and posted it). So posts go through a client without its 429 retries. A history read
(bot.outbox_look) goes through one with no retries at all: Slack may have counted a call whose answer never
came, and a second within the minute is refused.

Each derived client is a shallow copy of the token's client (the same token, timeout and settings, its own
retry handlers), made the first time that client is used and kept as long as it is (the token's clients are
cached by bot.tokens): not one per message.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler


def _no_429_retry(handler: Any) -> bool:
    return not isinstance(handler, RateLimitErrorRetryHandler)


def _no_retry(_: Any) -> bool:
    return False


class DerivedClients:
    """`client` with only some of its retry handlers, per kind of call, made once per client (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # per client, per kind: its copy, or None when it has no handler to drop (a value never holds its key)
        self._made: weakref.WeakKeyDictionary[WebClient, dict[str, WebClient | None]] = weakref.WeakKeyDictionary()

    def posting(self, client: WebClient) -> WebClient:
        """`client` without its 429 retries (the outbox waits out Retry-After itself)."""
        return self._derived(client, "posting", _no_429_retry)

    def one_try(self, client: WebClient) -> WebClient:
        """`client` without any retry (a history read: see the module's docstring)."""
        return self._derived(client, "one_try", _no_retry)

    def _derived(self, client: WebClient, kind: str, keep: Callable[[Any], bool]) -> WebClient:
        with self._lock:
            made = self._made.setdefault(client, {})
            if kind not in made:
                derived = _retrying_only(client, keep)
                made[kind] = None if derived is client else derived
            return made[kind] or client


def _retrying_only(client: WebClient, keep: Callable[[Any], bool]) -> WebClient:
    """`client` with only the retry handlers `keep` accepts (a copy: the caller's client keeps its retries)."""
    handlers = [handler for handler in client.retry_handlers if keep(handler)]
    if len(handlers) == len(client.retry_handlers):
        return client
    own = copy.copy(client)
    own.retry_handlers = handlers
    return own
