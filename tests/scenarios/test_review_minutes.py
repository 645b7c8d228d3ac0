"""The review's minutes through its message's buttons and forms: each party states how far its expectations were
met (the SER cannot sign before), lessons are recorded, each SER confirms the plan version and exit strategy they
reviewed, and the one message, updated in place, shows exactly what is stored, then never changes."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, col, select

from bot.ids import Act
from bot.views import reviews as views
from commands.reviews import minutes
from storage.reviews import Review, ReviewExpectation, ReviewLesson, ReviewSignature
from storage.rmp import Relationship
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click, ephemeral_texts, latest_view, submit
from tests.scenarios.review_steps import at, block_text, month_of_partnership, review_messages, state_expectations

LESSON = {"failure": "Deliveries slipped twice & nobody said so", "reason": "No shared delivery plan",
          "avoidance": "Agree the delivery plan up front"}


def _lesson(harness: Harness, user: str, answers: dict[str, str]) -> str:
    before = harness.fake.views_opened
    click(harness, user, Act.REVIEW_LESSON, {"channel": CHANNEL, "number": 1})
    if harness.fake.views_opened == before:
        return ephemeral_texts(harness, user)[-1]
    assert submit(harness, user, latest_view(harness), answers).text == ""
    return ephemeral_texts(harness, user)[-1]


def _sign_form(harness: Harness, user: str) -> dict:
    before = harness.fake.views_opened
    click(harness, user, Act.REVIEW_SIGN, {"channel": CHANNEL, "number": 1})
    assert harness.fake.views_opened == before + 1, ephemeral_texts(harness, user)[-1:]
    return latest_view(harness)


@pytest.mark.postgres
def test_expectations_lessons_and_sign_offs_through_the_review_message(harness: Harness) -> None:
    month_of_partnership(harness)
    at(harness, "2027-01-25T10:00:00Z")
    assert "is posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]

    # Bob cannot sign before Southwind states its expectations: told why, with the button to
    at(harness, "2027-01-26T09:00:00Z")
    click(harness, "UBOB", Act.REVIEW_SIGN, {"channel": CHANNEL, "number": 1})
    harness.sender.drain()
    told = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UBOB"][-1]
    assert "state how far *Southwind's* expectations were met" in told["text"]
    [offered] = [e for b in told["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert offered["text"]["text"] == "State our expectations"
    click(harness, "UBOB", offered["action_id"], json.loads(offered["value"]))
    assert submit(harness, "UBOB", latest_view(harness), {"score": "3", "note": "Deliveries slipped"}).text == ""
    # Carol, Southwind's manager, restates them in the form that shows what was stated
    before = harness.fake.views_opened
    click(harness, "UCAROL", Act.REVIEW_EXPECT, {"channel": CHANNEL, "number": 1})
    assert harness.fake.views_opened == before + 1
    form = latest_view(harness)
    assert "Deliveries slipped" in json.dumps(form)
    assert submit(harness, "UCAROL", form, {"score": "2", "note": "Deliveries slipped <twice>"}).text == ""
    click(harness, "UJOE", Act.REVIEW_EXPECT, {"channel": CHANNEL, "number": 1})
    assert "you are a member" in ephemeral_texts(harness, "UJOE")[-1]

    # lessons from both parties' people, not observers; `@accord review lesson` offers the same form
    assert "Recorded lesson 1 in review #1" in _lesson(harness, "UHANK", LESSON)
    assert "Observers" in _lesson(harness, "UKIM", LESSON)
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> review lesson 1")  # Southwind has no /accord
    harness.sender.drain()
    [offered] = [e for m in harness.fake.ephemerals(CHANNEL) if m["user"] == "UJOE" for b in m.get("blocks") or []
                 if b["type"] == "actions" for e in b["elements"]][-1:]
    before = harness.fake.views_opened
    click(harness, "UJOE", offered["action_id"], json.loads(offered["value"]))
    assert harness.fake.views_opened == before + 1
    kick_off = {"failure": "The kick-off was booked late", "reason": "Nobody owned it", "avoidance": "Name an owner"}
    assert submit(harness, "UJOE", latest_view(harness), kick_off).text == ""

    # Bob signs: the plan's confirmation is needed, the exit strategy's not
    form = _sign_form(harness, "UBOB")
    with Session(harness.engine) as db:
        version = db.exec(select(Relationship)).one().version
    assert f"I reviewed the plan (version {version})" in json.dumps(form)
    refused = submit(harness, "UBOB", form, {"reviewed": []}).json()
    assert "Confirm that you reviewed the plan" in json.dumps(refused["errors"])
    assert submit(harness, "UBOB", form, {"reviewed": ["plan"]}).text == ""
    assert "Awaiting Northwind's SER" in ephemeral_texts(harness, "UBOB")[-1]
    click(harness, "UCAROL", Act.REVIEW_EXPECT, {"channel": CHANNEL, "number": 1})
    assert "*Southwind* signed review #1 off already" in ephemeral_texts(harness, "UCAROL")[-1]

    at(harness, "2027-01-27T09:00:00Z")
    assert state_expectations(harness, "UALICE", 4, "The joint service launched").text == ""
    form = _sign_form(harness, "UALICE")
    with Session(harness.engine) as db:
        alices = db.exec(select(Relationship)).one().version
    assert submit(harness, "UALICE", form, {"reviewed": ["plan", "exit"]}).text == ""
    assert "signed off by both parties" in ephemeral_texts(harness, "UALICE")[-1]
    assert "Review #1 is signed off by both parties: its record no longer changes" in harness.driver.slash(
        "UERIN", CHANNEL, "review lesson 1").json()["text"]

    # the one message, updated in place, shows exactly what is stored
    root, _ = review_messages(harness)
    assert len([m for m in harness.fake.messages(CHANNEL) if m["text"].startswith("Review #1 of")]) == 1
    with Session(harness.engine) as db:
        review = db.exec(select(Review)).one()
        stored = minutes.summary_data(db, review)
        expectations = list(db.exec(select(ReviewExpectation).order_by(col(ReviewExpectation.party_slot))))
        lessons = list(db.exec(select(ReviewLesson).order_by(col(ReviewLesson.number))))
        signatures = list(db.exec(select(ReviewSignature).order_by(col(ReviewSignature.party_slot))))
        assert db.exec(select(Relationship)).one().exit_reviewed_on is None  # Bob did not review it
    assert root["blocks"] == views.summary(stored)["blocks"]
    assert [(e.party_slot, e.score, e.note, e.user_id) for e in expectations] == [
        (1, 4, "The joint service launched", "UALICE"), (2, 2, "Deliveries slipped <twice>", "UCAROL")]
    assert [(s.user_id, s.plan_version, s.exit_reviewed) for s in signatures] == [
        ("UALICE", alices, True), ("UBOB", version, False)]
    text = block_text(root)
    for shown in ("*Northwind*: 4/5, fully met: “The joint service launched” (<@UALICE>, 27 Jan 2027 09:00)",
                  "*Southwind*: 2/5, partly met: “Deliveries slipped &lt;twice&gt;” (<@UCAROL>",
                  "*1.* Deliveries slipped twice &amp; nobody said so (Northwind, <@UHANK>)",
                  "_Why:_ No shared delivery plan", "_Avoid it by:_ Agree the delivery plan up front",
                  "*2.* The kick-off was booked late (Southwind, <@UJOE>)",
                  f"signed off by <@UBOB> on 26 Jan 2027 09:00 · reviewed plan version {version}\n",
                  f"signed off by <@UALICE> on 27 Jan 2027 09:00 · reviewed plan version {alices} and the exit "
                  "strategy", "*Southwind*: 0 done, 1 overdue, 1 cannot be completed",
                  "#3 Visit the Oslo office: cannot be completed: The office is closed",
                  "*Signed off by both parties.*"):
        assert shown in text, shown
    buttons = {e["action_id"] for b in root["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert len(lessons) == 2 and not buttons & {Act.REVIEW_SIGN, Act.REVIEW_EXPECT, Act.REVIEW_LESSON}
    record = harness.driver.slash("UJOE", CHANNEL, "reviews 1").json()
    assert record["blocks"] == root["blocks"]  # `/accord reviews 1` shows the same record
