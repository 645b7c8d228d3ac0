"""Status (ephemeral and public), App Home, history, mentions, and channel isolation."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from bot.ids import Act
from commands.rmp import kpis
from storage.engine import transaction
from storage.rmp import Kpi, Relationship
from storage.utc import utcnow
from tests.harness import CHANNEL, OTHER_CHANNEL, Harness
from tests.scenarios.plan_steps import (
    click,
    command_form,
    command_form_agreed,
    ephemeral_texts,
    join,
    latest_view,
    set_up,
)

DUE = (utcnow() + timedelta(days=3)).date().isoformat()


def _plan_with_items(harness: Harness) -> None:
    assert set_up(harness).status_code == 200
    join(harness, "UBOB")
    command_form_agreed(harness, "UALICE", "kpi", {"name": "On-time delivery", "unit": "%", "direction": "higher",
                                            "target": "95", "red": "80", "owner_slot": "2",
                                            "reporter_slot": "2"})
    command_form_agreed(harness, "UALICE", "risk", {"description": "Port strike", "likelihood": "2", "impact": "5",
                                             "owner": "UBOB"})
    command_form(harness, "UALICE", "risk", {"description": "Currency swing", "likelihood": "4", "impact": "4",
                                             "owner": "UALICE"})
    command_form_agreed(harness, "UALICE", "action", {"description": "Agree the SLA", "owner": "UBOB", "due_on": DUE})
    command_form_agreed(harness, "UALICE", "objective", {"whose": "2", "title": "Enter the Nordic market",
                                                  "benefit_1": "New volume", "benefit_2": "Market entry"})
    with transaction(harness.engine) as db:
        kpi = db.exec(select(Kpi)).one()
        kpis.record_value(db, kpi, value=91, period=date(2026, 10, 1), user_id="UBOB", now=utcnow())
        kpis.record_value(db, kpi, value=85, period=date(2026, 11, 1), user_id="UBOB", now=utcnow())


def _all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


@pytest.mark.postgres
def test_status_at_a_glance_ephemeral_and_public(harness: Harness) -> None:
    _plan_with_items(harness)
    body = harness.driver.slash("UBOB", CHANNEL, "status").json()
    assert body["response_type"] == "ephemeral"
    text = _all_text(body["blocks"])
    assert "Northwind–Southwind alliance" in text and "Northwind · Southwind" in text
    assert ":large_orange_circle: *#1 On-time delivery*: 85 % ↓ (target ≥ 95 %)" in text  # amber, falling
    assert text.index("Currency swing") < text.index("Port strike")  # 16 before 10: by score
    assert "*16* · #2 Currency swing" in text and "*10* · #1 Port strike" in text
    assert "Agree the SLA" in text and "*mine* · #1 Enter the Nordic market" in text  # Bob is Southwind
    assert "Next check-in" in text and "next review" in text and "No open disputes" in text
    assert Act.OPEN_FORM in text  # buttons to the forms
    alice = _all_text(harness.driver.slash("UALICE", CHANNEL, "status").json()["blocks"])
    assert "*yours* · #1 Enter the Nordic market" in alice

    posted_reply = harness.driver.slash("UALICE", CHANNEL, "status public").json()
    assert posted_reply["text"] == "Posted the status to the channel."
    harness.sender.drain()
    [posted] = [m for m in harness.fake.messages(CHANNEL) if m["text"].endswith(": status")]
    assert "On-time delivery" in _all_text(posted["blocks"])
    assert "Usage" in harness.driver.slash("UALICE", CHANNEL, "status loud").json()["text"]


def test_status_marks_overdue_actions(harness: Harness) -> None:
    _plan_with_items(harness)
    from commands.rmp.status import status_of

    with Session(harness.engine) as db:
        relationship = db.exec(select(Relationship)).one()
        later = status_of(db, relationship, viewer_slot=1, now=utcnow() + timedelta(days=10))
        today = status_of(db, relationship, viewer_slot=1, now=utcnow())
    assert later.overdue == {1} and today.overdue == set()


def test_app_home_shows_each_relationship_of_the_user(harness: Harness) -> None:
    _plan_with_items(harness)
    event = {"type": "event_callback", "team_id": "T0PARTNER", "api_app_id": "AACCORD", "event_id": "EvHOME1",
             "event_time": int(time.time()),
             "event": {"type": "app_home_opened", "user": "UBOB", "channel": "D0BOB", "tab": "home",
                       "event_ts": f"{time.time():.6f}"}}
    assert harness.driver.send(json.dumps(event), "application/json").status_code == 200
    harness.sender.drain()
    home = harness.fake.home_views["UBOB"]
    text = _all_text(home["blocks"])
    assert "Northwind–Southwind alliance" in text and "On-time delivery" in text and Act.OPEN_FORM in text
    assert harness.driver.send(json.dumps({**event, "event_id": "EvHOME2"}), "application/json").status_code == 200
    harness.sender.drain()
    assert "not in any Accord relationship" not in _all_text(harness.fake.home_views["UBOB"]["blocks"])


def test_history_lists_the_latest_changes(harness: Harness) -> None:
    _plan_with_items(harness)
    body = harness.driver.slash("UBOB", CHANNEL, "history").json()
    text = body["text"] + _all_text(body["blocks"])
    # create, Bob joined, Alice's own risk; the KPI, Bob's risk, Bob's action and Southwind's objective are
    # Southwind's to agree: each proposed, created and approved
    assert "plan version 15" in text
    assert "alice (Northwind) proposed a new KPI “On-time delivery” (proposal #1)" in text
    assert "bob (Southwind) approved proposal #1 about a new KPI “On-time delivery”" in text
    assert "alice (Northwind) added objective #1 “Enter the Nordic market”: Southwind's own" in text
    assert "bob joined Southwind as a manager" in text
    due = date.fromisoformat(DUE)  # three days from when the tests started: a day and month, and a year if it differs
    assert f"alice (Northwind) added action #1 “Agree the SLA”: owner bob, due {due.day} {due:%b}" in text
    assert "UALICE" not in text and "UBOB" not in text and "null" not in text  # people by name


def test_mentions_reach_everything_without_the_slash_command(harness: Harness) -> None:
    _plan_with_items(harness)
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> status")
    assert any("status" in t for t in ephemeral_texts(harness, "UBOB"))
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> kpi")
    harness.sender.drain()
    [prompt] = [e for e in harness.fake.ephemerals(CHANNEL) if e["text"] == "Open the kpi form"]
    value = json.loads(prompt["blocks"][1]["elements"][0]["value"])
    before = harness.fake.views_opened
    click(harness, "UBOB", Act.OPEN_FORM, value)
    assert harness.fake.views_opened == before + 1 and latest_view(harness)["title"]["text"] == "Add KPI"


@pytest.mark.postgres
def test_nothing_crosses_from_one_channel_to_another(harness: Harness) -> None:
    _plan_with_items(harness)
    assert set_up(harness, {"name": "Other deal", "party_1": "Westwind", "party_2": "Eastwind"},
                  channel=OTHER_CHANNEL).status_code == 200
    # Bob is in the first relationship only
    for text in ("status", "kpi", "history", "people", "exit reviewed"):
        body = harness.driver.slash("UBOB", OTHER_CHANNEL, text).json()
        assert "not in the *Other deal* relationship" in body["text"], (text, body)
    other = _all_text(harness.driver.slash("UALICE", OTHER_CHANNEL, "status").json()["blocks"])
    assert "On-time delivery" not in other and "Port strike" not in other
    with Session(harness.engine) as db:
        versions = {r.channel_id: r.version for r in db.exec(select(Relationship))}
    # a button on a message in one channel that names the other channel is refused
    click(harness, "UALICE", Act.OPEN_FORM, {"channel": OTHER_CHANNEL, "form": "kpi"}, channel=CHANNEL)
    assert any("another channel" in t for t in ephemeral_texts(harness, "UALICE"))
    with Session(harness.engine) as db:
        assert {r.channel_id: r.version for r in db.exec(select(Relationship))} == versions
