"""Issue 18, point 3: the App Home is each person's to-do list (the check-in they have not answered, their
actions, the disputes they hold at the current level, reviews awaiting their sign-off, proposals awaiting their
party's decision), each with buttons that act from the Home itself, and the relationship at a glance below."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import tick
from tests.scenarios.dispute_steps import raise_by_slash
from tests.scenarios.plan_steps import command_form, command_form_agreed, join, set_up, submit

TEAMS = {"UALICE": "T0HOME", "UERIN": "T0HOME", "UHANK": "T0HOME", "UBOB": "T0PARTNER", "UCAROL": "T0PARTNER",
         "UJOE": "T0PARTNER"}


def _home(harness: Harness, user: str) -> dict[str, Any]:
    event = {"type": "event_callback", "team_id": TEAMS[user], "api_app_id": "AACCORD",
             "event_id": f"EvHOME{time.monotonic_ns()}", "event_time": int(time.time()),
             "event": {"type": "app_home_opened", "user": user, "channel": f"D0{user}", "tab": "home",
                       "event_ts": f"{time.time():.6f}"}}
    assert harness.driver.send(json.dumps(event), "application/json").status_code == 200
    harness.sender.drain()
    return harness.fake.home_views[user]


def _todo(view: dict[str, Any]) -> list[str]:
    """The to-do lines of the Home, in order: the sections between the To-do header and the status's header."""
    lines, inside = [], False
    for block in view["blocks"]:
        if block["type"] == "header":
            inside = block["text"]["text"].startswith("To do")
            continue
        if inside and block["type"] == "section":
            lines.append(block["text"]["text"])
    return lines


def _press(harness: Harness, user: str, view: dict[str, Any], label: str, item: str) -> None:
    """Click, on the Home tab itself, the button `label` of the to-do line containing `item`."""
    blocks = view["blocks"]
    for i, block in enumerate(blocks):
        if block["type"] == "section" and item in block["text"]["text"]:
            [found] = [e for e in blocks[i + 1]["elements"] if e["text"]["text"] == label]
            response = harness.driver.block_action(user, CHANNEL, found["action_id"], value=found["value"],
                                                   view={**view, "id": f"V0HOME{user}"},
                                                   installation=TEAMS[user])
            assert response.status_code == 200
            harness.sender.drain()
            return
    raise AssertionError(f"no to-do line with {item!r}: {_todo(view)}")


def _partnership(harness: Harness) -> None:
    """Northwind: Alice SER, Erin manager, Hank member; Southwind: Bob SER, Carol manager, Joe member. Joe owns
    action #1 (due Wednesday 10 March); Hank raises dispute #1 (L1: held by the members, Hank and Joe); Alice
    proposes a joint objective (Southwind decides); round 1 opens on Monday 8 March; Alice holds review #1."""
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    for user in ("UERIN", "UHANK", "UBOB", "UCAROL", "UJOE"):
        join(harness, user)
    for actor, text in [("UALICE", "role <@UALICE> ser"), ("UALICE", "role <@UERIN> manager"),
                        ("UBOB", "role <@UBOB> ser"), ("UBOB", "role <@UCAROL> manager")]:
        assert "is now" in harness.driver.slash(actor, CHANNEL, text).json()["text"]
    command_form_agreed(harness, "UCAROL", "action", {"description": "Send the recovery plan", "owner": "UJOE",
                                                     "due_on": "2027-03-10"})
    raise_by_slash(harness)
    assert command_form(harness, "UALICE", "objective", {"whose": "ours", "title": "Zero late loads",
                                                          "benefit_1": "Fewer claims"}).text == ""
    tick(harness, "2027-03-08T15:00:00Z")
    harness.clock.now = parse_instant("2027-03-08T15:00:00Z")
    assert "Review #1" in harness.driver.slash("UALICE", CHANNEL, "review now").text
    harness.sender.drain()


@pytest.mark.postgres
def test_each_persons_home_lists_what_waits_on_them_with_the_relationship_below(harness: Harness) -> None:
    _partnership(harness)
    joe, bob, alice, erin = (_todo(_home(harness, u)) for u in ("UJOE", "UBOB", "UALICE", "UERIN"))
    assert [line.split("*")[1] for line in joe] == ["Check-in round 1", "Action #1", "Dispute #1"]
    assert "Send the recovery plan · due Wed 10 Mar" in joe[1]
    assert "Late deliveries: you hold it · escalates Wed 10 Mar 12:00 · L1 Working level · 2 working days left" \
        in joe[2]
    # Bob is Southwind's SER: the round, the review to sign off, the proposal his party decides; not the L1 dispute
    assert [line.split("*")[1] for line in bob] == ["Check-in round 1", "Expectations for review #1", "Review #1",
                                                    "Proposal #1: a new joint objective"]
    assert [line.split("*")[1] for line in alice] == ["Check-in round 1", "Expectations for review #1",
                                                      "Review #1"]  # her party proposed it
    # a manager signs no review off, but may state the party's expectations
    assert [line.split("*")[1] for line in erin] == ["Check-in round 1", "Expectations for review #1"]
    home = json.dumps(_home(harness, "UJOE")["blocks"], ensure_ascii=False)
    assert home.index("To do · ") < home.index("*KPIs*") < home.index("*Disputes*")  # the glance comes below


@pytest.mark.postgres
def test_the_homes_buttons_act_and_the_list_empties(harness: Harness) -> None:
    _partnership(harness)
    joe = _home(harness, "UJOE")
    _press(harness, "UJOE", joe, "Done", "Action #1")
    # the click redraws the Home at once: the action has left the list without the tab being opened again
    assert [line.split("*")[1] for line in _todo(harness.fake.home_views["UJOE"])] == ["Check-in round 1",
                                                                                      "Dispute #1"]
    bob = _home(harness, "UBOB")
    _press(harness, "UBOB", bob, "Approve", "Proposal #1")
    _press(harness, "UBOB", bob, "State our expectations", "Expectations for review #1")
    assert submit(harness, "UBOB", harness.fake.last_view(), {"score": "4"}).text == ""
    _press(harness, "UBOB", bob, "Sign off", "Review #1")
    assert submit(harness, "UBOB", harness.fake.last_view(), {"reviewed": ["plan"]}).text == ""
    harness.sender.drain()  # the form opened from the Home draws it again
    assert [line.split("*")[1] for line in _todo(harness.fake.home_views["UBOB"])] == ["Check-in round 1"]
    assert _todo(_home(harness, "UBOB")) == _todo(harness.fake.home_views["UBOB"])
    texts = [m["text"] for m in harness.fake.ephemerals(CHANNEL) if m["user"] == "UBOB"]
    assert any(t.startswith("You approved") for t in texts) and any("signed review #1 off" in t for t in texts)
    _press(harness, "UJOE", _home(harness, "UJOE"), "Answer", "Check-in round 1")
    assert harness.fake.last_view()["title"]["text"].startswith("Check-in")  # the answer form opened from Home
