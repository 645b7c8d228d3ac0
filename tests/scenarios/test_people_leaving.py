"""People come and go: `/accord leave` (and `@accord leave`), `/accord remove @person` by the person's own
party's SERs and managers, someone deactivated in Slack; a party's last SER names a successor. Who went is
neither prompted nor counted, and the history keeps what they did."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.ids import Act
from commands import outgoing
from commands.disputes import ladder
from storage.checkins import Answer, Prompt, Result, Round
from storage.rmp import Change, Person, Relationship
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer, prompts, round_messages, tick
from tests.scenarios.plan_steps import click, command_form, ephemeral_texts, join, set_up

RATINGS = [4, 4, 4, 4, 4, 4]


def _say(harness: Harness, user: str, text: str) -> str:
    response = harness.driver.slash(user, CHANNEL, text)
    assert response.status_code == 200, response.text
    return str(response.json()["text"])


def _leave(harness: Harness, user: str, text: str = "") -> str:
    """`/accord leave [text]`, which changes nothing but asks; then the *Leave* button: what `user` was told."""
    before = _state(harness)
    asked = harness.driver.slash(user, CHANNEL, f"leave {text}".strip()).json()
    buttons = [e for b in asked.get("blocks") or [] if b["type"] == "actions" for e in b["elements"]]
    if not buttons:
        return str(asked["text"])  # refused
    assert asked["text"].startswith("Leave *") and _state(harness) == before
    assert click(harness, user, Act.LEAVE, json.loads(buttons[0]["value"])).status_code == 200
    return ephemeral_texts(harness, user)[-1]


def _people(harness: Harness) -> dict[str, tuple[str, str | None, str, str | None]]:
    """user -> (role, left_at, left_how, left_by)."""
    with Session(harness.engine) as db:
        return {p.user_id: (p.role, p.left_at and p.left_at.isoformat(), p.left_how, p.left_by)
                for p in db.exec(select(Person))}


def _state(harness: Harness) -> tuple[Any, int]:
    with Session(harness.engine) as db:
        return _people(harness), len(db.exec(select(Change.id)).all())


def _present(harness: Harness) -> set[str]:
    return {user for user, (_, left_at, _, _) in _people(harness).items() if left_at is None}


def _told(harness: Harness, user: str) -> list[str]:
    """What `user` was told: privately in the channel, and in their DM with Accord."""
    private = ephemeral_texts(harness, user)  # after the outbox has run
    dm = harness.fake.dm_with(user)
    return private + [m["text"] for m in (harness.fake.messages(dm) if dm else [])]


def _action(harness: Harness, by: str, owner: str) -> None:
    response = command_form(harness, by, "action", {"description": f"Task of {owner}", "owner": owner,
                                                    "due_on": "2027-06-01"})
    assert response.text == "", response.text


def _cast(harness: Harness) -> None:
    """Northwind: ALICE ser, ERIN manager, HANK member, IVY observer; Southwind: BOB ser, CAROL manager, JOE member,
    KIM observer; weekly check-ins on Mondays at 09:30."""
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    for user in ("UERIN", "UHANK", "UIVY", "UBOB", "UCAROL", "UJOE", "UKIM"):
        join(harness, user)
    for actor, target, role in [("UALICE", "UALICE", "ser"), ("UALICE", "UERIN", "manager"),
                                ("UALICE", "UIVY", "observer"), ("UBOB", "UBOB", "ser"),
                                ("UBOB", "UCAROL", "manager"), ("UBOB", "UKIM", "observer")]:
        assert "is now" in _say(harness, actor, f"role <@{target}> {role}")
    harness.sender.drain()


@pytest.mark.postgres
def test_leaving_by_command_and_by_mention_and_joining_again(harness: Harness) -> None:
    _cast(harness)
    told = _leave(harness, "UHANK")
    assert told.startswith("You left *Northwind*"), told
    people = _people(harness)
    assert people["UHANK"][1] is not None and people["UHANK"][2] == "left" and people["UHANK"][3] is None
    # the people list no longer shows him; he cannot act in the relationship any more
    listed = _say(harness, "UALICE", "people")
    assert "UHANK" not in listed and "UERIN" in listed
    assert "no longer in" in _say(harness, "UHANK", "status")
    assert "no longer in" in _say(harness, "UHANK", "leave")
    # a mention works too (the partner's people may have no /accord)
    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> leave")
    harness.sender.drain()
    [asked] = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE" and e["text"].startswith("Leave *")]
    assert _people(harness)["UJOE"][1] is None  # asked, not yet gone
    [button] = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    click(harness, "UJOE", button["action_id"], json.loads(button["value"]))
    assert ephemeral_texts(harness, "UJOE")[-1].startswith("You left *Southwind*")
    assert _people(harness)["UJOE"][2] == "left"
    # the history keeps who left
    with Session(harness.engine) as db:
        changes = db.exec(select(Change).where(Change.entity == "person")).all()
        verbs = [(c.verb, (c.after or {}).get("user_id")) for c in changes]
    assert ("left", "UHANK") in verbs and ("left", "UJOE") in verbs
    # joining again makes him present once more, as a member
    join(harness, "UHANK")
    assert _people(harness)["UHANK"] == ("member", None, "", None)
    assert "UHANK" in _say(harness, "UALICE", "people")


def test_only_the_persons_own_partys_sers_and_managers_remove_them(harness: Harness) -> None:
    _cast(harness)
    before = _state(harness)
    refusals = [
        ("UBOB", "remove <@UHANK>", "People of Northwind are removed by Northwind's SERs and managers."),
        ("UCAROL", "remove <@UHANK>", "People of Northwind are removed by Northwind's SERs and managers."),
        ("UJOE", "remove <@UHANK>", "People of Northwind are removed by Northwind's SERs and managers."),
        ("UHANK", "remove <@UERIN>", "Only Northwind's SERs and managers remove its people; you are a member."),
        ("UIVY", "remove <@UHANK>", "Only Northwind's SERs and managers remove its people; you are an observer."),
        ("UALICE", "remove <@ULEO>", "<@ULEO> is not in this relationship."),
        ("UALICE", "remove", "Usage: `/accord remove @person`"),
    ]
    for user, text, expected in refusals:
        assert _say(harness, user, text).startswith(expected), (user, text)
    assert _state(harness) == before  # each refusal changed nothing
    _action(harness, "UERIN", "UHANK")
    told = _say(harness, "UERIN", "remove <@UHANK>")
    assert told.startswith("<@UHANK> is no longer in *Northwind*") and "Action #1 needs a new owner" in told
    # Northwind's other SER or manager is told too; the partner is not
    assert any("<@UHANK> was removed from *Northwind*" in text and "action #1 was theirs" in text.lower()
               for text in _told(harness, "UALICE"))
    assert not any("was removed from" in text for text in _told(harness, "UBOB"))
    assert _say(harness, "UCAROL", "remove <@UJOE>").startswith("<@UJOE> is no longer in *Southwind*")
    people = _people(harness)
    assert people["UHANK"][2:] == ("removed", "UERIN") and people["UJOE"][2:] == ("removed", "UCAROL")
    assert _present(harness) == {"UALICE", "UERIN", "UIVY", "UBOB", "UCAROL", "UKIM"}
    assert _say(harness, "UERIN", "remove <@UHANK>") == "<@UHANK> is not in this relationship."


def test_a_partys_last_ser_names_a_successor_who_must_be_of_the_same_party(harness: Harness) -> None:
    _cast(harness)
    before = _state(harness)
    assert _say(harness, "UALICE", "leave") == ("<@UALICE> is Northwind's last SER: name another with "
                                                "`/accord leave @person`, who becomes SER.")
    assert "not a current person of Northwind" in _say(harness, "UALICE", "leave <@UBOB>")
    assert "not a current person of Northwind" in _say(harness, "UALICE", "leave <@ULEO>")
    assert "last SER" in _say(harness, "UERIN", "remove <@UALICE>")
    assert "last SER" in _say(harness, "UCAROL", "remove <@UBOB>")
    assert _state(harness) == before
    told = _leave(harness, "UALICE", "<@UHANK>")
    assert "You left *Northwind*" in told and "<@UHANK> is now SER of *Northwind*" in told
    people = _people(harness)
    assert people["UHANK"][0] == "ser" and people["UALICE"][2] == "left"
    with Session(harness.engine) as db:  # the SERs' level of a dispute is held by the SER who is there
        relationship = db.exec(select(Relationship)).one()
        assert ladder.holders(db, relationship, 2)["Northwind"] == ["UHANK"]
    # the partner's manager removes its SER, naming who becomes SER
    assert "<@UJOE> is now SER of *Southwind*" in _say(harness, "UCAROL", "remove <@UBOB> <@UJOE>")
    people = _people(harness)
    assert people["UJOE"][0] == "ser" and people["UBOB"][2:] == ("removed", "UCAROL")


@pytest.mark.postgres
def test_who_goes_is_not_prompted_or_counted_and_history_keeps_their_answers(harness: Harness) -> None:
    _cast(harness)
    # Round 1 (Monday 8 March): everyone answers, Hank and Joe too
    tick(harness, "2027-03-08T15:00:00Z")
    for user in ("UALICE", "UERIN", "UHANK", "UBOB", "UCAROL", "UJOE"):
        assert len(prompts(harness, user, 1)) == 1, user
        assert answer(harness, user, "2027-03-08T16:00:00Z", RATINGS).status_code == 200, user
    tick(harness, "2027-03-12T12:00:00Z")  # round 1 closed
    # Slack deactivates Hank: the user_change event tells Accord
    assert harness.driver.user_deactivated("UHANK").status_code == 200
    assert _people(harness)["UHANK"][2] == "deactivated"
    # round 2 (15 March): Hank is not prompted; Joe leaves while it is open, before answering
    tick(harness, "2027-03-15T15:00:00Z")
    assert prompts(harness, "UHANK", 2) == [] and len(prompts(harness, "UALICE", 2)) == 1
    assert len(prompts(harness, "UJOE", 2)) == 1
    harness.clock.now = parse_instant("2027-03-15T16:00:00Z")
    assert _leave(harness, "UJOE").startswith("You left")
    [open_round] = round_messages(harness, 2)
    assert "Northwind 0 of 2" in open_round["text"] + str(open_round["blocks"])
    assert "Southwind 0 of 2" in open_round["text"] + str(open_round["blocks"])
    tick(harness, "2027-03-17T14:00:00Z")  # the reminder half-way: not to those who went
    assert prompts(harness, "UJOE", 2, reminder=True) == [] and prompts(harness, "UHANK", 2, reminder=True) == []
    assert len(prompts(harness, "UALICE", 2, reminder=True)) == 1
    for user in ("UALICE", "UERIN", "UBOB", "UCAROL"):
        assert answer(harness, user, "2027-03-17T15:00:00Z", RATINGS).status_code == 200, user
    tick(harness, "2027-03-19T12:00:00Z")  # round 2 closed
    with Session(harness.engine) as db:
        rounds = {r.number: r.id for r in db.exec(select(Round))}
        results = {(r.round_number, r.party_slot): (r.asked, r.answered) for r in db.exec(select(Result))}
        round_1 = {a.user_id for a in db.exec(select(Answer).where(Answer.round_id == rounds[1]))}
        round_2 = {p.user_id: p.status for p in db.exec(select(Prompt).where(Prompt.round_id == rounds[2]))}
        hank = [c.verb for c in db.exec(select(Change).where(Change.entity == "person").order_by(col(Change.id)))
                if (c.after or {}).get("user_id") == "UHANK"]
    # round 2 counts only who is still there: two of each party, everyone of them answered
    assert results[(2, 1)] == (2, 2) and results[(2, 2)] == (2, 2)
    assert "UHANK" not in round_2 and round_2["UJOE"] == "gone"
    # the history keeps what they did: their round-1 answers and figures, and who went how
    assert results[(1, 1)] == (3, 3) and results[(1, 2)] == (3, 3)
    assert {"UHANK", "UJOE"} <= round_1
    assert hank == ["join", "deactivated"]
    status = _say(harness, "UALICE", "status")
    assert "UHANK" not in status and "UJOE" not in status


@pytest.mark.postgres
def test_users_info_answering_deleted_marks_the_person_deactivated(harness: Harness) -> None:
    _cast(harness)
    _action(harness, "UCAROL", "UJOE")
    harness.fake.deactivate_user("UJOE")
    harness.clock.now = parse_instant("2027-03-03T15:00:00Z")  # inside both parties' working hours
    with Session(harness.engine) as db:
        outgoing.lookup_user(db, key="users.info:again:UJOE", user="UJOE", now=harness.clock.now)
        db.commit()
    harness.sender.drain()
    people = _people(harness)
    assert people["UJOE"][2] == "deactivated" and people["UCAROL"][1] is None
    assert "UJOE" not in _say(harness, "UBOB", "people")
    for editor in ("UBOB", "UCAROL"):  # the party's SERs and managers are asked for a new owner
        assert any("<@UJOE> was deactivated in Slack" in text and "needs a new owner" in text
                   for text in _told(harness, editor)), editor

