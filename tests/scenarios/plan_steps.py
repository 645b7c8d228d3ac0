"""Steps of plan scenarios, each a signed request as Slack would send it."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlmodel import Session, select

from bot.fakeslack.modal_filling import fill
from bot.ids import Act, ProposalAct
from storage.rmp import Relationship
from tests.harness import CHANNEL, HOME_PEOPLE, Harness

CALENDAR = {"timezone": "Europe/London", "working_days": ["0", "1", "2", "3", "4"], "working_hours": "09:00-17:30",
            "holidays": "2026-12-25\n2026-12-28", "holiday_region": ""}
SETUP = {
    "name": "Northwind–Southwind alliance", "party_1": "Northwind", "party_2": "Southwind", "mode": "connect",
    "timezone": "Europe/London", **{f"{key}_{slot}": value for slot in (1, 2) for key, value in CALENDAR.items()},
    "checkin_cadence": "every 2 weeks on monday at 09:30",
    "review_cadence": "quarterly on the first working day at 10:00",
    "ladder": "Working level | 5\nRelationship managers | 10\nSERs | 15\nMediation",
}


def latest_view(harness: Harness) -> dict[str, Any]:
    """The modal Accord opened last."""
    view = harness.fake.last_view()
    assert view, "no modal was opened"
    return view


def submit(harness: Harness, user: str, view: dict[str, Any], answers: dict[str, Any]) -> httpx.Response:
    """Submit `view` as `user` with `answers` (others keep their initial values)."""
    return harness.driver.view_submission(user, view, fill(view, answers))


def command_form(harness: Harness, user: str, text: str, answers: dict[str, Any],
                 channel: str = CHANNEL) -> httpx.Response:
    """`/accord <text>` opens a modal, which `user` submits with `answers`."""
    before = harness.fake.views_opened
    ack = harness.driver.slash(user, channel, text)
    assert ack.status_code == 200
    assert harness.fake.views_opened == before + 1, f"no modal opened: {ack.text}"
    return submit(harness, user, latest_view(harness), answers)


def click(harness: Harness, user: str, action_id: str, value: dict[str, Any], channel: str = CHANNEL,
          message_ts: str | None = None) -> httpx.Response:
    """Click one of Accord's buttons."""
    return harness.driver.block_action(user, channel, action_id, value=json.dumps(value), message_ts=message_ts)


def agreed(harness: Harness, proposer: str, response: httpx.Response) -> httpx.Response:
    """After `proposer` submitted a form: if the change waits as a proposal, the other party's SER approves it
    at once with the button on its message (Bob for Northwind's proposals, Alice for Southwind's)."""
    told = ephemeral_texts(harness, proposer)
    proposal = re.match(r"Proposed as #(\d+)", told[-1]) if told else None
    if proposal:
        approver = "UBOB" if proposer in HOME_PEOPLE else "UALICE"
        click(harness, approver, ProposalAct.APPROVE, {"channel": CHANNEL, "number": int(proposal[1])})
        assert ephemeral_texts(harness, approver)[-1].startswith("You approved"), ephemeral_texts(harness, approver)
    return response


def command_form_agreed(harness: Harness, user: str, text: str, answers: dict[str, Any]) -> httpx.Response:
    """`command_form`, the change approved by the other party if it waits as a proposal."""
    return agreed(harness, user, command_form(harness, user, text, answers))


def ephemeral_texts(harness: Harness, user: str, channel: str = CHANNEL) -> list[str]:
    """What `user` was told privately (after the outbox has run)."""
    harness.sender.drain()
    return [e["text"] for e in harness.fake.ephemerals(channel) if e["user"] == user]


def set_up(harness: Harness, answers: dict[str, Any] | None = None, channel: str = CHANNEL,
           user: str = "UALICE") -> httpx.Response:
    """Alice (Northwind) sets up the channel's relationship, or edits it (the form then offers no `mode`)."""
    before = harness.fake.views_opened
    ack = harness.driver.slash(user, channel, "setup")
    assert ack.status_code == 200 and harness.fake.views_opened == before + 1, f"no modal opened: {ack.text}"
    view = latest_view(harness)
    fields = {block.get("block_id") for block in view["blocks"]}
    wanted = {**{k: v for k, v in SETUP.items() if k in fields}, **(answers or {})}
    return submit(harness, user, view, wanted)


def join(harness: Harness, user: str, channel: str = CHANNEL) -> None:
    """`user` clicks Join on the welcome message."""
    assert click(harness, user, Act.JOIN, {"channel": channel}, channel=channel).status_code == 200


def full_cast(harness: Harness) -> None:
    """Both parties with every role: Northwind ALICE ser, ERIN manager, HANK member, IVY observer;
    Southwind BOB ser, CAROL manager, JOE member, KIM observer. LEO (Northwind) never joins."""
    assert set_up(harness).status_code == 200
    for user in ("UERIN", "UHANK", "UIVY", "UBOB", "UCAROL", "UJOE", "UKIM"):
        join(harness, user)
    for actor, target, role in [("UALICE", "UALICE", "ser"), ("UALICE", "UERIN", "manager"),
                                ("UALICE", "UIVY", "observer"), ("UBOB", "UBOB", "ser"),
                                ("UBOB", "UCAROL", "manager"), ("UBOB", "UKIM", "observer")]:
        body = harness.driver.slash(actor, CHANNEL, f"role <@{target}> {role}").json()
        assert "is now" in body["text"], body


def plan_version(harness: Harness) -> int:
    """The relationship's plan version."""
    with Session(harness.engine) as db:
        return db.exec(select(Relationship)).one().version


def set_up_with_partner(harness: Harness) -> None:
    """Set the relationship up as Alice and have Bob join for the partner."""
    assert set_up(harness).status_code == 200
    join(harness, "UBOB")
