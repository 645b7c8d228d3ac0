"""Issue 19: the outbox derives its clients without 429 retries (or without any) once per client, not per message."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.outbox_clients import DerivedClients


def _client() -> WebClient:
    return WebClient(token="xoxb-test", timeout=7,
                     retry_handlers=[ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler()])


def test_a_posting_client_drops_only_the_429_retries_and_is_made_once() -> None:
    clients, client = DerivedClients(), _client()
    posting = clients.posting(client)
    assert posting is not client and clients.posting(client) is posting
    assert [type(h) for h in posting.retry_handlers] == [ConnectionErrorRetryHandler]
    assert (posting.token, posting.timeout) == ("xoxb-test", 7)
    assert len(client.retry_handlers) == 2  # the token's own client keeps its retries


def test_a_history_client_makes_one_try_and_is_made_once() -> None:
    clients, client = DerivedClients(), _client()
    one_try = clients.one_try(clients.posting(client))
    assert one_try.retry_handlers == [] and clients.one_try(clients.posting(client)) is one_try


def test_a_client_with_nothing_to_drop_is_used_as_it_is() -> None:
    clients, client = DerivedClients(), WebClient(token="xoxb-test", retry_handlers=[])
    assert clients.posting(client) is client and clients.one_try(client) is client
