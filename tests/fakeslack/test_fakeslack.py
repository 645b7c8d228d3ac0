"""The fake Slack Web API, exercised through slack_sdk's real WebClient over HTTP."""

from __future__ import annotations

import random
import threading
import time
import urllib.error

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack
from tests import local_http

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


def _error(exc: pytest.ExceptionInfo[SlackApiError]) -> str:
    return exc.value.response["error"]


def test_start_urls_and_auth_test(fake: FakeSlack, client: WebClient) -> None:
    assert fake.api_url.startswith("http://127.0.0.1:") and fake.api_url.endswith("/api/")
    assert fake.api_url == fake.base_url + "/api/"
    resp = client.auth_test()
    assert resp["user_id"] == "UACCORD" and resp["bot_id"] == "BACCORD" and resp["team_id"] == "T0HOME"
    assert resp["user"] == "accord" and resp["team"] == "Home"
    call = fake.calls[-1]
    assert call.method == "auth.test" and call.token == fake.bot_token and call.status == 200
    assert "token" not in call.args and call.response["ok"] is True


def test_wrong_or_missing_token(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as exc:
        WebClient(token="xoxb-wrong", base_url=fake.api_url, retry_handlers=[]).auth_test()
    assert _error(exc) == "invalid_auth"
    body = local_http.post(fake.api_url + "auth.test").json()
    assert body == {"ok": False, "error": "not_authed"}
    form = local_http.post(fake.api_url + "auth.test", data={"token": fake.bot_token}).json()
    assert form["ok"] is True
    unknown = local_http.post(fake.api_url + "nope.nope", data={"token": fake.bot_token})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_method"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_update_permalink_history(fake: FakeSlack, client: WebClient) -> None:
    meta = {"event_type": "accord_post", "event_payload": {"id": 7}}
    resp = client.chat_postMessage(channel="C0SHARED", text="hi", blocks=[SECTION], metadata=meta)
    ts = resp["ts"]
    assert resp["channel"] == "C0SHARED" and resp["message"]["text"] == "hi"
    reply = client.chat_postMessage(channel="C0SHARED", text="in thread", thread_ts=ts)
    assert float(reply["ts"]) > float(ts)
    [msg, threaded] = fake.messages("C0SHARED")
    assert msg == {"ts": ts, "channel": "C0SHARED", "text": "hi", "blocks": [SECTION], "thread_ts": None,
                   "metadata": meta, "user": "UACCORD", "edited": False}
    assert threaded["thread_ts"] == ts

    upd = client.chat_update(channel="C0SHARED", ts=ts, text="edited")
    assert upd["ts"] == ts and upd["text"] == "edited"
    edited = fake.messages("C0SHARED")[0]
    assert edited["edited"] is True and edited["text"] == "edited" and edited["blocks"] == [SECTION]

    link = client.chat_getPermalink(channel="C0SHARED", message_ts=ts)
    assert link["permalink"] == f"https://fake.slack/archives/C0SHARED/p{ts.replace('.', '')}"

    hist = client.conversations_history(channel="C0SHARED", include_all_metadata=True)
    assert [m["ts"] for m in hist["messages"]] == [ts]  # thread replies are not in history
    assert hist["messages"][0]["metadata"] == meta and hist["has_more"] is False
    fake.advance(60)  # an app outside the Marketplace reads a channel's history once a minute
    plain = client.conversations_history(channel="C0SHARED")
    assert "metadata" not in plain["messages"][0]

    for method, kwargs, error in [
        (client.chat_update, {"channel": "C0SHARED", "ts": "1.000001", "text": "x"}, "message_not_found"),
        (client.chat_getPermalink, {"channel": "C0SHARED", "message_ts": "1.2"}, "message_not_found"),
        (client.chat_postMessage, {"channel": "C0NOPE", "text": "x"}, "channel_not_found"),
        (client.chat_postMessage, {"channel": "C0NOBOT", "text": "x"}, "not_in_channel"),
        (client.chat_postMessage, {"channel": "C0SHARED"}, "no_text"),
    ]:
        with pytest.raises(SlackApiError) as exc:
            method(**kwargs)
        assert _error(exc) == error
    assert len(fake.calls_to("chat.postMessage")) == 5


def test_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    resp = client.chat_postEphemeral(channel="C0SHARED", user="UEXT1", text="just you")
    assert resp["message_ts"]
    assert fake.ephemerals("C0SHARED") == [
        {"channel": "C0SHARED", "user": "UEXT1", "text": "just you", "blocks": None, "thread_ts": None}]
    assert fake.messages("C0SHARED") == []
    fake.add_user("UHOME2", "T0HOME", "carol")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postEphemeral(channel="C0SHARED", user="UHOME2", text="x")
    assert _error(exc) == "user_not_in_channel"
    with pytest.raises(SlackApiError) as exc:
        client.chat_postEphemeral(channel="C0SHARED", user="UNOBODY", text="x")
    assert _error(exc) == "user_not_found"


def test_users_info_internal_and_external(client: WebClient) -> None:
    home = client.users_info(user="UHOME1")["user"]
    assert home["tz"] == "Europe/London" and isinstance(home["tz_offset"], int)
    assert home["team_id"] == "T0HOME" and home["profile"]["real_name"] == "Alice Home"
    ext = client.users_info(user="UEXT1")["user"]
    assert ext["team_id"] == "T0EXT" and "tz" not in ext and "tz_offset" not in ext
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="UNOBODY")
    assert _error(exc) == "user_not_found"


