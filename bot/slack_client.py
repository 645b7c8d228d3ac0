"""The Slack Web API client: slack_sdk's WebClient aimed at SLACK_API_URL, with retries."""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler, RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator

from bot.settings import Settings
from bot.wait_clock import RealClock, WaitClock

REQUEST_TIMEOUT_SECONDS = 10


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
    (see OutboxSender._find_posted).
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
