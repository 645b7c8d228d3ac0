"""Regressions found in review: DM buttons, rescheduled rounds, party add limits, fixed mode, trust
on other scales, editing an overdue action, the last-level dispute trigger."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.ids import Act, DisputeAct
from storage.checkins import Round
from storage.rmp import ExitTrigger, Person
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import dm_channels
from tests.scenarios.dispute_steps import cast, press, raise_by_slash
from tests.scenarios.plan_steps import command_form, command_form_agreed, join, latest_view, set_up


def test_the_button_in_a_direct_message_opens_the_check_in(harness: Harness) -> None:
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    join(harness, "UERIN")  # Northwind: a DM reaches her
    harness.sender.drain()
    harness.tick(parse_instant("2027-03-08T09:31:00Z"))
    erin_dm = next(channel for channel, user in dm_channels(harness).items() if user == "UERIN")
    [prompt] = harness.fake.messages(erin_dm)
    value = next(e for b in prompt["blocks"] if b["type"] == "actions" for e in b["elements"])["value"]
    before = harness.fake.views_opened
    harness.driver.block_action("UERIN", erin_dm, Act.CHECKIN_OPEN, value=value, message_ts=prompt["ts"])
    assert harness.fake.views_opened == before + 1 and latest_view(harness)["title"]["text"] == "Check-in round 1"


@pytest.mark.postgres
def test_editing_the_cadence_moves_the_next_round_rather_than_losing_it(harness: Harness) -> None:
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    harness.driver.slash("UALICE", CHANNEL, "setup")
    from tests.scenarios.plan_steps import submit

    assert submit(harness, "UALICE", latest_view(harness), {"checkin_cadence": "weekly on monday at 14:00"}).text == ""
    harness.tick(parse_instant("2027-03-08T15:00:00Z"))
    with Session(harness.engine) as db:
        [round_] = db.exec(select(Round)).all()
    assert round_.opens_at.isoformat() == "2027-03-08T14:00:00+00:00"


def test_party_add_respects_the_other_partys_people(harness: Harness) -> None:
    assert set_up(harness, {"mode": "single"}).status_code == 200
    assert "is in *Southwind* as a manager" in harness.driver.slash(
        "UALICE", CHANNEL, "party add <@UBOB> Southwind manager").json()["text"]  # naming the partner's first
    body = harness.driver.slash("UALICE", CHANNEL, "party add <@UJOE> Southwind ser").json()
    assert "added by Southwind's SERs and managers" in body["text"]
    body = harness.driver.slash("UALICE", CHANNEL, "party add <@UBOB> Northwind observer").json()
    assert "only its SERs and managers change that" in body["text"]
    with Session(harness.engine) as db:
        roles = {p.user_id: p.role for p in db.exec(select(Person))}
    assert roles == {"UALICE": "manager", "UBOB": "manager"}
    harness.driver.slash("UALICE", CHANNEL, "setup")  # fixed once the relationship exists: not offered
    assert "mode" not in {block.get("block_id") for block in latest_view(harness)["blocks"]}


def test_an_overdue_action_can_be_edited_without_moving_its_date(harness: Harness) -> None:
    assert set_up(harness).status_code == 200
    harness.clock.now = parse_instant("2027-03-01T12:00:00Z")
    due = "2027-03-02"
    command_form(harness, "UALICE", "action", {"description": "Send figures", "owner": "UALICE", "due_on": due})
    harness.clock.now = parse_instant("2027-03-10T12:00:00Z")  # now overdue
    assert command_form(harness, "UALICE", "action edit 1", {"description": "Send the Q1 figures"}).text == ""
    moved = command_form(harness, "UALICE", "action edit 1", {"due_on": "2027-03-05"}).json()
    assert "is in the past" in moved["errors"]["due_on"]


@pytest.mark.postgres
def test_a_dispute_at_the_last_level_fires_its_exit_trigger(harness: Harness) -> None:
    cast(harness)
    command_form_agreed(harness, "UALICE", "exit", {"kind": "dispute_last_level", "description": "Mediation needed"})
    raise_by_slash(harness)
    for reason in ("one", "two", "three"):
        assert press(harness, "UBOB", DisputeAct.ESCALATE, answer={"reason": reason}) == ""
    with Session(harness.engine) as db:
        assert db.exec(select(ExitTrigger)).one().status == "triggered"
    harness.sender.drain()
    warning = [m for m in harness.fake.messages(CHANNEL) if m["text"].startswith("Exit trigger #1 fired")]
    assert warning and "dispute #1 reached L4 Mediation" in warning[0]["text"]
    assert "last level" in press(harness, "UBOB", DisputeAct.ESCALATE, answer={"reason": "four"})


def test_trust_triggers_compare_on_a_five_point_scale_whatever_the_rating_scale() -> None:
    from commands.checkins.summary import PartyResult, Summary
    from commands.checkins.triggers import trust_means

    summary = Summary("R", 1, "2027-03-08", 10, 1, 1.0, ["We deliver", "I trust them"],
                      [PartyResult(1, "A", 1, 1, False, [9.0, 4.0]), PartyResult(2, "B", 1, 1, False, [9.0, 10.0])],
                      [None, None], [False, False])
    assert trust_means(summary) == {"A": round(1 + 3 * 4 / 9, 2), "B": 5.0}
