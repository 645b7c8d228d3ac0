"""`accord export`: a channel's whole plan, history included, as a plain YAML or JSON document.

The document holds no database ids: items are known by their numbers, parties by their slots and
people by their Slack user ids, so `accord import` can recreate the plan in any database.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from commands.errors import InputError
from commands.rmp import items
from storage.clock import as_utc
from storage.rmp import Action, Change, ExitTrigger, Kpi, KpiValue, Objective, Party, Person, Relationship, Risk

FORMAT_VERSION = 1
FORMATS = ("yaml", "json")

RELATIONSHIP_FIELDS = (
    "channel_id", "name", "mode", "timezone", "working_days", "holidays", "checkin_cadence", "review_cadence",
    "ladder", "exit_reviewed_on", "version", "created_at", "updated_at",
)
PARTY_FIELDS = ("slot", "name", "team_id")
PERSON_FIELDS = ("user_id", "party", "role")
OBJECTIVE_FIELDS = ("number", "party_slot", "title", "benefit_1", "benefit_2", "status")
KPI_FIELDS = ("number", "name", "unit", "direction", "target", "amber", "red", "owner_slot", "reporter_slot",
              "cadence", "active", "values")
VALUE_FIELDS = ("period", "value", "reported_by", "reported_at")
RISK_FIELDS = ("number", "description", "likelihood", "impact", "owner_user_id", "mitigation", "status")
ACTION_FIELDS = ("number", "description", "owner_user_id", "due_on", "status", "reason", "closed_on")
TRIGGER_FIELDS = ("number", "kind", "description", "kpi_number", "periods", "threshold", "on_date", "status")
CHANGE_FIELDS = ("version", "at", "user_id", "party", "entity", "entity_id", "verb", "before", "after")

# The document's sections in order, each a mapping (relationship) or a list of mappings, with its fields.
SECTIONS: dict[str, tuple[str, ...]] = {
    "relationship": RELATIONSHIP_FIELDS, "parties": PARTY_FIELDS, "people": PERSON_FIELDS,
    "objectives": OBJECTIVE_FIELDS, "kpis": KPI_FIELDS, "risks": RISK_FIELDS, "actions": ACTION_FIELDS,
    "exit_triggers": TRIGGER_FIELDS, "history": CHANGE_FIELDS,
}
ITEM_TABLES: dict[str, type[SQLModel]] = {
    "objectives": Objective, "risks": Risk, "actions": Action, "exit_triggers": ExitTrigger,
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
        "people": [{"user_id": person.user_id, "party": slot_of[person.party_id], "role": person.role}
                   for person in people],
        "objectives": [_fields(row, OBJECTIVE_FIELDS) for row in items.all_of(db, Objective, rid)],
        "kpis": [{**_fields(kpi, KPI_FIELDS[:-1]), "values": _values(db, kpi)} for kpi in items.all_of(db, Kpi, rid)],
    }
    for section in ("risks", "actions", "exit_triggers"):
        document[section] = [_fields(row, SECTIONS[section]) for row in items.all_of(db, ITEM_TABLES[section], rid)]
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
