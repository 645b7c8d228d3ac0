"""The fake's workspace-wide posting limit (beside the per-channel one)."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack


def test_a_workspace_limit_refuses_posts_beyond_it_in_any_one_second(fake: FakeSlack, client: WebClient) -> None:
    for n in range(4):
        fake.add_channel(f"C0LIMIT{n}", f"limit-{n}")
    fake.enforce_workspace_rate_limit("chat.postMessage", per_second=3)
    for n in range(3):  # three channels, one post each: within both limits
        assert client.chat_postMessage(channel=f"C0LIMIT{n}", text=str(n))["ok"]
    with pytest.raises(SlackApiError) as exc:  # a fourth channel, but the fourth post within the second
        client.chat_postMessage(channel="C0LIMIT3", text="3")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] in ("1", ["1"])
    assert client.conversations_open(users="UHOME1")["ok"]  # other methods are not limited
    time.sleep(1.05)
    assert client.chat_postMessage(channel="C0LIMIT3", text="3 again")["ok"]
    assert [m["text"] for m in fake.messages("C0LIMIT3")] == ["3 again"]  # the refused post left nothing
    fake.enforce_workspace_rate_limit("chat.postMessage", per_second=None)
    for n in range(5):  # one post each to five channels: only the tiers' limits are left, wide enough
        fake.add_channel(f"C0FREE{n}", f"free-{n}")
        assert client.chat_postMessage(channel=f"C0FREE{n}", text=f"free {n}")["ok"]


def test_a_post_refused_by_the_workspace_limit_does_not_count_against_its_channel(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.enforce_rate_limit("chat.postMessage", per_channel_per_second=1.0)
    fake.enforce_workspace_rate_limit("chat.postMessage", per_second=1)
    fake.add_channel("C0OTHER", "other")
    assert client.chat_postMessage(channel="C0OTHER", text="first")["ok"]
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0SHARED", text="refused")  # the workspace's second within a second
    time.sleep(1.05)
    assert client.chat_postMessage(channel="C0SHARED", text="accepted")["ok"]  # its channel had no post yet
