"""`accord import`: read a file written by `accord export`, check all of it, then recreate the plan.

Nothing is written until the whole document has been read and found consistent; the errors name
the line (a syntax error) or the field (`kpis[1].target: expected a number, got 'abc'`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, select

from commands.checkins import rounds
from commands.disputes import transfer
from commands.errors import InputError
from commands.reviews import runs
from commands.reviews import transfer as review_transfer
from commands.rmp import actions, chasing, exits, service_levels
from commands.rmp.export import FORMAT_VERSION, ITEM_TABLES, SECTIONS, WEEKDAYS, PlanFileError, shift_levels, shown
from commands.rmp.kpis import threshold_problem
from commands.rmp.plan_fields import problem
from commands.rmp.plan_file import READERS, PlanFile, plan_error
from storage.rmp import Change, Kpi, KpiValue, Party, Person, Relationship
from storage.utc import utcnow

__all__ = ["READERS", "import_plan", "read_plan"]

TRIGGER_NEEDS = {"kpi_red": ("kpi_number", "periods"), service_levels.TRIGGER: ("kpi_number", "periods"),
                 "trust_below": ("threshold",), "date": ("on_date",),
                 exits.OBJECTIVE_FAILING: ("objective_number",), exits.OBJECTIVES_FAILING: ("threshold",)}


def read_plan(data: Any) -> dict[str, Any]:
    """The document checked whole and converted to column values; PlanFileError naming the field."""
    if not isinstance(data, dict):
        raise PlanFileError(f"expected a mapping with `accord_export: {FORMAT_VERSION}` at the top, "
                            f"got {shown(data)}")
    if "accord_export" not in data:
        problem("accord_export", "missing: this is not a file written by `accord export`")
    if data["accord_export"] not in (1, 2, 3, 4, 5, FORMAT_VERSION) or isinstance(data["accord_export"], bool):
        problem("accord_export", f"unsupported format {shown(data['accord_export'])}: "
                                  f"this Accord reads formats 1 to {FORMAT_VERSION}")
    if data["accord_export"] == 1:
        data = _from_format_1(data)
    if data["accord_export"] in (1, 2):
        data = _from_format_2(data)
    if data["accord_export"] in (1, 2, 3):
        data = _from_format_3(data)
    if data["accord_export"] in (1, 2, 3, 4):
        data = _from_format_4(data)
    if data["accord_export"] in (1, 2, 3, 4, 5):
        data = _from_format_5(data)
    for key in data:
        if key != "accord_export" and key not in SECTIONS:
            problem(str(key), "unknown section")
    try:
        plan = PlanFile.model_validate({key: value for key, value in data.items() if key != "accord_export"})
    except ValidationError as exc:
        raise plan_error(exc.errors()[0]) from None
    checked = {"accord_export": FORMAT_VERSION, **plan.model_dump()}
    _consistent(checked)
    for dispute in checked["disputes"]:  # stored counted from 0: the ladder's index
        dispute["level"] -= 1
    for review in checked["reviews"]:
        review["figures"] = shift_levels(review["figures"], -1)
    return checked


FORMAT_5_DEFAULTS: dict[str, dict[str, Any]] = {
    "people": {"erased_at": None}, "kpis": {"service_level": False}, "reviews": {"expectations": [], "lessons": []}}


def _from_format_5(data: dict[str, Any]) -> dict[str, Any]:
    """A format 5 document as format 6: no charter, the default retention, nobody erased, no service level,
    commitment or idea, and reviews without expectations or lessons, signed before the SERs recorded what they
    reviewed."""
    data = {**data, "commitments": data.get("commitments", []), "ideas": data.get("ideas", [])}
    if isinstance(data.get("relationship"), dict):
        data["relationship"] = {"charter_mission": "", "charter_values": [], "charter_behaviours": [],
                                "retention_months": 24, **data["relationship"]}
    for section, fields in FORMAT_5_DEFAULTS.items():
        if isinstance(data.get(section), list):
            data[section] = [{**fields, **row} if isinstance(row, dict) else row for row in data[section]]
    for review in data.get("reviews") or []:
        if isinstance(review, dict) and isinstance(review.get("signatures"), list):
            review["signatures"] = [{"plan_version": None, "exit_reviewed": False, **s} if isinstance(s, dict) else s
                                    for s in review["signatures"]]
    return data


def _from_format_4(data: dict[str, Any]) -> dict[str, Any]:
    """A format 4 document as format 5: nobody's name known, working days by name, and dispute levels (in
    `disputes` and in the reviews' figures) counted from 1. Values that are not what format 4 wrote are left as
    they are, for the checks to name."""
    data = dict(data)
    if isinstance(data.get("people"), list):
        data["people"] = [{"name": None, **row} if isinstance(row, dict) else row for row in data["people"]]
    if isinstance(data.get("parties"), list):
        data["parties"] = [{**row, "working_days": [
            WEEKDAYS[day] if type(day) is int and 0 <= day < len(WEEKDAYS) else day for day in row["working_days"]]}
            if isinstance(row, dict) and isinstance(row.get("working_days"), list) else row
            for row in data["parties"]]
    if isinstance(data.get("disputes"), list):
        data["disputes"] = [{**row, "level": row["level"] + 1}
                            if isinstance(row, dict) and type(row.get("level")) is int else row
                            for row in data["disputes"]]
    if isinstance(data.get("reviews"), list):
        data["reviews"] = [{**row, "figures": shift_levels(row.get("figures"), 1)}
                           if isinstance(row, dict) and "figures" in row else row for row in data["reviews"]]
    return data


def _from_format_3(data: dict[str, Any]) -> dict[str, Any]:
    """A format 3 document as format 4: nobody has left, no risk has a review date, no action is snoozed or asked
    to be marked done, no trigger watches objectives, no win is recorded."""
    defaults: dict[str, dict[str, Any]] = {
        "people": {"left_at": None, "left_how": "", "left_by": None}, "risks": {"review_on": None},
        "actions": {"snoozed_until": None, "done_asked_by": None}, "exit_triggers": {"objective_number": None}}
    data = {**data, "wins": data.get("wins", [])}
    for section, fields in defaults.items():
        if isinstance(data.get(section), list):
            data[section] = [{**fields, **row} if isinstance(row, dict) else row for row in data[section]]
    return data


def _from_format_2(data: dict[str, Any]) -> dict[str, Any]:
    """A format 2 document as format 3: each party in no Enterprise Grid org, seen from its one workspace."""
    if not isinstance(data.get("parties"), list):
        return data
    parties = [{"enterprise_id": None, "team_ids": [], **party} if isinstance(party, dict) else party
               for party in data["parties"]]
    return {**data, "parties": parties}


def _from_format_1(data: dict[str, Any]) -> dict[str, Any]:
    """A format 1 document as format 2: each party takes the calendar the relationship had."""
    relationship = data.get("relationship")
    if not isinstance(relationship, dict) or not isinstance(data.get("parties"), list):
        return data
    relationship = dict(relationship)
    calendar = {"timezone": relationship.get("timezone", "UTC"),
                "working_days": relationship.pop("working_days", [0, 1, 2, 3, 4]),
                "working_hours": "09:00-17:30", "holidays": relationship.pop("holidays", []), "holiday_region": ""}
    parties = [{**party, **calendar} if isinstance(party, dict) else party for party in data["parties"]]
    return {**data, "relationship": relationship, "parties": parties}


def _consistent(plan: dict[str, Any]) -> None:
    parties = plan["parties"]
    if len(parties) != 2:
        problem("parties", f"expected exactly two parties (slots 1 and 2), got {len(parties)}")
    _unique(parties, "parties", "slot")
    _unique(parties, "parties", "name", str.casefold)
    if parties[0]["team_id"] is not None:
        _unique(parties, "parties", "team_id")
    _unique(plan["people"], "people", "user_id")
    for section in ("objectives", "kpis", "risks", "actions", "exit_triggers", "wins", "commitments", "ideas"):
        _unique(plan[section], section, "number")
    _unique(plan["kpis"], "kpis", "name", str.casefold)
    for index, kpi in enumerate(plan["kpis"]):
        _thresholds(kpi, f"kpis[{index}]")
    for index, action in enumerate(plan["actions"]):
        if (action["status"] == actions.OPEN) != (action["closed_on"] is None):
            problem(f"actions[{index}].closed_on", "an open action has none" if action["status"] == actions.OPEN
                     else f"a {action['status']} action needs the date it was closed")
    kpi_numbers, objective_numbers = {kpi["number"] for kpi in plan["kpis"]}, {o["number"] for o in plan["objectives"]}
    service_level_numbers = {kpi["number"] for kpi in plan["kpis"] if kpi["service_level"]}
    for index, trigger in enumerate(plan["exit_triggers"]):
        _trigger(trigger, f"exit_triggers[{index}]", kpi_numbers, objective_numbers)
        if trigger["kind"] == service_levels.TRIGGER and trigger["kpi_number"] not in service_level_numbers:
            problem(f"exit_triggers[{index}].kpi_number", f"there is no service level #{trigger['kpi_number']} in kpis")
    for index, entry in enumerate(plan["values"]):
        if entry["amount"] is None and not entry["description"].strip():
            problem(f"values[{index}].amount", "a cost or benefit needs an amount, a description, or both")
    _unique(plan["disputes"], "disputes", "number")
    for index, dispute in enumerate(plan["disputes"]):
        if dispute["level"] > len(dispute["ladder"]):
            problem(f"disputes[{index}].level", f"expected a level of its ladder, 1 to {len(dispute['ladder'])}, "
                                                 f"got {dispute['level']}")
    _unique(plan["reviews"], "reviews", "number")
    for index, review in enumerate(plan["reviews"]):
        _review(review, f"reviews[{index}]")
    version, previous = plan["relationship"]["version"], 0
    for index, change in enumerate(plan["history"]):
        if change["version"] < previous:
            problem(f"history[{index}].version", f"versions only go up: {change['version']} after {previous}")
        if change["version"] > version:
            problem(f"history[{index}].version", f"{change['version']} is above relationship.version ({version})")
        previous = change["version"]


def _review(review: dict[str, Any], path: str) -> None:
    if review["ends_at"] < review["starts_at"]:
        problem(f"{path}.ends_at", "a review ends at or after it starts")
    if "number" not in review["figures"]:
        problem(f"{path}.figures.number", "missing")
    if review["figures"]["number"] != review["number"] or isinstance(review["figures"]["number"], bool):
        problem(f"{path}.figures.number", f"expected the review's number {review['number']}, "
                                           f"got {shown(review['figures']['number'])}")
    _unique(review["signatures"], f"{path}.signatures", "party_slot")
    _unique(review["expectations"], f"{path}.expectations", "party_slot")
    _unique(review["lessons"], f"{path}.lessons", "number")


def _unique(rows: list[dict[str, Any]], section: str, key: str, norm: Callable[[Any], Any] = lambda v: v) -> None:
    seen: dict[Any, int] = {}
    for index, row in enumerate(rows):
        value = norm(row[key])
        if value in seen:
            problem(f"{section}[{index}].{key}", f"{shown(row[key])} is already used by {section}[{seen[value]}]")
        seen[value] = index


def _thresholds(kpi: dict[str, Any], path: str) -> None:
    """Red on the bad side of the target. A file's amber threshold is read but not kept: amber starts where the
    target is missed, so the KPI's amber is its target (as migration 0011 carried stored KPIs over)."""
    wrong = threshold_problem(kpi["direction"], kpi["target"], kpi["red"])
    if wrong:
        problem(f"{path}.red", wrong[0].lower() + wrong[1:].rstrip("."))
    kpi["amber"] = kpi["target"]


