"""Every form checks every field at once: one submission shows all its errors together, each under its own
field, and nothing is saved (issue 20). Plus the collector the use cases read their fields with."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from bot.listeners.submissions import _errors
from commands.errors import GENERAL, FieldChecks, InputError, renamed
from commands.rmp import setup
from commands.rmp.fields import number, text
from storage.disputes import Dispute
from storage.reviews import ValueEntry
from storage.rmp import Action, Kpi, Relationship
from storage.utc import utcnow
from tests.harness import Harness
from tests.scenarios.dispute_steps import RAISE, cast
from tests.scenarios.plan_steps import (
    command_form,
    command_form_agreed,
    plan_version,
    set_up,
    set_up_with_partner,
)
from tests.scenarios.review_steps import value_form

# refused before anything is written: the statements of saving are the ones tests/scenarios/test_plan_forms.py runs
# on PostgreSQL too
pytestmark = pytest.mark.sqlite_only(
    "tests/scenarios/test_plan_forms.py::test_editing_an_item_records_before_and_after")

YESTERDAY = (utcnow() - timedelta(days=2)).date().isoformat()


def _errors_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert body["response_action"] == "errors", body
    return dict(body["errors"])


# ---- through the real app: one submission, every error ------------------------------------------------------------

def test_setup_shows_a_bad_party_name_timezone_and_ladder_together(harness: Harness) -> None:
    errors = _errors_of(set_up(harness, {"party_1": "", "timezone_1": "Mars/Olympus_Mons",
                                         "ladder": "Only one level"}))
    assert set(errors) == {"party_1", "timezone_1", "ladder"}
    assert "cannot be empty" in errors["party_1"]
    assert "Mars/Olympus_Mons" in errors["timezone_1"]
    assert "2 to 6 levels" in errors["ladder"]
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).all() == []


def test_setup_checks_across_fields_alongside_the_fields_themselves(harness: Harness) -> None:
    errors = _errors_of(set_up(harness, {"party_2": "northwind", "working_days_1": ["0", "1"],
                                         "working_days_2": ["3", "4"], "review_cadence": "now and then",
                                         "working_hours_2": "17:00-09:00"}))
    assert set(errors) == {"party_2", "working_days_2", "working_hours_2", "review_cadence"}
    assert "different names" in errors["party_2"]
    assert "share no working day" in errors["working_days_2"]
    assert "not working hours" in errors["working_hours_2"]
    with Session(harness.engine) as db:
        assert db.exec(select(Relationship)).all() == []


def test_setup_runs_a_check_across_fields_only_once_its_fields_read_fine(harness: Harness) -> None:
    errors = _errors_of(set_up(harness, {"party_1": "", "party_2": ""}))
    assert set(errors) == {"party_1", "party_2"}  # not also "the two parties need different names"
    assert all("cannot be empty" in message for message in errors.values())


def test_kpi_form_shows_a_bad_target_a_bad_red_and_an_empty_name_together(harness: Harness) -> None:
    set_up_with_partner(harness)
    before = plan_version(harness)
    errors = _errors_of(command_form(harness, "UALICE", "kpi", {
        "name": "", "unit": "%", "direction": "higher", "target": "lots", "red": "some", "owner_slot": "1",
        "reporter_slot": "1"}))
    assert set(errors) == {"name", "target", "red"}
    assert "cannot be empty" in errors["name"]
    assert "must be a number" in errors["target"] and "must be a number" in errors["red"]
    assert plan_version(harness) == before
    with Session(harness.engine) as db:
        assert db.exec(select(Kpi)).all() == []


def test_kpi_form_shows_a_taken_name_with_a_red_on_the_wrong_side(harness: Harness) -> None:
    set_up_with_partner(harness)
    assert command_form_agreed(harness, "UALICE", "kpi", {
        "name": "On-time delivery", "unit": "%", "direction": "higher", "target": "95", "red": "80",
        "owner_slot": "1", "reporter_slot": "1"}).text == ""
    before = plan_version(harness)
    errors = _errors_of(command_form(harness, "UALICE", "kpi", {
        "name": "ON-TIME DELIVERY", "unit": "%", "direction": "higher", "target": "95", "red": "99",
        "owner_slot": "1", "reporter_slot": "1"}))
    assert set(errors) == {"name", "red"}
    assert "already called On-time delivery" in errors["name"] and "red starts below" in errors["red"]
    assert plan_version(harness) == before
    with Session(harness.engine) as db:
        assert len(db.exec(select(Kpi)).all()) == 1


def test_action_form_shows_every_bad_field_together(harness: Harness) -> None:
    set_up_with_partner(harness)
    before = plan_version(harness)
    errors = _errors_of(command_form(harness, "UALICE", "action", {
        "description": "", "owner": "UDAVE", "due_on": YESTERDAY}))
    assert set(errors) == {"description", "owner", "due_on"}
    assert "cannot be empty" in errors["description"]
    assert "is not in this relationship" in errors["owner"]
    assert "is in the past" in errors["due_on"]
    assert plan_version(harness) == before
    with Session(harness.engine) as db:
        assert db.exec(select(Action)).all() == []


PLAN_FORMS: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    # (command, answers, each field with a fragment of its message)
    ("objective", {"whose": "ours", "title": "", "benefit_1": "", "benefit_2": ""},
     {"title": "cannot be empty", "benefit_1": "at least one of the parties"}),
    ("risk", {"description": "", "likelihood": "3", "impact": "4", "owner": "UDAVE", "review_on": "soon"},
     {"description": "cannot be empty", "owner": "is not in this relationship", "review_on": "must be a date"}),
    ("exit", {"kind": "trust_below", "description": "", "threshold": "7"},
     {"description": "cannot be empty", "threshold": "Trust is rated 1 to 5"}),
]


@pytest.mark.parametrize(("command", "answers", "expected"), PLAN_FORMS, ids=[f[0] for f in PLAN_FORMS])
def test_other_plan_forms_show_every_bad_field_together(harness: Harness, command: str, answers: dict[str, Any],
                                                       expected: dict[str, str]) -> None:
    set_up_with_partner(harness)
    before = plan_version(harness)
    errors = _errors_of(command_form(harness, "UALICE", command, answers))
    assert set(errors) == set(expected)
    assert all(fragment in errors[field] for field, fragment in expected.items()), errors
    assert plan_version(harness) == before


def test_dispute_form_shows_every_bad_field_together(harness: Harness) -> None:
    cast(harness)
    errors = _errors_of(command_form(harness, "UHANK", "dispute", {**RAISE, "title": " ", "description": "",
                                                                   "raising_slot": "2"}))
    assert set(errors) == {"title", "description", "raising_slot"}
    assert "cannot be empty" in errors["title"] and "cannot be empty" in errors["description"]
    assert "your own party only" in errors["raising_slot"]
    with Session(harness.engine) as db:
        assert db.exec(select(Dispute)).all() == []


def test_checkin_settings_form_shows_every_bad_field_together(harness: Harness) -> None:
    set_up_with_partner(harness)
    before = plan_version(harness)
    errors = _errors_of(command_form(harness, "UALICE", "checkin settings", {
        "statements": "", "scale": "99", "gap_threshold": "9", "min_respondents": "1"}))
    assert set(errors) == {"statements", "scale", "gap_threshold", "min_respondents"}
    assert "from 3 people at least" in errors["min_respondents"]
    assert plan_version(harness) == before


def test_value_form_shows_every_bad_field_together(harness: Harness) -> None:
    set_up_with_partner(harness)
    errors = _errors_of(value_form(harness, "UALICE", {"party_slot": "1", "kind": "cost", "amount": "-5",
                                                       "on": "2099-01-01"}))
    assert set(errors) == {"amount", "on"}
    assert "positive number" in errors["amount"] and "in the future" in errors["on"]
    with Session(harness.engine) as db:
        assert db.exec(select(ValueEntry)).all() == []


def test_a_valid_form_after_the_errors_is_saved(harness: Harness) -> None:
    set_up_with_partner(harness)
    assert set(_errors_of(command_form(harness, "UALICE", "kpi", {
        "name": "", "direction": "higher", "target": "x", "red": "y", "owner_slot": "1",
        "reporter_slot": "1"}))) == {"name", "target", "red"}
    assert command_form_agreed(harness, "UALICE", "kpi", {
        "name": "Invoice accuracy", "unit": "%", "direction": "higher", "target": "98", "red": "90",
        "owner_slot": "1", "reporter_slot": "1"}).text == ""
    with Session(harness.engine) as db:
        assert [kpi.name for kpi in db.exec(select(Kpi))] == ["Invoice accuracy"]


# ---- the listener's answer: each error under its own input block --------------------------------------------------

VIEW: dict[str, Any] = {"blocks": [{"type": "section", "block_id": "intro"},
                                   {"type": "input", "block_id": "title"},
                                   {"type": "input", "block_id": "due_on"}]}


def test_each_error_goes_under_its_own_input_block() -> None:
    answer = _errors(VIEW, {"title": "Title?", "due_on": "Date?"})
    assert answer == {"response_action": "errors", "errors": {"title": "Title?", "due_on": "Date?"}}


def test_errors_for_no_field_or_a_field_not_on_the_form_join_the_first_input_block() -> None:
    answer = _errors(VIEW, {"due_on": "Date?", "title": "Title?", "number": "No #9.", GENERAL: "Try again."})
    assert answer["errors"] == {"due_on": "Date?", "title": "Title? No #9. Try again."}
    assert _errors(VIEW, {"intro": "x" * 400})["errors"] == {"title": "x" * 300}  # a section shows no error


# ---- the collector and InputError ---------------------------------------------------------------------------------

def test_a_single_field_error_is_the_one_entry_case() -> None:
    error = InputError("Bad date.", field="due_on")
    assert (error.errors, error.field, error.message, str(error)) == ({"due_on": "Bad date."}, "due_on",
                                                                      "Bad date.", "Bad date.")
    general = InputError("Usage: …")
    assert (general.errors, general.field, general.message) == ({GENERAL: "Usage: …"}, None, "Usage: …")


def test_an_error_with_several_fields_names_the_first_and_says_them_all() -> None:
    error = InputError(errors={"name": "Name?", "red": "Red?"})
    assert error.field == "name" and error.message == "Name?\nRed?"


def test_field_checks_read_every_field_and_raise_them_together() -> None:
    checks = FieldChecks()
    name = checks.read(text, "", field="name", label="The name", limit=10)
    target = checks.read(number, "12", field="target", label="The target")
    red = checks.read(number, "lots", field="red", label="The red")
    assert (name, target, red) == (None, 12.0, None)
    assert checks.fine("target") and not checks.fine("target", "red")
    checks.add("red", "A second problem with red is not shown.")
    checks.add("unit", "Unit?")
    with pytest.raises(InputError) as raised:
        checks.raise_if_any()
    assert raised.value.errors == {"name": "The name cannot be empty.", "red": "The red must be a number.",
                                   "unit": "Unit?"}


def test_field_checks_without_problems_raise_nothing() -> None:
    checks = FieldChecks()
    assert checks.read(lambda: "fine") == "fine"
    checks.raise_if_any()


def test_field_checks_keep_every_field_of_an_error_with_several() -> None:
    checks = FieldChecks()
    checks.add("a", "first")

    def several() -> None:
        raise InputError(errors={"a": "second", "b": "B?"})

    assert checks.read(several) is None
    assert checks.errors == {"a": "first", "b": "B?"}


def test_renamed_fields_keep_the_first_message_of_two_alike() -> None:
    error = renamed(InputError(errors={"hours_1": "One.", "hours_2": "Two.", GENERAL: "All."}),
                    lambda name: name.rsplit("_", 1)[0])
    assert error.errors == {"hours": "One.", GENERAL: "All."}


def test_setup_without_party_calendars_names_the_shared_fields_once() -> None:
    form = setup.SetupInput(name="", party_1="North", party_2="North", timezone="Nowhere/Land",
                            working_hours="late", ladder="One")
    with pytest.raises(InputError) as raised:
        setup._validated(form, editing=None)
    assert set(raised.value.errors) == {"name", "party_2", "timezone", "working_hours", "ladder"}
