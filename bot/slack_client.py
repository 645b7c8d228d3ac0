"""The Slack Web API client: slack_sdk's WebClient aimed at SLACK_API_URL, with retries."""

from __future__ import annotations

from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.settings import Settings

REQUEST_TIMEOUT_SECONDS = 10


def retry_handlers(*, retries: int = 2) -> list[RetryHandler]:
    """429 (waiting Retry-After), 5xx and connections that failed before the request was sent
    (urllib's URLError) are tried again at once.

    A timeout or a connection dropped while waiting for the answer is not: the request may have
    reached Slack, so the outbox retries it later, after looking for the message in the channel
    (see OutboxSender._find_posted).
    """
    return [
        RateLimitErrorRetryHandler(max_retry_count=retries),
        ServerErrorRetryHandler(max_retry_count=retries),
        ConnectionErrorRetryHandler(
            max_retry_count=retries,
            error_types=[URLError],
        ),
    ]


def make_web_client(
    settings: Settings, *, token: str | None = None, retries: int = 2, timeout: int = REQUEST_TIMEOUT_SECONDS
) -> WebClient:
    """A WebClient for the bot token (or `token`), reaching Slack at settings.api_url."""
    return WebClient(
        token=token or settings.bot_token,
        base_url=settings.api_url,
        timeout=timeout,
        retry_handlers=retry_handlers(retries=retries),
    )