def test_conversations_info_members_open(fake: FakeSlack, client: WebClient) -> None:
    info = client.conversations_info(channel="C0SHARED")["channel"]
    assert info["is_shared"] is True and info["is_ext_shared"] is True and info["is_member"] is True
    assert client.conversations_info(channel="C0NOBOT")["channel"]["is_member"] is False
    first = client.conversations_members(channel="C0SHARED", limit=2)
    assert first["members"] == ["UHOME1", "UEXT1"] and first["response_metadata"]["next_cursor"]
    rest = client.conversations_members(channel="C0SHARED", cursor=first["response_metadata"]["next_cursor"])
    assert rest["members"] == ["UACCORD"] and rest["response_metadata"]["next_cursor"] == ""

    dm = client.conversations_open(users="UHOME1")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users="UHOME1")["channel"]["id"] == dm
    client.chat_postMessage(channel=dm, text="psst")
    assert fake.messages(dm)[0]["text"] == "psst"
    with pytest.raises(SlackApiError) as exc:
        client.conversations_open(users="UEXT1")
    assert _error(exc) == "invalid_user_combination"
    fake.allow_external_dm = True
    assert client.conversations_open(users="UEXT1")["channel"]["id"].startswith("D")


def test_files_upload_v2_roundtrip(fake: FakeSlack, client: WebClient) -> None:
    resp = client.files_upload_v2(channel="C0SHARED", content=b"a,b\n1,2\n", filename="report.csv",
                                  title="Weekly report", initial_comment="here you go")
    file_id = resp["file"]["id"]
    assert resp["file"]["title"] == "Weekly report"
    stored = fake.files[file_id]
    assert stored["bytes"] == b"a,b\n1,2\n" and stored["name"] == "report.csv"
    assert stored["channel"] == "C0SHARED"
    [msg] = fake.messages("C0SHARED")
    assert msg["text"] == "here you go" and msg["files"][0]["id"] == file_id
    with pytest.raises(SlackApiError) as exc:
        client.files_completeUploadExternal(files=[{"id": "FNOPE", "title": "x"}])
    assert _error(exc) == "file_not_found"
    multipart = local_http.post(f"{fake.base_url}/upload/{file_id}", files={"file": ("r.csv", b"multi")})
    assert multipart.text == "OK - 5" and fake.files[file_id]["bytes"] == b"multi"


def _modal(title: str = "Accord", blocks: list | None = None) -> dict:
    return {"type": "modal", "callback_id": "cb", "title": {"type": "plain_text", "text": title},
            "blocks": blocks if blocks is not None else [SECTION]}


