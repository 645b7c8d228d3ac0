"""The Slack Web API client: slack_sdk's WebClient aimed at SLACK_API_URL, with retries; and the request
path's client, with none and a hard deadline."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler, RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.web import SlackResponse

from bot.settings import Settings
from bot.wait_clock import RealClock, WaitClock

REQUEST_TIMEOUT_SECONDS = 10
# Slack wants the ack within 3 s; a Slack call before it (views.open) must be over by this long after the
# request came in, whatever Slack does: the rest is left for the transaction that answers and the network.
REQUEST_PATH_BUDGET_SECONDS = 2.0
MIN_CALL_SECONDS = 0.1  # with less left than this, a call is not made: it could not answer in time


class ClockedBackoff(RetryIntervalCalculator):
    """slack_sdk's backoff between retries, waited on `clock`: the handler then sleeps no more itself."""

    def __init__(self, clock: WaitClock) -> None:
        self._clock = clock
        self._backoff = BackoffRetryIntervalCalculator()

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        self._clock.sleep(self._backoff.calculate_sleep_duration(current_attempt))
        return 0.0


def retry_handlers(*, retries: int = 2, wait_clock: WaitClock | None = None) -> list[RetryHandler]:
    """429 (waiting Retry-After), 5xx and connections that failed before the request was sent
    (urllib's URLError) are tried again, after a backoff waited on `wait_clock` (default: real seconds).

    A timeout or a connection dropped while waiting for the answer is not: the request may have
    reached Slack, so the outbox retries it later, after looking for the message in the channel
    (see bot.outbox_reconcile).
    """
    backoff = ClockedBackoff(wait_clock or RealClock())
    return [
        RateLimitErrorRetryHandler(max_retry_count=retries),
        ServerErrorRetryHandler(max_retry_count=retries, interval_calculator=backoff),
        ConnectionErrorRetryHandler(
            max_retry_count=retries,
            error_types=[URLError],
            interval_calculator=backoff,
        ),
    ]


def make_web_client(
    settings: Settings, *, token: str | None = None, retries: int = 2, timeout: int = REQUEST_TIMEOUT_SECONDS,
    wait_clock: WaitClock | None = None,
) -> WebClient:
    """A WebClient for the bot token (or `token`), reaching Slack at settings.api_url; its retries wait on
    `wait_clock` (default: real seconds)."""
    return WebClient(
        token=token or settings.bot_token,
        base_url=settings.api_url,
        timeout=timeout,
        retry_handlers=retry_handlers(retries=retries, wait_clock=wait_clock),
    )


class NoTimeLeft(TimeoutError):
    """A request-path call not made: too little of the budget was left for Slack to answer."""


class RequestPathClient(WebClient):
    """The listeners' client, made per request: the Slack calls that must come before the ack (views.open,
    whose trigger id expires 3 s after the click) end by `deadline` (time.monotonic()) whatever Slack does.

    No retries (a retry would sleep through a 429's Retry-After, and a retried views.open that Slack had
    executed answers exchanged_trigger_id); each call waits at most what is left until the deadline, the
    connection included, and raises TimeoutError when that runs out (NoTimeLeft, without calling, when too
    little was left to call at all).
    """

    def __init__(self, *, deadline: float, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "retry_handlers": []})
        self.deadline = deadline

    def remaining(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline - time.monotonic()

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        left = self.remaining()
        if left < MIN_CALL_SECONDS:
            raise NoTimeLeft(f"no time left for {api_method} before the ack")
        self.timeout = left  # type: ignore[assignment]  # urllib's socket timeout (a float), each connect and read
        # the socket timeout bounds each connect and read, not their sum: the call runs in a thread that is
        # waited for no longer than what is left (a late answer then finishes it unseen)
        outcome: dict[str, Any] = {}

        def call() -> None:
            try:
                outcome["response"] = super(RequestPathClient, self).api_call(api_method, **kwargs)
            except BaseException as exc:  # handed to the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=call, name=f"slack-{api_method}", daemon=True)
        worker.start()
        worker.join(left)
        if worker.is_alive():
            raise TimeoutError(f"{api_method} did not answer within {left:.2f} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["response"]


def request_path_client(template: WebClient, *, budget: float = REQUEST_PATH_BUDGET_SECONDS) -> RequestPathClient:
    """A RequestPathClient like `template` (token, URL, team, headers), whose calls end `budget` s from now."""
    client = RequestPathClient(deadline=time.monotonic() + budget, token=template.token, base_url=template.base_url,
                               ssl=template.ssl, proxy=template.proxy, headers=dict(template.headers),
                               logger=template.logger)
    client.default_params = dict(template.default_params)  # the team_id of an org-wide install
    return client
