"""`accord export` and `accord import`: the whole plan and its history, round trips byte for byte,
bad files are refused naming the line or the field, and a refused import writes nothing. The file names people
and parties beside their ids, says each change in words, names working days, counts dispute levels from 1 as
their names do, and files of format 4 and older still import."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from commands.errors import InputError
from commands.privacy import erasure
from commands.rmp import chasing
from commands.rmp.export import FORMAT_VERSION, NAMED, SECTIONS, WEEKDAYS, dump_text, export_plan, load_text
from commands.rmp.importing import READERS, import_plan
from storage.disputes import Dispute
from storage.engine import make_engine, transaction
from storage.models import WorkItem
from storage.partnership import Commitment, Idea
from storage.reviews import Review, ReviewExpectation, ReviewLesson, ReviewSignature, ValueEntry
from storage.rmp import Action, Change, ExitTrigger, Kpi, KpiValue, Objective, Party, Person, Relationship, Risk, Win
from tests.accord_cli import run_accord
from tests.commands.report_quarter import build_quarter
from tests.commands.rmp_factory import ALICE, BOB, CAROL, CHANNEL, DAVE, HOME, NAME, NOW, PARTNER, build_plan

TABLES = (Relationship, Party, Person, Objective, Kpi, KpiValue, Risk, Action, ExitTrigger, Change, Review,
          ReviewSignature, ReviewExpectation, ReviewLesson, ValueEntry, Win, Commitment, Idea)
IDS = {"id", "relationship_id", "party_id", "kpi_id", "review_id"}


@pytest.fixture
def target_url(database_copies: Callable[[], str]) -> str:
    """A second database of the same kind as `database_url`, at the newest schema and empty of plans."""
    return database_copies()


_DOCUMENTS: dict[str, dict[str, Any]] = {}  # the built plan's export per database kind, built once per process


@pytest.fixture
def plan_document(database_kind: str, database_copies: Callable[[], str]) -> dict[str, Any]:
    """The export of `build_plan` on a database of this kind: built once, a fresh copy for each test that only
    reads it (building the plan is most of an import test's time)."""
    if database_kind not in _DOCUMENTS:
        engine = make_engine(database_copies())
        try:
            build_plan(engine)
            _DOCUMENTS[database_kind] = exported(engine)
        finally:
            engine.dispose()
    return copy.deepcopy(_DOCUMENTS[database_kind])


@pytest.fixture
def target(target_url: str) -> Iterator[Engine]:
    """An engine on the second database."""
    engine = make_engine(target_url)
    yield engine
    engine.dispose()


def accord(url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the `accord` CLI (in this process) on the database at `url`."""
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"}
    return run_accord(["--env-file", "/nonexistent", *args], env=env, text=False)


def counts(engine: Engine) -> dict[str, int]:
    """Rows per plan table."""
    with Session(engine) as db:
        return {table.__name__: int(db.exec(select(func.count()).select_from(table)).one()) for table in TABLES}


def exported(engine: Engine, channel: str = CHANNEL) -> dict[str, Any]:
    """The channel's plan, exported in this process."""
    with transaction(engine) as db:
        return export_plan(db, channel_id=channel)


NAMES = {ALICE: "Alice Ng", BOB: "Bob Ortiz", CAROL: "Carol Diaz", DAVE: "Dave Ó Sé"}


def name_people(engine: Engine) -> None:
    """Give everyone the name Slack's users.info would."""
    with transaction(engine) as db:
        for person in db.exec(select(Person)):
            person.name = NAMES[person.user_id]
            db.add(person)


FORMAT_6_FIELDS = {"relationship": ("charter_mission", "charter_values", "charter_behaviours", "retention_months"),
                   "people": ("erased_at",), "kpis": ("service_level",)}


def as_format_5(document: dict[str, Any]) -> dict[str, Any]:
    """A format 6 export as format 5 wrote it: no charter, retention, erasure, service levels, commitments, ideas,
    or reviews' expectations, lessons and what their signers reviewed."""
    older = copy.deepcopy(document)
    older["accord_export"] = 5
    del older["commitments"], older["ideas"]
    for name in FORMAT_6_FIELDS["relationship"]:
        del older["relationship"][name]
    for section in ("people", "kpis"):
        for row in older[section]:
            for name in FORMAT_6_FIELDS[section]:
                del row[name]
    for review in older["reviews"]:
        del review["expectations"], review["lessons"]
        for signature in review["signatures"]:
            del signature["plan_version"], signature["exit_reviewed"]
    return older


def as_format_4(document: dict[str, Any]) -> dict[str, Any]:
    """A format 6 export as format 4 wrote it: format 5's document without names beside ids, people's names or
    changes in words, with working days 0 (Monday) to 6, and dispute levels counted from 0 (in `disputes` and in
    the reviews' figures)."""
    older = as_format_5(document)
    older["accord_export"] = 4
    for section in ("people", "objectives", "kpis", "risks", "actions", "disputes", "values", "reviews", "wins",
                    "history"):
        for row in older[section]:
            for name, _ in NAMED.get(section, {}).values():
                row.pop(name, None)
            row.pop("level_name", None)
            if section == "history":
                del row["text"]
    for person in older["people"]:
        del person["name"]
    for kpi in older["kpis"]:
        for value in kpi["values"]:
            del value["reported_by_name"]
    for dispute in older["disputes"]:
        dispute["level"] -= 1
        for event in dispute["log"]:
            del event["user_name"]
    for review in older["reviews"]:
        for signature in review["signatures"]:
            del signature["user_name"]
        for listed in review["figures"]["disputes"].values():
            for entry in listed:
                entry["level"] -= 1
    for party in older["parties"]:
        party["working_days"] = [WEEKDAYS.index(day) for day in party["working_days"]]
    return older


def one_line(result: subprocess.CompletedProcess[bytes]) -> str:
    """The single line a failed command wrote on stderr."""
    lines = result.stderr.decode("utf-8").strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_import_export_through_the_cli_is_byte_identical(
    fmt: str, engine: Engine, database_url: str, target_url: str, tmp_path: Path
) -> None:
    build_plan(engine)
    name_people(engine)
    first = tmp_path / f"plan.{fmt}"
    written = accord(database_url, "export", "--channel", CHANNEL, "--format", fmt, "--output", str(first))
    assert written.returncode == 0, written.stderr
    assert written.stdout == b""
    assert NAME.encode("utf-8") in first.read_bytes()  # unicode written as is, not escaped

    imported = accord(target_url, "import", str(first))
    assert imported.returncode == 0, imported.stderr
    version = exported(engine)["relationship"]["version"]
    assert imported.stdout.decode("utf-8") == f"accord: imported {NAME} (channel {CHANNEL}, plan version {version})\n"

    again = accord(target_url, "export", "--channel", CHANNEL, "--format", fmt)
    assert again.returncode == 0, again.stderr
    assert again.stdout == first.read_bytes()


@pytest.mark.sqlite_only("test_export_import_export_through_the_cli_is_byte_identical")
def test_the_document_is_plain_has_no_ids_and_reads_back_in_process(engine: Engine, target: Engine) -> None:
    build_plan(engine)
    document = exported(engine)
    assert list(document) == ["accord_export", *SECTIONS]
    assert all(tuple(READERS[section]) == fields for section, fields in SECTIONS.items())
    assert json.loads(json.dumps(document)) == document  # plain JSON values only

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {key for item in value.values() for key in keys(item)}
        return {key for item in value for key in keys(item)} if isinstance(value, list) else set()

    assert not keys(document) & IDS
    for fmt in ("yaml", "json"):
        assert load_text(dump_text(document, fmt)) == document
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(document, "yaml")))
    assert exported(target) == document
    assert counts(target) == counts(engine)
    with Session(target) as db:  # Dave's open action #3 is chased where it was imported too
        nudges = db.exec(select(WorkItem).where(WorkItem.kind == chasing.KIND)).all()
    assert [item.payload["user"] for item in nudges] == [DAVE]


