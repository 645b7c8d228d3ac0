"""The improvement log in Slack: ideas logged by `/accord idea`, `@accord idea` and the message shortcut "Log as
improvement" (the partner's people included), moved on by the buttons on the idea's one message, which is updated
in place, and counted per party in the next review."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.ids import SHORTCUT_IDEA, Act, IdeaAct
from storage.partnership import Idea
from storage.reviews import Review
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click, ephemeral_texts, full_cast, latest_view, submit
from tests.scenarios.review_steps import at, block_text, review_messages


def _idea_posts(harness: Harness) -> dict[int, dict[str, Any]]:
    """Idea number -> its message in the channel, as it is now."""
    harness.sender.drain()
    return {int(m["text"].split()[1].lstrip("#")): m for m in harness.fake.messages(CHANNEL)
            if m["text"].startswith("Idea #")}


def _press(harness: Harness, user: str, number: int, act: IdeaAct) -> None:
    """`user` clicks `act` on idea `number`'s message."""
    message = _idea_posts(harness)[number]
    [button] = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == act.value]
    assert click(harness, user, act.value, json.loads(button["value"]), message_ts=message["ts"]).status_code == 200


@pytest.mark.postgres
def test_ideas_from_either_party_are_agreed_by_the_other_delivered_and_counted_in_the_review(
        harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    at(harness, "2027-01-05T15:00:00Z")  # working hours in London and New York: the posts mention people
    told = harness.driver.slash("UHANK", CHANNEL, "idea Share one delivery calendar").json()["text"]
    assert told == "Idea #1 is logged and posted to the channel for the other party to agree."
    # Southwind's people may have no /accord: a mention does it, and so does the message shortcut
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> idea Weekly joint stand-up")
    assert ephemeral_texts(harness, "UJOE")[-1].startswith("Idea #2 is logged")
    said = harness.fake.add_message(CHANNEL, user="UJOE", text="We could pool our warehouse space in Oslo")
    before = harness.fake.views_opened
    assert harness.driver.message_shortcut("UBOB", CHANNEL, SHORTCUT_IDEA, said["ts"]).status_code == 200
    assert harness.fake.views_opened == before + 1, ephemeral_texts(harness, "UBOB")
    form = latest_view(harness)
    assert form["blocks"][0]["element"]["initial_value"] == "We could pool our warehouse space in Oslo"
    assert submit(harness, "UBOB", form, {"benefit": "Lower storage cost"}).text == ""
    with Session(harness.engine) as db:
        rows = [(i.number, i.party_slot, i.raised_by, i.owner_user_id, i.source_ts, i.benefit_2)
                for i in db.exec(select(Idea).order_by(col(Idea.number)))]
    assert rows == [(1, 1, "UHANK", "UHANK", None, ""), (2, 2, "UJOE", "UJOE", None, ""),
                    (3, 2, "UBOB", "UBOB", said["ts"], "Lower storage cost")]
    posts = _idea_posts(harness)
    assert block_text(posts[1]).startswith(":bulb: *Idea #1* from *Northwind*: Share one delivery calendar\n"
                                           "*Status*: Proposed: awaiting Southwind's agreement")
    assert "*Benefit to Southwind*: Lower storage cost" in block_text(posts[3])

    # Northwind cannot agree its own idea; Southwind's SER agrees it with the button on its message
    _press(harness, "UALICE", 1, IdeaAct.AGREE)
    assert "a party does not agree its own idea alone" in ephemeral_texts(harness, "UALICE")[-1]
    first_ts = posts[1]["ts"]
    _press(harness, "UBOB", 1, IdeaAct.AGREE)
    assert ephemeral_texts(harness, "UBOB")[-1] == "Idea #1 is agreed: its message in the channel shows it."
    _press(harness, "UALICE", 3, IdeaAct.AGREE)
    # Southwind states its own benefit of Northwind's idea; the owner starts and delivers it
    _press(harness, "UCAROL", 1, IdeaAct.BENEFIT)
    assert submit(harness, "UCAROL", latest_view(harness), {"benefit": "Crews planned a week ahead"}).text == ""
    _press(harness, "UHANK", 1, IdeaAct.START)
    _press(harness, "UHANK", 1, IdeaAct.DONE)
    # an SER or manager drops one, saying why
    _press(harness, "UCAROL", 2, IdeaAct.DROP)
    assert submit(harness, "UCAROL", latest_view(harness), {"reason": "Covered by the weekly call"}).text == ""
    posts = _idea_posts(harness)
    assert len(posts) == 3 and posts[1]["ts"] == first_ts  # one message per idea, updated in place
    shown = block_text(posts[1])
    assert shown.startswith(":white_check_mark: *Idea #1* from *Northwind*") and "*Status*: Done" in shown
    assert "*Benefit to Southwind*: Crews planned a week ahead" in shown
    assert not [b for b in posts[1]["blocks"] if b["type"] == "actions"
                for e in b["elements"] if e["action_id"] in (IdeaAct.AGREE, IdeaAct.DONE)]
    assert "*Status*: Agreed by Northwind" in block_text(posts[3])
    assert block_text(posts[2]).splitlines()[1:] == [
        "*Status*: Dropped: Covered by the weekly call", "*Benefit to Northwind*: _not stated yet_",
        "*Benefit to Southwind*: _not stated yet_", "Raised and owned by <@UJOE>"]

    # the log, and the button on the status message
    listed = block_text(harness.driver.slash("UKIM", CHANNEL, "ideas").json())
    assert "*Improvement log* (3)" in listed and "#2 Weekly joint stand-up · Southwind · dropped" in listed
    status = harness.driver.slash("UJOE", CHANNEL, "status").json()
    assert f"{Act.OPEN_FORM}:idea" in [e["action_id"] for b in status["blocks"] if b["type"] == "actions"
                                       for e in b["elements"]]

    at(harness, "2027-01-25T10:00:00Z")
    assert "Review #1 is posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    with Session(harness.engine) as db:
        figures = db.exec(select(Review).where(Review.number == 1)).one().figures
    assert [(p["name"], p["raised"], p["agreed"], p["delivered"]) for p in figures["ideas"]["parties"]] == \
        [("Northwind", 1, 1, 1), ("Southwind", 2, 1, 0)]
    root, _ = review_messages(harness)
    assert "*Improvement*: Northwind's ideas: 1 raised, 1 agreed, 1 delivered; Southwind's ideas: 2 raised, " \
           "1 agreed, 0 delivered" in block_text(root)
