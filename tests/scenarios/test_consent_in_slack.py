"""Consent in Slack: a proposal posted in the channel with its buttons, refused to all but the other party's
SERs and managers, updated in place as it is decided, and lapsing with a note in its thread; and forms that
read from the viewer's side."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.ids import ProposalAct
from storage.rmp import Relationship
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click, command_form, ephemeral_texts, full_cast, latest_view, set_up


def _proposal(harness: Harness, number: int) -> dict[str, Any]:
    harness.sender.drain()
    return next(m for m in harness.fake.messages(CHANNEL) if m["text"].startswith(f"Proposal #{number} "))


def _text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [], ensure_ascii=False)


def _click(harness: Harness, user: str, act: ProposalAct, number: int = 1) -> str:
    click(harness, user, act, {"channel": CHANNEL, "number": number})
    return ephemeral_texts(harness, user)[-1]


@pytest.mark.postgres
def test_a_proposal_is_decided_by_the_other_party_with_its_buttons_and_updated_in_place(harness: Harness) -> None:
    harness.clock.now = parse_instant("2027-03-03T15:00:00Z")  # 15:00 in London, 10:00 for Bob in New York
    full_cast(harness)
    assert set_up(harness, {"name": "NW–SW"}).text == ""
    assert ephemeral_texts(harness, "UALICE")[-1].startswith("Proposed as #1")
    posted = _proposal(harness, 1)
    shown = _text(posted)
    assert "*name*: Northwind–Southwind alliance → NW–SW" in shown
    assert "<@UBOB> <@UCAROL>: Southwind's to decide." in shown  # its SER and manager, in their hours
    buttons = [e["action_id"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ProposalAct.APPROVE, ProposalAct.REJECT, ProposalAct.WITHDRAW]

    assert "Northwind proposed this change" in _click(harness, "UALICE", ProposalAct.APPROVE)
    assert "Southwind's SERs and managers approve" in _click(harness, "UJOE", ProposalAct.APPROVE)
    assert "withdraws it; yours approves" in _click(harness, "UBOB", ProposalAct.WITHDRAW)
    assert "yours is not one of its parties" in _click(harness, "UDAVE", ProposalAct.REJECT)
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).one().name == "Northwind–Southwind alliance"  # nothing yet

    assert _click(harness, "UCAROL", ProposalAct.APPROVE) == "You approved proposal #1: it is in effect."
    decided = _proposal(harness, 1)
    assert decided["ts"] == posted["ts"] and decided.get("edited")  # the same message, updated in place
    assert "Approved by <@UCAROL> (Southwind): in effect" in _text(decided)
    assert not [b for b in decided["blocks"] if b["type"] == "actions"]
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).one().name == "NW–SW"
    assert "already approved" in _click(harness, "UBOB", ProposalAct.REJECT)
    # the day's plan changes (the set-up, seven people joining, six roles, the new name) in one post
    digests = [m for m in harness.fake.messages(CHANNEL) if m["text"].endswith("on 2027-03-03")]
    assert len(digests) == 1 and digests[0]["text"].startswith("15 plan changes") and digests[0].get("edited")
    # each side reads times in its own timezone
    bob = json.dumps(harness.driver.slash("UBOB", CHANNEL, "status").json()["blocks"])
    alice = json.dumps(harness.driver.slash("UALICE", CHANNEL, "status").json()["blocks"])
    assert "(America/New_York)" in bob and "Europe/London" not in bob
    assert "(Europe/London)" in alice and "America/New_York" not in alice


def test_an_undecided_proposal_lapses_with_a_note_in_its_thread(harness: Harness) -> None:
    harness.clock.now = parse_instant("2027-03-03T15:00:00Z")
    full_cast(harness)
    assert command_form(harness, "UBOB", "checkin settings", {"reminders": "0"}).text == ""
    posted = _proposal(harness, 1)
    assert "<@UALICE> <@UERIN>: Northwind's to decide." in _text(posted)
    assert "lapses on Wed 10 Mar 15:00 Europe/London if nobody decides" in _text(posted)
    harness.tick(parse_instant("2027-03-10T14:59:00Z"))
    assert "Waiting for the decision of Northwind" in _text(_proposal(harness, 1))
    harness.tick(parse_instant("2027-03-10T15:01:00Z"))
    lapsed = _proposal(harness, 1)
    assert "Lapsed without a decision: nothing changed" in _text(lapsed)
    [note] = [m["text"] for m in harness.fake.messages(CHANNEL) if m.get("thread_ts") == lapsed["ts"]
              and m["ts"] != lapsed["ts"]]
    assert "lapsed after five working days without a decision" in note
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).one().checkin_reminders == 1


def _labels(view: dict[str, Any]) -> list[tuple[str, str]]:
    return [(b["block_id"], b["label"]["text"]) for b in view["blocks"] if b["type"] == "input"]


def test_forms_read_from_the_viewers_side(harness: Harness) -> None:
    harness.driver.slash("UALICE", CHANNEL, "setup")
    created = _labels(latest_view(harness))
    assert created[1:3] == [("party_1", "Your organisation: name"), ("party_2", "Partner organisation: name")]
    assert ("timezone_2", "Partner organisation: timezone") in created
    full_cast(harness)
    harness.driver.slash("UBOB", CHANNEL, "setup")  # Southwind's SER: his own party first, called his
    edited = _labels(latest_view(harness))
    assert edited[1:3] == [("party_2", "Southwind (yours): name"), ("party_1", "Northwind (partner): name")]
    assert [block for block, _ in edited].index("timezone_2") < [block for block, _ in edited].index("timezone_1")
    assert ("working_hours_2", "Southwind (yours): working hours") in edited
    assert "mode" not in dict(edited)  # fixed once the relationship exists: not offered