def test_a_grid_partys_org_and_workspaces_travel_and_a_format_2_file_reads_as_no_grid(
    engine: Engine, target: Engine, database_copies: Callable[[], str]
) -> None:
    build_plan(engine)
    with transaction(engine) as db:
        partner = db.exec(select(Party).where(Party.team_id == PARTNER)).one()
        partner.enterprise_id, partner.team_ids = "E0PARTNERORG", [PARTNER, "T0PARTNER2"]
        db.add(partner)
    document = exported(engine)
    assert document["accord_export"] == FORMAT_VERSION
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(document, "yaml")))
    with Session(target) as db:
        imported = db.exec(select(Party).where(Party.team_id == PARTNER)).one()
        assert (imported.enterprise_id, imported.team_ids) == ("E0PARTNERORG", [PARTNER, "T0PARTNER2"])
    older = copy.deepcopy(document)
    older["accord_export"] = 2
    for party in older["parties"]:
        del party["enterprise_id"], party["team_ids"]
    third = make_engine(database_copies())
    try:
        with transaction(third) as db:
            import_plan(db, older)
        with Session(third) as db:
            assert {(p.enterprise_id, tuple(p.team_ids)) for p in db.exec(select(Party))} == {(None, ())}
    finally:
        third.dispose()


def test_format_4_carries_leavers_review_dates_asks_objective_triggers_and_wins_and_format_3_reads_without(
    engine: Engine, target: Engine, database_copies: Callable[[], str]
) -> None:
    build_plan(engine)
    with transaction(engine) as db:
        dave = db.exec(select(Person).where(Person.user_id == DAVE)).one()
        dave.left_at, dave.left_how, dave.left_by = NOW, "removed", ALICE
        db.add(dave)
    document = exported(engine)
    assert [w["text"] for w in document["wins"]] == ["First joint order shipped — 出荷", "Case study signed off"]
    assert document["risks"][0]["review_on"] == "2027-01-15" and document["actions"][2]["done_asked_by"] == BOB
    assert [(t["kind"], t["objective_number"], t["threshold"]) for t in document["exit_triggers"][-2:]] == [
        ("objective_failing", 1, None), ("objectives_failing", None, 2.0)]
    assert [(p["left_how"], p["left_by"]) for p in document["people"] if p["user_id"] == DAVE] == [("removed", ALICE)]
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(document, "json")))
    assert exported(target) == document
    older = as_format_4(document)  # as format 3 wrote it: none of format 4's fields, no wins
    older["accord_export"] = 3
    del older["wins"]
    for section, fields in [("people", ("left_at", "left_how", "left_by")), ("risks", ("review_on",)),
                            ("actions", ("snoozed_until", "done_asked_by")), ("exit_triggers", ("objective_number",))]:
        for row in older[section]:
            for name in fields:
                del row[name]
    older["exit_triggers"] = older["exit_triggers"][:-2]  # format 3 had no triggers on objectives
    third = make_engine(database_copies())
    try:
        with transaction(third) as db:
            import_plan(db, older)
        again = exported(third)
        assert again["wins"] == [] and all(p["left_at"] is None and p["left_how"] == "" for p in again["people"])
        assert all(r["review_on"] is None for r in again["risks"]) and all(
            a["done_asked_by"] is None for a in again["actions"])
    finally:
        third.dispose()


