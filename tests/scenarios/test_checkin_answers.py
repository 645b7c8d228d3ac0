"""Answering check-ins: edits until the round closes and refusal after, one reminder to non-responders only,
the round's one message (counts per party updated in place, then the summary, details in its thread), the
anonymity threshold with pooling over rounds, the gap flag, comments that reach the party's SERs and managers
and, when shared, the partner, KPI values reported into the plan, and exit triggers that warn both SERs."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.ids import CheckinAct
from storage.checkins import Answer, Round
from storage.rmp import Change, ExitTrigger, KpiValue
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import (
    answer,
    channel_texts,
    dm_channels,
    prompts,
    round_messages,
    round_thread,
    tick,
)
from tests.scenarios.plan_steps import click, command_form, command_form_agreed, ephemeral_texts, join, set_up

NORTH = ("UALICE", "UERIN", "UHANK")
SOUTH = ("UBOB", "UCAROL", "UJOE")


def _plan(harness: Harness) -> None:
    from storage.utc import parse_instant

    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    for user in (*NORTH[1:], *SOUTH, "UKIM"):
        join(harness, user)
    for actor, text in [("UALICE", "role <@UALICE> ser"), ("UBOB", "role <@UBOB> ser"),
                        ("UBOB", "role <@UKIM> observer")]:
        assert "is now" in harness.driver.slash(actor, CHANNEL, text).json()["text"]
    for low in ("1", "2"):  # the floor: with two, each would know the other's ratings
        refused = command_form(harness, "UALICE", "checkin settings", {"min_respondents": low}).json()
        assert "from 3 people at least" in refused["errors"]["min_respondents"]
    refused = command_form(harness, "UALICE", "checkin settings", {"reminders": "2"}).json()
    assert "from 0 to 1" in refused["errors"]["reminders"]
    command_form_agreed(harness, "UALICE", "kpi", {"name": "On-time delivery", "unit": "%", "direction": "higher",
                                            "target": "95", "red": "80", "owner_slot": "2",
                                            "reporter_slot": "2"})
    command_form_agreed(harness, "UALICE", "exit", {"kind": "kpi_red", "description": "Deliveries red two periods",
                                             "kpi": "1", "periods": "2"})
    command_form_agreed(harness, "UALICE", "exit", {"kind": "trust_below", "description": "Trust breaks down",
                                             "threshold": "3"})
    harness.sender.drain()


def _summary(harness: Harness, number: int) -> str:
    """Round `number`'s one message (its summary once closed) and its thread, as one text."""
    [root] = round_messages(harness, number)
    return "\n".join([f"{root['text']}\n{root['blocks']}", *round_thread(harness, number)])


def _no_names(harness: Harness) -> None:
    for message in harness.fake.messages(CHANNEL):
        if message["text"].startswith("Check-in round"):
            assert "<@U" not in f"{message['text']}{message['blocks']}"
            for user in (*NORTH, *SOUTH):
                assert user not in f"{message['text']}{message['blocks']}"


