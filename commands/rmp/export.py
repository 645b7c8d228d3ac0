"""`accord export`: a channel's whole plan, history, disputes and reviews included, as a plain YAML or JSON document.

The document holds no database ids: items are known by their numbers, parties by their slots and
people by their Slack user ids, so `accord import` can recreate the plan in any database. Beside each Slack id
and party slot it writes the name (`owner_user_id: U0CAROL` then `owner_name: Carol`), beside each change of the
history the change in words (`text`), and beside a dispute's level its name: these are for the reader, and
`accord import` reads them but keeps nothing of them (people's own `name` aside). Working days are weekdays by
name (`mon` … `sun`), and every dispute `level` in the file, in `disputes` and in the reviews' figures alike, is
the rung's number as Accord shows it: `level: 2` is `level_name: L2 Relationship managers`.
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
from commands.rmp import items, sentences
from storage.partnership import Commitment, Idea
from storage.rmp import Action, Change, ExitTrigger, Kpi, KpiValue, Objective, Party, Person, Relationship, Risk, Win
from storage.utc import as_utc

# 2: each party has its own calendar (format 1 kept one on the relationship); 3: a party's Enterprise Grid org
# and the workspaces it was seen from; 4: people who left, risks' review dates, actions' snoozes and asks to mark
# them done, exit triggers on objectives, wins; 5: people's names, names beside ids, the history in words, working
# days by name, and dispute levels counted from 1 as shown (format 4 and older count them from 0 in `level`); 6: the
# charter, data retention, erased people, service levels, resource commitments, the improvement log, and each
# review's expectations, lessons and what its SERs reviewed when signing
FORMAT_VERSION = 6
FORMATS = ("yaml", "json")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # working days in the file; stored 0 (Monday) to 6
JOINT = "joint (ours)"  # the party of a joint objective

RELATIONSHIP_FIELDS = (
    "channel_id", "name", "mode", "timezone", "currency", "checkin_cadence", "review_cadence",
    "ladder", "exit_reviewed_on", "checkin_statements", "checkin_scale", "checkin_window_days",
    "checkin_min_respondents", "checkin_reminders", "gap_threshold", "charter_mission", "charter_values",
    "charter_behaviours", "retention_months", "version", "created_at", "updated_at",
)
PARTY_FIELDS = ("slot", "name", "team_id", "enterprise_id", "team_ids", "timezone", "working_days", "working_hours",
                "holidays", "holiday_region")

# The names written beside ids, for the reader: per kind of row, the id's field and the name's field after it,
# a person's (by Slack id) or a party's (by slot). Import reads and drops them.
PERSON, PARTY = "person", "party"
NAMED: dict[str, dict[str, tuple[str, str]]] = {
    "people": {"party": ("party_name", PARTY), "left_by": ("left_by_name", PERSON)},
    "objectives": {"party_slot": ("party", PARTY)},
    "kpis": {"owner_slot": ("owner_party", PARTY), "reporter_slot": ("reporter_party", PARTY)},
    "kpi_values": {"reported_by": ("reported_by_name", PERSON)},
    "risks": {"owner_user_id": ("owner_name", PERSON)},
    "actions": {"owner_user_id": ("owner_name", PERSON), "done_asked_by": ("done_asked_by_name", PERSON)},
    "disputes": {"raised_by": ("raised_by_name", PERSON), "raising_slot": ("raising_party", PARTY),
                 "proposal_by": ("proposal_by_name", PERSON)},
    "dispute_log": {"user_id": ("user_name", PERSON)},
    "values": {"party_slot": ("party", PARTY), "recorded_by": ("recorded_by_name", PERSON)},
    "reviews": {"requested_by": ("requested_by_name", PERSON)},
    "signatures": {"user_id": ("user_name", PERSON)},
    "wins": {"party_slot": ("party", PARTY), "user_id": ("user_name", PERSON)},
    "expectations": {"party_slot": ("party", PARTY), "user_id": ("user_name", PERSON)},
    "lessons": {"party_slot": ("party", PARTY), "user_id": ("user_name", PERSON)},
    "commitments": {"party_slot": ("party", PARTY), "marked_by": ("marked_by_name", PERSON)},
    "ideas": {"party_slot": ("party", PARTY), "raised_by": ("raised_by_name", PERSON),
              "owner_user_id": ("owner_name", PERSON)},
    "history": {"user_id": ("user_name", PERSON)},
}


def beside(fields: tuple[str, ...], kind: str, extra: dict[str, str] | None = None) -> tuple[str, ...]:
    """A row's fields with the names of NAMED[kind] (and `extra`: field → the field written after it) inserted
    after the ids they name."""
    after = {**{key: name for key, (name, _) in NAMED.get(kind, {}).items()}, **(extra or {})}
    return tuple(name for field in fields for name in (field, *([after[field]] if field in after else [])))


PERSON_FIELDS = beside(("user_id", "name", "party", "role", "tz", "left_at", "left_how", "left_by", "erased_at"),
                       "people")
OBJECTIVE_FIELDS = beside(("number", "party_slot", "title", "benefit_1", "benefit_2", "status"), "objectives")
KPI_FIELDS = beside(("number", "name", "unit", "direction", "target", "amber", "red", "owner_slot", "reporter_slot",
                     "cadence", "active", "service_level", "values"), "kpis")
VALUE_FIELDS = beside(("period", "value", "reported_by", "reported_at"), "kpi_values")
RISK_FIELDS = beside(("number", "description", "likelihood", "impact", "owner_user_id", "mitigation", "status",
                      "review_on"), "risks")
ACTION_FIELDS = beside(("number", "description", "owner_user_id", "due_on", "status", "reason", "closed_on",
                        "snoozed_until", "done_asked_by"), "actions")
TRIGGER_FIELDS = ("number", "kind", "description", "kpi_number", "periods", "threshold", "on_date", "objective_number",
                  "status")
WIN_FIELDS = beside(("number", "party_slot", "user_id", "text", "created_at"), "wins")
COMMITMENT_FIELDS = beside(("number", "party_slot", "resource", "description", "quantity", "status", "reason",
                            "marked_by", "marked_on", "created_at"), "commitments")
IDEA_FIELDS = beside(("number", "party_slot", "raised_by", "title", "owner_user_id", "status", "benefit_1",
                      "benefit_2", "source_ts", "created_at", "agreed_at", "done_at"), "ideas")
CHANGE_FIELDS = (*beside(("version", "at", "user_id", "party", "entity", "entity_id", "verb", "before", "after"),
                         "history"), "text")
DISPUTE_FIELDS = beside(transfer.DISPUTE_FIELDS, "disputes", {"level": "level_name"})
ENTRY_FIELDS = beside(review_transfer.ENTRY_FIELDS, "values")
REVIEW_FIELDS = beside(review_transfer.REVIEW_FIELDS, "reviews")

# The document's sections in order, each a mapping (relationship) or a list of mappings, with its fields.
SECTIONS: dict[str, tuple[str, ...]] = {
    "relationship": RELATIONSHIP_FIELDS, "parties": PARTY_FIELDS, "people": PERSON_FIELDS,
    "objectives": OBJECTIVE_FIELDS, "kpis": KPI_FIELDS, "risks": RISK_FIELDS, "actions": ACTION_FIELDS,
    "exit_triggers": TRIGGER_FIELDS, "disputes": DISPUTE_FIELDS, "values": ENTRY_FIELDS,
    "reviews": REVIEW_FIELDS, "wins": WIN_FIELDS, "commitments": COMMITMENT_FIELDS, "ideas": IDEA_FIELDS,
    "history": CHANGE_FIELDS,
}
ITEM_TABLES: dict[str, type[SQLModel]] = {
    "objectives": Objective, "risks": Risk, "actions": Action, "exit_triggers": ExitTrigger, "wins": Win,
    "commitments": Commitment, "ideas": Idea,
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
    people = list(db.exec(select(Person).where(Person.relationship_id == rid).order_by(col(Person.user_id))))
    changes = list(db.exec(
        select(Change).where(Change.relationship_id == rid).order_by(col(Change.version), col(Change.id))
    ))
    names = sentences.names_for(db, rid, changes)
    shown = _Shown(names)
    document: dict[str, Any] = {
        "accord_export": FORMAT_VERSION,
        "relationship": _fields(relationship, RELATIONSHIP_FIELDS),
        "parties": [{**_fields(party, PARTY_FIELDS), "working_days": [WEEKDAYS[day] for day in party.working_days]}
                    for party in parties],
        "people": [shown.row("people", {**_fields(person, ("user_id", "name")), "party": slot_of[person.party_id],
                                        **_fields(person, _stored(PERSON_FIELDS, "people")[3:])})
                   for person in people],
        "objectives": [shown.row("objectives", _fields(row, _stored(OBJECTIVE_FIELDS, "objectives")))
                       for row in items.all_of(db, Objective, rid)],
        "kpis": [shown.row("kpis", {**_fields(kpi, _stored(KPI_FIELDS, "kpis")[:-1]),
                                    "values": [shown.row("kpi_values", value) for value in _values(db, kpi)]})
                 for kpi in items.all_of(db, Kpi, rid)],
    }
    for section in ("risks", "actions", "exit_triggers"):
        document[section] = [shown.row(section, _fields(row, _stored(SECTIONS[section], section)))
                             for row in items.all_of(db, ITEM_TABLES[section], rid)]
    document["disputes"] = [shown.dispute(row) for row in transfer.export_disputes(db, rid, plain)]
    document["values"] = [shown.row("values", row) for row in review_transfer.export_values(db, rid, plain)]
    document["reviews"] = [shown.review(row) for row in review_transfer.export_reviews(db, rid, plain)]
    for section in ("wins", "commitments", "ideas"):
        document[section] = [shown.row(section, _fields(row, _stored(SECTIONS[section], section)))
                             for row in items.all_of(db, ITEM_TABLES[section], rid)]
    document["history"] = [{**shown.row("history", _fields(change, _stored(CHANGE_FIELDS, "history")[:-1])),
                            "text": sentences.sentence(change, names)} for change in changes]
    return document


def _stored(fields: tuple[str, ...], kind: str) -> tuple[str, ...]:
    """A kind of row's fields without the names written beside its ids."""
    shown = {name for name, _ in NAMED.get(kind, {}).values()}
    return tuple(field for field in fields if field not in shown)


