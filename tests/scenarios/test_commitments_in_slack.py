"""Commitments and service levels through Slack (issue 21, point 2): Southwind promises a service level with
`/accord sla`, its check-in value misses the promise and the channel is told; Northwind commits people with
`/accord commit`, Southwind commits budget with the status's "Commit a resource" button and, from the list a
mention shows, marks Northwind's commitment not honoured by button; status shows the service level apart from
the KPIs, and the review counts both per party."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.ids import Act, CommitmentAct
from storage.partnership import Commitment
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer
from tests.scenarios.plan_steps import (
    click,
    command_form,
    command_form_agreed,
    ephemeral_texts,
    full_cast,
    latest_view,
    submit,
)
from tests.scenarios.review_steps import at, block_text, review_messages

TICKETS = {"name": "Tickets answered within 4 hours", "unit": "%", "direction": "higher", "target": "95",
           "red": "80", "owner_slot": "2", "reporter_slot": "2", "cadence": "weekly"}


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]


def _channel_posts(harness: Harness, start: str) -> list[str]:
    harness.sender.drain()
    return [block_text(m) for m in harness.fake.messages(CHANNEL) if block_text(m).startswith(start)]


@pytest.mark.postgres
def test_a_service_level_breach_and_a_commitment_not_honoured_are_posted_and_counted_in_the_review(
        harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    assert command_form_agreed(harness, "UALICE", "setup", {"checkin_cadence": "weekly on monday at 09:30"}).text == ""
    # Southwind promises a service level of its own: no consent needed, it binds only Southwind
    assert command_form(harness, "UBOB", "sla", TICKETS).text == ""
    assert ephemeral_texts(harness, "UBOB")[-1] == "Saved service level #1: Tickets answered within 4 hours"
    status = block_text(harness.driver.slash("UALICE", CHANNEL, "status").json())
    assert "*KPIs*\n_No KPIs yet._" in status  # shown apart from the KPIs
    assert "*#1 Tickets answered within 4 hours*: no value yet (promised ≥ 95 % by Southwind to Northwind" in status

    # the first round: Bob reports 91 %, short of the promise: a breach, posted naming the party
    harness.tick(parse_instant("2027-01-11T09:30:00Z"))
    assert answer(harness, "UBOB", "2027-01-11T11:00:00Z", [4] * 6, kpis={1: "91"}).text == ""
    [breach] = _channel_posts(harness, ":warning: Service level")
    assert breach.startswith(":warning: Service level *#1 Tickets answered within 4 hours* missed for 2027-01-11: "
                             "91 % against the promised ≥ 95 % (Southwind's promise to Northwind).")
    assert "UBOB" not in breach

    # commitments: Northwind by slash, Southwind by the status's button
    at(harness, "2027-01-12T10:00:00Z")
    told = harness.driver.slash("UERIN", CHANNEL, "commit people 2 FTE – two engineers for the integration").json()
    assert told["text"].startswith("Recorded Northwind's commitment #1 (people)")
    status_message = harness.driver.slash("UCAROL", CHANNEL, "status").json()
    [commit] = [b for b in _buttons(status_message) if b["action_id"] == f"{Act.OPEN_FORM}:commit"]
    assert commit["text"]["text"] == "Commit a resource"
    assert click(harness, "UCAROL", commit["action_id"], json.loads(commit["value"])).status_code == 200
    assert submit(harness, "UCAROL", latest_view(harness), {
        "resource": "budget", "quantity": "GBP 50,000", "description": "The joint marketing fund"}).text == ""
    assert ephemeral_texts(harness, "UCAROL")[-1].startswith("Recorded Southwind's commitment #2 (budget)")

    # Bob (Southwind, no /accord needed) lists them by mention and marks Northwind's not honoured by button
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> commitments")
    harness.sender.drain()
    [listing] = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UBOB" and "commitments" in e["text"]]
    assert "*#1* Northwind's people 2 FTE: two engineers for the integration · _committed_" in block_text(listing)
    not_honoured = [b for b in _buttons(listing) if b["action_id"] == CommitmentAct.NOT_HONOURED]
    assert [json.loads(b["value"])["number"] for b in not_honoured] == [1, 2]
    assert click(harness, "UBOB", CommitmentAct.NOT_HONOURED, json.loads(not_honoured[0]["value"])).status_code \
        == 200
    refused = submit(harness, "UBOB", latest_view(harness), {"reason": "  "}).json()
    assert refused["response_action"] == "errors" and "reason" in refused["errors"]
    assert submit(harness, "UBOB", latest_view(harness), {"reason": "Only one engineer has joined"}).text == ""
    [post] = _channel_posts(harness, ":warning: *Southwind* marked")
    assert post.startswith(":warning: *Southwind* marked Northwind's commitment *#1* not honoured (people 2 FTE: "
                           "two engineers for the integration)\n*Reason:* Only one engineer has joined")
    assert "UBOB" not in post and "UERIN" not in post
    with Session(harness.engine) as db:
        assert [(c.number, c.status, c.reason) for c in db.exec(select(Commitment).order_by(col(Commitment.number)))] \
            == [(1, "not_honoured", "Only one engineer has joined"), (2, "committed", "")]

    # the review counts both, per party
    at(harness, "2027-01-20T10:00:00Z")
    assert "Review #1 is posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    root, _ = review_messages(harness)
    shown = block_text(root)
    assert "*Service levels*: Northwind 0 met, 0 breached · Southwind 0 met, 1 breached" in shown
    assert "*Commitments*: Northwind 1 committed, 1 not honoured · Southwind 1 committed, 0 not honoured" in shown
    assert "not honoured: Only one engineer has joined" in shown
