"""`accord export`: a channel's whole plan, history, disputes and reviews included, as a plain YAML or JSON document.

The document holds no database ids: items are known by their numbers, parties by their slots and
people by their Slack user ids, so `accord import` can recreate the plan in any database.
`dump_text` and `load_text` are the file format's two directions.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from commands.disputes import transfer
from commands.errors import InputError
from commands.reviews import transfer as review_transfer
from commands.rmp import items
from storage.rmp import Action, Change, ExitTrigger, Kpi, KpiValue, Objective, Party, Person, Relationship, Risk, Win
from storage.utc import as_utc

# 2: each party has its own calendar (format 1 kept one on the relationship); 3: a party's Enterprise Grid org
# and the workspaces it was seen from; 4: people who left, risks' review dates, actions' snoozes and asks to mark
# them done, exit triggers on objectives, wins
FORMAT_VERSION = 4
FORMATS = ("yaml", "json")

RELATIONSHIP_FIELDS = (
    "channel_id", "name", "mode", "timezone", "checkin_cadence", "review_cadence",
    "ladder", "exit_reviewed_on", "checkin_statements", "checkin_scale", "checkin_window_days",
    "checkin_min_respondents", "checkin_reminders", "gap_threshold", "version", "created_at", "updated_at",
)
PARTY_FIELDS = ("slot", "name", "team_id", "enterprise_id", "team_ids", "timezone", "working_days", "working_hours",
                "holidays", "holiday_region")
PERSON_FIELDS = ("user_id", "party", "role", "tz", "left_at", "left_how", "left_by")
OBJECTIVE_FIELDS = ("number", "party_slot", "title", "benefit_1", "benefit_2", "status")
KPI_FIELDS = ("number", "name", "unit", "direction", "target", "amber", "red", "owner_slot", "reporter_slot",
              "cadence", "active", "values")
VALUE_FIELDS = ("period", "value", "reported_by", "reported_at")
RISK_FIELDS = ("number", "description", "likelihood", "impact", "owner_user_id", "mitigation", "status", "review_on")
ACTION_FIELDS = ("number", "description", "owner_user_id", "due_on", "status", "reason", "closed_on", "snoozed_until",
                 "done_asked_by")
TRIGGER_FIELDS = ("number", "kind", "description", "kpi_number", "periods", "threshold", "on_date", "objective_number",
                  "status")
WIN_FIELDS = ("number", "party_slot", "user_id", "text", "created_at")
CHANGE_FIELDS = ("version", "at", "user_id", "party", "entity", "entity_id", "verb", "before", "after")

# The document's sections in order, each a mapping (relationship) or a list of mappings, with its fields.
SECTIONS: dict[str, tuple[str, ...]] = {
    "relationship": RELATIONSHIP_FIELDS, "parties": PARTY_FIELDS, "people": PERSON_FIELDS,
    "objectives": OBJECTIVE_FIELDS, "kpis": KPI_FIELDS, "risks": RISK_FIELDS, "actions": ACTION_FIELDS,
    "exit_triggers": TRIGGER_FIELDS, "disputes": transfer.DISPUTE_FIELDS, "values": review_transfer.ENTRY_FIELDS,
    "reviews": review_transfer.REVIEW_FIELDS, "wins": WIN_FIELDS, "history": CHANGE_FIELDS,
}
ITEM_TABLES: dict[str, type[SQLModel]] = {
    "objectives": Objective, "risks": Risk, "actions": Action, "exit_triggers": ExitTrigger, "wins": Win,
}


class PlanFileError(InputError):
    """A plan file that cannot be imported; the message names the line or the field to fix."""

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        super().__init__(message, field=field)
        self.line = line


def export_plan(db: Session, *, channel_id: str) -> dict[str, Any]:
    """The channel's plan as a JSON/YAML-ready dict in a stable order; InputError when there is none."""
    relationship = db.exec(select(Relationship).where(Relationship.channel_id == channel_id)).first()
    if relationship is None:
        raise InputError(f"channel {channel_id} has no relationship", field="channel")
    rid = relationship.id or 0
    parties = list(db.exec(select(Party).where(Party.relationship_id == rid).order_by(col(Party.slot))))
    slot_of = {party.id: party.slot for party in parties}
    people = db.exec(select(Person).where(Person.relationship_id == rid).order_by(col(Person.user_id)))
    changes = db.exec(
        select(Change).where(Change.relationship_id == rid).order_by(col(Change.version), col(Change.id))
    )
    document: dict[str, Any] = {
        "accord_export": FORMAT_VERSION,
        "relationship": _fields(relationship, RELATIONSHIP_FIELDS),
        "parties": [_fields(party, PARTY_FIELDS) for party in parties],
        "people": [{**_fields(person, PERSON_FIELDS[:1]), "party": slot_of[person.party_id],
                    **_fields(person, PERSON_FIELDS[2:])} for person in people],
        "objectives": [_fields(row, OBJECTIVE_FIELDS) for row in items.all_of(db, Objective, rid)],
        "kpis": [{**_fields(kpi, KPI_FIELDS[:-1]), "values": _values(db, kpi)} for kpi in items.all_of(db, Kpi, rid)],
    }
    for section in ("risks", "actions", "exit_triggers"):
        document[section] = [_fields(row, SECTIONS[section]) for row in items.all_of(db, ITEM_TABLES[section], rid)]
    document["disputes"] = transfer.export_disputes(db, rid, plain)
    document["values"] = review_transfer.export_values(db, rid, plain)
    document["reviews"] = review_transfer.export_reviews(db, rid, plain)
    document["wins"] = [_fields(row, WIN_FIELDS) for row in items.all_of(db, Win, rid)]
    document["history"] = [_fields(change, CHANGE_FIELDS) for change in changes]
    return document