def test_format_6_carries_the_charter_service_levels_commitments_ideas_minutes_and_erasure_and_format_5_reads_without(
    engine: Engine, target: Engine, database_copies: Callable[[], str]
) -> None:
    build_quarter(engine)
    unerased = exported(engine)  # format 5 knew no erasure: its file names everyone
    with transaction(engine) as db:
        erasure.erase_user(db, user_id=CAROL, now=NOW)
    document = exported(engine)
    assert document["relationship"]["charter_values"] == ["Openness", "Fairness — équité"]
    assert [(c["number"], c["status"], c["party"]) for c in document["commitments"]] == [
        (1, "committed", "Acme Ünïcode"), (2, "not_honoured", "Northwind Partner Co")]
    assert [(i["title"], i["status"], i["raised_by_name"]) for i in document["ideas"]] == [
        ("Shared ticket queue", "done", "Bob Baker"), ("Quarterly joint webinar", "proposed", "Alice Archer")]
    assert [k["service_level"] for k in document["kpis"]] == [False, False, True]
    last = document["reviews"][-1]
    assert [(e["party_slot"], e["score"]) for e in last["expectations"]] == [(1, 4), (2, 3)]
    assert [lesson["failure"] for lesson in last["lessons"]] == ["The kick-off slipped"]
    assert [(s["plan_version"] is not None, s["exit_reviewed"]) for s in last["signatures"]] == [(True, True),
                                                                                               (True, False)]
    [carol] = [p for p in document["people"] if p["user_id"] == CAROL]
    assert carol["erased_at"] is not None and carol["name"] == "Former participant 1"
    for fmt in ("yaml", "json"):
        text = dump_text(document, fmt)
        fresh = make_engine(database_copies())
        try:
            with transaction(fresh) as db:
                import_plan(db, load_text(text))
            assert dump_text(exported(fresh), fmt) == text  # byte for byte
            assert counts(fresh) == counts(engine) and counts(fresh)["ReviewLesson"] == 2  # review #1 has one too
        finally:
            fresh.dispose()
    older = as_format_5(unerased)
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(older, "yaml")))
    again = exported(target)
    assert again["commitments"] == [] and again["ideas"] == []
    assert again["relationship"]["charter_mission"] == "" and again["relationship"]["retention_months"] == 24
    assert all(r["expectations"] == [] and r["lessons"] == [] for r in again["reviews"])
    assert not any(k["service_level"] for k in again["kpis"])
    assert as_format_5(again) == older


def test_history_is_included_one_entry_per_change(engine: Engine) -> None:
    build_plan(engine)
    document = exported(engine)
    history = document["history"]
    assert len(history) == counts(engine)["Change"]
    # each change of the plan raises its version by one; a review's minutes and sign-offs are kept at the version
    # they were recorded at (the SERs sign the version they reviewed)
    raised = [entry["version"] for entry in history if entry["entity"] != "review" or entry["verb"] == "held"]
    assert raised == list(range(1, len(raised) + 1)), raised
    assert all(entry["version"] == previous["version"] for previous, entry in zip(history, history[1:], strict=False)
               if entry["entity"] == "review" and entry["verb"] != "held")
    assert history[-1]["version"] == document["relationship"]["version"]
    assert {entry["entity"] for entry in history} == {
        "relationship", "person", "party", "objective", "kpi", "risk", "action", "exit_trigger", "exit_strategy",
        "checkin_settings", "value", "review", "proposal"}
    assert {entry["verb"] for entry in history} >= {"create", "update", "join", "role", "done", "cannot_complete",
                                                     "reviewed"}
    assert all(entry["at"].endswith("+00:00") for entry in history)


def _replace_line(fmt: str, starts: str, new: str) -> Callable[[dict[str, Any]], tuple[str, int]]:
    """Write the document and put `new` in place of the first line starting with `starts`; (text, line)."""
    def corrupt(document: dict[str, Any]) -> tuple[str, int]:
        lines = dump_text(document, fmt).splitlines(keepends=True)
        index = next(i for i, line in enumerate(lines) if line.startswith(starts))
        lines[index] = new
        return "".join(lines), index + 1
    return corrupt