def _trigger(trigger: dict[str, Any], path: str, kpi_numbers: set[int], objective_numbers: set[int]) -> None:
    kind = trigger["kind"]
    for name in ("kpi_number", "periods", "threshold", "on_date", "objective_number"):
        needed = name in TRIGGER_NEEDS.get(kind, ())
        if needed and trigger[name] is None:
            problem(f"{path}.{name}", f"a {kind} trigger needs it")
        if not needed and trigger[name] is not None:
            problem(f"{path}.{name}", f"expected null for a {kind} trigger, got {shown(trigger[name])}")
    if kind == "kpi_red" and trigger["kpi_number"] not in kpi_numbers:
        problem(f"{path}.kpi_number", f"there is no KPI #{trigger['kpi_number']} in kpis")
    if kind == exits.OBJECTIVE_FAILING and trigger["objective_number"] not in objective_numbers:
        problem(f"{path}.objective_number", f"there is no objective #{trigger['objective_number']} in objectives")
    if kind == exits.OBJECTIVES_FAILING and not 1 <= trigger["threshold"] <= 1000:
        problem(f"{path}.threshold", f"a count of failing objectives, 1 or more, got {shown(trigger['threshold'])}")
    if kind == "trust_below" and not 1 <= trigger["threshold"] <= 5:
        problem(f"{path}.threshold", f"trust is rated 1 to 5, got {shown(trigger['threshold'])}")


