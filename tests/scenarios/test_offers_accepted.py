"""Nothing is offered that will be refused: for every person of every role (SER, manager, member and observer of
each party, Northwind's Leo who never joined, and Dave of a third organisation), each thing Accord offers them
(the buttons of its answers to mentions, the forms `/accord` and `@accord` open, the options in those forms) is
accepted when used; what they may not use is refused up front, in the words the action itself would use.

One set-up per database; each person is a subtest of their own."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.fakeslack.modal_filling import fill
from bot.ids import Act, ProposalAct
from storage.rmp import PROPOSAL_OPEN, Proposal
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import full_cast, latest_view

EVERYONE = ["UALICE", "UERIN", "UHANK", "UIVY", "UBOB", "UCAROL", "UJOE", "UKIM", "ULEO", "UDAVE"]
EDITORS = {"UALICE", "UERIN", "UBOB", "UCAROL"}
OBSERVERS = {"UIVY", "UKIM"}
# the forms a mention or `/accord <name>` opens (checkin: no round is open, so it is refused to everyone)
FORMS = ("setup", "objective", "kpi", "risk", "action", "exit", "checkin", "dispute", "value")
# the forms' choices that depend on who chooses: each option offered is submitted once
CHOICES = ("whose", "owner_slot", "reporter_slot", "raising_slot", "party_slot")
# the rest of each form, filled in validly
FILLED: dict[str, dict[str, Any]] = {
    "kpi": {"target": "10", "red": "5", "owner_slot": "1", "reporter_slot": "1"},
    "objective": {"benefit_1": "Yes", "benefit_2": "Yes"},
    "dispute": {"title": "Late", "description": "Late again", "severity": "low"},
    "value": {"amount": "100", "description": "Saved a week"},
}
NAMED = {"kpi": "name", "objective": "title"}  # the field each new item is named by (names are unique)


def _told(harness: Harness, user: str, since: int) -> list[dict[str, Any]]:
    """What `user` was told privately since the `since`-th ephemeral of the channel."""
    harness.sender.drain()
    return [e for e in harness.fake.ephemerals(CHANNEL)[since:] if e["user"] == user]


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [el for block in message.get("blocks") or [] if block["type"] == "actions" for el in block["elements"]]


def _mentions(harness: Harness, user: str, texts: list[str]) -> list[dict[str, Any]]:
    """`@accord <text>` for each text, each in a thread of its own, and the one answer each got there (only the
    person sees it; the outbox may deliver the answers in another order)."""
    harness.sender.drain()  # what was queued before is not an answer to these
    since = len(harness.fake.ephemerals(CHANNEL))
    threads = [f"1700000000.{number:06d}" for number in range(len(texts))]
    for text, thread in zip(texts, threads, strict=True):
        response = harness.driver.app_mention(user, CHANNEL, f"<@UACCORD> {text}", thread_ts=thread)
        assert response.status_code == 200
    answers = {answer.get("thread_ts"): answer for answer in _told(harness, user, since)}
    assert sorted(answers) == threads, (user, texts, answers)
    return [answers[thread] for thread in threads]


def _slash(harness: Harness, user: str, name: str) -> dict[str, Any] | str:
    """`/accord <name>`: the modal it opened, or what it said instead."""
    before = harness.fake.views_opened
    response = harness.driver.slash(user, CHANNEL, name)
    return latest_view(harness) if harness.fake.views_opened > before else str(response.json().get("text"))


def _click_opens(harness: Harness, user: str, button: dict[str, Any]) -> None:
    """Clicking a form button offered to `user` opens its form."""
    before = harness.fake.views_opened
    harness.driver.block_action(user, CHANNEL, button["action_id"], value=button["value"])
    refused = _told(harness, user, len(harness.fake.ephemerals(CHANNEL)) - 1)
    assert harness.fake.views_opened == before + 1, (user, button["text"]["text"], refused)


def _choices(view: dict[str, Any]) -> list[tuple[str, str]]:
    """The (field, value) of every option of the form's choices that depend on who chooses."""
    return [(block["block_id"], option["value"]) for block in view["blocks"]
            if block.get("block_id") in CHOICES for option in block["element"].get("options", [])]


