"""Unsigned, forged and stale requests get 401 and change nothing."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from storage.models import HandledEvent, WorkItem
from tests import local_http
from tests.harness import CHANNEL, Harness

REMIND = urllib.parse.urlencode({
    "command": "/accord", "text": "remind in 2d Send the plan", "user_id": "UALICE", "team_id": "T0HOME",
    "channel_id": CHANNEL, "response_url": "http://127.0.0.1:1/none", "trigger_id": "1.2.3",
})
FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize("case", ["unsigned", "forged", "stale", "signed_with_other_secret", "future"])
@pytest.mark.postgres
def test_bad_requests_are_refused_and_change_nothing(harness: Harness, case: str) -> None:
    driver = harness.driver
    if case == "unsigned":
        response = driver.send(REMIND, FORM, sign=False)
    elif case == "forged":
        response = driver.send(REMIND, FORM, signature="v0=" + "0" * 64)
    elif case == "stale":
        response = driver.send(REMIND, FORM, timestamp=int(time.time()) - 301)
    elif case == "future":
        response = driver.send(REMIND, FORM, timestamp=int(time.time()) + 301)
    else:
        from slack_sdk.signature import SignatureVerifier

        stamp = int(time.time())
        signature = SignatureVerifier("another-secret").generate_signature(timestamp=str(stamp), body=REMIND)
        response = driver.send(REMIND, FORM, timestamp=stamp, signature=signature)
    assert response.status_code == 401
    assert harness.count(WorkItem) == 0
    assert harness.fake.calls_to("chat.postMessage") == []


def test_the_same_request_signed_is_accepted(harness: Harness) -> None:
    response = harness.driver.send(REMIND, FORM)
    assert response.status_code == 200 and "I will remind this channel" in response.json()["text"]
    assert harness.count(WorkItem) == 1


def test_forged_event_is_refused(harness: Harness) -> None:
    body = '{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","user":"UALICE",' \
           '"channel":"C0SHARED","text":"<@UACCORD> help","ts":"1.1"}}'
    response = harness.driver.send(body, "application/json", signature="v0=deadbeef")
    assert response.status_code == 401
    assert harness.count(HandledEvent) == 0


def test_unknown_paths_and_oversize_bodies_are_refused(harness: Harness) -> None:
    assert local_http.get(harness.url + "/nope").status_code == 404
    assert local_http.get(harness.url + "/slack/events").status_code == 405
    big = "x" * 1_100_000
    too_big = local_http.post(harness.url + "/slack/events", content=big, headers={"Content-Type": FORM})
    assert too_big.status_code == 413
