"""Issue 21, point 1: the partnership charter. An SER opens it with `/accord charter` and its "Edit charter" button,
the form names every bad field at once, a good change waits for the partner's approval, and once approved the
charter is read by the partner's people with `@accord charter`, in status and in App Home, and its behaviours are
the check-in statements."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.ids import Act
from storage.rmp import Relationship
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import agreed, click, ephemeral_texts, full_cast, latest_view, submit
from tests.scenarios.review_steps import at, block_text
from tests.scenarios.test_home_todo import _home

EDIT = f"{Act.OPEN_FORM}:charter"
MISSION = "Run the Nordic launch together: one team, one plan, no surprises."
CHARTER = {"mission": MISSION, "values": "Openness\nShared risk, shared reward",
           "behaviours": "We raise problems early\nWe keep our commitments\nWe decide jointly",
           "use_as_statements": ["statements"]}


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


@pytest.mark.postgres
def test_the_charter_is_edited_by_button_agreed_by_the_partner_and_shown_everywhere(harness: Harness) -> None:
    at(harness, "2027-01-04T12:00:00Z")
    full_cast(harness)
    empty = harness.driver.slash("UALICE", CHANNEL, "charter").json()
    assert "No charter yet" in block_text(empty)
    [edit] = [b for b in _buttons(empty) if b["action_id"] == EDIT]
    assert edit["text"]["text"] == "Edit charter"
    assert not [b for b in _buttons(harness.driver.slash("UHANK", CHANNEL, "charter").json())
                if b["action_id"] == EDIT]  # a member reads it, an SER or manager edits it

    assert click(harness, "UALICE", EDIT, json.loads(edit["value"])).status_code == 200
    form = latest_view(harness)
    bad = submit(harness, "UALICE", form, {"mission": " ", "values": "Openness\nopenness"}).json()
    assert bad["response_action"] == "errors" and set(bad["errors"]) == {"mission", "values"}
    assert submit(harness, "UALICE", form, CHARTER).text == ""
    told = ephemeral_texts(harness, "UALICE")[-1]
    assert told.startswith("Proposed as #1")
    with Session(harness.engine) as db:  # nothing changes before Southwind agrees
        assert db.exec(select(Relationship)).one().charter_mission == ""
    agreed(harness, "UALICE", harness.driver.slash("UALICE", CHANNEL, "status"))  # Bob approves with the button

    harness.driver.app_mention("UJOE", CHANNEL, "<@UACCORD> charter")  # Southwind's people need no /accord
    harness.sender.drain()
    [shown] = [e for e in harness.fake.ephemerals(CHANNEL) if e["user"] == "UJOE"][-1:]
    text = block_text(shown)
    assert MISSION in text and "• Shared risk, shared reward" in text and "• We decide jointly" in text
    assert "check-ins rate these behaviours" in text
    status = block_text(harness.driver.slash("UALICE", CHANNEL, "status").json())
    assert f":scroll: Charter: “{MISSION}” · 2 values, 3 behaviours" in status
    assert f"“{MISSION}” · 2 values, 3 behaviours" in json.dumps(_home(harness, "UCAROL"), ensure_ascii=False)
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).one().checkin_statements == [
            "We raise problems early", "We keep our commitments", "We decide jointly"]
