"""The plan's history in words: each change one sentence naming people and things, with only the fields that
changed, dates as `4 Jan–1 Apr`, and never `null`, `None`, a raw Slack id or a field unchanged (`x → x`); the same
sentences in `/accord history` and in the day's digest."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.views.rmp import history_message
from commands.actor import Actor
from commands.rmp import actions, history, kpis, people, sentences
from commands.rmp.kpis import KpiInput
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.rmp import Change
from tests.commands.rmp_factory import ALICE, BOB, CAROL, CHANNEL, DAVE, HOME, NOW, PARTNER, _agree, build_plan

NAMES = {ALICE: "Alice Ng", BOB: "Bob Ortiz", CAROL: "Carol Diaz", DAVE: "Dave Ó Sé"}
LATER = NOW + timedelta(days=1)
SAME_BOTH_SIDES = re.compile(r"from (.+?) to \1(;|$)")


def _named_plan(engine: Engine) -> None:
    """`build_plan`, everyone named as Slack's users.info would name them."""
    build_plan(engine)
    with transaction(engine) as db:
        for user_id, name in NAMES.items():
            people.record_user(db, user_id=user_id, tz=None, name=name)


def _sentences(engine: Engine) -> list[str]:
    """Every change of the plan in words, oldest first."""
    with Session(engine) as db:
        changes = list(db.exec(select(Change).order_by(col(Change.version))))
        return [entry.text for entry in history.entries(db, changes[0].relationship_id, changes)]


def _clean(text: str) -> None:
    assert "null" not in text and "None" not in text, text
    assert "U0" not in text and "<@" not in text, text  # people by name, never by Slack id
    assert "→" not in text and not SAME_BOTH_SIDES.search(text), text
    assert "()" not in text, text


def test_every_change_reads_as_a_sentence_naming_people_and_things(engine: Engine) -> None:
    _named_plan(engine)
    said = _sentences(engine)
    for text in said:
        _clean(text)
    assert said[0] == "Alice Ng (Acme Ünïcode) set up the plan “Café Ünïcode — 北 partnership” between " \
                      "Acme Ünïcode and 北 Partner Co"
    assert "Carol Diaz joined 北 Partner Co as a member" in said
    # a person's role: who made whom what, not `user_id: U0CAROL → U0CAROL`
    assert "Bob Ortiz (北 Partner Co) made Carol Diaz an observer (was a member)" in said
    assert "Alice Ng (Acme Ünïcode) made Dave Ó Sé an SER (was a member)" in said
    # a KPI edited: only the target changed, so only the target is said
    assert "Alice Ng (Acme Ünïcode) changed KPI #1 “Qualified leads”: target from 40 to 45" in said
    # a review held names its period in days; a scheduled one is held by Accord
    assert "Alice Ng held review #1 for 25 Nov (2 recommendations)" in said
    assert "Accord held review #2 for 25 Nov (2 recommendations)" in said
    # the review's minutes: expectations, a lesson, and what the SER reviewed (commands.reviews.minutes)
    assert "Dave Ó Sé (Acme Ünïcode) stated Acme Ünïcode's expectations of review #1: 4/5 met · Mostly — größtenteils" \
        in said
    assert "Bob Ortiz (北 Partner Company) recorded lesson 1 in review #1: Late invoices — 請求書" in said
    assert [s for s in said if s.startswith("Dave Ó Sé (Acme Ünïcode) signed review #1 off, having reviewed plan "
                                            "version ") and s.endswith(" and the exit strategy")]
    assert "Alice Ng (Acme Ünïcode) added action #3 “Draft the joint case study”: owner Dave Ó Sé, due 20 Jan 2027" \
        in said
    assert "Bob Ortiz (北 Partner Co) asked whether action #3 “Draft the joint case study” is done" in said
    assert "Bob Ortiz (北 Partner Co) proposed a change to objective #1 “Grow the joint pipeline by 20%” " \
           "(proposal #2): title from Grow the joint pipeline to Grow the joint pipeline by 20%; status from open " \
           "to met" in said
    assert "Bob Ortiz (北 Partner Company) approved proposal #12 about the plan's settings" in said


def test_an_action_reassigned_names_both_owners(engine: Engine) -> None:
    _named_plan(engine)
    alice, bob = Actor(ALICE, HOME, CHANNEL), Actor(BOB, PARTNER, CHANNEL)
    with transaction(engine) as db:
        _agree(db, actions.save_action(db, actor=alice, number=3, now=LATER, form=actions.ActionInput(
            "Draft the joint case study", f"<@{ALICE}>", "2027-01-20")), bob, lambda: LATER)
        _agree(db, kpis.save_kpi(db, actor=alice, kpi_number=1, now=LATER, form=KpiInput(
            "Qualified leads", "leads", "higher", "45", "20.5", "1", "2", cadence="monthly")), bob, lambda: LATER)
    said = _sentences(engine)
    for text in said:
        _clean(text)
    assert "Alice Ng (Acme Ünïcode) reassigned action #3 “Draft the joint case study” from Dave Ó Sé to Alice Ng" \
        in said
    # nothing but the cadence changed (the amber threshold follows the target and is never said)
    assert "Alice Ng (Acme Ünïcode) changed KPI #1 “Qualified leads”: cadence from each check-in to monthly" in said


