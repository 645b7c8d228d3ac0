"""Steps of dispute scenarios."""

from __future__ import annotations

import json
from typing import Any

from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import click, command_form, join, latest_view, set_up, submit

RAISE = {"title": "Late deliveries", "description": "Three deliveries late in a row", "severity": "high",
         "desired_outcome": "A recovery plan"}


def cast(harness: Harness) -> None:
    """Northwind: Alice SER, Erin manager, Hank member. Southwind: Bob SER, Carol manager, Joe member.
    The calendar: Monday to Friday, with Monday 8 March 2027 a holiday. Today: Wednesday 3 March, 12:00."""
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"holidays_1": "2027-03-08", "holidays_2": "2027-03-08"}).status_code == 200
    for user in ("UERIN", "UHANK", "UBOB", "UCAROL", "UJOE"):
        join(harness, user)
    for actor, text in [("UALICE", "role <@UALICE> ser"), ("UALICE", "role <@UERIN> manager"),
                        ("UBOB", "role <@UBOB> ser"), ("UBOB", "role <@UCAROL> manager")]:
        assert "is now" in harness.driver.slash(actor, CHANNEL, text).json()["text"]


def thread(harness: Harness, number: int = 1) -> tuple[dict[str, Any], list[str]]:
    """The dispute's root message and the texts of the replies in its thread."""
    harness.sender.drain()
    messages = harness.fake.messages(CHANNEL)
    root = next(m for m in messages if m["text"].startswith(f"Dispute #{number}:"))
    replies = [m["text"] for m in messages if m.get("thread_ts") == root["ts"] and m["ts"] != root["ts"]]
    return root, replies


def press(harness: Harness, user: str, action_id: str, number: int = 1, answer: dict[str, Any] | None = None,
          at: str | None = None) -> str:
    """Click a dispute button as `user`; fill its one-field form with `answer` if it opens one.
    Returns what happened: "" when done, the form's error, or what the user was told."""
    if at:
        harness.clock.now = parse_instant(at)
    harness.sender.drain()
    already = len([e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == user])
    before = harness.fake.views_opened
    click(harness, user, action_id, {"channel": CHANNEL, "number": number})
    if harness.fake.views_opened > before:
        response = submit(harness, user, latest_view(harness), answer or {})
        return response.text and json.dumps(response.json()["errors"])
    harness.sender.drain()
    told = [e["text"] for e in harness.fake.ephemerals(CHANNEL) if e["user"] == user][already:]
    return " | ".join(told)


def raise_by_slash(harness: Harness, user: str = "UHANK") -> None:
    """`/accord dispute` and the form."""
    assert command_form(harness, user, "dispute", RAISE).text == ""


__all__ = ["RAISE", "cast", "join", "press", "raise_by_slash", "thread"]
