"""Disputes: three ways to raise, working-day timers over a weekend and a holiday, warning and
escalation exactly once, escalate now, pause and resume, two-sided resolution, no firing after."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from bot.ids import SHORTCUT_RAISE, Act, DisputeAct
from storage.disputes import Dispute, DisputeEvent
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import racing_ticks, tick
from tests.scenarios.dispute_steps import RAISE, cast, press, raise_by_slash, thread
from tests.scenarios.plan_steps import agreed, click, latest_view, submit


def _dispute(harness: Harness) -> Dispute:
    with Session(harness.engine) as db:
        return db.exec(select(Dispute)).one()


@pytest.mark.postgres
def test_raise_from_a_slash_command_a_message_shortcut_and_a_mention_in_a_thread(harness: Harness) -> None:
    cast(harness)
    raise_by_slash(harness)
    root, replies = thread(harness)
    assert "Late deliveries" in str(root["blocks"]) and "L1 of 4 Working level" in str(root["blocks"])
    assert replies[0].startswith(":scales: <@UHANK> (Northwind) raised this dispute at L1 Working level.")

    # the message shortcut: the message becomes the linked evidence, and its thread hears of the dispute
    evidence = harness.fake.add_message(CHANNEL, user="UBOB", text="Your invoice is wrong again")
    harness.driver.message_shortcut("UBOB", CHANNEL, SHORTCUT_RAISE, evidence["ts"])
    view = latest_view(harness)
    assert view["title"]["text"] == "Raise a dispute"
    assert submit(harness, "UBOB", view, {**RAISE, "title": "Invoice errors"}).text == ""
    root2, _ = thread(harness, 2)
    assert f"archives/{CHANNEL}/p{evidence['ts'].replace('.', '')}" in str(root2["blocks"])
    assert "Raised by <@UBOB> for Southwind" in str(root2["blocks"])
    linked = [m for m in harness.fake.messages(CHANNEL) if m.get("thread_ts") == evidence["ts"]]
    assert linked and "Raised as dispute #2" in linked[0]["text"]

    # a mention inside a thread (no slash command works there): a button, then the same form
    start = harness.fake.add_message(CHANNEL, user="UJOE", text="We disagree about the SLA")
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> dispute", thread_ts=start["ts"])
    harness.sender.drain()
    [offer] = [e for e in harness.fake.ephemerals(CHANNEL) if e["text"] == "Open the dispute form"]
    value = json.loads(offer["blocks"][1]["elements"][0]["value"])
    click(harness, "UJOE", Act.OPEN_FORM, value)
    assert submit(harness, "UJOE", latest_view(harness), {**RAISE, "title": "SLA terms"}).text == ""
    root3, _ = thread(harness, 3)
    assert f"p{start['ts'].replace('.', '')}" in str(root3["blocks"])
    assert "disputes" in harness.driver.slash("UCAROL", CHANNEL, "disputes").json()["text"].lower()
    listing = harness.driver.slash("UCAROL", CHANNEL, "disputes").json()["text"]
    assert "#1 Late deliveries · L1 Working level · " in listing and "#3 SLA terms" in listing


@pytest.mark.postgres
def test_timers_count_working_days_warn_at_75_percent_and_escalate_exactly_once(harness: Harness) -> None:
    cast(harness)
    raise_by_slash(harness)  # Wednesday 3 March 12:00 London, at L1 (5 working days)
    # working time: Wed 12h, Thu, Fri, (weekend), (Mon 8 holiday), Tue, Wed, Thu 12h: due Thu 11 March 12:00;
    # 75% of it (90 h) is gone on Wednesday 10 March at 06:00, outside working hours: the warning waits for 09:00
    dispute = _dispute(harness)
    assert dispute.level_due_at.isoformat() == "2027-03-11T12:00:00+00:00"
    root, _ = thread(harness)
    assert "5 working days left, escalates Thu 11 Mar 12:00 (Europe/London)" in str(root["blocks"])

    tick(harness, "2027-03-10T06:01:00Z")
    assert not [r for r in thread(harness)[1] if "75% of the time" in r]
    racing_ticks(harness, "2027-03-10T09:01:00Z")
    tick(harness, "2027-03-10T09:01:00Z")  # a restart: nothing fires twice
    warnings = [r for r in thread(harness)[1] if "75% of the time at L1 Working level has gone" in r]
    assert len(warnings) == 1 and "<@UHANK>" in warnings[0] and "<@UJOE>" in warnings[0]

    tick(harness, "2027-03-11T11:59:00Z")
    assert _dispute(harness).level == 0
    racing_ticks(harness, "2027-03-11T12:01:00Z", count=3)
    escalations = [r for r in thread(harness)[1] if r.startswith(":arrow_up:")]
    assert len(escalations) == 1
    assert "Escalated to L2 Relationship managers: the time at the level ran out." in escalations[0]
    assert "<@UERIN>" in escalations[0] and "<@UCAROL>" in escalations[0]  # the managers of both parties
    dispute = _dispute(harness)
    assert dispute.level == 1 and dispute.level_started_at.isoformat() == "2027-03-11T12:00:00+00:00"
    root, _ = thread(harness)
    assert "L2 of 4 Relationship managers" in str(root["blocks"]) and root["edited"]


def test_escalate_now_pause_and_resume(harness: Harness) -> None:
    cast(harness)
    raise_by_slash(harness)
    assert "reason" in press(harness, "UJOE", DisputeAct.ESCALATE, answer={"reason": ""})
    assert press(harness, "UJOE", DisputeAct.ESCALATE, answer={"reason": "No answer for a week"},
                 at="2027-03-04T12:00:00Z") == ""
    dispute = _dispute(harness)
    assert dispute.level == 1  # L2 at once, with a fresh 10 working days from Thursday 4 March 12:00
    assert dispute.level_due_at.isoformat() == "2027-03-19T12:00:00+00:00"  # the holiday does not count

    assert "Only an SER" in press(harness, "UCAROL", DisputeAct.PAUSE, answer={"reason": "x"})
    assert press(harness, "UBOB", DisputeAct.PAUSE, answer={"reason": "Audit under way"},
                 at="2027-03-05T12:00:00Z") == ""  # 9 working days were left
    tick(harness, "2027-03-25T12:00:00Z")  # long past the old deadline: a paused clock never fires
    assert _dispute(harness).level == 1
    assert press(harness, "UALICE", DisputeAct.RESUME, at="2027-03-29T12:00:00Z") == ""  # Monday 29 March
    dispute = _dispute(harness)
    assert dispute.status == "open" and dispute.level_due_at.isoformat() == "2027-04-09T12:00:00+00:00"
    # nine working days (216 h) from Mon 29 March 13:00 BST: 11 h that day, 8 full days, 13 h on Fri 9 April
    _, replies = thread(harness)
    assert any("paused the clock: Audit under way" in r for r in replies)
    assert any("resumed the clock" in r for r in replies)


def test_resolution_needs_the_other_party_and_stops_the_timers(harness: Harness) -> None:
    cast(harness)
    raise_by_slash(harness)
    assert press(harness, "UHANK", DisputeAct.PROPOSE, answer={"resolution": "Weekly delivery review"}) == ""
    _, replies = thread(harness)
    assert any("proposes: Weekly delivery review" in r for r in replies)
    assert "The other party decides" in press(harness, "UALICE", DisputeAct.ACCEPT)  # Northwind proposed
    assert "accepted by a member or above" not in press(harness, "UJOE", DisputeAct.REJECT,
                                                        answer={"reason": "Not enough"})
    assert any("rejected the proposal" in r for r in thread(harness)[1])
    assert "Nobody has proposed" in press(harness, "UJOE", DisputeAct.ACCEPT)

    press(harness, "UERIN", DisputeAct.ESCALATE, answer={"reason": "Stuck"})  # now at L2: managers decide
    press(harness, "UERIN", DisputeAct.PROPOSE, answer={"resolution": "Weekly review and a penalty cap"})
    assert "accepted by a manager or above" in press(harness, "UJOE", DisputeAct.ACCEPT)
    assert "lessons" in press(harness, "UCAROL", DisputeAct.ACCEPT, answer={"lessons": ""})
    assert press(harness, "UCAROL", DisputeAct.ACCEPT,
                 answer={"lessons": "Agree delivery windows up front"}) == ""
    dispute = _dispute(harness)
    assert dispute.status == "resolved" and dispute.resolution == "Weekly review and a penalty cap"
    root, replies = thread(harness)
    assert "Lessons learned:* Agree delivery windows up front" in str(root["blocks"])
    assert "Escalate now" not in str(root["blocks"])
    closed = [m for m in harness.fake.messages(CHANNEL) if m["text"].startswith(":white_check_mark: Dispute #1")]
    assert closed and closed[0].get("thread_ts") is None  # to the channel, not only the thread
    tick(harness, "2027-06-01T12:00:00Z")  # no timer of a resolved dispute fires
    assert _dispute(harness).level == 1
    assert "is resolved" in press(harness, "UBOB", DisputeAct.ESCALATE)
    with Session(harness.engine) as db:
        kinds = [e.kind for e in db.exec(select(DisputeEvent).order_by(DisputeEvent.id))]
    assert kinds == ["raised", "proposed", "rejected", "escalated", "proposed", "resolved"]


def test_the_ladder_in_force_when_a_dispute_opens_is_frozen_for_it(harness: Harness) -> None:
    cast(harness)
    raise_by_slash(harness)
    harness.driver.slash("UALICE", CHANNEL, "setup")
    assert agreed(harness, "UALICE", submit(harness, "UALICE", latest_view(harness),
                                            {"ladder": "Desk | 1\nBoard"})).text == ""
    raise_by_slash(harness, user="UJOE")
    with Session(harness.engine) as db:
        first, second = db.exec(select(Dispute).order_by(Dispute.number)).all()
    assert [level["days"] for level in first.ladder] == [5, 10, 15, None]
    assert first.level_due_at.isoformat() == "2027-03-11T12:00:00+00:00"
    assert [level["name"] for level in second.ladder] == ["Desk", "Board"]
    assert second.level_due_at.isoformat() == "2027-03-04T12:00:00+00:00"


def test_an_accept_button_accepts_only_the_proposal_it_was_posted_with(harness: Harness) -> None:
    cast(harness)
    raise_by_slash(harness)
    assert press(harness, "UHANK", DisputeAct.PROPOSE, answer={"resolution": "Refund the late fees"}) == ""
    root, _ = thread(harness)
    harness.sender.drain()
    first = next(m for m in harness.fake.messages(CHANNEL) if "proposes: Refund the late fees" in m["text"])
    old_accept = next(e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == DisputeAct.ACCEPT)
    assert press(harness, "UHANK", DisputeAct.PROPOSE, answer={"resolution": "We pay nothing"}) == ""
    click(harness, "UJOE", DisputeAct.ACCEPT, json.loads(old_accept["value"]))
    harness.sender.drain()
    told = [e["text"] for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE"]
    assert any("has been replaced or answered" in t for t in told)
    assert _dispute(harness).status == "open"
    assert press(harness, "UJOE", DisputeAct.NOTE, answer={"note": "We will check the invoices"}) == ""
    assert any("<@UJOE> (Southwind): We will check the invoices" in r for r in thread(harness)[1])
    listing = harness.driver.slash("UJOE", CHANNEL, "disputes").json()["text"]
    assert "#1 Late deliveries · L1 Working level · 5 working days left" in listing


def test_the_last_level_has_no_clock_even_if_the_ladder_gives_it_one(harness: Harness) -> None:
    cast(harness)
    harness.driver.slash("UALICE", CHANNEL, "setup")
    assert agreed(harness, "UALICE", submit(harness, "UALICE", latest_view(harness),
                                            {"ladder": "Desk | 1\nBoard | 1"})).text == ""
    raise_by_slash(harness)
    assert press(harness, "UBOB", DisputeAct.ESCALATE, answer={"reason": "Now"}) == ""
    dispute = _dispute(harness)
    assert dispute.level == 1 and dispute.level_due_at is None
    tick(harness, "2027-04-01T12:00:00Z")
    assert not [r for r in thread(harness)[1] if "75% of the time" in r]
    assert "no timer at the last level" in str(thread(harness)[0]["blocks"])