def test_views_open_trigger_once_and_expiry(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id()
    view = client.views_open(trigger_id=trigger, view=_modal())["view"]
    assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "cb"
    assert fake.open_views[view["id"]]["title"]["text"] == "Accord"
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=trigger, view=_modal())
    assert _error(exc) == "invalid_trigger_id"
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id="123.456.abc", view=_modal())
    assert _error(exc) == "invalid_trigger_id"
    stale = fake.new_trigger_id()
    time.sleep(0.35)
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=stale, view=_modal())
    assert _error(exc) == "expired_trigger_id"

    updated = client.views_update(view_id=view["id"], view=_modal("Updated"))["view"]
    assert updated["id"] == view["id"] and updated["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as exc:
        client.views_update(view_id="VNOPE", view=_modal())
    assert _error(exc) == "not_found"

    home = {"type": "home", "blocks": [SECTION]}
    client.views_publish(user_id="UHOME1", view=home)
    assert fake.home_views["UHOME1"]["type"] == "home"
    with pytest.raises(SlackApiError) as exc:
        client.views_publish(user_id="UHOME1", view=_modal())
    assert _error(exc) == "invalid_arguments"


def test_invalid_blocks_rejected(fake: FakeSlack, client: WebClient) -> None:
    fake.tiers_enabled = False  # seven posts to one channel at once: about validation, not the posting limit
    cases = [
        [SECTION] * 51,
        [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
        [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
        [{"type": "no_such_block"}],
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                           "text": {"type": "plain_text", "text": "b" * 76}}]}],
    ]
    for blocks in cases:
        with pytest.raises(SlackApiError) as exc:
            client.chat_postMessage(channel="C0SHARED", text="x", blocks=blocks)
        assert _error(exc) == "invalid_blocks" and exc.value.response["errors"]
    assert client.chat_postMessage(channel="C0SHARED", text="x", blocks=[SECTION] * 50)["ok"]
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=fake.new_trigger_id(), view=_modal("x" * 25))
    assert _error(exc) == "invalid_arguments"
    assert "title" in exc.value.response["response_metadata"]["messages"][0]
    with pytest.raises(SlackApiError) as exc:
        client.views_open(trigger_id=fake.new_trigger_id(), view=_modal(blocks=[SECTION] * 101))
    assert _error(exc) == "invalid_arguments"
    # form-encoded blocks arrive as a JSON string and are decoded the same way
    form = local_http.post(fake.api_url + "chat.postMessage",
                      data={"token": fake.bot_token, "channel": "C0SHARED", "blocks": '[{"type": "bogus"}]'})
    assert form.json()["error"] == "invalid_blocks"
    assert len(fake.messages("C0SHARED")) == 1


def test_fault_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.inject("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0SHARED", text="x")
    assert exc.value.response.status_code == 429 and _error(exc) == "ratelimited"
    assert exc.value.response.headers["Retry-After"] in ("7", ["7"])
    assert fake.messages("C0SHARED") == []
    assert client.chat_postMessage(channel="C0SHARED", text="x")["ok"]  # times=1: next call passes
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


def test_fault_500_and_error_and_wildcard(fake: FakeSlack, client: WebClient) -> None:
    fake.inject("chat.update", status=503)
    fake.inject("*", error="channel_not_found", times=2)
    with pytest.raises(SlackApiError) as exc:
        client.users_info(user="UHOME1")
    assert exc.value.response.status_code == 200 and _error(exc) == "channel_not_found"
    with pytest.raises(SlackApiError) as exc:
        client.auth_test()
    assert _error(exc) == "channel_not_found"
    ts = client.chat_postMessage(channel="C0SHARED", text="x")["ts"]
    with pytest.raises(SlackApiError) as exc:
        client.chat_update(channel="C0SHARED", ts=ts, text="y")
    assert exc.value.response.status_code == 503 and _error(exc) == "internal_error"
    assert fake.messages("C0SHARED")[0]["text"] == "x"
    fake.inject("auth.test", status=500, times=None)
    fake.clear_faults()
    assert client.auth_test()["ok"]