def _change(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], tuple[str, int]]:
    """Set (or with `...` delete) one field of the document, written as YAML."""
    def corrupt(document: dict[str, Any]) -> tuple[str, int]:
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if value is ...:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        return dump_text(document, "yaml"), 0
    return corrupt


def _control_character(document: dict[str, Any]) -> tuple[str, int]:
    """A BEL in a value, below lines of accented letters: libyaml gives its position in bytes, not characters."""
    text, line = _replace_line("yaml", "  mode:", "  mode: conn\x07ect\n")(document)
    preface = "# Réglé à l’échéance — « ça déborde » — déjà vérifié\n" * 3
    return preface + text, line + 3


MALFORMED = {
    "yaml syntax": (_replace_line("yaml", "  mode:", "  mode: connect: single\n"), "line {line}, column"),
    # a missing comma is noticed where the next member starts, one line on
    "json syntax": (_replace_line("json", '    "mode":', '    "mode": "connect"\n'), "line {next}, column"),
    "control character": (_control_character, "line {line}: not valid YAML: the character U+0007 is not allowed"),
    "kpi target": (_change(("kpis", 0, "target"), "abc"), "kpis[0].target: expected a number, got 'abc'"),
    "role": (_change(("people", 0, "role"), "boss"), "people[0].role: expected one of ser, manager, member, "
                                                     "observer, got 'boss'"),
    "exit kpi": (_change(("exit_triggers", 0, "kpi_number"), 9), "exit_triggers[0].kpi_number: there is no KPI #9"),
    "missing name": (_change(("relationship", "name"), ...), "relationship.name: missing"),
    "late in history": (_change(("history", 0, "version"), 10_000), "history[0].version: 10000 is above"),
    "dispute log": (_change(("disputes", 0, "log", 1, "at"), "yesterday"), "disputes[0].log[1].at: expected"),
    "review figures": (_change(("reviews", 0, "figures"), ...), "reviews[0].figures: missing"),
    "signature slot": (_change(("reviews", 0, "signatures", 0, "party_slot"), 3),
                       "reviews[0].signatures[0].party_slot: expected a party slot, 1 or 2, got 3"),
    "anonymity floor": (_change(("relationship", "checkin_min_respondents"), 2),
                        "relationship.checkin_min_respondents: expected a whole number from 3 to 50, got 2"),
    "value kind": (_change(("values", 0, "kind"), "gift"), "values[0].kind: expected one of cost, benefit, got 'gift'"),
}


@pytest.mark.sqlite_only("test_importing_into_a_channel_that_has_a_relationship_is_refused")
@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_file_is_refused_naming_the_line_or_field_and_nothing_is_written(
    case: str, plan_document: dict[str, Any], target: Engine, target_url: str, tmp_path: Path
) -> None:
    corrupt, expected = MALFORMED[case]
    content, line = corrupt(plan_document)
    bad = tmp_path / "bad.txt"
    bad.write_text(content, encoding="utf-8")
    result = accord(target_url, "import", str(bad))
    assert result.returncode == 1
    message = one_line(result)
    assert message.startswith("accord import: ") and "Traceback" not in result.stderr.decode()
    assert expected.format(line=line, next=line + 1) in message, message
    assert set(counts(target).values()) == {0}


