"""Objectives at risk and failing: marked through the objective form under the consent rules, shown in the status
and the review (which recommends action), a failing one told to the channel with the exit triggers it fired; a
trigger on one objective failing, and one on a number of objectives failing that fires only at that number."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.reviews import Review
from storage.rmp import ExitTrigger, Objective, Proposal
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import agreed, command_form, command_form_agreed, ephemeral_texts, full_cast
from tests.scenarios.review_steps import at, block_text, review_messages

OBJECTIVES = [("UERIN", {"whose": "ours", "title": "Launch the joint service", "benefit_1": "Revenue"}),
              ("UCAROL", {"whose": "2", "title": "Enter the Nordic market", "benefit_2": "Reach"}),
              ("UERIN", {"whose": "1", "title": "Win a public-sector client", "benefit_1": "References"})]


def _plan(harness: Harness) -> None:
    """Northwind and Southwind with three objectives (#1 ours, #2 Southwind's own, #3 Northwind's own) and two exit
    triggers: #1 when objective #1 is failing, #2 when two objectives are failing."""
    at(harness, "2027-01-04T15:00:00Z")
    full_cast(harness)
    for user, values in OBJECTIVES:
        assert command_form_agreed(harness, user, "objective", values).text == ""
    for values in ({"kind": "objective_failing", "description": "The joint service fails", "objective": "1"},
                   {"kind": "objectives_failing", "description": "Two objectives fail", "count": "2"}):
        assert command_form_agreed(harness, "UERIN", "exit", values).text == ""
    with Session(harness.engine) as db:
        triggers = db.exec(select(ExitTrigger).order_by(ExitTrigger.number)).all()
        assert [(t.kind, t.objective_number, t.threshold, t.status) for t in triggers] == \
            [("objective_failing", 1, None, "clear"), ("objectives_failing", None, 2.0, "clear")]


def _statuses(harness: Harness) -> dict[int, str]:
    with Session(harness.engine) as db:
        return {t.number: t.status for t in db.exec(select(ExitTrigger))}


def _posts(harness: Harness) -> list[str]:
    harness.sender.drain()
    return [block_text(m) for m in harness.fake.messages(CHANNEL)
            if m["text"].startswith(("Objective #", "Exit trigger #"))]


def _mark(harness: Harness, user: str, number: int, status: str) -> None:
    values = dict(OBJECTIVES[number - 1][1], status=status)
    assert command_form_agreed(harness, user, f"objective edit {number}", values).text == ""


@pytest.mark.postgres
def test_one_objective_failing_fires_its_trigger_and_the_count_trigger_only_at_its_number(harness: Harness) -> None:
    _plan(harness)
    # a joint objective changes only with the partner: marked failing, it waits for Southwind's approval
    proposed = command_form(harness, "UERIN", "objective edit 1", dict(OBJECTIVES[0][1], status="failing"))
    with Session(harness.engine) as db:
        assert db.exec(select(Objective).where(Objective.number == 1)).one().status == "open"
        assert db.exec(select(Proposal).where(Proposal.status == "open")).one().subject == "objective:1"
    assert _statuses(harness) == {1: "clear", 2: "clear"} and _posts(harness) == []
    agreed(harness, "UERIN", proposed)  # Bob approves: now it is failing
    assert _statuses(harness) == {1: "triggered", 2: "clear"}  # one failing: the count trigger (2) stays clear
    posts = _posts(harness)
    assert len(posts) == 2, posts
    assert posts[0].startswith(":warning: *Objective #1 “Launch the joint service” (ours) is failing*")
    assert "Exit trigger fired: #1 The joint service fails" in posts[0]
    assert "exit trigger *#1* The joint service fails has fired (objective #1 “Launch the joint service” is " \
           "failing)" in posts[1]

    # Southwind marks its own objective failing on its own: the second failing objective fires the count trigger
    _mark(harness, "UCAROL", 2, "failing")
    assert _statuses(harness) == {1: "triggered", 2: "triggered"}
    posts = _posts(harness)[2:]
    assert posts[0].startswith(":warning: *Objective #2 “Enter the Nordic market” (Southwind's own) is failing*")
    assert "Exit trigger fired: #2 Two objectives fail" in posts[0]
    assert "2 objectives are failing (#1, #2; the trigger is at 2)" in posts[1]
    assert len(posts) == 2

    # marked failing again (an edit of its title): nothing is told twice
    command_form_agreed(harness, "UCAROL", "objective edit 2",
                        dict(OBJECTIVES[1][1], title="Enter the Nordic markets", status="failing"))
    assert len(_posts(harness)) == 4


def test_an_objective_failing_with_no_trigger_on_it_is_told_and_nothing_fires(harness: Harness) -> None:
    _plan(harness)
    _mark(harness, "UERIN", 3, "failing")  # Northwind's own: no proposal
    assert _statuses(harness) == {1: "clear", 2: "clear"}
    [post] = _posts(harness)
    assert post.startswith(":warning: *Objective #3 “Win a public-sector client” (Northwind's own) is failing*")
    assert "No exit trigger fired" in post


def test_the_partner_cannot_mark_a_partys_own_objective_alone(harness: Harness) -> None:
    _plan(harness)
    command_form(harness, "UBOB", "objective edit 3", dict(OBJECTIVES[2][1], status="at_risk"))
    assert ephemeral_texts(harness, "UBOB")[-1].startswith("Proposed as #")
    with Session(harness.engine) as db:
        assert db.exec(select(Objective).where(Objective.number == 3)).one().status == "open"


@pytest.mark.postgres
def test_objectives_at_risk_and_failing_are_shown_in_status_and_review(harness: Harness) -> None:
    _plan(harness)
    _mark(harness, "UERIN", 1, "at_risk")
    _mark(harness, "UCAROL", 2, "failing")
    status = str(harness.driver.slash("UJOE", CHANNEL, "status").json()["blocks"])
    assert "#1 Launch the joint service · :warning: *at risk*" in status
    assert "#2 Enter the Nordic market · :rotating_light: *failing*" in status
    assert "#3 Win a public-sector client · open" in status
    assert ":white_check_mark: #1 The joint service fails (an objective is failing) · clear" in status

    at(harness, "2027-01-25T15:00:00Z")
    assert "Review #1 is posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    with Session(harness.engine) as db:
        figures = db.exec(select(Review)).one().figures
    assert [(o["number"], o["status"]) for o in figures["objectives"]] == [(1, "at_risk"), (2, "failing"), (3, "open")]
    found = {r["rule"]: r for r in figures["recommendations"]}
    assert found["objective_failing"]["figure"] == "objective #2 “Enter the Nordic market” (Southwind's own) is failing"
    assert found["objective_at_risk"]["figure"] == "objective #1 “Launch the joint service” (ours) is at risk"
    root, replies = review_messages(harness)
    assert "because objective #2 “Enter the Nordic market” (Southwind's own) is failing" in block_text(root)
    [objectives] = [r for r in replies if r["text"].endswith(": Objectives")]
    text = block_text(objectives)
    assert "#1 Launch the joint service · :warning: *at risk*" in text
    assert "#2 Enter the Nordic market · :rotating_light: *failing*" in text