def test_fault_delay_causes_client_timeout(fake: FakeSlack) -> None:
    fake.inject("chat.postMessage", delay=0.6)
    impatient = WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=0.2, retry_handlers=[])
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.chat_postMessage(channel="C0SHARED", text="slow")
    [call] = fake.wait_for("chat.postMessage", timeout=3)  # processed anyway, after the delay
    assert call.ok and fake.messages("C0SHARED")[0]["text"] == "slow"


def test_fault_probability_is_seeded(fake: FakeSlack, client: WebClient) -> None:
    fake.inject("auth.test", error="fatal_error", times=None, probability=0.5, seed=42)
    outcomes = []
    for _ in range(20):
        try:
            client.auth_test()
            outcomes.append(False)
        except SlackApiError:
            outcomes.append(True)
    rng = random.Random(42)
    assert outcomes == [rng.random() < 0.5 for _ in range(20)]
    assert 0 < sum(outcomes) < 20


def test_rate_limit_enforcement(fake: FakeSlack, client: WebClient) -> None:
    fake.enforce_rate_limit("chat.postMessage", per_channel_per_second=5.0)
    client.chat_postMessage(channel="C0SHARED", text="1")
    with pytest.raises(SlackApiError) as exc:
        client.chat_postMessage(channel="C0SHARED", text="2")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] in ("1", ["1"])
    dm = client.conversations_open(users="UHOME1")["channel"]["id"]
    assert client.chat_postMessage(channel=dm, text="other channel")["ok"]
    time.sleep(0.25)
    assert client.chat_postMessage(channel="C0SHARED", text="3")["ok"]
    assert [m["text"] for m in fake.messages("C0SHARED")] == ["1", "3"]


def test_response_url_five_uses_and_effects(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C0SHARED", text="original")["ts"]
    url = fake.new_response_url(channel="C0SHARED", message_ts=ts)
    first = local_http.post(url, json={"text": "replaced", "replace_original": True})
    assert first.status_code == 200 and first.text == "ok"
    assert fake.messages("C0SHARED")[0]["text"] == "replaced"
    bad = local_http.post(url, json={"text": "x", "blocks": [{"type": "bogus"}]})
    assert bad.status_code == 400
    for i in range(4):
        assert local_http.post(url, json={"text": f"n{i}"}).status_code == 200
    sixth = local_http.post(url, json={"text": "too many"})
    assert sixth.status_code == 404 and sixth.text == "used_url"
    posts = fake.response_url_posts
    assert len(posts) == 5 and posts[0]["response_url_id"] == url.rsplit("/", 1)[1]
    assert fake.wait_for("response_url", count=5)
    plain = fake.response_url(99)
    assert plain == f"{fake.base_url}/response_url/99"
    assert local_http.post(plain, json={"text": "hi", "response_type": "in_channel"}).text == "ok"


def test_wait_for_times_out_with_clear_message(fake: FakeSlack) -> None:
    with pytest.raises(AssertionError, match=r"successful chat\.postMessage"):
        fake.wait_for("chat.postMessage", timeout=0.05)


def test_reset_calls_and_context_manager() -> None:
    with FakeSlack() as other:
        WebClient(token=other.bot_token, base_url=other.api_url).auth_test()
        assert len(other.calls) == 1
        other.reset_calls()
        assert other.calls == []
        url = other.api_url
    with pytest.raises(httpx.TransportError):
        local_http.post(url + "auth.test", timeout=1)


def test_concurrent_posts_get_unique_increasing_ts(fake: FakeSlack, client: WebClient) -> None:
    fake.tiers_enabled = False  # twenty posts to one channel at once: about their ts, not the posting limit
    results: list[str] = []

    def post(i: int) -> None:
        results.append(client.chat_postMessage(channel="C0SHARED", text=f"m{i}")["ts"])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = [m["ts"] for m in fake.messages("C0SHARED")]
    assert len(set(results)) == 20 and sorted(results) == sorted(stored)
    assert stored == sorted(stored, key=float)