INCONSISTENT: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "format": (lambda d: d.update(accord_export=7), "accord_export: unsupported format 7"),
    "weekday": (lambda d: d["parties"][0]["working_days"].append("someday"),
                "parties[0].working_days[5]: expected a weekday (mon, tue, wed, thu, fri, sat, sun), got 'someday'"),
    "weekday twice": (lambda d: d["parties"][0].update(working_days=["mon", "Monday"]),
                      "parties[0].working_days: expected a list of distinct weekdays"),
    "dispute level": (lambda d: d["disputes"][0].update(level=5),
                      "disputes[0].level: expected a level of its ladder, 1 to 4, got 5"),
    "dispute level 0": (lambda d: d["disputes"][0].update(level=0), "disputes[0].level: expected a whole number "
                                                                    "from 1 to 6, got 0"),
    "name not text": (lambda d: d["risks"][0].update(owner_name=3), "risks[0].owner_name: expected text or null"),
    "unknown section": (lambda d: d.update(extras=[]), "extras: unknown section"),
    "unknown field": (lambda d: d["risks"][0].update(colour="red"), "risks[0].colour: unknown field"),
    "mode": (lambda d: d["relationship"].update(mode="merged"), "relationship.mode: expected one of connect, single"),
    "timezone": (lambda d: d["relationship"].update(timezone="Mars/Base"), "relationship.timezone:"),
    "cadence": (lambda d: d["relationship"].update(checkin_cadence="often"), "relationship.checkin_cadence:"),
    "holiday": (lambda d: d["parties"][0]["holidays"].append("2026-02-30"), "parties[0].holidays[2]: expected a"),
    "hours": (lambda d: d["parties"][1].update(working_hours="17:30-09:00"), "parties[1].working_hours: `17:30-09:00`"),
    "region": (lambda d: d["parties"][1].update(holiday_region="XX-YY"), "parties[1].holiday_region: `XX-YY` is not"),
    "ladder": (lambda d: d["relationship"]["ladder"][0].update(days=None), "relationship.ladder[0].days: only the"),
    "version": (lambda d: d["relationship"].update(version=-1), "relationship.version: expected a whole number"),
    "three parties": (lambda d: d["parties"].append({**d["parties"][1], "name": "X"}), "parties: expected "
                                                                                               "exactly two"),
    "same slot": (lambda d: d["parties"][1].update(slot=1), "parties[1].slot: 1 is already used by parties[0]"),
    "party of person": (lambda d: d["people"][0].update(party=3), "people[0].party: expected a party slot, 1 or 2"),
    "twice": (lambda d: d["people"][1].update(user_id=d["people"][0]["user_id"]), "people[1].user_id:"),
    "number": (lambda d: d["objectives"][1].update(number=1), "objectives[1].number: 1 is already used"),
    "objective of trigger": (lambda d: d["exit_triggers"][-2].update(objective_number=9),
                             "exit_triggers[5].objective_number: there is no objective #9"),
    "left how": (lambda d: d["people"][0].update(left_how="fired"), "people[0].left_how: expected one of"),
    "win twice": (lambda d: d["wins"][1].update(number=1), "wins[1].number: 1 is already used by wins[0]"),
    "status": (lambda d: d["objectives"][0].update(status="won"), "objectives[0].status: expected one of"),
    "thresholds": (lambda d: d["kpis"][0].update(red=50), "kpis[0].red: when higher is better"),
    "bool is no number": (lambda d: d["kpis"][1].update(amber=True), "kpis[1].amber: expected a number, got true"),
    "value date": (lambda d: d["kpis"][0]["values"][1].update(period="Oct 2026"), "kpis[0].values[1].period:"),
    "likelihood": (lambda d: d["risks"][0].update(likelihood=6), "risks[0].likelihood: expected a whole number "
                                                                 "from 1 to 5, got 6"),
    "closed": (lambda d: d["actions"][0].update(closed_on=None), "actions[0].closed_on: a done action needs"),
    "trigger field": (lambda d: d["exit_triggers"][4].update(periods=2), "exit_triggers[4].periods: expected null"),
    "trust": (lambda d: d["exit_triggers"][1].update(threshold=7), "exit_triggers[1].threshold: trust is rated"),
    "history time": (lambda d: d["history"][3].update(at="yesterday"), "history[3].at: expected a time"),
    "history order": (lambda d: d["history"][5].update(version=1), "history[5].version: versions only go up"),
    "history json": (lambda d: d["history"][9]["after"].update(x=float("nan")), "history[9].after.x: expected"),
    "too long": (lambda d: d["relationship"].update(name="n" * 151), "relationship.name: holds at most 150"),
    "value kind": (lambda d: d["values"][0].update(kind="gift"), "values[0].kind: expected one of cost, benefit"),
    "negative amount": (lambda d: d["values"][1].update(amount=-5), "values[1].amount: expected an amount of 0 or "
                                                                    "more, got -5"),
    "empty value": (lambda d: d["values"][2].update(description=" "), "values[2].amount: a cost or benefit needs"),
    "value day": (lambda d: d["values"][0].update(on="2026-02-30"), "values[0].on: expected a date"),
    "review field": (lambda d: d["reviews"][1].pop("ends_at"), "reviews[1].ends_at: missing"),
    "review unknown": (lambda d: d["reviews"][0].update(score=3), "reviews[0].score: unknown field"),
    "review trigger": (lambda d: d["reviews"][0].update(trigger="later"), "reviews[0].trigger: expected one of "
                                                                         "scheduled, now"),
    "review number": (lambda d: d["reviews"][1].update(number=1), "reviews[1].number: 1 is already used"),
    "review period": (lambda d: d["reviews"][0].update(ends_at="2020-01-01T00:00:00+00:00"),
                      "reviews[0].ends_at: a review ends at or after it starts"),
    "figures list": (lambda d: d["reviews"][0].update(figures=[]), "reviews[0].figures: expected a mapping, got a "
                                                                   "list"),
    "figures json": (lambda d: d["reviews"][0]["figures"]["kpis"][0].update(value=float("inf")),
                     "reviews[0].figures.kpis[0].value: expected"),
    "figures number": (lambda d: d["reviews"][1]["figures"].update(number=1),
                       "reviews[1].figures.number: expected the review's number 2, got 1"),
    "signature slot": (lambda d: d["reviews"][0]["signatures"][0].update(party_slot=3),
                       "reviews[0].signatures[0].party_slot: expected a party slot, 1 or 2, got 3"),
    "signed twice": (lambda d: d["reviews"][0]["signatures"].append(dict(d["reviews"][0]["signatures"][0])),
                     "reviews[0].signatures[1].party_slot: 1 is already used by reviews[0].signatures[0]"),
    "signature time": (lambda d: d["reviews"][0]["signatures"][0].update(signed_at=None),
                       "reviews[0].signatures[0].signed_at: expected a time"),
}


