"""Hostile and misdirected requests: each gets the right status or one clear message, and changes nothing."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

import pytest
from slack_sdk.signature import SignatureVerifier
from sqlmodel import Session, SQLModel, func, select

from storage import schema
from tests import local_http
from tests.harness import CHANNEL, OTHER_CHANNEL, SIGNING_SECRET, Harness
from tests.scenarios.plan_steps import full_cast

FORM = "application/x-www-form-urlencoded"


def _slash(user: str, team: str, text: str, channel: str = CHANNEL) -> str:
    return urllib.parse.urlencode({
        "command": "/accord", "text": text, "user_id": user, "team_id": team, "channel_id": channel,
        "response_url": "http://127.0.0.1:1/none", "trigger_id": "1.2.3",
    })


def _state(harness: Harness) -> dict[str, int]:
    """How many rows each table holds (the outbox too: nothing queued either)."""
    with Session(harness.engine) as db:
        return {table.name: int(db.exec(select(func.count()).select_from(table)).one())
                for table in SQLModel.metadata.sorted_tables if table.name in schema.metadata.tables}


def _signed(body: str, stamp: int) -> dict[str, str]:
    return {"X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": SignatureVerifier(SIGNING_SECRET).generate_signature(timestamp=str(stamp), body=body)}


REMIND = _slash("UALICE", "T0HOME", "remind in 2d Send the plan")

CASES: dict[str, tuple[dict[str, Any], int, str | None]] = {
    # name: (how it is sent, expected HTTP status, what the person is told)
    "no timestamp header": ({"headers": {"X-Slack-Signature": "v0=" + "0" * 64}}, 401, None),
    "no signature header": ({"headers": {"X-Slack-Request-Timestamp": str(int(time.time()))}}, 401, None),
    "replayed after 300 s": ({"headers": _signed(REMIND, int(time.time()) - 301)}, 401, None),
    "body altered after signing": ({"headers": _signed(REMIND, int(time.time())), "body": REMIND + "x"}, 401, None),
    "a channel with no relationship": ({"body": _slash("UALICE", "T0HOME", "review now", OTHER_CHANNEL)}, 200,
                                       "no Accord relationship yet"),
    "a third organisation's person": ({"body": _slash("UDAVE", "T0THIRD", "action done 1")}, 200,
                                      "yours is not one of its parties"),
    "an observer changing the plan": ({"body": _slash("UKIM", "T0PARTNER", "review now")}, 200,
                                      "Only SERs and managers"),
    "a partner's person posing as home": ({"body": _slash("UBOB", "T0HOME", "review now")}, 200,
                                          "does not match your party"),
    "an oversize body": ({"body": "text=" + "x" * 1_100_000, "unsigned": True}, 413, None),
}


@pytest.mark.sqlite_only("tests/scenarios/test_request_verification.py::test_bad_requests_are_refused_and_change_nothing")
@pytest.mark.parametrize("case", list(CASES))
def test_each_bad_request_gets_its_answer_and_changes_nothing(harness: Harness, case: str) -> None:
    full_cast(harness)
    harness.sender.drain()
    before, calls = _state(harness), len(harness.fake.calls)
    how, status, told = CASES[case]
    body = how.get("body", REMIND)
    if how.get("unsigned"):
        response = local_http.post(harness.url + "/slack/events", content=body, headers={"Content-Type": FORM})
    elif "headers" in how:
        response = local_http.post(harness.url + "/slack/events", content=body,
                              headers={"Content-Type": FORM, **how["headers"]})
    else:
        response = harness.driver.send(body, FORM)
    assert response.status_code == status, response.text
    if told is not None:
        answer = response.json()
        assert answer["response_type"] == "ephemeral" and told in answer["text"], answer
        assert "Traceback" not in response.text
    harness.sender.drain()
    assert _state(harness) == before
    assert [c.method for c in harness.fake.calls[calls:]] == []  # nothing said in the channel either