def _values(db: Session, kpi: Kpi) -> list[dict[str, Any]]:
    rows = db.exec(
        select(KpiValue).where(KpiValue.kpi_id == kpi.id)
        .order_by(col(KpiValue.period), col(KpiValue.reported_at), col(KpiValue.id))
    )
    return [_fields(row, _stored(VALUE_FIELDS, "kpi_values")) for row in rows]


class _Shown:
    """Writes the names beside the ids of the exported rows."""

    def __init__(self, names: sentences.Names) -> None:
        self.names = names

    def name(self, kind: str, value: Any) -> str | None:
        """A person's name by Slack id, a party's by slot; None when unknown (or no id)."""
        if kind == PARTY:
            return JOINT if value is None else self.names.parties.get(value)
        if value is None:
            return None
        return "Accord" if value == sentences.ACCORD else self.names.people.get(value)

    def row(self, kind: str, row: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """`row` with each name of NAMED[kind] (and of `extra`) after the field it names."""
        named, extra = NAMED.get(kind, {}), extra or {}
        result: dict[str, Any] = {}
        for key, value in row.items():
            result[key] = value
            if key in named:
                result[named[key][0]] = self.name(named[key][1], value)
            if key in extra:
                result[extra[key][0]] = extra[key][1]
        return result

    def dispute(self, row: dict[str, Any]) -> dict[str, Any]:
        """A dispute with its level counted from 1 beside the level's name, and its log's people named."""
        index = row["level"]
        level = index + 1
        ladder = row["ladder"]
        level_name = f"L{level} {ladder[index]['name']}" if 0 <= index < len(ladder) else f"L{level}"
        row = {**row, "level": level, "log": [self.row("dispute_log", entry) for entry in row["log"]]}
        return self.row("disputes", row, {"level": ("level_name", level_name)})

    def review(self, row: dict[str, Any]) -> dict[str, Any]:
        """A review with its signers named and its figures' dispute levels counted from 1."""
        row = {**row, "figures": shift_levels(row["figures"], 1),
               **{kind: [self.row(kind, entry) for entry in row[kind]]
                  for kind in ("signatures", "expectations", "lessons")}}
        return self.row("reviews", row)


def shift_levels(figures: Any, by: int) -> Any:
    """A review's figures with the level of each dispute they list moved by `by` (+1: as the file counts them, from
    1; -1: as stored, from 0); anything not shaped as figures is left as it is."""
    if not isinstance(figures, dict) or not isinstance(figures.get("disputes"), dict):
        return figures
    disputes = {key: [{**d, "level": d["level"] + by} if isinstance(d, dict) and type(d.get("level")) is int else d
                      for d in listed] if isinstance(listed, list) else listed
                for key, listed in figures["disputes"].items()}
    return {**figures, "disputes": disputes}


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
    text: str = yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), sort_keys=False,
                          allow_unicode=True, default_flow_style=False)
    return text if text.endswith("\n") else text + "\n"


def yaml_module() -> Any:
    """PyYAML, or a PlanFileError saying how to get it (JSON needs nothing).

    Its libyaml classes (CSafeLoader, CSafeDumper) are used where the wheel has them: a plan of a year reads and
    writes about ten times faster than with PyYAML's own Python ones, which are used where libyaml is missing."""
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
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader (libyaml's, or PyYAML's own)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "a syntax error"
        if mark is None:
            raise PlanFileError(f"not valid YAML: {problem}") from None
        raise PlanFileError(f"line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {problem}",
                            line=mark.line + 1) from None
    except yaml.reader.ReaderError as exc:
        # libyaml counts the position in bytes of the UTF-8 text; PyYAML's own reader, in characters
        before = text[:exc.position] if loader is yaml.SafeLoader else \
            text.encode("utf-8")[:exc.position].decode("utf-8", errors="ignore")
        line = before.count("\n") + 1
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