def test_inconsistent_documents_are_refused_in_process_and_nothing_is_written(
    plan_document: dict[str, Any], target: Engine
) -> None:
    document = plan_document
    for case, (mutate, expected) in INCONSISTENT.items():
        broken = copy.deepcopy(document)
        mutate(broken)
        with pytest.raises(InputError) as raised, transaction(target) as db:
            import_plan(db, broken)
        assert raised.value.message.startswith(expected), (case, raised.value.message)
        assert raised.value.field == expected.split(":")[0], case
    assert set(counts(target).values()) == {0}


def test_importing_into_a_channel_that_has_a_relationship_is_refused(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    build_plan(engine)
    before, rows = exported(engine), counts(engine)
    file = tmp_path / "plan.yaml"
    file.write_text(dump_text(before, "yaml"), encoding="utf-8")
    result = accord(database_url, "import", str(file))
    assert result.returncode == 1
    assert one_line(result) == (f"accord import: channel {CHANNEL} already has a relationship; "
                                "import into an empty database or another channel")
    assert exported(engine) == before and counts(engine) == rows
    # the same plan under another channel is welcome beside it
    other = copy.deepcopy(before)
    other["relationship"]["channel_id"] = "C0OTHER"
    with transaction(engine) as db:
        import_plan(db, other)
    assert exported(engine, "C0OTHER") == other and exported(engine) == before


def test_export_and_import_report_problems_in_one_line(engine: Engine, database_url: str, tmp_path: Path) -> None:
    unknown = accord(database_url, "export", "--channel", "C0NOPE")
    assert unknown.returncode == 1 and unknown.stdout == b""
    assert one_line(unknown) == "accord export: channel C0NOPE has no relationship"
    missing = accord(database_url, "import", str(tmp_path / "absent.yaml"))
    assert missing.returncode == 1 and "cannot read" in one_line(missing)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"accord_export: 1\nrelationship: \xff\n")
    assert one_line(accord(database_url, "import", str(binary))) == "accord import: line 2: the file is not UTF-8 text"
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert one_line(accord(database_url, "import", str(empty))) == "accord import: the file is empty"
    assert set(counts(engine).values()) == {0}


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = accord(url, "export", "--channel", CHANNEL)
    assert result.returncode == 1 and "accord migrate" in one_line(result)


@pytest.mark.parametrize("command", ["export", "import"])
def test_both_subcommands_have_help(command: str) -> None:
    result = run_accord([command, "--help"], env={"PATH": os.environ["PATH"]})
    assert result.returncode == 0 and f"usage: accord {command}" in result.stdout


def test_disputes_with_their_log_and_check_in_settings_travel_in_the_export(engine: Engine) -> None:
    build_plan(engine)
    document = exported(engine)
    assert document["relationship"]["checkin_scale"] == 7
    assert document["relationship"]["checkin_statements"][1] == "We trust the partner — 信頼"
    assert {p["user_id"]: p["tz"] for p in document["people"]}["U0BOB"] == "America/New_York"
    first, second = document["disputes"]
    assert first["status"] == "resolved" and first["lessons"] == "Agree terms up front"
    assert [event["kind"] for event in first["log"]] == ["raised", "escalated", "proposed", "resolved"]
    assert [event["kind"] for event in second["log"]] == ["raised", "note"] and second["status"] == "open"


def test_an_imported_open_dispute_gets_a_new_root_message_and_its_timers(
    engine: Engine, target: Engine
) -> None:
    from sqlmodel import Session, select

    from storage.models import OutboxMessage, WorkItem

    build_plan(engine)
    document = exported(engine)
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(document, "json")))
    with Session(target) as db:
        roots = [r.idempotency_key for r in db.exec(select(OutboxMessage)) if r.view == "dispute_root"]
        timers = [w.kind for w in db.exec(select(WorkItem)) if w.kind.startswith("dispute.")]
    assert len(roots) == 1 and roots[0].endswith(":root")  # the open one; the resolved one needs none
    assert "dispute.escalate" in timers


def test_reviews_with_their_figures_and_sign_offs_and_values_travel_in_the_export(engine: Engine) -> None:
    build_plan(engine)
    document = exported(engine)
    assert [(v["party_slot"], v["kind"], v["amount"]) for v in document["values"]] == [
        (1, "cost", 1234.5), (2, "benefit", 0.1), (1, "benefit", None), (2, "cost", 1e-07), (2, "benefit", 2500.0)]
    assert document["values"][0]["on"] == "2026-11-20" and document["values"][2]["description"] == "A reference — 参考"
    first, second = document["reviews"]
    assert (first["number"], first["trigger"], first["requested_by"]) == (1, "now", ALICE)
    assert (second["number"], second["trigger"], second["requested_by"]) == (2, "scheduled", "accord")
    assert second["starts_at"] == first["ends_at"] and second["signatures"] == []
    assert [(s["party_slot"], s["user_id"]) for s in first["signatures"]] == [(1, DAVE)]
    assert first["figures"]["number"] == 1
    assert [entry["amount"] for entry in first["figures"]["values"][1]["entries"]] == [0.1, 1e-07]
    for fmt in ("yaml", "json"):  # floats, key order and unicode of the figures survive both formats exactly
        text = dump_text(document, fmt)
        assert dump_text(load_text(text), fmt) == text
        assert list(load_text(text)["reviews"][0]["figures"]) == list(first["figures"])