def import_plan(db: Session, data: Any) -> Relationship:
    """Check the whole document, then recreate the plan in the caller's transaction, history as recorded."""
    plan = read_plan(data)
    channel_id = plan["relationship"]["channel_id"]
    if db.exec(select(Relationship).where(Relationship.channel_id == channel_id)).first() is not None:
        raise InputError(f"channel {channel_id} already has a relationship; "
                         "import into an empty database or another channel", field="relationship.channel_id")
    relationship = Relationship(**plan["relationship"])
    db.add(relationship)
    db.flush()
    rid = relationship.id or 0
    parties = {row["slot"]: Party(relationship_id=rid, **row) for row in plan["parties"]}
    db.add_all(parties.values())
    db.flush()
    db.add_all(Person(relationship_id=rid, party_id=parties[row["party"]].id or 0,
                      **{k: v for k, v in row.items() if k != "party"}) for row in plan["people"])
    for section, model in ITEM_TABLES.items():
        db.add_all(model(relationship_id=rid, **row) for row in plan[section])
    kpis = [(Kpi(relationship_id=rid, **{k: v for k, v in row.items() if k != "values"}), row["values"])
            for row in plan["kpis"]]
    db.add_all(kpi for kpi, _values in kpis)
    db.flush()
    for kpi, values in kpis:
        db.add_all(KpiValue(kpi_id=kpi.id or 0, **value) for value in values)
    db.add_all(Change(relationship_id=rid, **row) for row in plan["history"])
    transfer.import_disputes(db, relationship, plan["disputes"], now=utcnow())
    review_transfer.import_values(db, relationship, plan["values"])
    review_transfer.import_reviews(db, relationship, plan["reviews"], now=utcnow())
    rounds.schedule_next_round(db, relationship, after=utcnow(), now=utcnow())
    runs.schedule_next_review(db, relationship, after=utcnow(), now=utcnow())
    db.flush()
    owners = {row["owner_user_id"] for row in plan["actions"] if row["status"] == actions.OPEN} | \
        {row["owner_user_id"] for row in plan["risks"] if row["review_on"] is not None and row["status"] != "closed"}
    for owner in sorted(owners):  # their open actions and risks are chased here as they were where exported
        chasing.schedule(db, user=owner, now=utcnow())
    return relationship
