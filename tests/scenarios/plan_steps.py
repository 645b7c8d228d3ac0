"""Steps of plan scenarios, each a signed request as Slack would send it."""

from __future__ import annotations

import json
from typing import Any

import httpx

from bot.fakeslack.forms import fill
from bot.ids import Act
from tests.harness import CHANNEL, Harness

SETUP = {
    "name": "Northwind–Southwind alliance", "party_1": "Northwind", "party_2": "Southwind", "mode": "connect",
    "timezone": "Europe/London", "working_days": ["0", "1", "2", "3", "4"], "holidays": "2026-12-25\n2026-12-28",
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


def ephemeral_texts(harness: Harness, user: str, channel: str = CHANNEL) -> list[str]:
    """What `user` was told privately (after the outbox has run)."""
    harness.sender.drain()
    return [e["text"] for e in harness.fake.ephemerals(channel) if e["user"] == user]


def set_up(harness: Harness, answers: dict[str, Any] | None = None, channel: str = CHANNEL) -> httpx.Response:
    """Alice (Northwind) sets up the channel's relationship."""
    return command_form(harness, "UALICE", "setup", {**SETUP, **(answers or {})}, channel=channel)


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
