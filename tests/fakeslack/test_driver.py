"""SlackDriver: signed requests shaped like Slack's, checked by a real endpoint and by a real Bolt app."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

from bot.fakeslack import FakeSlack, SlackDriver


@pytest.fixture
def driver(fake: FakeSlack, receiver: Any, signing_secret: str) -> Iterator[SlackDriver]:
    """A driver aimed at the signature-checking receiver (see conftest.Receiver)."""
    with SlackDriver(app_url=receiver.url, signing_secret=signing_secret, fake=fake,
                     api_app_id="AACCORD") as drv:
        yield drv


def test_slash_command_form(fake: FakeSlack, driver: SlackDriver, receiver: Any) -> None:
    resp = driver.slash("UEXT1", "C0SHARED", "status please")
    assert resp.status_code == 200
    req = receiver.requests[-1]
    assert req.valid and req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.headers["user-agent"] == "Slackbot 1.0 (+https://api.slack.com/robots)"
    form = {k: v[0] for k, v in parse_qs(req.body).items()}
    assert form["team_id"] == "T0EXT" and form["user_id"] == "UEXT1" and form["user_name"] == "bob"
    assert form["channel_id"] == "C0SHARED" and form["channel_name"] == "accord-shared"
    assert form["command"] == "/accord" and form["text"] == "status please"
    assert form["api_app_id"] == "AACCORD" and form["is_enterprise_install"] == "false"
    assert form["response_url"].startswith(fake.base_url + "/response_url/")
    assert form["token"] and form["team_domain"] == "partnerorg"
    # the trigger id is live in the fake
    client = WebClient(token=fake.bot_token, base_url=fake.api_url)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": [{"type": "divider"}]}
    assert client.views_open(trigger_id=form["trigger_id"], view=view)["ok"]


def test_block_action_on_message(fake: FakeSlack, driver: SlackDriver, receiver: Any) -> None:
    ts = WebClient(token=fake.bot_token, base_url=fake.api_url).chat_postMessage(
        channel="C0SHARED", text="approve?")["ts"]
    driver.block_action("UEXT1", "C0SHARED", "approve", value="42", block_id="decide", message_ts=ts)
    assert receiver.requests[-1].valid
    payload = receiver.payload()
    assert payload["type"] == "block_actions" and payload["team"]["id"] == "T0HOME"
    assert payload["user"] == {"id": "UEXT1", "username": "bob", "name": "bob", "team_id": "T0EXT"}
    assert payload["channel"] == {"id": "C0SHARED", "name": "accord-shared"}
    assert payload["container"] == {"type": "message", "message_ts": ts, "channel_id": "C0SHARED",
                                    "is_ephemeral": False}
    assert payload["message"]["ts"] == ts and payload["message"]["text"] == "approve?"
    [action] = payload["actions"]
    assert action["action_id"] == "approve" and action["block_id"] == "decide" and action["value"] == "42"
    assert action["type"] == "button" and action["action_ts"]
    assert payload["api_app_id"] == "AACCORD" and payload["trigger_id"] and payload["response_url"]


def test_block_action_in_view_and_select(driver: SlackDriver, receiver: Any) -> None:
    view = {"id": "V123", "type": "modal", "callback_id": "cb"}
    option = {"text": {"type": "plain_text", "text": "A"}, "value": "a"}
    driver.block_action("UHOME1", "C0SHARED", "pick", view=view, action_type="static_select",
                        selected_option=option)
    payload = receiver.payload()
    assert payload["container"] == {"type": "view", "view_id": "V123"} and payload["view"] == view
    assert "channel" not in payload and "response_url" not in payload
    assert payload["actions"][0]["selected_option"] == option and "value" not in payload["actions"][0]


def test_view_submission(fake: FakeSlack, driver: SlackDriver, receiver: Any) -> None:
    values = {"title_block": {"title": {"type": "plain_text_input", "value": "Q3 plan"}}}
    view = {"id": "V9", "callback_id": "new_item", "private_metadata": "x=1"}
    driver.view_submission("UEXT1", view, values)
    payload = receiver.payload()
    assert payload["type"] == "view_submission" and payload["team"]["id"] == "T0EXT"
    assert payload["user"]["id"] == "UEXT1" and payload["user"]["team_id"] == "T0EXT"
    view = payload["view"]
    assert view["id"] == "V9" and view["callback_id"] == "new_item" and view["private_metadata"] == "x=1"
    assert view["app_installed_team_id"] == fake.team_id and view["state"] == {"values": values}


def test_message_shortcut_and_app_mention(fake: FakeSlack, driver: SlackDriver, receiver: Any) -> None:
    driver.app_mention("UEXT1", "C0SHARED", "<@UACCORD> hello", event_id="Ev1")
    first = receiver.requests[-1]
    body = json.loads(first.body)
    assert first.valid and first.headers["content-type"] == "application/json"
    assert body["type"] == "event_callback" and body["event_id"] == "Ev1" and body["team_id"] == "T0HOME"
    event = body["event"]
    assert event["type"] == "app_mention" and event["user"] == "UEXT1" and event["channel"] == "C0SHARED"
    assert event["user_team"] == "T0EXT" and event["ts"] == event["event_ts"] and "thread_ts" not in event
    assert body["authorizations"][0]["user_id"] == "UACCORD" and body["is_ext_shared_channel"] is True
    [stored] = fake.messages("C0SHARED")
    assert stored["ts"] == event["ts"] and stored["user"] == "UEXT1"

    driver.app_mention("UEXT1", "C0SHARED", "<@UACCORD> hello", event_id="Ev1", retry_num=1)
    retry = receiver.requests[-1]
    assert retry.headers["x-slack-retry-num"] == "1"
    assert retry.headers["x-slack-retry-reason"] == "http_timeout"
    assert json.loads(retry.body) == body and len(fake.messages("C0SHARED")) == 1

    driver.message_shortcut("UHOME1", "C0SHARED", "make_item", event["ts"])
    payload = receiver.payload()
    assert payload["type"] == "message_action" and payload["callback_id"] == "make_item"
    assert payload["message"]["text"] == "<@UACCORD> hello" and payload["message_ts"] == event["ts"]
    assert payload["channel"]["id"] == "C0SHARED" and payload["trigger_id"] and payload["response_url"]


def test_signing_variants(driver: SlackDriver, receiver: Any) -> None:
    assert driver.url_verification("abc").status_code == 200
    assert json.loads(receiver.requests[-1].body)["challenge"] == "abc"
    unsigned = driver.send("{}", "application/json", sign=False)
    assert unsigned.status_code == 401 and "x-slack-signature" not in receiver.requests[-1].headers
    assert driver.send("{}", "application/json", signature="v0=deadbeef").status_code == 401
    stale = driver.send("{}", "application/json", timestamp=int(time.time()) - 600)
    assert stale.status_code == 401


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def bolt_url(fake: FakeSlack, signing_secret: str) -> Iterator[str]:
    """A real Bolt app (WSGI, served by wsgiref) talking to the fake."""
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=signing_secret)

    @app.command("/accord")
    def command(ack, respond, command):  # type: ignore[no-untyped-def]
        ack()
        respond(text=f"you said {command['text']}", response_type="in_channel")

    @app.event("app_mention")
    def mention(event, say):  # type: ignore[no-untyped-def]
        say(text="pong", thread_ts=event["ts"])

    @app.action("approve")
    def approve(ack, respond):  # type: ignore[no-untyped-def]
        ack()
        respond(text="approved", replace_original=True)

    server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_against_real_bolt_app(fake: FakeSlack, bolt_url: str, signing_secret: str) -> None:
    with SlackDriver(app_url=bolt_url, signing_secret=signing_secret, fake=fake) as drv:
        assert drv.slash("UHOME1", "C0SHARED", "hi").status_code == 200
        fake.wait_for("response_url")
        assert fake.response_url_posts[0]["text"] == "you said hi"
        assert fake.messages("C0SHARED")[-1]["text"] == "you said hi"  # in_channel response lands

        assert drv.app_mention("UEXT1", "C0SHARED", "<@UACCORD> ping").status_code == 200
        [call] = fake.wait_for("chat.postMessage")
        mention_ts = fake.messages("C0SHARED")[-2]["ts"]
        assert call.args["text"] == "pong" and call.args["thread_ts"] == mention_ts

        reply_ts = call.response["ts"]
        assert drv.block_action("UHOME1", "C0SHARED", "approve", message_ts=reply_ts).status_code == 200
        fake.wait_for("response_url", count=2)
        assert fake.message("C0SHARED", reply_ts)["text"] == "approved"

        bad = drv.send("{}", "application/json", signature="v0=bad")
        assert bad.status_code == 401