@pytest.mark.postgres
def test_a_quarter_of_check_ins(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    _plan(harness)
    # Round 1 opens on Monday 8 March: one message in the channel, with the window, counts and the button
    tick(harness, "2027-03-08T15:00:00Z")
    for user in (*NORTH, *SOUTH):
        assert len(prompts(harness, user, 1)) == 1, user
    assert prompts(harness, "UKIM", 1) == []  # observers are not asked
    # the partner's people, whom Accord cannot DM, see their prompt alone: nothing in the channel names them
    assert {e["user"] for e in harness.fake.ephemerals(CHANNEL) if "Time for check-in" in e["text"]} == set(SOUTH)
    [opened] = round_messages(harness, 1)
    assert "Northwind 0 of 3 · Southwind 0 of 3" in str(opened["blocks"])

    first = answer(harness, "UALICE", "2027-03-08T10:00:00Z", [1, 1, 1, 1, 1, 1])
    assert first.text == ""
    answer(harness, "UALICE", "2027-03-09T10:00:00Z", [4, 4, 4, 4, 4, 4])  # changed her mind: an edit
    answer(harness, "UERIN", "2027-03-09T10:00:00Z", [5, 4, 3, 4, 4, 5])
    answer(harness, "UHANK", "2027-03-09T11:00:00Z", [3, 4, 5, 4, 4, 4], comment="hank-round-1")
    answer(harness, "UBOB", "2027-03-09T12:00:00Z", [2, 3, 3, 3, 3, 2], kpis={1: "78"},
           comment="secret-bob-comment about the partner", share=True)
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
    # the same message counts the answers, updated in place
    [counting] = round_messages(harness, 1)
    assert counting["ts"] == opened["ts"] and "Northwind 3 of 3 · Southwind 1 of 3" in str(counting["blocks"])

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
    assert len(round_messages(harness, 1)) == 1 and round_messages(harness, 1)[0]["ts"] == opened["ts"]
    assert "Northwind 3 of 3 · Southwind 1 of 3" in summary
    assert "Southwind's scores are withheld this round" in summary
    assert "Communication is open and timely: 4.0 / –" in summary
    assert "I trust the partner to act in our joint interest: 4.3 / –" in summary
    assert ":red_circle: *#1 On-time delivery*: 78 %" in summary and "gap" not in summary.split("Behaviours")[1] \
        .split("Comments for")[0]

    # Round 2, Monday 15 March: Northwind all answer; Carol and Joe answer for Southwind, whose figures are then
    # published pooled with round 1 (Bob): three people
    tick(harness, "2027-03-15T14:00:00Z")
    for user, ratings, extra in [
        ("UALICE", [4, 4, 4, 4, 4, 4], {}),
        ("UERIN", [4, 4, 4, 4, 4, 4], {"comment": "erin-private-comment"}),
        ("UHANK", [4, 4, 4, 4, 4, 4], {"comment": "hank-shared-comment", "share": True}),
        ("UCAROL", [3, 4, 3, 4, 4, 3], {"kpis": {1: "79"}, "comment": "carol-shared-comment", "share": True}),
        ("UJOE", [2, 4, 3, 4, 4, 2], {}),
    ]:
        answer(harness, user, "2027-03-15T15:00:00Z", ratings, **extra)  # type: ignore[arg-type]
        harness.sender.drain()
    # five answers in the same second, each sent before the next: the message keeps up with every one
    [counting] = round_messages(harness, 2)
    assert "Northwind 3 of 3 · Southwind 2 of 3" in str(counting["blocks"])
    tick(harness, "2027-03-18T13:31:00Z")  # New York is on summer time: Bob's 09:30 is 13:30Z
    summary = _summary(harness, 2)
    assert "Northwind 3 of 3 · Southwind 2 of 3" in summary and "withheld" not in summary
    assert "Northwind / Southwind (rounds 1–2 pooled)" in summary
    assert "Communication is open and timely: 4.0 / 2.3 :warning: *gap 1.7*" in summary
    assert "Commitments are kept: 4.0 / 3.7 · gap 0.3" in summary
    assert "left to fester: 4.0 / 3.0 :warning: *gap 1.0*" in summary  # exactly the threshold
    assert "I trust the partner to act in our joint interest: 4.0 / 2.3 :warning: *gap 1.7*" in summary
    assert "3 perception gaps flagged" in summary
    assert "Northwind · I trust the partner to act in our joint interest: 4.3 → 4.0 (-0.3)" in summary
    assert "trend 78 → 79" in summary
    # comments: Northwind's shared one in the thread, without a name; Southwind's not at all (two answered
    # this round), nor Bob's of round 1 (he alone answered)
    assert "hank-shared-comment" in summary and "Comments Northwind shared with Southwind" in summary
    for hidden in ("erin-private-comment", "carol-shared-comment", "secret-bob-comment", "hank-round-1"):
        assert not [t for t in channel_texts(harness) if hidden in t], hidden
    _no_names(harness)
    assert "secret-bob-comment" not in caplog.text and "erin-private-comment" not in caplog.text
    # ... and privately, to Northwind's SER: her prompt DM became the round's private summary
    alice_dm = next(c for c, u in dm_channels(harness).items() if u == "UALICE")
    [notice] = [m for m in harness.fake.messages(alice_dm) if "round 2 of" in m["text"] and "closed" in m["text"]]
    assert "erin-private-comment" in str(notice["blocks"]) and "hank-shared-comment" in str(notice["blocks"])
    erin_dm = next(c for c, u in dm_channels(harness).items() if u == "UERIN")
    [plain] = [m for m in harness.fake.messages(erin_dm) if "round 2 of" in m["text"] and "closed" in m["text"]]
    assert "erin-private-comment" not in str(plain["blocks"]) and "actions" not in str(plain["blocks"])
    # the button on the round's message: each party's leads see their own party's comments, nobody else
    [root] = round_messages(harness, 2)
    value = {"channel": CHANNEL, "round": 2}
    with Session(harness.engine) as db:
        value["round"] = db.exec(select(Round.id).where(Round.number == 2)).one()
    for user, expected in [("UALICE", "erin-private-comment"), ("UBOB", "shown once 3 or more of Southwind"),
                           ("UERIN", "Only Northwind's SERs and managers")]:
        click(harness, user, CheckinAct.COMMENTS, value, message_ts=root["ts"])
        assert expected in ephemeral_texts(harness, user)[-1] or expected in str(
            [e["blocks"] for e in harness.fake.ephemerals(CHANNEL) if e["user"] == user][-1]), user

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
    assert any("red for 2 periods" in w for w in warnings) and any("Southwind 2.3" in w for w in warnings)


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


def _prompt_of(harness: Harness, user: str) -> dict[str, Any]:
    """The latest prompt `user` was shown only to them in the shared channel."""
    harness.sender.drain()
    return [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == user and "check-in round" in e["text"]][-1]


def _buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["text"]["text"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}


def test_the_prompts_button_opens_the_form_until_the_round_closes(harness: Harness) -> None:
    from bot.ids import Act
    from storage.utc import parse_instant
    from tests.scenarios.plan_steps import latest_view

    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    join(harness, "UCAROL")  # no timezone, and no DM possible across organisations: prompted in the channel
    harness.sender.drain()
    harness.tick(parse_instant("2027-03-08T09:31:00Z"))
    assert not [m for m in harness.fake.messages(CHANNEL)
                if "check-in" in m["text"].lower() and "UCAROL" in f"{m['text']}{m['blocks']}"]
    prompt = _prompt_of(harness, "UCAROL")  # only she sees it
    button = _buttons(prompt)["Answer the check-in"]
    assert button["action_id"] == Act.CHECKIN_OPEN
    assert set(_buttons(prompt)) == {"Answer the check-in", "Skip this round", "Remind me tomorrow", "I'm away…"}
    before = harness.fake.views_opened
    click(harness, "UCAROL", Act.CHECKIN_OPEN, json.loads(button["value"]))
    assert harness.fake.views_opened == before + 1
    assert latest_view(harness)["title"]["text"] == "Check-in round 1"
    harness.tick(parse_instant("2027-03-11T09:31:00Z"))  # the window closes
    harness.clock.now = parse_instant("2027-03-11T10:00:00Z")
    click(harness, "UCAROL", Act.CHECKIN_OPEN, json.loads(button["value"]))
    assert harness.fake.views_opened == before + 1
    assert any("closed on Thu 11 Mar 09:30" in t for t in ephemeral_texts(harness, "UCAROL"))
    # nobody answered: the round's one message says so, and nothing else was posted about it
    [closed] = round_messages(harness, 1)
    assert "nobody answered" in closed["text"] and round_thread(harness, 1) == []


def test_skip_remind_me_tomorrow_and_away_from_the_prompt(harness: Harness) -> None:
    """Each person gets at most the prompt and one reminder; skipping and being away take them out of the count
    of people asked; "Remind me tomorrow" moves their one reminder to the next working day."""
    from storage.utc import parse_instant
    from tests.scenarios.plan_steps import latest_view, submit

    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    for user in ("UERIN", "UHANK", "UBOB", "UCAROL", "UJOE"):
        join(harness, user)
    harness.sender.drain()  # their Slack time zones are looked up
    # Joe is away until the Tuesday after round 1 opens: not prompted, not counted
    harness.clock.now = parse_instant("2027-03-05T12:00:00Z")
    assert "in the past" in harness.driver.slash("UJOE", CHANNEL, "away until 2027-03-01").json()["text"]
    assert "must be a date" in harness.driver.slash("UJOE", CHANNEL, "away until someday").json()["text"]
    assert "away until Tue 09 Mar 2027" in harness.driver.slash("UJOE", CHANNEL, "away until 2027-03-09").json()["text"]
    harness.tick(parse_instant("2027-03-08T09:31:00Z"))
    assert prompts(harness, "UJOE", 1) == [] and len(prompts(harness, "UCAROL", 1)) == 1
    [message] = round_messages(harness, 1)
    assert "Southwind 0 of 2, 1 away" in str(message["blocks"])
    value = json.loads(_buttons(_prompt_of(harness, "UCAROL"))["Skip this round"]["value"])
    # Carol skips: counted out, never reminded
    harness.clock.now = parse_instant("2027-03-08T10:00:00Z")
    click(harness, "UCAROL", CheckinAct.SKIP, value)
    assert "You skipped round 1" in ephemeral_texts(harness, "UCAROL")[-1]
    [message] = round_messages(harness, 1)
    assert "Southwind 0 of 1, 1 skipped, 1 away" in str(message["blocks"])
    # Bob wants his reminder tomorrow (Tuesday 09:30 in New York), not with the others on Wednesday
    click(harness, "UBOB", CheckinAct.REMIND_TOMORROW, value)
    assert "I will remind you on Tue 09 Mar at 09:30 (America/New_York)" in ephemeral_texts(harness, "UBOB")[-1], \
        ephemeral_texts(harness, "UBOB")[-1]
    # Erin answers; Hank does nothing
    answer(harness, "UERIN", "2027-03-08T11:00:00Z", [4] * 6)
    harness.tick(parse_instant("2027-03-09T14:31:00Z"))
    assert len(prompts(harness, "UBOB", 1, reminder=True)) == 1  # on Tuesday
    harness.tick(parse_instant("2027-03-10T09:31:00Z"))
    harness.tick(parse_instant("2027-03-10T14:31:00Z"))
    reminded = {u: len(prompts(harness, u, 1, reminder=True)) for u in ("UALICE", "UERIN", "UHANK", "UBOB",
                                                                         "UCAROL", "UJOE")}
    assert reminded == {"UALICE": 1, "UERIN": 0, "UHANK": 1, "UBOB": 1, "UCAROL": 0, "UJOE": 0}
    # a reminder the round's close would beat is refused; an answered round has nothing to skip
    harness.clock.now = parse_instant("2027-03-11T10:00:00Z")  # the round closes at 14:30
    click(harness, "UHANK", CheckinAct.REMIND_TOMORROW, value)
    assert "closes before then" in ephemeral_texts(harness, "UHANK")[-1]
    click(harness, "UERIN", CheckinAct.SKIP, value)
    assert "You have answered round 1" in ephemeral_texts(harness, "UERIN")[-1]
    # back from being away: Joe counts again from the next round
    assert "Welcome back" in harness.driver.slash("UJOE", CHANNEL, "away off").json()["text"]
    # away from the button too (the partner's people have no slash command): a form with the last day
    before = harness.fake.views_opened
    click(harness, "UCAROL", CheckinAct.AWAY, value)
    assert harness.fake.views_opened == before + 1
    form = latest_view(harness)
    assert submit(harness, "UCAROL", form, {"until": "2027-03-01"}).json()["response_action"] == "errors"
    assert submit(harness, "UCAROL", form, {"until": "2027-03-20"}).text == ""
    assert "You are away until Sat 20 Mar 2027" in ephemeral_texts(harness, "UCAROL")[-1]
    with Session(harness.engine) as db:
        from storage.rmp import Person

        assert db.exec(select(Person.away_until).where(Person.user_id == "UJOE")).one() is None