def _change(entity: str, verb: str, before: dict[str, object] | None, after: dict[str, object] | None, *,
            user: str = "U0ERIN", party: str = "Northwind", number: int | None = None) -> Change:
    return Change(relationship_id=1, version=1, at=datetime(2027, 4, 1, 15, tzinfo=UTC), user_id=user, party=party,
                  entity=entity, entity_id=number, verb=verb, before=before, after=after)


NORTHWIND = sentences.Names(people={"U0ERIN": "Erin", "U0CAROL": "Carol", "U0DAVE": "Dave"},
                            parties={1: "Northwind", 2: "Southwind"},
                            titles={("action", 4): "Ship the loggers", ("kpi", 2): "On-time delivery"})


def test_sentences_of_single_changes() -> None:
    cases = {
        "Erin (Northwind) held review #1 for 4 Jan–1 Apr (3 recommendations)":
            _change("review", "held", None, {"period": "2027-01-04 to 2027-04-01", "recommendations": 3}, number=1),
        "Erin held review #2 for 4 Dec 2026–1 Apr 2027 (1 recommendation)":
            _change("review", "held", None, {"period": "2026-12-04 to 2027-04-01", "recommendations": 1},
                    number=2, party=""),
        "Erin (Northwind) made Carol a manager (was a member)":
            _change("person", "role", {"user_id": "U0CAROL", "role": "member"},
                    {"user_id": "U0CAROL", "role": "manager"}),
        "Erin (Northwind) reassigned action #4 “Ship the loggers” from Carol to Dave":
            _change("action", "update", {"owner_user_id": "U0CAROL"}, {"owner_user_id": "U0DAVE"}, number=4),
        "Erin (Northwind) changed action #4 “Ship the loggers”: owner from Carol to Dave; due from 12 Jan to 19 Jan":
            _change("action", "update", {"owner_user_id": "U0CAROL", "due_on": "2027-01-12"},
                    {"owner_user_id": "U0DAVE", "due_on": "2027-01-19"}, number=4),
        "Erin (Northwind) changed KPI #2 “On-time delivery”: red from 80 to 75":  # amber follows, unsaid
            _change("kpi", "update", {"red": 80.0, "amber": 95.0, "unit": "%"}, {"red": 75.0, "amber": 95.0,
                                                                                 "unit": "%"}, number=2),
        "Erin (Northwind) changed Southwind's settings: working days from Mon–Fri to Sun–Thu":
            _change("party", "update", {"working_days": [0, 1, 2, 3, 4]}, {"working_days": [6, 0, 1, 2, 3]},
                    number=2),
        "Erin (Northwind) changed action #4 “Ship the loggers”: review date set to 3 May; mitigation cleared "
        "(was Pair up)":
            _change("action", "update", {"review_on": None, "mitigation": "Pair up"},
                    {"review_on": "2027-05-03", "mitigation": ""}, number=4),
        "Dave left the relationship": _change("person", "left", {"user_id": "U0DAVE", "role": "member"},
                                              {"user_id": "U0DAVE", "left": "left"}, user="U0DAVE"),
        "someone (Northwind) marked action #4 “Ship the loggers” done":  # Slack has not named them yet
            _change("action", "done", {"status": "open"}, {"status": "done"}, user="U0NEW", number=4),
        "Exit trigger #1 fired: KPI #2 red for 3 periods":
            _change("exit_trigger", "fired", {"status": "clear"},
                    {"status": "triggered", "reason": "KPI #2 red for 3 periods"}, user="accord", party="", number=1),
    }
    for expected, change in cases.items():
        text = sentences.sentence(change, NORTHWIND)
        assert text == expected
        _clean(text.replace("someone", ""))


def test_the_history_view_and_the_digest_show_the_sentences(engine: Engine) -> None:
    _named_plan(engine)
    alice = Actor(ALICE, HOME, CHANNEL)
    with transaction(engine) as db:  # later the same day: the day's digest is updated, its changes in words
        actions.complete_action(db, actor=alice, number=3, now=NOW + timedelta(hours=3))
        shown = history.latest_changes(db, actor=Actor(BOB, PARTNER, CHANNEL), limit=200)
        digest = max((row for row in db.exec(select(OutboxMessage)) if row.view == "plan_digest"),
                     key=lambda row: row.id or 0)
    message = history_message(shown)
    lines = "\n".join(block["text"]["text"] for block in message["blocks"])
    assert "Alice Ng (Acme Ünïcode) changed KPI #1 “Qualified leads”: target from 40 to 45" in lines
    assert "Alice Ng (Acme Ünïcode) marked action #3 “Draft the joint case study” done" in lines
    assert "plan version" in lines and "U0" not in lines and "null" not in lines and "None" not in lines
    texts = [entry["text"] for entry in digest.data["changes"]]
    assert texts[-1] == "Alice Ng (Acme Ünïcode) marked action #3 “Draft the joint case study” done"
    assert "Alice Ng (Acme Ünïcode) made Dave Ó Sé an SER (was a member)" in texts
    for text in texts:
        _clean(text)
