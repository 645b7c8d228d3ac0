"""Reviews: the summary's figures from known data, recommendations and wins, the chart in the thread,
sign-off by each party's SER only, the immutable record, the list, and the scheduled review firing once."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import Session, select

from bot.ids import Act
from commands.reviews import runs
from storage.models import WorkItem
from storage.reviews import ImmutableRecord, Review, ReviewSignature
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import racing_ticks, tick
from tests.scenarios.plan_steps import click, ephemeral_texts, set_up
from tests.scenarios.review_steps import at, block_text, month_of_partnership, review_messages, sign


def _review(harness: Harness, number: int = 1) -> Review:
    with Session(harness.engine) as db:
        return db.exec(select(Review).where(Review.number == number)).one()


def _sign(harness: Harness, user: str, number: int = 1) -> str:
    return sign(harness, user, number)


@pytest.mark.postgres
def test_a_review_of_known_data_shows_its_figures_recommendations_wins_and_chart(harness: Harness) -> None:
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    assert "Only SERs and managers" in harness.driver.slash("UHANK", CHANNEL, "review now").json()["text"]
    assert "Usage" in harness.driver.slash("UERIN", CHANNEL, "review later").json()["text"]
    assert harness.count(Review) == 0
    told = harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    assert "Review #1 is posted" in told

    f = _review(harness).figures
    assert f["period"] == {"starts_at": "2027-01-04T12:00:00+00:00", "ends_at": "2027-01-25T10:00:00+00:00",
                           "first_day": "2027-01-04", "last_day": "2027-01-25"}
    [kpi] = f["kpis"]
    assert (kpi["value"], kpi["rag"], kpi["trend"], kpi["red_streak"], kpi["series"]) == \
        (78.0, "red", "down", 1, [["2027-01-11", 85.0], ["2027-01-18", 78.0]])
    north, south = f["trust"]["parties"]
    assert (north["trust"], north["behaviour"], north["invited"], north["answered"]) == (4.0, 4.0, 6, 6)
    # Southwind's round 2 (two of its three answered) is withheld: it is in no figure of the review
    assert (south["trust"], south["behaviour"], south["invited"], south["answered"]) == (2.0, 3.0, 6, 5)
    assert f["trust"]["gap"] == 2.0 and f["trust"]["rounds"] == 2 and south["rounds_counted"] == 1
    assert [p["trust"] for p in f["trust"]["series"]] == [{"1": 4.0, "2": 2.0}, {"1": 4.0, "2": None}]
    trust_statement = f["trust"]["statements"][0]
    assert (trust_statement["gap"], trust_statement["flagged"]) == (2.0, True)
    disputes = f["disputes"]
    assert [d["number"] for d in disputes["opened"]] == [1] and len(disputes["escalated"]) == 1
    [resolved] = disputes["resolved"]
    assert resolved["lessons"] == "Agree the delivery plan up front" and disputes["open"] == []
    actions = f["actions"]
    assert ([a["number"] for a in actions["done"]], [a["number"] for a in actions["overdue"]],
            [a["number"] for a in actions["cannot"]], actions["open"], actions["overdue_share"]) == \
        ([1], [2], [3], 2, 0.5)
    assert [(r["number"], r["score"], r["change"]) for r in f["risks"]] == [(1, 12, None)]
    assert [(o["whose"], o["status"], o["met_in_period"]) for o in f["objectives"]] == \
        [("ours", "met", True), ("Southwind", "open", False)]
    assert [(v["name"], v["cost"], v["benefit"]) for v in f["values"]] == \
        [("Northwind", 0, 30000.0), ("Southwind", 5000.0, 10000.0)]
    assert f["exits"] == {"reviewed_on": None, "triggers": []}
    assert {r["rule"] for r in f["recommendations"]} == {"perception_gap", "overdue_actions", "benefit_imbalance",
                                                         "exit_review"}
    assert f["wins"] == ["Dispute #1 “Late deliveries” resolved at L2 Relationship managers",
                         "Objective #1 “Launch the joint service” met"]

    root, replies = review_messages(harness)
    text = block_text(root)
    for expected in ("Review #1: Northwind–Southwind alliance", "4 Jan–25 Jan 2027", "0 green, 0 amber, 1 red",
                     "*Northwind* trust 4.0 behaviour 4.0", "*Southwind* trust 2.0 behaviour 3.0", "perception gap 2.0",
                     "Northwind 6/6, Southwind 5/6", "1 opened, 1 escalation, 1 resolved, 0 open",
                     "1 done, 2 open (1 overdue), 1 cannot be completed", "*Recommendations* (4)",
                     "because 1 of 2 open actions are overdue (50%, above 25%)",
                     "because Northwind reported 75% of the period's benefit (GBP 30,000 of GBP 40,000",
                     "Wins to celebrate", "Awaiting sign-off by each party's SER"):
        assert expected in text, expected
    parts = [r for r in replies if not r.get("files")]
    assert [p["text"].split(": ", 1)[1] for p in parts] == [
        "Performance: KPIs over the period", "Behaviour and trust per party", "Disputes", "Actions",
        "Risks by score", "Objectives", "Costs and benefits", "Exit strategy"]
    assert "lessons learned: Agree the delivery plan up front" in block_text(parts[2])
    [chart] = [r for r in replies if r.get("files")]
    [shared] = chart["files"]
    assert shared["title"] == "Review #1 chart: Northwind–Southwind alliance"
    png = harness.fake.files[shared["id"]]["bytes"]
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] >= 600


@pytest.mark.sqlite_only("tests/commands/test_export.py::test_an_imported_review_awaiting_sign_off_is_posted_again_and_can_be_signed")
def test_sign_off_by_each_partys_ser_only_and_the_record_never_changes(harness: Harness) -> None:
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    assert "posted" in harness.driver.slash("UCAROL", CHANNEL, "review now").json()["text"]
    recorded = _review(harness).figures
    for user, role in (("UERIN", "manager"), ("UHANK", "member"), ("UIVY", "observer"), ("UCAROL", "manager")):
        assert f"Only each party's SER signs a review off; you are {'an' if role[0] == 'o' else 'a'} {role}" \
            in _sign(harness, user), user
    assert "not in the" in _sign(harness, "ULEO")  # never joined
    assert harness.count(ReviewSignature) == 0

    at(harness, "2027-01-26T15:00:00Z")
    assert "Awaiting Northwind's SER" in _sign(harness, "UBOB")
    root, replies = review_messages(harness)
    assert "*Southwind*: signed off by <@UBOB> on 26 Jan 2027 15:00" in block_text(root)
    assert "Awaiting Northwind's SER" in block_text(root)
    assert "*Southwind* signed review #1 off already (<@UBOB>" in _sign(harness, "UBOB")
    listed = harness.driver.slash("UJOE", CHANNEL, "reviews").json()
    assert "*#1* · 4 Jan–25 Jan 2027 · held on request · 4 recommendations · awaiting Northwind" \
        in str(listed["blocks"])

    at(harness, "2027-01-27T09:00:00Z")
    assert "signed off by both parties" in _sign(harness, "UALICE")
    root, replies = review_messages(harness)
    assert "*Signed off by both parties.*" in block_text(root)
    assert [e["action_id"] for b in root["blocks"] if b["type"] == "actions" for e in b["elements"]] == \
        [Act.AUDIT_REPORT]  # no sign-off button left; the audit report's stays
    assert [r["text"] for r in replies if "signed review #1 off" in r["text"]] == [
        ":white_check_mark: <@UBOB> signed review #1 off for *Southwind*. Awaiting Northwind's SER.",
        ":white_check_mark: <@UALICE> signed review #1 off for *Northwind*. "
        "The review is now signed off by both parties."]

    status = harness.driver.slash("UJOE", CHANNEL, "status").json()
    assert "last review #1 of 2027-01-25, signed off by both parties" in str(status["blocks"])

    # later changes to the plan do not change what the review recorded
    assert "is done" in harness.driver.slash("UCAROL", CHANNEL, "action done 2").json()["text"]
    assert _review(harness).figures == recorded
    shown = harness.driver.slash("UJOE", CHANNEL, "reviews 1").json()
    assert "1 done, 2 open (1 overdue)" in str(shown["blocks"])
    assert "signed off by both parties" in str(harness.driver.slash("UJOE", CHANNEL, "reviews").json()["blocks"])
    with Session(harness.engine) as db:
        stored = db.exec(select(Review)).one()
        stored.figures = {**stored.figures, "wins": []}
        db.add(stored)
        with pytest.raises(ImmutableRecord):
            db.commit()
    with Session(harness.engine) as db:
        signature = db.exec(select(ReviewSignature)).first()
        db.delete(signature)
        with pytest.raises(ImmutableRecord):
            db.commit()
    assert _review(harness).figures == recorded and harness.count(ReviewSignature) == 2
    assert "no review #7" in harness.driver.slash("UJOE", CHANNEL, "reviews 7").json()["text"]


@pytest.mark.postgres
def test_the_scheduled_review_fires_once_and_queues_the_next(harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    assert set_up(harness).status_code == 200
    # quarterly on the first working day at 10:00 London: Thursday 1 April 2027, 09:00 UTC (BST)
    tick(harness, "2027-04-01T08:59:00Z")
    assert harness.count(Review) == 0
    racing_ticks(harness, "2027-04-01T09:00:00Z", count=3)
    tick(harness, "2027-04-01T09:05:00Z")  # a restart afterwards finds nothing left to do
    review = _review(harness)
    assert (review.trigger, review.starts_at, review.ends_at) == \
        ("scheduled", parse_instant("2027-01-04T12:00:00Z"), parse_instant("2027-04-01T09:00:00Z"))
    assert harness.count(Review) == 1
    root, replies = review_messages(harness)
    assert "on the review cadence" in block_text(root)
    assert len([m for m in harness.fake.messages(CHANNEL) if m["text"].startswith("Review #1 of")]) == 1
    with Session(harness.engine) as db:
        pending = db.exec(select(WorkItem).where(WorkItem.kind == runs.KIND, WorkItem.status == "pending")).one()
    assert pending.due_at == parse_instant("2027-07-01T09:00:00Z")  # Thursday 1 July, 10:00 BST


def test_a_new_review_cadence_replaces_the_queued_review(harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    assert set_up(harness).status_code == 200
    assert set_up(harness, {"review_cadence": "monthly on the first working day at 11:00"}).status_code == 200
    harness.tick(parse_instant("2027-02-01T11:30:00Z"))  # Monday 1 February, 11:00 London (GMT)
    assert harness.count(Review) == 1
    harness.tick(parse_instant("2027-04-01T09:30:00Z"))  # the quarterly one was cancelled; March's fires
    assert [r.trigger for r in _reviews(harness)] == ["scheduled", "scheduled"]
    assert _reviews(harness)[1].starts_at == parse_instant("2027-02-01T11:30:00Z")  # where the first one ended


def _reviews(harness: Harness) -> list[Review]:
    with Session(harness.engine) as db:
        return list(db.exec(select(Review).order_by(Review.number)))


@pytest.mark.sqlite_only("test_a_review_of_known_data_shows_its_figures_recommendations_wins_and_chart")
def test_reviews_from_a_mention_and_the_value_form_refuses_bad_input(harness: Harness) -> None:
    month_of_partnership(harness)
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> reviews")
    assert "No reviews yet" in ephemeral_texts(harness, "UJOE")[-1]
    from tests.scenarios.review_steps import value_form

    errors = value_form(harness, "UJOE", {"party_slot": "2", "kind": "cost", "amount": "", "description": ""})
    assert "Give an amount, a description, or both" in errors.text
    errors = value_form(harness, "UJOE", {"party_slot": "2", "kind": "cost", "amount": "-5"})
    assert "positive number" in errors.text
    errors = value_form(harness, "UJOE", {"party_slot": "2", "kind": "cost", "amount": "lots"})
    assert "amount" in errors.text
    errors = value_form(harness, "UJOE", {"party_slot": "2", "kind": "cost", "amount": "5", "on": "2030-01-01"})
    assert "in the future" in errors.text
    click(harness, "UKIM", f"{Act.OPEN_FORM}:value", {"channel": CHANNEL, "form": "value"})
    assert "Observers" in ephemeral_texts(harness, "UKIM")[-1]


def test_a_second_review_starts_where_the_first_ended_and_compares_with_it(harness: Harness) -> None:
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    harness.driver.slash("UERIN", CHANNEL, "review now")
    at(harness, "2027-01-27T10:00:00Z")
    assert "Review #2 is posted" in harness.driver.slash("UBOB", CHANNEL, "review now").json()["text"]
    second = _review(harness, 2)
    assert second.starts_at == _review(harness, 1).ends_at
    f = second.figures
    [kpi] = f["kpis"]
    assert (kpi["value"], kpi["previous_value"], kpi["previous_rag"], kpi["red_streak"], kpi["series"]) == \
        (None, 78.0, "red", 1, [])
    assert [(r["number"], r["previous_score"], r["change"]) for r in f["risks"]] == [(1, 12, 0)]
    assert [o["met_in_period"] for o in f["objectives"]] == [False, False]  # met in the first review's period
    assert f["disputes"]["resolved"] == [] and f["trust"]["rounds"] == 0 and f["wins"] == []
    assert {r["rule"] for r in f["recommendations"]} == {"overdue_actions", "exit_review"}