def _values(db: Session, kpi: Kpi) -> list[dict[str, Any]]:
    rows = db.exec(
        select(KpiValue).where(KpiValue.kpi_id == kpi.id)
        .order_by(col(KpiValue.period), col(KpiValue.reported_at), col(KpiValue.id))
    )
    return [_fields(row, VALUE_FIELDS) for row in rows]


def _fields(row: SQLModel, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: plain(getattr(row, name)) for name in names}


def plain(value: Any) -> Any:
    """A column's value for the document: instants as ISO 8601 in UTC, dates as YYYY-MM-DD, JSON copied."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return copy.deepcopy(value)
    return value


def dump_text(data: dict[str, Any], fmt: str) -> str:
    """The document as YAML or JSON text, ending with a newline."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt != "yaml":
        raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    yaml = yaml_module()
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text if text.endswith("\n") else text + "\n"


def yaml_module() -> Any:
    """PyYAML, or a PlanFileError saying how to get it (JSON needs nothing)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - the test environment has it
        raise PlanFileError("YAML needs PyYAML (pip install pyyaml); JSON works without it") from None
    return yaml


def load_text(text: str) -> dict[str, Any]:
    """Parse a plan file, JSON or YAML; PlanFileError naming the line of a syntax error."""
    text = text.removeprefix("\ufeff")
    try:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if text.lstrip().startswith(("{", "[")):
                raise PlanFileError(f"line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}",
                                    line=exc.lineno) from None
            data = _yaml_load(text)
    except RecursionError:
        raise PlanFileError("the file is nested too deeply") from None
    if data is None:
        raise PlanFileError("the file is empty")
    if not isinstance(data, dict):
        raise PlanFileError(f"line 1: expected a mapping with `accord_export: {FORMAT_VERSION}` at the top, "
                            f"got {shown(data)}", line=1)
    return data


def _yaml_load(text: str) -> Any:
    yaml = yaml_module()
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "a syntax error"
        if mark is None:
            raise PlanFileError(f"not valid YAML: {problem}") from None
        raise PlanFileError(f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {problem}",
                            line=mark.line + 1) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise PlanFileError(f"line {line}: not valid YAML: the character U+{exc.character:04X} is not allowed",
                            line=line) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date such as 2026-13-45
        raise PlanFileError(f"not valid YAML: {(str(exc).strip().splitlines() or ['?'])[0]}") from None


def shown(value: Any) -> str:
    """A value as an error message shows it: short, in the file's terms (null, true, a list)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if isinstance(value, int | float):
        return repr(value)
    kinds = {dict: "a mapping", list: "a list", datetime: "a time", date: "a date"}
    kind = next((name for cls, name in kinds.items() if isinstance(value, cls)), f"a {type(value).__name__}")
    return kind if isinstance(value, dict | list) else f"{kind} ({str(value)[:40]})"