def _review_list(engine: Engine, user: str, team: str) -> list[tuple[Any, ...]]:
    """`/accord reviews` as `user` sees it: each review's record, sign-offs and the parties it awaits."""
    from commands.actor import Actor
    from commands.reviews import records

    with transaction(engine) as db:
        return [(r.review.number, r.review.starts_at, r.review.ends_at, r.review.trigger, r.review.requested_by,
                 r.review.created_at, r.review.figures, r.awaiting,
                 [(s.party_slot, s.party, s.user_id, s.signed_at) for s in r.signatures])
                for r in records.list_reviews(db, actor=Actor(user, team, CHANNEL))]


def test_an_imported_relationship_lists_the_same_reviews(engine: Engine, target: Engine) -> None:
    build_plan(engine)
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(exported(engine), "yaml")))
    original = _review_list(engine, BOB, PARTNER)
    assert [row[0] for row in original] == [2, 1] and original[1][-1][0][2] == DAVE
    assert original[1][7] == ["北 Partner Company"]
    assert _review_list(target, BOB, PARTNER) == original
    assert _review_list(target, DAVE, HOME) == _review_list(engine, DAVE, HOME)


def test_the_next_scheduled_review_is_queued_after_import(engine: Engine, target: Engine) -> None:
    from commands.reviews import runs
    from storage.models import PENDING, WorkItem
    from storage.utc import utcnow

    build_plan(engine)
    before = utcnow()
    with transaction(target) as db:
        relationship = import_plan(db, exported(engine))
        rid = relationship.id
    with Session(target) as db:
        queued = [w for w in db.exec(select(WorkItem)) if w.kind == runs.KIND]
    assert len(queued) == 1 and queued[0].status == PENDING
    assert queued[0].payload["relationship_id"] == rid and queued[0].due_at > before


def test_an_imported_review_awaiting_sign_off_is_posted_again_and_can_be_signed(
    engine: Engine, target: Engine
) -> None:
    from commands.actor import Actor
    from commands.reviews import minutes, records
    from commands.rmp import people
    from storage.models import OutboxMessage
    from storage.utc import utcnow

    build_plan(engine)
    with transaction(target) as db:
        import_plan(db, exported(engine))
    with Session(target) as db:
        roots = {r.idempotency_key for r in db.exec(select(OutboxMessage)) if r.view == "review_summary"}
    assert len(roots) == 2  # neither review is signed off by both parties yet
    bob = Actor(BOB, PARTNER, CHANNEL)
    with transaction(target) as db:
        people.set_role(db, actor=bob, text_args=f"<@{BOB}> ser", now=utcnow())
        minutes.state_expectations(db, actor=bob, number=1, score="3", note="", now=utcnow())
        record = records.sign_off(db, actor=bob, number=1, now=utcnow(), plan_version=1, exit_reviewed=False)
        assert record.awaiting == [] and [s.user_id for s in record.signatures] == [DAVE, BOB]
    with Session(target) as db:
        follow_ups = [r for r in db.exec(select(OutboxMessage)) if r.updates or r.thread_of]
    assert follow_ups and {r.updates or r.thread_of for r in follow_ups} <= roots


