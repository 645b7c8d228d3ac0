"""Steps of review scenarios: a month of a partnership with known figures, all through signed requests."""

from __future__ import annotations

from typing import Any

from bot.ids import Act
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer
from tests.scenarios.dispute_steps import press, raise_by_slash
from tests.scenarios.plan_steps import (
    click,
    command_form,
    command_form_agreed,
    ephemeral_texts,
    full_cast,
    latest_view,
    submit,
)

NORTH = ("UALICE", "UERIN", "UHANK")
SOUTH = ("UBOB", "UCAROL", "UJOE")
TRUST = 5  # the index of "I trust the partner to act in our joint interest" among the default statements


def at(harness: Harness, moment: str) -> None:
    """Set the app's clock."""
    harness.clock.now = parse_instant(moment)


def month_of_partnership(harness: Harness) -> None:
    """Set up on Mon 4 Jan 2027 (Northwind: Alice SER, Erin manager, Hank member, Ivy observer; Southwind: Bob SER,
    Carol manager, Joe member, Kim observer) and live to Mon 25 Jan:

    - two weekly check-in rounds (11 and 18 Jan): Northwind rates everything 4; Southwind rates everything 3 but
      trust 2 in round 1 and 3 in round 2; Joe skips round 2; Bob reports on-time delivery 85 then 78;
    - dispute #1 raised by Hank, escalated by Carol to L2, resolved with a lesson learned;
    - actions: #1 done, #2 overdue (due 15 Jan), #3 cannot be completed, #4 due in March;
    - objective #1 (ours) met, #2 Southwind's own open; risk #1 scored 3×4;
    - benefits of 30,000 (Northwind) and 10,000 (Southwind), and a cost of 5,000 for Southwind.
    """
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    edited = command_form_agreed(harness, "UALICE", "setup", {"checkin_cadence": "weekly on monday at 09:30"})
    assert edited.text == "", edited.text
    forms: list[tuple[str, dict[str, Any]]] = [
        ("kpi", {"name": "On-time delivery", "unit": "%", "direction": "higher", "target": "95", "red": "80",
                 "owner_slot": "2", "reporter_slot": "2"}),
        ("objective", {"whose": "ours", "title": "Launch the joint service", "benefit_1": "Revenue"}),
        ("objective", {"whose": "2", "title": "Enter the Nordic market", "benefit_2": "Reach"}),
        ("risk", {"description": "Key engineer leaves", "likelihood": "3", "impact": "4", "owner": "UERIN"}),
        ("action", {"description": "Send the price list", "owner": "UERIN", "due_on": "2027-01-08"}),
        ("action", {"description": "Book the kick-off", "owner": "UCAROL", "due_on": "2027-01-15"}),
        ("action", {"description": "Visit the Oslo office", "owner": "UJOE", "due_on": "2027-01-20"}),
        ("action", {"description": "Draft the case study", "owner": "UHANK", "due_on": "2027-03-01"}),
    ]
    for name, values in forms:
        response = command_form_agreed(harness, "UERIN", name, values)
        assert response.text == "", (name, response.text)
    for week, (south_trust, kpi) in enumerate(((2, "85"), (3, "78"))):
        opens = f"2027-01-{11 + 7 * week}"
        harness.tick(parse_instant(f"{opens}T09:30:00Z"))
        for user in NORTH:
            assert answer(harness, user, f"{opens}T10:00:00Z", [4] * 6).text == ""
        for user in SOUTH:
            if user == "UJOE" and week == 1:
                continue
            ratings = [3] * 6
            ratings[TRUST] = south_trust
            kpis = {1: kpi} if user == "UBOB" else None
            assert answer(harness, user, f"{opens}T11:00:00Z", ratings, kpis=kpis).text == ""
        harness.tick(parse_instant(f"2027-01-{15 + 7 * week}T12:00:00Z"))  # after the round closed
    at(harness, "2027-01-12T10:00:00Z")
    raise_by_slash(harness, "UHANK")
    assert press(harness, "UCAROL", "disputes.escalate", answer={"reason": "No recovery plan yet"},
                 at="2027-01-13T10:00:00Z") == ""
    assert press(harness, "UERIN", "disputes.propose", answer={"resolution": "Weekly delivery calls"},
                 at="2027-01-14T10:00:00Z") == ""
    assert press(harness, "UCAROL", "disputes.accept", answer={"lessons": "Agree the delivery plan up front"},
                 at="2027-01-14T11:00:00Z") == ""
    at(harness, "2027-01-20T10:00:00Z")
    for text in ("action done 1",):
        assert "is done" in harness.driver.slash("UERIN", CHANNEL, text).json()["text"]
    assert command_form(harness, "UJOE", "action cannot 3", {"reason": "The office is closed"}).text == ""
    assert command_form_agreed(harness, "UALICE", "objective edit 1", {"status": "met"}).text == ""
    for user, values in (("UALICE", {"party_slot": "1", "kind": "benefit", "amount": "30000",
                                     "description": "New customers"}),
                         ("UBOB", {"party_slot": "2", "kind": "benefit", "amount": "10000"}),
                         ("UCAROL", {"party_slot": "2", "kind": "cost", "amount": "5000",
                                     "description": "Onboarding staff"})):
        assert value_form(harness, user, values).text == ""
    harness.sender.drain()


