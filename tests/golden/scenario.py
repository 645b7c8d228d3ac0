"""The one scenario the golden texts are taken from: a month of a partnership, then a review held and signed,
wins, a reminder, an action's completion asked and confirmed, an objective failing that fires an exit trigger, a
dispute raised from a message, a check-in comment shared, a proposal that waits for working hours and lapses,
and a person leaving. Every step goes through signed requests and the outbox, on a clock set by the scenario."""

from __future__ import annotations

import json

from sqlmodel import Session, func, select

from bot.ids import SHORTCUT_RAISE, Act, CommitmentAct, IdeaAct
from storage.rmp import Kpi
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer
from tests.scenarios.dispute_steps import RAISE
from tests.scenarios.plan_steps import click, command_form, command_form_agreed, latest_view, submit
from tests.scenarios.review_steps import NORTH, SOUTH, TRUST, at, month_of_partnership, sign


def _slash(harness: Harness, user: str, text: str, moment: str) -> str:
    """`/accord <text>` by `user` at `moment`: what the command answered (its text)."""
    at(harness, moment)
    response = harness.driver.slash(user, CHANNEL, text)
    assert response.status_code == 200, response.text
    return str(response.json().get("text", "")) if response.text else ""


def _charter_promises_and_an_idea(harness: Harness) -> int:
    """The charter agreed; a service level Northwind promises and people it commits, the commitment marked not
    honoured by Southwind; Joe's idea agreed by Alice. Returns the service level's number."""
    at(harness, "2027-01-22T10:00:00Z")
    charter = {"mission": "Win the Nordic market together", "values": "Openness\nFairness",
               "behaviours": "We raise problems early\nWe keep our commitments"}
    assert command_form_agreed(harness, "UALICE", "charter edit", charter).text == ""
    assert _slash(harness, "UALICE", "charter", "2027-01-22T10:05:00Z").startswith("Partnership charter")
    level = {"name": "Tickets answered within 4 hours", "unit": "%", "direction": "higher", "target": "95",
             "red": "80", "owner_slot": "1", "reporter_slot": "2", "cadence": "each check-in"}
    assert command_form(harness, "UERIN", "sla", level).text == ""
    assert _slash(harness, "UERIN", "commit people 2 FTE – two engineers for the integration",
                  "2027-01-22T10:10:00Z").startswith("Recorded Northwind's commitment #1")
    at(harness, "2027-01-22T15:00:00Z")
    click(harness, "UCAROL", CommitmentAct.NOT_HONOURED, {"channel": CHANNEL, "number": 1})
    assert submit(harness, "UCAROL", latest_view(harness), {"reason": "Only one engineer joined"}).text == ""
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> idea A shared ticket queue for both support desks")
    harness.sender.drain()
    at(harness, "2027-01-22T15:30:00Z")
    click(harness, "UALICE", IdeaAct.AGREE, {"channel": CHANNEL, "number": 1})
    harness.sender.drain()
    with Session(harness.engine) as db:
        return int(db.exec(select(func.max(Kpi.number))).one() or 0)


def _third_round(harness: Harness, service_level: int) -> None:
    """Round 3 (25 Jan): everyone answers; Bob shares a comment with the partner, Alice keeps hers to Northwind;
    the service level's value misses its promise."""
    harness.tick(parse_instant("2027-01-25T09:30:00Z"))
    for user in NORTH:
        comment = "Good momentum this week" if user == "UALICE" else ""
        assert answer(harness, user, "2027-01-25T10:00:00Z", [4] * 6, comment=comment).text == ""
    for user in SOUTH:
        ratings = [3] * 6
        ratings[TRUST] = 3
        comment, share = ("Deliveries are on time again", True) if user == "UBOB" else ("", False)
        kpis = {1: "91", service_level: "90"} if user == "UBOB" else None
        assert answer(harness, user, "2027-01-25T11:00:00Z", ratings, kpis=kpis, comment=comment,
                      share=share).text == ""
    harness.tick(parse_instant("2027-01-29T12:00:00Z"))


def _actions_asked_and_done(harness: Harness) -> None:
    """Alice says Carol's action #2 is done (Southwind is asked), Carol confirms it; Alice marks Hank's #4 done."""
    _slash(harness, "UALICE", "action done 2", "2027-01-20T11:00:00Z")
    _slash(harness, "UCAROL", "action done 2", "2027-01-20T15:00:00Z")
    _slash(harness, "UALICE", "action done 4", "2027-01-20T15:30:00Z")
    harness.sender.drain()


