"""Issue 21, point 6, in Slack: the *Audit report* button on a review's message shares the report as an HTML file
in the review's thread (a partner's SER, who cannot run /accord, clicks it), and the one on App Home sends it to the
clicker in a DM; the file is the whole report, every section labelled with its clause."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.ids import Act
from commands.report import clauses
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click
from tests.scenarios.review_steps import at, month_of_partnership, review_messages


def _report_button(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    [found] = [e for b in blocks if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == Act.AUDIT_REPORT]
    return found


def _shared_report(harness: Harness, message: dict[str, Any]) -> str:
    [shared] = message["files"]
    assert shared["title"].startswith("Audit report: ") and shared["name"].endswith(".html")
    return harness.fake.files[shared["id"]]["bytes"].decode("utf-8")


def _sections(html: str) -> list[str]:
    return [s["id"] for s in clauses.sections() if f'<section id="{s["id"]}"' in html and s["label"] in html]


@pytest.mark.postgres
def test_the_audit_report_button_shares_the_file_in_the_reviews_thread_and_in_a_dm_from_app_home(
        harness: Harness) -> None:
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    assert "posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    root, _ = review_messages(harness)
    button = _report_button(root["blocks"])
    assert button["text"]["text"] == "Audit report"

    at(harness, "2027-01-25T11:00:00Z")
    click(harness, "UBOB", Act.AUDIT_REPORT, json.loads(button["value"]))  # Southwind's SER, from the message
    _, replies = review_messages(harness)
    [in_thread] = [r for r in replies if r.get("files") and r["files"][0]["title"].startswith("Audit report")]
    html = _shared_report(harness, in_thread)
    assert _sections(html) == [s["id"] for s in clauses.sections()]
    assert "Review #1: 4 Jan 2027 to 25 Jan 2027" in html and "Northwind–Southwind alliance" in html

    # App Home: the button below the relationship's glance sends the file to the clicker alone
    event = {"type": "event_callback", "team_id": "T0HOME", "api_app_id": "AACCORD",
             "event_id": f"EvHOME{time.monotonic_ns()}", "event_time": int(time.time()),
             "event": {"type": "app_home_opened", "user": "UALICE", "channel": "D0UALICE", "tab": "home",
                       "event_ts": f"{time.time():.6f}"}}
    assert harness.driver.send(json.dumps(event), "application/json").status_code == 200
    harness.sender.drain()
    home = harness.fake.home_views["UALICE"]
    home_button = _report_button(home["blocks"])
    assert json.loads(home_button["value"]) == {"channel": CHANNEL}
    response = harness.driver.block_action("UALICE", CHANNEL, Act.AUDIT_REPORT, value=home_button["value"],
                                           view={**home, "id": "V0HOMEUALICE"}, installation="T0HOME")
    assert response.status_code == 200
    harness.sender.drain()
    dm = harness.fake.dm_with("UALICE")
    assert dm is not None
    [sent] = [m for m in harness.fake.messages(dm) if m.get("files")]
    assert _sections(_shared_report(harness, sent)) == [s["id"] for s in clauses.sections()]
    reports = [m for m in harness.fake.messages(CHANNEL) if m.get("files")
               and m["files"][0]["title"].startswith("Audit report")]
    assert reports == [in_thread]  # the channel got no second one