def _submit_each_choice(harness: Harness, user: str, name: str, view: dict[str, Any]) -> None:
    """Submit the form once with each option it offers: none is refused."""
    for number, (field, value) in enumerate(_choices(view)):
        answers = {**FILLED.get(name, {}), field: value}
        if name in NAMED:
            answers[NAMED[name]] = f"{name} of {user} #{number}"
        response = harness.driver.view_submission(user, view, fill(view, answers))
        assert "errors" not in response.text, (user, name, field, value, response.text)
        _withdraw_proposals(harness, user)


def _withdraw_proposals(harness: Harness, user: str) -> None:
    """A change that waits for the partner's approval is withdrawn, so that the next one may be proposed."""
    with Session(harness.engine) as db:
        numbers = db.exec(select(Proposal.number).where(Proposal.proposed_by == user,
                                                        Proposal.status == PROPOSAL_OPEN)).all()
    for number in numbers:
        value = json.dumps({"channel": CHANNEL, "number": number})
        harness.driver.block_action(user, CHANNEL, ProposalAct.WITHDRAW, value=value)


def _row(harness: Harness, user: str) -> None:
    """Everything offered to `user` is accepted; what is not offered is refused alike by mention and slash."""
    answers = dict(zip(FORMS, _mentions(harness, user, list(FORMS)), strict=True))
    for name in FORMS:
        opened = _slash(harness, user, name)
        buttons = _buttons(answers[name])
        if isinstance(opened, str):  # refused: the mention says the same, with no button
            # said alike, commands named as mentions in the answer to a mention
            assert buttons == [] and answers[name]["text"] == opened.replace("`/accord", "`@accord"), \
                (user, name, answers[name], opened)
            continue
        assert [b["action_id"] for b in buttons] == [Act.OPEN_FORM], (user, name, answers[name])
        _click_opens(harness, user, buttons[0])
        _submit_each_choice(harness, user, name, opened)
    assert (user in EDITORS) == bool(_buttons(answers["kpi"]))  # the testers' case: `@accord kpi` for editors only
    status = _status_buttons(harness, user)
    _join_if_told(harness, user, status)


def _status_buttons(harness: Harness, user: str) -> dict[str, Any]:
    """The buttons under `@accord status` open their forms (an observer is offered none); the answer."""
    [status] = _mentions(harness, user, ["status"])
    seen: set[str] = set()
    for button in _buttons(status):
        assert button["action_id"].startswith(Act.OPEN_FORM), (user, button)
        form = json.loads(button["value"])["form"]
        if form not in seen:
            seen.add(form)
            _click_opens(harness, user, button)
    expected = {"kpi", "risk", "action", "objective", "exit", "service_level", "commit", "win", "idea"} \
        if user in EDITORS else \
        set() if user in OBSERVERS or user in ("ULEO", "UDAVE") else {"win", "idea"}
    assert seen == expected, (user, seen, status["text"])
    return status


def _join_if_told(harness: Harness, user: str, status: dict[str, Any]) -> None:
    """Whoever is told to join may: Join takes them (Dave, of a third organisation, is told why he cannot join)."""
    if "Join" not in status["text"]:
        assert user != "ULEO", status  # Leo never joined: he is told to
        return
    assert user == "ULEO", (user, status)
    since = len(harness.fake.ephemerals(CHANNEL))
    harness.driver.block_action(user, CHANNEL, Act.JOIN, value=json.dumps({"channel": CHANNEL}))
    [joined] = _told(harness, user, since)
    assert joined["text"].startswith("You joined"), joined


@pytest.mark.sqlite_only("tests/scenarios/test_mentions.py::test_every_command_works_as_a_mention_for_people_without_the_slash_command")
def test_everything_offered_is_accepted(harness: Harness, subtests: pytest.Subtests) -> None:
    full_cast(harness)
    harness.sender.drain()
    for user in EVERYONE:
        with subtests.test(msg=user):
            _row(harness, user)
    [dave] = _mentions(harness, "UDAVE", ["join"])
    assert dave["text"] == "This relationship is between two other organisations; yours is not one of its parties."