def value_form(harness: Harness, user: str, values: dict[str, Any]) -> Any:
    """The "Record a cost or benefit" button and its form, as a partner's person without /accord uses it."""
    before = harness.fake.views_opened
    click(harness, user, f"{Act.OPEN_FORM}:value", {"channel": CHANNEL, "form": "value"})
    assert harness.fake.views_opened == before + 1, "the value form did not open"
    return submit(harness, user, latest_view(harness), values)


def review_messages(harness: Harness, number: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The review's summary message (as it is now, after updates) and the replies in its thread."""
    harness.sender.drain()
    messages = harness.fake.messages(CHANNEL)
    root = next(m for m in messages if m["text"].startswith(f"Review #{number} of"))
    return root, [m for m in messages if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]]


def block_text(message: dict[str, Any]) -> str:
    """Every text of a message's blocks, joined."""
    out = []
    for block in message.get("blocks") or []:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements") or []:
            text = element.get("text")
            out.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(out)


def state_expectations(harness: Harness, user: str, score: int = 4, note: str = "", number: int = 1) -> Any:
    """The review message's "State our expectations" button and its form."""
    before = harness.fake.views_opened
    click(harness, user, Act.REVIEW_EXPECT, {"channel": CHANNEL, "number": number})
    assert harness.fake.views_opened == before + 1, "the expectations form did not open"
    return submit(harness, user, latest_view(harness), {"score": str(score), "note": note})


def sign(harness: Harness, user: str, number: int = 1, *, reviewed: tuple[str, ...] = ("plan", "exit"),
         expectations: int | None = 4) -> str:
    """The SER `user` signs review `number` off with its button and form, confirming what they `reviewed`; their
    party states its `expectations` first when it has not (None: it does not). What they were told last."""
    before = harness.fake.views_opened
    click(harness, user, Act.REVIEW_SIGN, {"channel": CHANNEL, "number": number})
    if harness.fake.views_opened == before and expectations is not None and \
            "expectations were met" in str(ephemeral_texts(harness, user)[-1:]):
        assert state_expectations(harness, user, expectations, number=number).text == ""
        click(harness, user, Act.REVIEW_SIGN, {"channel": CHANNEL, "number": number})
    if harness.fake.views_opened > before:
        submitted = submit(harness, user, latest_view(harness), {"reviewed": list(reviewed)})
        if submitted.text:
            return str(submitted.json()["errors"])
    return (ephemeral_texts(harness, user) or [""])[-1]
