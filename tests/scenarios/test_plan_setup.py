"""Setting up a relationship in a Slack Connect channel, people joining from two organisations."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.ids import Act
from storage.rmp import Change, Party, Person, Relationship
from tests.harness import CHANNEL, HOME, OTHER_CHANNEL, PARTNER, Harness
from tests.scenarios.plan_steps import click, ephemeral_texts, join, latest_view, set_up, submit


def _relationship(harness: Harness) -> Relationship:
    with Session(harness.engine) as db:
        return db.exec(select(Relationship)).one()


@pytest.mark.postgres
def test_setup_in_a_slack_connect_channel_with_two_organisations(harness: Harness) -> None:
    ack = harness.driver.slash("UALICE", CHANNEL, "setup")
    assert ack.status_code == 200 and ack.text == ""
    view = latest_view(harness)
    assert view["title"]["text"] == "Set up Accord"
    ladder = next(b for b in view["blocks"] if b["block_id"] == "ladder")["element"]["initial_value"]
    assert ladder.splitlines() == ["Working level | 5", "Relationship managers | 10",
                                   "Senior executives (SERs) | 15", "Mediation"]
    response = submit(harness, "UALICE", view, {
        "name": "Northwind–Southwind", "party_1": "Northwind", "party_2": "Southwind",
        "timezone": "Europe/London", "timezone_1": "Europe/London", "holidays_1": "2026-12-25",
        "timezone_2": "America/New_York", "holiday_region_2": "US-NY",
    })
    assert response.status_code == 200 and response.text == ""  # the modal closes
    harness.sender.drain()
    [welcome] = [m for m in harness.fake.messages(CHANNEL) if "Accord is set up" in m["text"]]
    assert "Northwind" in welcome["text"] and "Southwind" in welcome["text"]
    assert Act.JOIN in str(welcome["blocks"])

    join(harness, "UBOB")  # Southwind, another Slack organisation: its first person becomes its manager
    join(harness, "UCAROL")
    join(harness, "UERIN")
    assert "You joined *Southwind* as a manager." in ephemeral_texts(harness, "UBOB")
    assert "You joined *Southwind* as a member." in ephemeral_texts(harness, "UCAROL")
    assert "You joined *Northwind* as a member." in ephemeral_texts(harness, "UERIN")
    with Session(harness.engine) as db:
        parties = {p.slot: p for p in db.exec(select(Party))}
        assert parties[1].team_id == HOME and parties[2].team_id == PARTNER
        roles = {p.user_id: (p.role, p.party_id) for p in db.exec(select(Person))}
    assert roles["UALICE"] == ("manager", parties[1].id)
    assert roles["UBOB"] == ("manager", parties[2].id)

    click(harness, "UDAVE", Act.JOIN, {"channel": CHANNEL})  # a third organisation
    assert any("yours is not one of its parties" in t for t in ephemeral_texts(harness, "UDAVE"))

    people = harness.driver.slash("UCAROL", CHANNEL, "people").json()["text"]
    assert "*Northwind*" in people and "*Southwind*" in people
    assert "Manager: <@UBOB>" in people and "Member: <@UCAROL>" in people


def test_running_setup_again_edits_the_same_relationship_and_records_it(harness: Harness) -> None:
    assert set_up(harness).status_code == 200
    version = _relationship(harness).version
    harness.driver.slash("UALICE", CHANNEL, "setup")
    view = latest_view(harness)
    assert view["title"]["text"] == "Edit relationship"
    name_block = next(b for b in view["blocks"] if b["block_id"] == "name")
    assert name_block["element"]["initial_value"] == "Northwind–Southwind alliance"
    assert submit(harness, "UALICE", view, {"name": "NW–SW", "party_2": "Southwind Ltd"}).status_code == 200
    relationship = _relationship(harness)
    assert relationship.name == "NW–SW" and relationship.version == version + 2
    with Session(harness.engine) as db:
        assert len(db.exec(select(Relationship)).all()) == 1
        changes = db.exec(select(Change).where(Change.version > version).order_by(Change.version)).all()
    assert [(c.entity, c.verb) for c in changes] == [("relationship", "update"), ("party", "update")]
    assert changes[0].before == {"name": "Northwind–Southwind alliance"} and changes[0].after == {"name": "NW–SW"}
    assert changes[1].after == {"name": "Southwind Ltd"} and changes[1].party == "Northwind"


def test_a_channel_without_a_relationship_says_how_to_set_one_up(harness: Harness) -> None:
    for text in ("status", "people", "history", "kpi", "action done 1", "join", "exit reviewed"):
        body = harness.driver.slash("UBOB", OTHER_CHANNEL, text).json()
        assert "Run `/accord setup` here" in body["text"], (text, body)


def test_single_workspace_parties_are_set_by_hand(harness: Harness) -> None:
    assert set_up(harness, {"mode": "single"}).status_code == 200
    body = harness.driver.slash("UALICE", CHANNEL, "party add <@UERIN|erin> Southwind manager").json()
    assert body["text"] == "<@UERIN> is in *Southwind* as a manager."
    body = harness.driver.slash("UALICE", CHANNEL, "party add <@UHANK> Nowhere").json()
    assert "No party is called" in body["text"]
    join(harness, "UHANK")
    assert any("ask one to run `/accord party add" in t for t in ephemeral_texts(harness, "UHANK"))
    people = harness.driver.slash("UERIN", CHANNEL, "people").json()["text"]
    assert "Manager: <@UERIN>" in people.split("*Southwind*")[1]
