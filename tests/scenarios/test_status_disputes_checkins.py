"""Issue 18: `/accord status` and the App Home show the open disputes (level, who holds each there, the time left
before it escalates) and the latest check-in round (its counts while open; once closed, the figures its close
published, a party under the anonymity threshold withheld)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.ids import DisputeAct
from storage.utc import parse_instant
from tests.harness import CHANNEL, Harness
from tests.scenarios.checkin_steps import answer, round_messages, tick
from tests.scenarios.dispute_steps import cast, press, raise_by_slash
from tests.scenarios.plan_steps import join, set_up

NORTH = ("UALICE", "UERIN", "UHANK")
SOUTH = ("UBOB", "UCAROL", "UJOE")
L1 = ("*#1 Late deliveries* · L1 of 4 Working level · held by Northwind: <@UHANK> · Southwind: <@UJOE> · "
      "5 working days left, escalates Thu 11 Mar 12:00 (Europe/London)")


def _status(harness: Harness, user: str, rest: str = "") -> str:
    body = harness.driver.slash(user, CHANNEL, f"status {rest}".strip()).json()
    return json.dumps(body.get("blocks", body.get("text")), ensure_ascii=False)


def _home(harness: Harness, user: str, team: str, event_id: str) -> str:
    event = {"type": "event_callback", "team_id": team, "api_app_id": "AACCORD", "event_id": event_id,
             "event_time": int(time.time()),
             "event": {"type": "app_home_opened", "user": user, "channel": f"D0{user}", "tab": "home",
                       "event_ts": f"{time.time():.6f}"}}
    assert harness.driver.send(json.dumps(event), "application/json").status_code == 200
    harness.sender.drain()
    return json.dumps(harness.fake.home_views[user]["blocks"], ensure_ascii=False)


@pytest.mark.postgres
def test_status_and_app_home_list_the_open_dispute_with_level_holders_and_time_left(harness: Harness) -> None:
    cast(harness)  # Wednesday 3 March 2027, 12:00 London
    assert "No open disputes" in _status(harness, "UCAROL")
    raise_by_slash(harness)  # Hank (Northwind) raises dispute #1 at L1: 5 working days, due Thu 11 March 12:00
    assert "No open disputes" not in _status(harness, "UCAROL")
    # each side sees the same line: the holders at L1 are each party's members, mentioned (notifying nobody here)
    assert L1 in _status(harness, "UCAROL") and L1 in _status(harness, "UALICE")
    assert L1 in _home(harness, "UJOE", "T0PARTNER", "EvHOME1") and L1 in _home(harness, "UERIN", "T0HOME", "EvHOME2")

    # a status posted to the channel names the holders instead of mentioning (and so notifying) them
    harness.sender.drain()  # users.info has told Accord everyone's name
    assert _status(harness, "UALICE", "public") == '"Posted the status to the channel."'
    harness.sender.drain()
    [posted] = [m for m in harness.fake.messages(CHANNEL) if m["text"].endswith(": status")]
    shown = json.dumps(posted["blocks"], ensure_ascii=False)
    assert "held by Northwind: hank · Southwind: joe" in shown and "<@U" not in shown

    # a day on, escalated by hand to L2: managers hold it, with the new level's whole time left
    assert press(harness, "UBOB", DisputeAct.ESCALATE, answer={"reason": "No progress"},
                 at="2027-03-04T12:00:00Z") == ""
    mine = _status(harness, "UBOB")
    assert ("L2 of 4 Relationship managers · held by Northwind: <@UERIN> · Southwind: <@UCAROL> · "
            "10 working days left, escalates") in mine
    assert L1 not in mine
    # paused by an SER: no clock runs, so no time left is shown
    assert press(harness, "UALICE", DisputeAct.PAUSE, answer={"reason": "Talks under way"}) == ""
    paused = _status(harness, "UJOE")
    assert "L2 of 4 Relationship managers · held by Northwind: <@UERIN> · Southwind: <@UCAROL> · " \
           ":pause_button: paused" in paused and "working days left" not in paused


def _round(harness: Harness) -> None:
    """Round 1 (Monday 8 March): all of Northwind answers, only Bob of Southwind (under the threshold of 3)."""
    harness.clock.now = parse_instant("2027-03-03T12:00:00Z")
    assert set_up(harness, {"checkin_cadence": "weekly on monday at 09:30"}).status_code == 200
    for user in (*NORTH[1:], *SOUTH):
        join(harness, user)
    assert "No check-in round yet" in _status(harness, "UBOB")
    tick(harness, "2027-03-08T15:00:00Z")
    harness.clock.now = parse_instant("2027-03-08T15:00:00Z")
    opened = _status(harness, "UBOB")
    assert "Answered so far: Northwind 0 of 3 · Southwind 0 of 3" in opened and "No figures yet" in opened
    for user, ratings in [("UALICE", [4, 4, 4, 4, 4, 4]), ("UERIN", [5, 4, 5, 4, 4, 5]), ("UHANK", [3, 4, 4, 4, 4, 4]),
                          ("UBOB", [1, 1, 1, 1, 1, 1])]:
        assert answer(harness, user, "2027-03-09T10:00:00Z", ratings).text == ""


def _figures(harness: Harness) -> list[str]:
    """The statement lines of round 1's summary as the channel shows them."""
    [root] = round_messages(harness, 1)
    blocks: list[dict[str, Any]] = root["blocks"]
    text = "\n".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    return [line for line in text.split("\n") if ": " in line and "/ " in line and not line.startswith("*")]


@pytest.mark.postgres
def test_status_shows_the_latest_rounds_counts_then_its_published_figures_only(harness: Harness) -> None:
    _round(harness)
    # while the round is open: answered counts per party, as its message shows them, and no figure
    during = _status(harness, "UALICE")
    assert "Answered so far: Northwind 3 of 3 · Southwind 1 of 3" in during and "No figures yet" in during
    assert "4.33" not in during and "1.00" not in during

    tick(harness, "2027-03-11T14:31:00Z")  # the window closes: the summary is published
    harness.clock.now = parse_instant("2027-03-11T15:00:00Z")
    published = _figures(harness)
    assert "Communication is open and timely: 4.0 / –" in published
    for user in ("UALICE", "UCAROL"):  # either side sees the same published figures
        shown = _status(harness, user)
        assert "Latest check-in*: round 1, closed" in shown
        assert "Participation*: Northwind 3 of 3 · Southwind 1 of 3" in shown
        assert all(line in shown for line in published)  # the figures the round's close published, as published
        # Southwind's one answer is under the threshold: its scores are withheld, no figure of it appears
        assert "Southwind's scores are withheld this round" in shown and "/ 1.0" not in shown
    home = _home(harness, "UCAROL", "T0PARTNER", "EvHOME3")
    assert all(line in home for line in published) and "/ 1.0" not in home and "No figures yet" not in home

    # round 2 opens (Monday 15 March): its counts, and round 1's figures stand until it closes
    tick(harness, "2027-03-15T15:00:00Z")
    harness.clock.now = parse_instant("2027-03-15T15:00:00Z")
    shown = _status(harness, "UBOB")
    assert "Latest check-in*: round 2, open until" in shown and "Answered so far: Northwind 0 of 3" in shown
    assert "Last closed check-in*: round 1, closed" in shown and all(line in shown for line in published)
    assert "No figures yet" not in shown and "/ 1.0" not in shown
