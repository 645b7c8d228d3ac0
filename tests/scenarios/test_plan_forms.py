"""Each plan form: a valid submission is saved and recorded; an invalid one is shown inline and
nothing is saved."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from storage.rmp import Action, Change, ExitTrigger, Kpi, Objective, Relationship, Risk
from storage.utc import parse_instant, utcnow
from tests.harness import CHANNEL, Harness
from tests.scenarios.plan_steps import (
    command_form,
    command_form_agreed,
    ephemeral_texts,
    join,
    plan_version,
    set_up,
    set_up_with_partner,
)

TOMORROW = (utcnow() + timedelta(days=2)).date().isoformat()
YESTERDAY = (utcnow() - timedelta(days=2)).date().isoformat()


def _kpi(harness: Harness) -> None:
    response = command_form_agreed(harness, "UALICE", "kpi", {
        "name": "On-time delivery", "unit": "%", "direction": "higher", "target": "95", "red": "80",
        "owner_slot": "2", "reporter_slot": "2"})
    assert response.text == ""


FORMS: list[tuple[str, dict[str, Any], dict[str, Any], str, str, type]] = [
    # (command, valid answers, invalid answers, field shown in error, message fragment, table)
    ("objective", {"whose": "ours", "title": "Cut lead time together", "benefit_1": "Lower stock",
                   "benefit_2": "More orders"},
     {"whose": "1", "title": "", "benefit_1": "x"}, "title", "cannot be empty", Objective),
    ("kpi", {"name": "Invoice accuracy", "unit": "%", "direction": "higher", "target": "98", "red": "90",
             "owner_slot": "1", "reporter_slot": "2"},
     {"name": "Bad", "direction": "higher", "target": "98", "red": "98", "owner_slot": "1",
      "reporter_slot": "1"}, "red", "red starts below the target", Kpi),
    ("kpi", {"name": "Defects", "unit": "ppm", "direction": "lower", "target": "50", "red": "120",
             "owner_slot": "2", "reporter_slot": "2"},
     {"name": "Defects", "direction": "lower", "target": "50", "red": "40", "owner_slot": "2",
      "reporter_slot": "2"}, "red", "red starts above the target", Kpi),
    ("risk", {"description": "Key supplier staff leave", "likelihood": "3", "impact": "4", "owner": "UBOB",
              "mitigation": "Cross-train", "status": "open"},
     {"description": "Unknown owner", "likelihood": "3", "impact": "4", "owner": "UDAVE"}, "owner",
     "is not in this relationship", Risk),
    ("action", {"description": "Send the revised SOW", "owner": "UBOB", "due_on": TOMORROW},
     {"description": "Too late", "owner": "UBOB", "due_on": YESTERDAY}, "due_on", "is in the past", Action),
    ("exit", {"kind": "date", "description": "Contract end", "on_date": TOMORROW, "status": "clear"},
     {"kind": "trust_below", "description": "Trust collapses", "threshold": "7"}, "threshold",
     "Trust is rated 1 to 5", ExitTrigger),
]


@pytest.mark.sqlite_only("test_editing_an_item_records_before_and_after")
@pytest.mark.parametrize(("command", "valid", "invalid", "field", "message", "table"), FORMS,
                         ids=[f"{f[0]}-{i}" for i, f in enumerate(FORMS)])
def test_form_valid_then_invalid(harness: Harness, command: str, valid: dict[str, Any], invalid: dict[str, Any],
                                 field: str, message: str, table: type) -> None:
    set_up_with_partner(harness)
    before = plan_version(harness)
    bad = command_form(harness, "UALICE", command, invalid).json()
    assert bad["response_action"] == "errors"
    assert list(bad["errors"]) == [field] and message in bad["errors"][field]
    assert plan_version(harness) == before
    with Session(harness.engine) as db:
        assert db.exec(select(table)).all() == []

    good = command_form_agreed(harness, "UALICE", command, valid)  # Bob approves what is not Northwind's alone
    assert good.status_code == 200 and good.text == ""
    assert plan_version(harness) > before
    entity = {"exit": "exit_trigger"}.get(command, command)
    with Session(harness.engine) as db:
        [item] = db.exec(select(table)).all()
        change = db.exec(select(Change).where(Change.entity == entity)
                         .order_by(Change.version.desc())).first()  # type: ignore[attr-defined]
    assert item.number == 1
    assert change.verb == "create"
    assert change.user_id == "UALICE" and change.party == "Northwind" and change.before is None
    confirmations = ephemeral_texts(harness, "UALICE")
    assert any(text.startswith("Saved") and "#1" in text or text.startswith("Proposed as #")
               for text in confirmations)


def test_setup_form_rejects_a_bad_timezone_a_bad_ladder_and_same_names(harness: Harness) -> None:
    for answers, field, message in [
        ({"timezone": "Mars/Olympus"}, "timezone", "not a timezone"),
        ({"ladder": "Only one level"}, "ladder", "2 to 6 levels"),
        ({"ladder": "A\nB | 5"}, "ladder", "needs a timer"),
        ({"party_2": "northwind"}, "party_2", "different names"),
        ({"checkin_cadence": "whenever"}, "checkin_cadence", "could not read the cadence"),
        ({"holidays_1": "25/12/2026"}, "holidays_1", "is not a date"),
        ({"working_days_2": []}, "working_days_2", "at least one working day"),
        ({"working_days_1": ["0", "1"], "working_days_2": ["3", "4"]}, "working_days_2", "share no working day"),
        ({"working_hours_1": "18:00-09:00"}, "working_hours_1", "is not working hours"),
        ({"holiday_region_2": "ZZ"}, "holiday_region_2", "is not a country"),
        ({"timezone_2": "Mars/Olympus"}, "timezone_2", "not a timezone"),
    ]:
        body = set_up(harness, answers).json()
        assert body["response_action"] == "errors" and message in body["errors"][field], (answers, body)
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).all() == []


@pytest.mark.postgres
def test_editing_an_item_records_before_and_after(harness: Harness) -> None:
    set_up_with_partner(harness)
    _kpi(harness)
    response = command_form_agreed(harness, "UALICE", "kpi edit 1", {"target": "97"})
    assert response.text == ""
    with Session(harness.engine) as db:
        kpi = db.exec(select(Kpi)).one()
        change = db.exec(select(Change).where(Change.entity == "kpi")
                         .order_by(Change.version.desc())).first()  # type: ignore[attr-defined]
    assert (kpi.target, kpi.amber, kpi.red) == (97, 97, 80)  # amber starts at the target
    assert change.verb == "update" and change.before == {"target": 95.0, "amber": 95.0}
    assert change.after == {"target": 97.0, "amber": 97.0}
    assert "There is no KPI #9" in harness.driver.slash("UALICE", CHANNEL, "kpi edit 9").json()["text"]


def test_cannot_complete_tells_the_partners_managers(harness: Harness) -> None:
    harness.clock.now = parse_instant("2026-11-25T15:00:00Z")  # a Wednesday, in everyone's working hours
    set_up_with_partner(harness)
    join(harness, "UCAROL")
    command_form(harness, "UALICE", "action", {"description": "Ship the pilot kit", "owner": "UALICE",
                                               "due_on": TOMORROW})
    bad = command_form(harness, "UALICE", "action cannot 1", {"reason": ""}).json()
    assert bad["response_action"] == "errors" and "reason" in bad["errors"]
    good = command_form(harness, "UALICE", "action cannot 1", {"reason": "Customs hold at the border"})
    assert good.text == ""
    harness.sender.drain()
    [notice] = [m for m in harness.fake.messages(CHANNEL) if "cannot be completed" in m["text"]]
    assert "<@UBOB>" in str(notice["blocks"]) and "<@UCAROL>" not in str(notice["blocks"])  # Carol is a member
    assert "Customs hold at the border" in notice["text"]
    with Session(harness.engine) as db:
        action = db.exec(select(Action)).one()
    assert action.status == "cannot_complete" and action.reason == "Customs hold at the border"
    again = harness.driver.slash("UALICE", CHANNEL, "action done 1").json()
    assert "already cannot complete" in again["text"]
