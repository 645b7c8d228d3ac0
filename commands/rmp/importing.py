"""`accord import`: read a file written by `accord export`, check all of it, then recreate the plan.

Nothing is written until the whole document has been read and found consistent; the errors name
the line (a syntax error) or the field (`kpis[1].target: expected a number, got 'abc'`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, NoReturn

from sqlmodel import Session, select

from commands.calendar import parse_cadence, parse_hours, parse_region, zone
from commands.checkins import rounds
from commands.disputes import lifecycle, transfer
from commands.errors import InputError
from commands.reviews import runs
from commands.reviews import transfer as review_transfer
from commands.reviews import values as value_entries
from commands.rmp import actions, chasing, exits, objectives, risks
from commands.rmp.export import FORMAT_VERSION, ITEM_TABLES, SECTIONS, PlanFileError, shown
from commands.rmp.kpis import threshold_problem
from storage.clock import as_utc, parse_instant, utcnow
from storage.disputes import OPEN, PAUSED, RESOLVED
from storage.rmp import CONNECT, ROLES, SINGLE, Change, Kpi, KpiValue, Party, Person, Relationship

Reader = Callable[[Any, str], Any]

MAX_INT = 2**31 - 1  # the columns are 32-bit integers
DIRECTIONS = ("higher", "lower")
ACTION_STATUSES = (actions.OPEN, actions.DONE, actions.CANNOT)
TRIGGER_NEEDS = {"kpi_red": ("kpi_number", "periods"), "trust_below": ("threshold",), "date": ("on_date",),
                 exits.OBJECTIVE_FAILING: ("objective_number",), exits.OBJECTIVES_FAILING: ("threshold",)}
LEFT_HOW = ("", "left", "removed", "deactivated")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _problem(path: str, message: str) -> NoReturn:
    raise PlanFileError(f"{path}: {message}", field=path)


def _expected(path: str, what: str, value: Any) -> NoReturn:
    _problem(path, f"expected {what}, got {shown(value)}")


# Readers: each checks one value at `path` and returns it as the table stores it.

def text(limit: int, *, required: bool = True) -> Reader:
    """Text of at most `limit` characters, kept exactly as written; not blank when required."""
    def read(value: Any, path: str) -> str:
        if not isinstance(value, str):
            _expected(path, "text", value)
        if required and not value.strip():
            _problem(path, "cannot be empty")
        if len(value) > limit:
            _problem(path, f"holds at most {limit} characters, got {len(value)}")
        return value
    return read


def whole(low: int, high: int) -> Reader:
    """A whole number from `low` to `high`."""
    def read(value: Any, path: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            _expected(path, f"a whole number from {low} to {high}", value)
        return value
    return read


def choice(options: tuple[Any, ...], what: str | None = None) -> Reader:
    """One of `options`, exactly."""
    def read(value: Any, path: str) -> Any:
        if isinstance(value, bool) or value not in options:
            _expected(path, what or "one of " + ", ".join(str(option) for option in options), value)
        return value
    return read


def nullable(reader: Reader) -> Reader:
    """`reader`'s value, or null."""
    return lambda value, path: None if value is None else reader(value, path)


def number(value: Any, path: str) -> float:
    """A finite number."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        _expected(path, "a number", value)
    return float(value)


def flag(value: Any, path: str) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        _expected(path, "true or false", value)
    return value


def day(value: Any, path: str) -> date:
    """A date written YYYY-MM-DD."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    _expected(path, "a date like 2026-12-31", value)


def instant(value: Any, path: str) -> datetime:
    """An ISO 8601 time, in UTC when it has no offset."""
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        try:
            return parse_instant(value)
        except ValueError:
            pass
    _expected(path, "a time like 2026-11-25T09:30:00+00:00", value)


def json_mapping(value: Any, path: str) -> dict[str, Any] | None:
    """null, or a mapping of plain JSON values (text, numbers, true/false, null, lists, mappings)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        _expected(path, "a mapping or null", value)
    return _json(value, path)


def _json(value: Any, path: str) -> Any:
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                _problem(path, f"the key {shown(key)} is not text")
        return {key: _json(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if value is None or isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    _expected(path, "text, a number, true, false, null, a list or a mapping", value)


def figures(value: Any, path: str) -> dict[str, Any]:
    """A review's figures: a mapping of plain JSON values, kept exactly as written."""
    if not isinstance(value, dict):
        _expected(path, "a mapping", value)
    read: dict[str, Any] = _json(value, path)
    return read


def amount(value: Any, path: str) -> float:
    """A finite number, 0 or more."""
    read = number(value, path)
    if read < 0:
        _expected(path, "an amount of 0 or more", value)
    return read