def test_the_export_names_people_and_parties_beside_their_ids_and_says_each_change_in_words(engine: Engine) -> None:
    build_plan(engine)
    name_people(engine)
    document = exported(engine)
    assert {p["user_id"]: (p["name"], p["party_name"]) for p in document["people"]} == {
        ALICE: ("Alice Ng", "Acme Ünïcode"), BOB: ("Bob Ortiz", "北 Partner Company"),
        CAROL: ("Carol Diaz", "北 Partner Company"), DAVE: ("Dave Ó Sé", "Acme Ünïcode")}
    assert [(r["owner_user_id"], r["owner_name"]) for r in document["risks"]] == [
        (DAVE, "Dave Ó Sé"), (BOB, "Bob Ortiz")]
    assert [(a["owner_user_id"], a["owner_name"]) for a in document["actions"]] == [
        (ALICE, "Alice Ng"), (BOB, "Bob Ortiz"), (DAVE, "Dave Ó Sé")]
    assert (document["actions"][2]["done_asked_by"], document["actions"][2]["done_asked_by_name"]) == (BOB, "Bob Ortiz")
    assert [(k["owner_party"], k["reporter_party"]) for k in document["kpis"]] == [
        ("Acme Ünïcode", "北 Partner Company"), ("北 Partner Company", "Acme Ünïcode")]
    assert {(v["reported_by"], v["reported_by_name"]) for k in document["kpis"] for v in k["values"]} == {
        (BOB, "Bob Ortiz"), (ALICE, "Alice Ng")}
    assert [o["party"] for o in document["objectives"]] == ["joint (ours)", "Acme Ünïcode", "北 Partner Company"]
    assert (document["disputes"][0]["raised_by_name"], document["disputes"][0]["proposal_by_name"]) == (
        "Bob Ortiz", "Alice Ng")
    assert [(e["user_id"], e["user_name"]) for e in document["disputes"][0]["log"]][:2] == [
        (BOB, "Bob Ortiz"), (BOB, "Bob Ortiz")]
    first, second = document["reviews"]
    assert (first["requested_by_name"], second["requested_by_name"]) == ("Alice Ng", "Accord")
    assert first["signatures"][0]["user_name"] == "Dave Ó Sé"
    assert [(w["user_name"], w["party"]) for w in document["wins"]] == [
        ("Bob Ortiz", "北 Partner Company"), ("Alice Ng", "Acme Ünïcode")]
    history = document["history"]
    assert all(entry["user_name"] == NAMES.get(entry["user_id"], "Accord") for entry in history)
    texts = [entry["text"] for entry in history]
    assert texts[0] == "Alice Ng (Acme Ünïcode) set up the plan “Café Ünïcode — 北 partnership” between " \
                       "Acme Ünïcode and 北 Partner Co"
    assert "Bob Ortiz (北 Partner Co) made Carol Diaz an observer (was a member)" in texts
    for text in texts:
        assert "null" not in text and "None" not in text and "U0" not in text, text
    # the names are for the reader: the file reads back the same without them
    assert all(p["working_days"] == ["mon", "tue", "wed", "thu", "fri"] for p in document["parties"])


@pytest.mark.sqlite_only("test_export_import_export_through_the_cli_is_byte_identical")
def test_working_days_are_weekdays_by_name_and_read_back_as_stored(engine: Engine, target: Engine) -> None:
    build_plan(engine)
    with transaction(engine) as db:
        partner = db.exec(select(Party).where(Party.team_id == PARTNER)).one()
        partner.working_days = [6, 0, 1, 2, 3]
        db.add(partner)
    document = exported(engine)
    assert [p["working_days"] for p in document["parties"]] == [
        ["mon", "tue", "wed", "thu", "fri"], ["sun", "mon", "tue", "wed", "thu"]]
    assert "working_days:\n  - sun\n" in dump_text(document, "yaml")
    document["parties"][0]["working_days"] = ["Monday", "TUE", "wed"]  # full names and any case are read too
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(document, "yaml")))
    with Session(target) as db:
        stored = [p.working_days for p in db.exec(select(Party).order_by(col(Party.slot)))]
    assert stored == [[0, 1, 2], [6, 0, 1, 2, 3]]


def test_dispute_levels_count_from_one_as_their_names_do_and_are_stored_as_before(
    engine: Engine, target: Engine
) -> None:
    build_plan(engine)  # dispute #1 was escalated once: at the ladder's second level, L2
    document = exported(engine)
    first, second = document["disputes"]
    assert (first["level"], first["level_name"]) == (2, f"L2 {first['ladder'][1]['name']}")
    assert (second["level"], second["level_name"]) == (1, f"L1 {second['ladder'][0]['name']}")
    listed = [d for review in document["reviews"] for group in review["figures"]["disputes"].values() for d in group]
    assert listed and any(d["level"] == 2 for d in listed)
    for dispute in [first, second, *listed]:
        assert dispute["level_name"].startswith(f"L{dispute['level']} "), dispute
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(document, "yaml")))
    with Session(engine) as source, Session(target) as imported:
        assert [d.level for d in imported.exec(select(Dispute).order_by(col(Dispute.number)))] == [1, 0]
        assert [r.figures for r in imported.exec(select(Review).order_by(col(Review.number)))] == [
            r.figures for r in source.exec(select(Review).order_by(col(Review.number)))]
    assert exported(target) == document


def test_a_format_4_file_still_imports(engine: Engine, target: Engine) -> None:
    build_plan(engine)
    name_people(engine)
    document = exported(engine)
    older = as_format_4(document)
    assert older["parties"][0]["working_days"] == [0, 1, 2, 3, 4] and older["disputes"][0]["level"] == 1
    assert "owner_name" not in older["risks"][0] and "name" not in older["people"][0]
    with transaction(target) as db:
        import_plan(db, load_text(dump_text(older, "yaml")))
    with Session(engine) as source, Session(target) as imported:
        assert [p.working_days for p in imported.exec(select(Party).order_by(col(Party.slot)))] == [[0, 1, 2, 3, 4]] * 2
        assert [d.level for d in imported.exec(select(Dispute).order_by(col(Dispute.number)))] == [1, 0]
        assert [r.figures for r in imported.exec(select(Review).order_by(col(Review.number)))] == [
            r.figures for r in source.exec(select(Review).order_by(col(Review.number)))]
        assert {p.name for p in imported.exec(select(Person))} == {None}  # format 4 knew no names
    again = exported(target)
    assert again["accord_export"] == FORMAT_VERSION
    assert as_format_4(again) == older
