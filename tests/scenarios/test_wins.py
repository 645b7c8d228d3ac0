"""Wins: recorded by either party with `/accord win`, `@accord win` or the "Record a win" button, posted to the
shared channel and counted in the next review; bad input refused once with nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from bot.ids import Act
from storage.models import OutboxMessage
from storage.reviews import Review
from storage.rmp import Win
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click, ephemeral_texts, full_cast, latest_view, submit
from tests.scenarios.review_steps import at, block_text, review_messages

WIN_FORM = f"{Act.OPEN_FORM}:win"


def _win_posts(harness: Harness) -> list[str]:
    harness.sender.drain()
    return [block_text(m) for m in harness.fake.messages(CHANNEL) if m["text"].startswith("Win #")]


def _status_button(harness: Harness, user: str) -> dict[str, Any]:
    """The "Record a win" button of the status message `user` sees."""
    status = harness.driver.slash(user, CHANNEL, "status").json()
    buttons = [e for b in status["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [button] = [b for b in buttons if b["action_id"] == WIN_FORM]
    assert button["text"]["text"] == "Record a win"
    return button


def _by_button(harness: Harness, user: str, text: str) -> None:
    import json

    button = _status_button(harness, user)
    before = harness.fake.views_opened
    assert click(harness, user, WIN_FORM, json.loads(button["value"])).status_code == 200
    assert harness.fake.views_opened == before + 1, ephemeral_texts(harness, user)
    assert submit(harness, user, latest_view(harness), {"text": text}).text == ""


@pytest.mark.postgres
def test_wins_by_slash_mention_and_button_from_either_party_are_posted_and_counted_in_the_next_review(
        harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    at(harness, "2027-01-05T15:00:00Z")  # working hours in London and New York: the posts mention people
    told = harness.driver.slash("UALICE", CHANNEL, "win The first joint bid went in on time").json()["text"]
    assert told == "Recorded win #1 for Northwind: it is posted to the channel and counted in the next review."
    # Southwind's people may have no /accord: a mention does it
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> win Pilot customer signed in Oslo")
    assert ephemeral_texts(harness, "UBOB")[-1].startswith("Recorded win #2 for Southwind")
    # the button on Accord's status message opens the win form, for either party
    _by_button(harness, "UJOE", "Nordic launch date agreed")
    assert ephemeral_texts(harness, "UJOE")[-1].startswith("Recorded win #3 for Southwind")
    _by_button(harness, "UHANK", "Case study published")
    assert ephemeral_texts(harness, "UHANK")[-1].startswith("Recorded win #4 for Northwind")

    posts = _win_posts(harness)
    assert [p.splitlines()[0] for p in posts] == [
        ":tada: *Win #1* from *Northwind*: The first joint bid went in on time",
        ":tada: *Win #2* from *Southwind*: Pilot customer signed in Oslo",
        ":tada: *Win #3* from *Southwind*: Nordic launch date agreed",
        ":tada: *Win #4* from *Northwind*: Case study published"]
    assert "Recorded by <@UBOB>" in posts[1]
    with Session(harness.engine) as db:
        assert [(w.number, w.party_slot, w.user_id) for w in db.exec(select(Win).order_by(Win.number))] == \
            [(1, 1, "UALICE"), (2, 2, "UBOB"), (3, 2, "UJOE"), (4, 1, "UHANK")]

    at(harness, "2027-01-25T10:00:00Z")
    assert "Review #1 is posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    with Session(harness.engine) as db:
        figures = db.exec(select(Review).where(Review.number == 1)).one().figures
    assert [(w["number"], w["party"], w["by"]) for w in figures["recorded_wins"]] == \
        [(1, "Northwind", "UALICE"), (2, "Southwind", "UBOB"), (3, "Southwind", "UJOE"), (4, "Northwind", "UHANK")]
    assert figures["wins"] == ["Win #1 from Northwind: The first joint bid went in on time",
                               "Win #2 from Southwind: Pilot customer signed in Oslo",
                               "Win #3 from Southwind: Nordic launch date agreed",
                               "Win #4 from Northwind: Case study published"]
    root, _ = review_messages(harness)
    assert "Wins to celebrate" in block_text(root) and "Win #2 from Southwind: Pilot customer signed in Oslo" \
        in block_text(root)

    # the next review counts only the wins recorded since
    at(harness, "2027-02-02T10:00:00Z")
    assert "#5 for Southwind" in harness.driver.slash("UCAROL", CHANNEL, "win Second order in").json()["text"]
    at(harness, "2027-02-10T10:00:00Z")
    assert "Review #2 is posted" in harness.driver.slash("UERIN", CHANNEL, "review now").json()["text"]
    with Session(harness.engine) as db:
        second = db.exec(select(Review).where(Review.number == 2)).one().figures
    assert second["wins"] == ["Win #5 from Southwind: Second order in"]


def test_bad_win_input_is_refused_with_one_message_and_nothing_stored(harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    empty = harness.driver.slash("UALICE", CHANNEL, "win").json()["text"]
    assert empty.startswith("Say what the win was") and "Nothing was recorded" in empty
    assert harness.driver.slash("UALICE", CHANNEL, "win    ").json()["text"] == empty
    long = harness.driver.slash("UALICE", CHANNEL, "win " + "x" * 1001).json()["text"]
    assert long == "A win holds at most 1000 characters (this has 1001): shorten it. Nothing was recorded."
    told_before = len(ephemeral_texts(harness, "UBOB"))
    harness.driver.app_mention("UBOB", CHANNEL, "<@UACCORD> win")
    assert ephemeral_texts(harness, "UBOB")[told_before:] == [empty.replace("`/accord", "`@accord")]  # as a mention
    observer = harness.driver.slash("UKIM", CHANNEL, "win We did it").json()["text"]
    assert observer.startswith("Observers follow the relationship but do not record wins")
    assert "not in the" in harness.driver.slash("ULEO", CHANNEL, "win Never joined").json()["text"]
    # the form refuses empty text under its field, and stays open
    assert click(harness, "UJOE", WIN_FORM, {"channel": CHANNEL, "form": "win"}).status_code == 200
    refused = submit(harness, "UJOE", latest_view(harness), {"text": "   "}).json()
    assert refused == {"response_action": "errors", "errors": {"text": empty}}

    assert harness.count(Win) == 0
    assert _win_posts(harness) == []
    with Session(harness.engine) as db:
        assert not [m for m in db.exec(select(OutboxMessage)) if m.view == "win"]
