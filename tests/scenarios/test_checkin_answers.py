"""Answering check-ins: edits until the round closes and refusal after, reminders to non-responders
only, the anonymity threshold, the summary's figures from known answers, the gap flag, KPI values
reported into the plan, and exit triggers that warn both SERs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from storage.checkins import Answer
from storage.rmp import Change, ExitTrigger, KpiValue
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer, channel_texts, prompts, tick
from tests.scenarios.plan_steps import command_form, command_form_agreed, join, set_up

NORTH = ("UALICE", "UERIN", "UHANK")
SOUTH = ("UBOB", "UCAROL", "UJOE")


def _plan(harness: Harness) -> None:
    from storage.clock import parse_instant

    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    for user in (*NORTH[1:], *SOUTH, "UKIM"):
        join(harness, user)
    for actor, text in [("UALICE", "role <@UALICE> ser"), ("UBOB", "role <@UBOB> ser"),
                        ("UBOB", "role <@UKIM> observer")]:
        assert "is now" in harness.driver.slash(actor, CHANNEL, text).json()["text"]
    settings = command_form_agreed(harness, "UALICE", "checkin settings", {"min_respondents": "2"})
    assert settings.text == "", settings.text
    command_form_agreed(harness, "UALICE", "kpi", {"name": "On-time delivery", "unit": "%", "direction": "higher",
                                            "target": "95", "amber": "90", "red": "80", "owner_slot": "2",
                                            "reporter_slot": "2"})
    command_form_agreed(harness, "UALICE", "exit", {"kind": "kpi_red", "description": "Deliveries red two periods",
                                             "kpi": "1", "periods": "2"})
    command_form_agreed(harness, "UALICE", "exit", {"kind": "trust_below", "description": "Trust breaks down",
                                             "threshold": "3"})
    harness.sender.drain()


def _summary(harness: Harness, number: int) -> str:
    [text] = [t for t in channel_texts(harness) if t.startswith(f"Check-in round {number} of")]
    return text


def test_a_quarter_of_check_ins(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    _plan(harness)
    # Round 1 opens on Monday 8 March
    tick(harness, "2027-03-08T15:00:00Z")
    for user in (*NORTH, *SOUTH):
        assert len(prompts(harness, user, 1)) == 1, user
    assert prompts(harness, "UKIM", 1) == []  # observers are not asked

    first = answer(harness, "UALICE", "2027-03-08T10:00:00Z", [1, 1, 1, 1, 1, 1])
    assert first.text == ""
    answer(harness, "UALICE", "2027-03-09T10:00:00Z", [4, 4, 4, 4, 4, 4])  # changed her mind: an edit
    answer(harness, "UERIN", "2027-03-09T10:00:00Z", [5, 4, 3, 4, 4, 5])
    answer(harness, "UHANK", "2027-03-09T11:00:00Z", [3, 4, 5, 4, 4, 4])
    answer(harness, "UBOB", "2027-03-09T12:00:00Z", [2, 3, 3, 3, 3, 2], kpis={1: "78"},
           comment="secret-bob-comment about the partner")
    refused = answer(harness, "UKIM", "2027-03-09T12:00:00Z", [3] * 6).json()
    assert "Observers" in refused["text"]
    bad = answer(harness, "UJOE", "2027-03-09T12:00:00Z", [3, 3, 3, 3, 3, 3], kpis={1: "lots"}).json()
    assert bad["response_action"] == "errors" and "must be a number" in bad["errors"]["kpi_1"]
    with Session(harness.engine) as db:
        answers = {a.user_id: a.ratings for a in db.exec(select(Answer))}
    assert answers["UALICE"] == [4, 4, 4, 4, 4, 4] and "UJOE" not in answers
    harness.sender.drain()
    told = [e["text"] for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UALICE"]
    assert any("round 1 is recorded" in t for t in told) and any("round 1 is updated" in t for t in told)

    # half-way through the window, not at night (Tuesday 21:30) but at the prompts' time of the window's second
    # working day, in each person's own timezone: Wednesday 09:30 London for Carol and Joe (Bob answered)
    tick(harness, "2027-03-09T21:31:00Z")
    assert not [u for u in (*NORTH, *SOUTH, "UKIM") if prompts(harness, u, 1, reminder=True)]
    tick(harness, "2027-03-10T09:31:00Z")
    reminded = {u for u in (*NORTH, *SOUTH, "UKIM") if prompts(harness, u, 1, reminder=True)}
    assert reminded == {"UCAROL", "UJOE"}

    # three working days after the last prompt (Bob's, 09:30 in New York): Thursday 11 March 14:30 London, the
    # window closes; a late answer is refused and changes nothing
    tick(harness, "2027-03-11T14:31:00Z")
    late = answer(harness, "UCAROL", "2027-03-11T15:00:00Z", [3] * 6).json()
    assert "closed on Thu 11 Mar 14:30" in late["text"]
    summary = _summary(harness, 1)
    assert "Northwind 3 of 3 · Southwind 1 of 3" in summary
    assert "Southwind's scores are withheld: fewer than 2 answered" in summary
    assert "Communication is open and timely: 4.00 / –" in summary
    assert "I trust the partner to act in our joint interest: 4.33 / –" in summary
    assert ":red_circle: *#1 On-time delivery*: 78 %" in summary and "gap" not in summary.split("Behaviours")[1] \
        .split("Largest")[0]

    # Round 2, Monday 15 March
    tick(harness, "2027-03-15T14:00:00Z")
    answer(harness, "UALICE", "2027-03-15T15:00:00Z", [4, 4, 4, 4, 4, 4])
    answer(harness, "UERIN", "2027-03-15T15:00:00Z", [4, 4, 4, 4, 4, 4])
    answer(harness, "UBOB", "2027-03-15T15:00:00Z", [2, 4, 3, 4, 4, 2], kpis={1: "79"})
    answer(harness, "UCAROL", "2027-03-15T15:00:00Z", [3, 4, 3, 4, 4, 3])
    tick(harness, "2027-03-18T13:31:00Z")  # New York is on summer time: Bob's 09:30 is 13:30Z
    summary = _summary(harness, 2)
    assert "Northwind 2 of 3 · Southwind 2 of 3" in summary and "withheld" not in summary
    assert "Communication is open and timely: 4.00 / 2.50 :warning: *gap 1.50*" in summary
    assert "Commitments are kept: 4.00 / 4.00 · gap 0.00" in summary
    assert "left to fester: 4.00 / 3.00 :warning: *gap 1.00*" in summary  # exactly the threshold
    assert "I trust the partner to act in our joint interest: 4.00 / 2.50 :warning: *gap 1.50*" in summary
    assert "3 perception gaps flagged" in summary
    assert "Northwind · I trust the partner to act in our joint interest: 4.33 → 4.00 (-0.33)" in summary
    assert "trend 78 → 79" in summary
    # privacy: no comment, no individual's name in any channel message about check-ins
    for text in channel_texts(harness):
        assert "secret-bob-comment" not in text
        if text.startswith("Check-in round"):
            assert "<@U" not in text
    assert "secret-bob-comment" not in caplog.text

    # the KPI values reached the plan and its history; both exit triggers fired and warned the SERs
    with Session(harness.engine) as db:
        values = [(v.period, v.value) for v in db.exec(select(KpiValue).order_by(KpiValue.period))]
        reported = [c for c in db.exec(select(Change)) if c.verb == "reported"]
        fired = {t.kind: t.status for t in db.exec(select(ExitTrigger))}
    assert values == [(date(2027, 3, 8), 78.0), (date(2027, 3, 15), 79.0)]
    assert [json.dumps(c.after) for c in reported] == [
        '{"value": 78.0, "period": "2027-03-08", "round": 1}', '{"value": 79.0, "period": "2027-03-15", "round": 2}']
    assert fired == {"kpi_red": "triggered", "trust_below": "triggered"}
    warnings = [t for t in channel_texts(harness) if t.startswith("Exit trigger")]
    assert len(warnings) == 2
    assert all("<@UALICE>" in w and "<@UBOB>" in w for w in warnings)
    assert any("red for 2 periods" in w for w in warnings) and any("Southwind 2.5" in w for w in warnings)


def test_check_in_settings_are_validated_and_editors_only(harness: Harness) -> None:
    assert set_up(harness).status_code == 200
    join(harness, "UBOB")
    join(harness, "UCAROL")
    bad = command_form(harness, "UALICE", "checkin settings", {"gap_threshold": "9", "statements": ""}).json()
    assert bad["response_action"] == "errors" and "statements" in bad["errors"]
    bad = command_form(harness, "UALICE", "checkin settings", {"gap_threshold": "9"}).json()
    assert "between 0.1 and 4" in bad["errors"]["gap_threshold"]
    good = command_form_agreed(harness, "UALICE", "checkin settings", {"statements": "We deliver\nWe trust them",
                                                                       "scale": "7"})
    assert good.text == ""
    member = harness.driver.slash("UCAROL", CHANNEL, "checkin settings").json()
    assert "Only SERs and managers" in member["text"]
    nothing_open = harness.driver.slash("UCAROL", CHANNEL, "checkin").json()
    assert "No check-in round is open" in nothing_open["text"]
    from storage.rmp import Relationship

    with Session(harness.engine) as db:
        relationship = db.exec(select(Relationship)).one()
    assert relationship.checkin_statements == ["We deliver", "We trust them"] and relationship.checkin_scale == 7


def test_the_prompts_button_opens_the_form_until_the_round_closes(harness: Harness) -> None:
    from bot.ids import Act
    from storage.clock import parse_instant
    from tests.scenarios.plan_steps import click, ephemeral_texts, latest_view

    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    join(harness, "UCAROL")  # no timezone, and no DM possible across organisations: prompted in the channel
    harness.sender.drain()
    harness.tick(parse_instant("2027-03-08T09:31:00Z"))
    [prompt] = [m for m in harness.fake.messages(CHANNEL) if m["text"].startswith("<@UCAROL> Time for check-in")]
    button = next(e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == Act.CHECKIN_OPEN
    before = harness.fake.views_opened
    click(harness, "UCAROL", Act.CHECKIN_OPEN, json.loads(button["value"]), message_ts=prompt["ts"])
    assert harness.fake.views_opened == before + 1
    assert latest_view(harness)["title"]["text"] == "Check-in round 1"
    harness.tick(parse_instant("2027-03-11T09:31:00Z"))  # the window closes
    harness.clock.now = parse_instant("2027-03-11T10:00:00Z")
    click(harness, "UCAROL", Act.CHECKIN_OPEN, json.loads(button["value"]), message_ts=prompt["ts"])
    assert harness.fake.views_opened == before + 1
    assert any("closed on Thu 11 Mar 09:30" in t for t in ephemeral_texts(harness, "UCAROL"))