def _list(value: Any, path: str, reader: Reader) -> list[Any]:
    if not isinstance(value, list):
        _expected(path, "a list", value)
    return [reader(item, f"{path}[{index}]") for index, item in enumerate(value)]


def _record(value: Any, path: str, readers: dict[str, Reader]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _expected(path, "a mapping", value)
    for key in value:
        if key not in readers:
            _problem(f"{path}.{key}", "unknown field")
    read: dict[str, Any] = {}
    for name, reader in readers.items():
        if name not in value:
            _problem(f"{path}.{name}", "missing")
        read[name] = reader(value[name], f"{path}.{name}")
    return read


def _records(readers: dict[str, Reader]) -> Reader:
    return lambda value, path: _list(value, path, lambda item, where: _record(item, where, readers))


def _checked(limit: int, check: Callable[[str], object], *, required: bool = True) -> Reader:
    def read(value: Any, path: str) -> str:
        checked: str = text(limit, required=required)(value, path)
        try:
            check(checked)
        except InputError as exc:  # the use cases' own rule, with its reason
            _problem(path, exc.message)
        return checked
    return read


def _working_days(value: Any, path: str) -> list[int]:
    days = _list(value, path, whole(0, 6))
    if not days or len(set(days)) != len(days):
        _problem(path, "expected a list of distinct weekdays, 0 (Monday) to 6 (Sunday), with at least one")
    return days


def _ladder(value: Any, path: str) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = _records({"name": text(60), "days": nullable(whole(1, 60))})(value, path)
    if not 2 <= len(levels) <= 6:
        _problem(path, f"expected 2 to 6 levels, got {len(levels)}")
    for index, level in enumerate(levels[:-1]):
        if level["days"] is None:
            _problem(f"{path}[{index}].days", "only the last level may have no timer")
    return levels


SLOT = choice((1, 2), "a party slot, 1 or 2")
NUMBER = whole(1, MAX_INT)
CADENCE = _checked(200, lambda cadence: parse_cadence(cadence, field="cadence"))
VALUE_READERS: dict[str, Reader] = {"period": day, "value": number, "reported_by": text(64), "reported_at": instant}
READERS: dict[str, dict[str, Reader]] = {
    "relationship": {
        "channel_id": text(64), "name": text(150), "mode": choice((CONNECT, SINGLE)), "timezone": _checked(64, zone),
        "checkin_cadence": CADENCE, "review_cadence": CADENCE, "ladder": _ladder,
        "exit_reviewed_on": nullable(day), "checkin_statements": lambda v, p: _list(v, p, text(150)),
        "checkin_scale": whole(3, 10), "checkin_window_days": whole(1, 20), "checkin_min_respondents": whole(3, 50),
        "checkin_reminders": whole(0, 1), "gap_threshold": number,
        "version": whole(0, MAX_INT), "created_at": instant, "updated_at": instant,
    },
    "parties": {
        "slot": SLOT, "name": text(80), "team_id": nullable(text(64)), "enterprise_id": nullable(text(64)),
        "team_ids": lambda v, p: _list(v, p, text(64)), "timezone": _checked(64, zone),
        "working_days": _working_days, "working_hours": _checked(16, lambda v: parse_hours(v, field="working_hours")),
        "holidays": lambda v, p: [d.isoformat() for d in _list(v, p, day)],
        "holiday_region": _checked(16, lambda v: parse_region(v, field="holiday_region"), required=False),
    },
    "people": {"user_id": text(64), "party": SLOT, "role": choice(ROLES), "tz": nullable(_checked(64, zone)),
               "left_at": nullable(instant), "left_how": choice(LEFT_HOW), "left_by": nullable(text(64))},
    "objectives": {
        "number": NUMBER, "party_slot": nullable(SLOT), "title": text(150), "benefit_1": text(1000, required=False),
        "benefit_2": text(1000, required=False), "status": choice(objectives.STATUSES),
    },
    "kpis": {
        "number": NUMBER, "name": text(100), "unit": text(30, required=False), "direction": choice(DIRECTIONS),
        "target": number, "amber": number, "red": number, "owner_slot": SLOT, "reporter_slot": SLOT,
        "cadence": text(60), "active": flag, "values": _records(VALUE_READERS),
    },
    "risks": {
        "number": NUMBER, "description": text(500), "likelihood": whole(1, 5), "impact": whole(1, 5),
        "owner_user_id": text(64), "mitigation": text(1000, required=False), "status": choice(risks.STATUSES),
        "review_on": nullable(day),
    },
    "actions": {
        "number": NUMBER, "description": text(500), "owner_user_id": text(64), "due_on": day,
        "status": choice(ACTION_STATUSES), "reason": text(1000, required=False), "closed_on": nullable(day),
        "snoozed_until": nullable(day), "done_asked_by": nullable(text(64)),
    },
    "exit_triggers": {
        "number": NUMBER, "kind": choice(exits.KINDS), "description": text(500), "kpi_number": nullable(NUMBER),
        "periods": nullable(whole(1, 24)), "threshold": nullable(number), "on_date": nullable(day),
        "objective_number": nullable(NUMBER), "status": choice(exits.STATUSES),
    },
    "disputes": {
        "number": NUMBER, "title": text(150), "description": text(3000), "severity": choice(lifecycle.SEVERITIES),
        "desired_outcome": text(1000, required=False), "raised_by": text(64), "raising_slot": SLOT,
        "evidence_channel": nullable(text(64)), "evidence_ts": nullable(text(32)), "ladder": _ladder,
        "level": whole(0, 5), "level_started_at": instant, "level_due_at": nullable(instant),
        "paused_remaining": nullable(number), "status": choice((OPEN, PAUSED, RESOLVED)),
        "proposal": nullable(text(2000)), "proposal_slot": nullable(SLOT), "proposal_by": nullable(text(64)),
        "resolution": nullable(text(2000)), "lessons": nullable(text(2000)), "opened_at": instant,
        "resolved_at": nullable(instant),
        "log": _records({"at": instant, "user_id": text(64), "party": text(80, required=False), "kind": text(24),
                         "detail": json_mapping}),
    },
    "values": {
        "party_slot": SLOT, "kind": choice(value_entries.KINDS), "amount": nullable(amount),
        "description": text(1000, required=False), "on": day, "recorded_by": text(64), "recorded_at": instant,
    },
    "reviews": {
        "number": NUMBER, "starts_at": instant, "ends_at": instant, "trigger": choice(review_transfer.TRIGGERS),
        "requested_by": text(64), "created_at": instant, "figures": figures,
        "signatures": _records({"party_slot": SLOT, "party": text(80), "user_id": text(64), "signed_at": instant}),
    },
    "wins": {"number": NUMBER, "party_slot": SLOT, "user_id": text(64), "text": text(1000), "created_at": instant},
    "history": {
        "version": NUMBER, "at": instant, "user_id": text(64, required=False), "party": text(80, required=False),
        "entity": text(32), "entity_id": nullable(whole(0, MAX_INT)), "verb": text(24),
        "before": json_mapping, "after": json_mapping,
    },
}


def read_plan(data: Any) -> dict[str, Any]:
    """The document checked whole and converted to column values; PlanFileError naming the field."""
    if not isinstance(data, dict):
        raise PlanFileError(f"expected a mapping with `accord_export: {FORMAT_VERSION}` at the top, "
                            f"got {shown(data)}")
    if "accord_export" not in data:
        _problem("accord_export", "missing: this is not a file written by `accord export`")
    if data["accord_export"] not in (1, 2, 3, FORMAT_VERSION) or isinstance(data["accord_export"], bool):
        _problem("accord_export", f"unsupported format {shown(data['accord_export'])}: "
                                  f"this Accord reads formats 1 to {FORMAT_VERSION}")
    if data["accord_export"] == 1:
        data = _from_format_1(data)
    if data["accord_export"] in (1, 2):
        data = _from_format_2(data)
    if data["accord_export"] in (1, 2, 3):
        data = _from_format_3(data)
    for key in data:
        if key != "accord_export" and key not in SECTIONS:
            _problem(str(key), "unknown section")
    plan: dict[str, Any] = {"accord_export": FORMAT_VERSION}
    for section, readers in READERS.items():
        if section not in data:
            _problem(section, "missing")
        value = data[section]
        plan[section] = _record(value, section, readers) if section == "relationship" else \
            _records(readers)(value, section)
    _consistent(plan)
    return plan


def _from_format_3(data: dict[str, Any]) -> dict[str, Any]:
    """A format 3 document as format 4: nobody has left, no risk has a review date, no action is snoozed or asked
    to be marked done, no trigger watches objectives, no win is recorded."""
    defaults = {"people": {"left_at": None, "left_how": "", "left_by": None}, "risks": {"review_on": None},
                "actions": {"snoozed_until": None, "done_asked_by": None},
                "exit_triggers": {"objective_number": None}}
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
        _problem("parties", f"expected exactly two parties (slots 1 and 2), got {len(parties)}")
    _unique(parties, "parties", "slot")
    _unique(parties, "parties", "name", str.casefold)
    if parties[0]["team_id"] is not None:
        _unique(parties, "parties", "team_id")
    _unique(plan["people"], "people", "user_id")
    for section in ("objectives", "kpis", "risks", "actions", "exit_triggers", "wins"):
        _unique(plan[section], section, "number")
    _unique(plan["kpis"], "kpis", "name", str.casefold)
    for index, kpi in enumerate(plan["kpis"]):
        _thresholds(kpi, f"kpis[{index}]")
    for index, action in enumerate(plan["actions"]):
        if (action["status"] == actions.OPEN) != (action["closed_on"] is None):
            _problem(f"actions[{index}].closed_on", "an open action has none" if action["status"] == actions.OPEN
                     else f"a {action['status']} action needs the date it was closed")
    kpi_numbers, objective_numbers = {kpi["number"] for kpi in plan["kpis"]}, {o["number"] for o in plan["objectives"]}
    for index, trigger in enumerate(plan["exit_triggers"]):
        _trigger(trigger, f"exit_triggers[{index}]", kpi_numbers, objective_numbers)
    for index, entry in enumerate(plan["values"]):
        if entry["amount"] is None and not entry["description"].strip():
            _problem(f"values[{index}].amount", "a cost or benefit needs an amount, a description, or both")
    _unique(plan["disputes"], "disputes", "number")
    _unique(plan["reviews"], "reviews", "number")
    for index, review in enumerate(plan["reviews"]):
        _review(review, f"reviews[{index}]")
    version, previous = plan["relationship"]["version"], 0
    for index, change in enumerate(plan["history"]):
        if change["version"] < previous:
            _problem(f"history[{index}].version", f"versions only go up: {change['version']} after {previous}")
        if change["version"] > version:
            _problem(f"history[{index}].version", f"{change['version']} is above relationship.version ({version})")
        previous = change["version"]


def _review(review: dict[str, Any], path: str) -> None:
    if review["ends_at"] < review["starts_at"]:
        _problem(f"{path}.ends_at", "a review ends at or after it starts")
    if "number" not in review["figures"]:
        _problem(f"{path}.figures.number", "missing")
    if review["figures"]["number"] != review["number"] or isinstance(review["figures"]["number"], bool):
        _problem(f"{path}.figures.number", f"expected the review's number {review['number']}, "
                                           f"got {shown(review['figures']['number'])}")
    _unique(review["signatures"], f"{path}.signatures", "party_slot")


def _unique(rows: list[dict[str, Any]], section: str, key: str, norm: Callable[[Any], Any] = lambda v: v) -> None:
    seen: dict[Any, int] = {}
    for index, row in enumerate(rows):
        value = norm(row[key])
        if value in seen:
            _problem(f"{section}[{index}].{key}", f"{shown(row[key])} is already used by {section}[{seen[value]}]")
        seen[value] = index


def _thresholds(kpi: dict[str, Any], path: str) -> None:
    """Red on the bad side of the target. A file's amber threshold is read but not kept: amber starts where the
    target is missed, so the KPI's amber is its target (as migration 0011 carried stored KPIs over)."""
    problem = threshold_problem(kpi["direction"], kpi["target"], kpi["red"])
    if problem:
        _problem(f"{path}.red", problem[0].lower() + problem[1:].rstrip("."))
    kpi["amber"] = kpi["target"]


def _trigger(trigger: dict[str, Any], path: str, kpi_numbers: set[int], objective_numbers: set[int]) -> None:
    kind = trigger["kind"]
    for name in ("kpi_number", "periods", "threshold", "on_date", "objective_number"):
        needed = name in TRIGGER_NEEDS.get(kind, ())
        if needed and trigger[name] is None:
            _problem(f"{path}.{name}", f"a {kind} trigger needs it")
        if not needed and trigger[name] is not None:
            _problem(f"{path}.{name}", f"expected null for a {kind} trigger, got {shown(trigger[name])}")
    if kind == "kpi_red" and trigger["kpi_number"] not in kpi_numbers:
        _problem(f"{path}.kpi_number", f"there is no KPI #{trigger['kpi_number']} in kpis")
    if kind == exits.OBJECTIVE_FAILING and trigger["objective_number"] not in objective_numbers:
        _problem(f"{path}.objective_number", f"there is no objective #{trigger['objective_number']} in objectives")
    if kind == exits.OBJECTIVES_FAILING and not 1 <= trigger["threshold"] <= 1000:
        _problem(f"{path}.threshold", f"a count of failing objectives, 1 or more, got {shown(trigger['threshold'])}")
    if kind == "trust_below" and not 1 <= trigger["threshold"] <= 5:
        _problem(f"{path}.threshold", f"trust is rated 1 to 5, got {shown(trigger['threshold'])}")


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