def _wins_and_reminder(harness: Harness) -> None:
    """A win by the slash command and one by a mention; a reminder set for two days later."""
    _slash(harness, "UALICE", "win The first joint bid went in on time", "2027-01-21T10:00:00Z")
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> win Pilot customer signed in Oslo")
    _slash(harness, "UALICE", "remind in 2d Send the revised SOW", "2027-01-21T10:30:00Z")
    harness.sender.drain()


def _objective_failing(harness: Harness) -> None:
    """An exit trigger on Southwind's objective #2, then Carol marks it failing: the trigger fires."""
    at(harness, "2027-01-21T11:00:00Z")
    trigger = {"kind": "objective_failing", "description": "The Nordic entry fails", "objective": "2"}
    assert command_form_agreed(harness, "UERIN", "exit", trigger).text == ""
    objective = {"whose": "2", "title": "Enter the Nordic market", "benefit_2": "Reach", "status": "failing"}
    assert command_form_agreed(harness, "UCAROL", "objective edit 2", objective).text == ""
    harness.sender.drain()


def _dispute_from_a_message(harness: Harness) -> None:
    """Bob raises dispute #2 from a message by the message shortcut: the message's thread hears of it."""
    at(harness, "2027-01-21T14:00:00Z")
    evidence = harness.fake.add_message(CHANNEL, user="UBOB", text="Your invoice is wrong again")
    harness.driver.message_shortcut("UBOB", CHANNEL, SHORTCUT_RAISE, evidence["ts"])
    assert submit(harness, "UBOB", latest_view(harness), {**RAISE, "title": "Invoice errors"}).text == ""
    harness.sender.drain()


def _review_held_and_signed(harness: Harness) -> None:
    """Erin holds review #1 on 29 Jan; Bob signs it off, then Alice; Carol shares the audit report."""
    _slash(harness, "UERIN", "review now", "2027-01-29T13:00:00Z")
    harness.sender.drain()
    for user, moment in (("UBOB", "2027-01-29T15:00:00Z"), ("UALICE", "2027-01-29T16:00:00Z")):
        at(harness, moment)
        sign(harness, user, 1)  # the party states its expectations first
    click(harness, "UCAROL", Act.AUDIT_REPORT, {"channel": CHANNEL, "number": 1})  # shared in the review's thread
    harness.sender.drain()


def _proposal_waits_and_lapses(harness: Harness) -> None:
    """Bob proposes a check-in setting on a London evening: Northwind's deciders are mentioned the next morning;
    nobody decides and the proposal lapses after five working days."""
    at(harness, "2027-02-01T20:00:00Z")
    assert command_form(harness, "UBOB", "checkin settings", {"reminders": "0"}).text == ""
    harness.sender.drain()
    harness.tick(parse_instant("2027-02-02T09:05:00Z"))
    harness.tick(parse_instant("2027-02-09T12:00:00Z"))


def _erin_leaves(harness: Harness) -> None:
    """Erin leaves with `/accord leave` and its button: Alice is asked to give Erin's items a new owner."""
    at(harness, "2027-02-09T13:00:00Z")
    asked = harness.driver.slash("UERIN", CHANNEL, "leave").json()
    [button] = [e for b in asked.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]][:1]
    click(harness, "UERIN", Act.LEAVE, json.loads(button["value"]))
    harness.sender.drain()
    harness.tick(parse_instant("2027-02-10T10:00:00Z"))


def play(harness: Harness) -> None:
    """The whole scenario, from the set-up on 4 Jan 2027 to Erin leaving on 9 Feb."""
    month_of_partnership(harness)
    _actions_asked_and_done(harness)
    _wins_and_reminder(harness)
    _objective_failing(harness)
    _dispute_from_a_message(harness)
    harness.tick(parse_instant("2027-01-23T10:31:00Z"))  # the reminder is due
    _third_round(harness, _charter_promises_and_an_idea(harness))
    _review_held_and_signed(harness)
    _proposal_waits_and_lapses(harness)
    _erin_leaves(harness)
    harness.sender.drain()
