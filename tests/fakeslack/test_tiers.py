"""Issue 17, point 1: the fake holds every method Accord calls to Slack's published tiers, per workspace and
method (chat.postMessage per channel too), and answers a call beyond them as Slack does: HTTP 429, a
Retry-After header in whole seconds, `{"ok": false, "error": "ratelimited"}`, and nothing done."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack
from bot.fakeslack.tiers import TIERS
from bot.wait_clock import SteppedClock
from tests import local_http


def _refused(call: Callable[[], Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as exc:
        call()
    return exc.value


def _retry_after(exc: SlackApiError) -> int:
    value = exc.response.headers["Retry-After"]
    return int(value[0] if isinstance(value, list) else value)


def _partner_token(fake: FakeSlack) -> str:
    """A bot token of the app installed in the partner's workspace (OAuth), another workspace's limits."""
    code = fake.authorize_code("T0EXT", "UEXT1")
    answer = local_http.post(fake.api_url + "oauth.v2.access", data={
        "client_id": fake.client_id, "client_secret": fake.client_secret, "code": code}).json()
    return str(answer["access_token"])


def test_the_tiers_table_covers_every_method_accord_calls() -> None:
    called = {"chat.postMessage", "chat.update", "chat.delete", "chat.postEphemeral", "chat.getPermalink",
              "conversations.history", "conversations.replies", "conversations.open", "conversations.info",
              "conversations.members", "users.info", "views.open", "views.update", "views.publish",
              "files.getUploadURLExternal", "files.completeUploadExternal", "auth.test"}
    assert called <= set(TIERS)
    print("\n" + "\n".join(f"{method:30} {limit.tier}" for method, limit in TIERS.items()))
    assert FakeSlack.tier_of("conversations.history") == \
        "non-Marketplace app (1 per minute, at most 15 messages a call)"
    assert FakeSlack.tier_of("conversations.history", marketplace=True).startswith("Tier 3")
    assert FakeSlack.tier_of("users.info").startswith("Tier 4")
    assert FakeSlack.tier_of("chat.update").startswith("Tier 3")


def test_history_outside_the_marketplace_is_one_call_a_minute_of_at_most_15_messages(
    fake: FakeSlack, client: WebClient
) -> None:
    for n in range(40):
        fake.add_message("C0SHARED", user="UHOME1", text=f"chatter {n}")
    first = client.conversations_history(channel="C0SHARED", limit=200)
    assert len(first["messages"]) == 15 and first["has_more"]  # the limit asked for is cut to 15
    exc = _refused(lambda: client.conversations_history(channel="C0SHARED", cursor=first["response_metadata"]
                                                        ["next_cursor"]))
    assert exc.response.status_code == 429 and exc.response.data == {"ok": False, "error": "ratelimited"}
    assert 59 <= _retry_after(exc) <= 60
    # another method has its own minute; another workspace its own limits
    assert client.conversations_replies(channel="C0SHARED", ts=first["messages"][0]["ts"])["ok"]
    _refused(lambda: client.conversations_replies(channel="C0SHARED", ts=first["messages"][0]["ts"]))
    partner = WebClient(token=_partner_token(fake), base_url=fake.api_url, retry_handlers=[])
    assert partner.conversations_history(channel="C0SHARED")["ok"]
    # once the minute is over (the fake's clock moved on, as a SteppedClock's wait does), the next page comes
    fake.advance(_retry_after(exc))
    second = client.conversations_history(channel="C0SHARED", cursor=first["response_metadata"]["next_cursor"])
    assert len(second["messages"]) == 15
    assert {m["ts"] for m in first["messages"]}.isdisjoint(m["ts"] for m in second["messages"])
    refused = [c for c in fake.calls_to("conversations.history") if c.status == 429]
    assert len(refused) == 1 and refused[0].response == {"ok": False, "error": "ratelimited"}


def test_a_marketplace_app_reads_history_at_tier_3() -> None:
    with FakeSlack(marketplace=True) as fake:
        fake.add_channel("C0BUSY", "busy")
        for n in range(300):
            fake.add_message("C0BUSY", user="UACCORD", text=f"m{n}")
        api = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
        assert len(api.conversations_history(channel="C0BUSY", limit=200)["messages"]) == 200
        for _ in range(49):
            assert api.conversations_history(channel="C0BUSY", limit=1)["ok"]
        exc = _refused(lambda: api.conversations_history(channel="C0BUSY", limit=1))  # the 51st in a minute
        assert exc.response.status_code == 429 and 1 <= _retry_after(exc) <= 60
        fake.marketplace = False  # switched back: outside the Marketplace, 15 a call
        assert len(api.conversations_history(channel="C0BUSY", limit=200)["messages"]) == 15


@pytest.mark.parametrize(("method", "calls", "call"), [
    ("chat.update", 50, lambda c, ts: c.chat_update(channel="C0SHARED", ts=ts, text="edited")),
    ("chat.postEphemeral", 100, lambda c, ts: c.chat_postEphemeral(channel="C0SHARED", user="UHOME1", text="psst")),
    ("users.info", 100, lambda c, ts: c.users_info(user="UEXT1")),
    ("conversations.open", 50, lambda c, ts: c.conversations_open(users="UHOME1")),
])
def test_a_tier_takes_its_calls_in_a_minute_then_answers_429_with_retry_after(
    fake: FakeSlack, client: WebClient, method: str, calls: int, call: Callable[[WebClient, str], Any]
) -> None:
    ts = client.chat_postMessage(channel="C0SHARED", text="to edit")["ts"]
    for _ in range(calls):  # a burst of the whole minute's calls is taken ("N+ per minute", bursts welcome)
        assert call(client, ts)["ok"]
    exc = _refused(lambda: call(client, ts))
    assert exc.response.status_code == 429 and exc.response["error"] == "ratelimited"
    assert 1 <= _retry_after(exc) <= 60
    assert [c.status for c in fake.calls_to(method)][-2:] == [200, 429]
    fake.advance(_retry_after(exc))
    assert call(client, ts)["ok"]


def test_posting_is_about_one_a_second_per_channel_with_short_bursts(fake: FakeSlack, client: WebClient) -> None:
    for n in range(4):  # a short burst
        assert client.chat_postMessage(channel="C0SHARED", text=f"burst {n}")["ok"]
    exc = _refused(lambda: client.chat_postMessage(channel="C0SHARED", text="one too many"))
    assert exc.response.status_code == 429 and 1 <= _retry_after(exc) <= 4
    assert [m["text"] for m in fake.messages("C0SHARED")] == [f"burst {n}" for n in range(4)]  # refused: not posted
    dm = client.conversations_open(users="UHOME1")["channel"]["id"]
    assert client.chat_postMessage(channel=dm, text="another channel")["ok"]  # each channel its own limit
    fake.advance(_retry_after(exc))  # the burst's window slid on
    assert client.chat_postMessage(channel="C0SHARED", text="after Retry-After")["ok"]


def test_a_workspace_takes_its_minute_of_posts_over_all_channels_and_a_persons_id_is_their_dm(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.set_workspace_minute("chat.postMessage", 5)  # a workspace taking 5 posts a minute
    for n in range(5):  # channels and DMs together: a post to a person's id goes to the app's DM with them
        answer = client.chat_postMessage(channel="C0SHARED" if n % 2 else "UHOME1", text=f"post {n}")
        assert answer["ok"] and (n % 2 or answer["channel"] == fake.dm_with("UHOME1"))
    exc = _refused(lambda: client.chat_postMessage(channel="UHOME1", text="one too many"))
    assert exc.response.status_code == 429 and 1 <= _retry_after(exc) <= 60
    fake.advance(_retry_after(exc))
    assert client.chat_postMessage(channel="UHOME1", text="a minute on")["ok"]


def test_a_form_encoded_call_beyond_a_limit_gets_the_same_answer(fake: FakeSlack) -> None:
    fake.add_message("C0SHARED", user="UHOME1", text="hello")
    answers = [local_http.post(fake.api_url + "conversations.history",
                          data={"token": fake.bot_token, "channel": "C0SHARED"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 429]
    assert json.loads(answers[1].text) == {"ok": False, "error": "ratelimited"}
    assert answers[1].headers["Retry-After"] == "60"


def test_a_followed_stepped_clock_lifts_a_limit_when_it_waits_out_retry_after(
    fake: FakeSlack, client: WebClient
) -> None:
    clock = SteppedClock()
    fake.follow(clock)
    assert client.conversations_history(channel="C0SHARED")["ok"]
    exc = _refused(lambda: client.conversations_history(channel="C0SHARED"))
    clock.sleep(_retry_after(exc))  # returns at once, a minute later on the clock
    assert client.conversations_history(channel="C0SHARED")["ok"]


def test_tiers_switched_off_take_every_call() -> None:
    with FakeSlack(tiers=False) as fake:
        api = WebClient(token=fake.bot_token, base_url=fake.api_url, retry_handlers=[])
        fake.add_channel("C0FREE", "free")
        for n in range(30):
            fake.add_message("C0FREE", user="UACCORD", text=f"m{n}")
        for _ in range(5):
            assert len(api.conversations_history(channel="C0FREE", limit=20)["messages"]) == 20
            assert api.chat_postMessage(channel="C0FREE", text="x")["ok"]
        fake.tiers_enabled = True
        assert len(api.conversations_history(channel="C0FREE", limit=20)["messages"]) == 15
        _refused(lambda: api.conversations_history(channel="C0FREE"))
