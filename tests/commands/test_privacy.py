"""Data protection through the use cases, on SQLite and PostgreSQL: answers past the retention period are
deleted by the daily work item and the published figures stay; `erase` deletes a person's answers and comments
and pseudonymises them in the history; `export --user` gives a person their own data only; each is recorded in
the history with counts, never the answers. One test runs the real `accord` command.

Northwind: Alice (manager), Dave, Sam. Southwind: Bob (manager), Carol, Erin. Both in London. Two check-in
rounds (15 and 29 March 2027), everyone answering; Dave comments on both."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.checkins import answers, rounds, settings
from commands.consent import decisions
from commands.errors import InputError
from commands.privacy import erasure, personal, retention
from commands.rmp import actions, history, people, setup
from storage.checkins import Answer, Result, Round
from storage.engine import transaction
from storage.models import PENDING, WorkItem
from storage.rmp import Change, Person, Relationship
from tests.accord_cli import run_accord

NOW = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)
CHANNEL, HOME, PARTNER = "C0PRIVACY", "T0HOME", "T0PARTNER"
ALICE, DAVE, SAM = (Actor(u, HOME, CHANNEL) for u in ("UALICE", "UDAVE", "USAM"))
BOB, CAROL, ERIN = (Actor(u, PARTNER, CHANNEL) for u in ("UBOB", "UCAROL", "UERIN"))
LONDON = setup.CalendarInput("Europe/London")
SETUP = setup.SetupInput(name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
                         calendars=(LONDON, LONDON))
SIX = {str(i): "4" for i in range(6)}
SECRET = "The dock manager shouts at drivers"  # Dave's comment: never in the history, never after erasure


def _round_once(engine: Engine) -> Round:
    """Open the next round, everyone answers (Dave with a comment), and close it."""
    with transaction(engine) as db:
        item = db.exec(select(WorkItem).where(WorkItem.kind == rounds.OPEN_KIND, WorkItem.status == PENDING)
                       .order_by(col(WorkItem.due_at))).first()
        assert item is not None
        item.status = "done"
        rounds.open_round(db, item, item.due_at)
        round_ = db.exec(select(Round).order_by(col(Round.number).desc())).first()
        assert round_ is not None
        for actor in (ALICE, DAVE, SAM, BOB, CAROL, ERIN):
            answers.submit_answer(db, actor=actor, round_id=round_.id or 0, ratings=SIX, kpi_values={},
                                  comment=f"{SECRET} (round {round_.number})" if actor is DAVE else "",
                                  now=round_.opens_at + timedelta(hours=1), share_comment=True)
    with transaction(engine) as db:
        closing = WorkItem(kind=rounds.CLOSE_KIND, payload={"round_id": round_.id}, due_at=round_.closes_at,
                           idempotency_key=f"test-close-{round_.id}", created_at=round_.closes_at)
        rounds.close_round(db, closing, round_.closes_at)
    return round_


@pytest.fixture
def checked_in(engine: Engine) -> tuple[Engine, Round, Round]:
    """The relationship, an action Dave owns, and two closed rounds."""
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, form=SETUP, now=NOW)
        for actor in (DAVE, SAM, BOB, CAROL, ERIN):
            people.join(db, actor=actor, now=NOW)
        actions.save_action(db, actor=ALICE, number=None, now=NOW, form=actions.ActionInput(
            "Agree the dock hours", f"<@{DAVE.user_id}>", "2027-04-30"))
    return engine, _round_once(engine), _round_once(engine)


def _results(engine: Engine) -> list[tuple[int, int, int, list[float | None]]]:
    with Session(engine) as db:
        return [(r.round_number, r.party_slot, r.answered, list(r.means))
                for r in db.exec(select(Result).order_by(col(Result.round_number), col(Result.party_slot)))]


def _history_json(engine: Engine) -> str:
    with Session(engine) as db:
        return json.dumps([[c.user_id, c.before, c.after] for c in db.exec(select(Change))])


def _version(engine: Engine) -> int:
    with Session(engine) as db:
        return db.exec(select(Relationship)).one().version


def test_the_daily_purge_deletes_answers_past_retention_and_keeps_the_published_figures(
        checked_in: tuple[Engine, Round, Round]) -> None:
    engine, first, second = checked_in
    published = _results(engine)
    assert published[0][3] and published[0][2] == 3  # means were published for both parties
    with Session(engine) as db:  # each close queues the relationship's run of the next day
        item, _ = db.exec(select(WorkItem).where(WorkItem.kind == retention.KIND).order_by(col(WorkItem.due_at)))
    with transaction(engine) as db:  # a joint setting: Northwind proposes a year, Southwind agrees
        saved = settings.save_settings(db, actor=ALICE, now=NOW, form=replace(
            settings.current(db, actor=ALICE), retention_months="12"))
        assert saved.proposal is not None and saved.relationship.retention_months == 24
        decisions.approve(db, actor=BOB, number=saved.proposal.number, now=NOW)
    kept = retention.months_before(first.closes_at, -12)  # a year after the first round closed
    version = _version(engine)
    with transaction(engine) as db:  # a day short of retention: nothing goes, nothing is recorded
        retention.purge(db, item, kept - timedelta(days=1))
    assert _version(engine) == version
    with Session(engine) as db:
        assert len(db.exec(select(Answer)).all()) == 12
    with transaction(engine) as db:
        retention.purge(db, item, kept + timedelta(days=1))
    with Session(engine) as db:
        left = db.exec(select(Answer)).all()
        queued = db.exec(select(WorkItem).where(WorkItem.kind == retention.KIND, WorkItem.status == PENDING)).all()
        [purged] = db.exec(select(Change).where(Change.entity == "checkin_answers"))
        words = [e.text for e in history.latest_changes(db, actor=ALICE).entries]
    assert {a.round_id for a in left} == {second.id} and len(left) == 6  # the second round's answers stay
    assert _results(engine) == published  # what both rounds published stays
    assert purged.after == {"rounds": [1], "answers": 6, "comments": 1, "months": 12}
    assert any("deleted the individual answers of check-in rounds 1 (6 answers, 1 comment)" in w for w in words)
    assert SECRET not in _history_json(engine) and _version(engine) == version + 1
    assert any(q.due_at > kept for q in queued)  # and the next day's run is queued


def test_erase_deletes_answers_pseudonymises_the_history_and_keeps_the_figures(
        checked_in: tuple[Engine, Round, Round]) -> None:
    engine, _, _ = checked_in
    published = _results(engine)
    assert DAVE.user_id in _history_json(engine)
    with pytest.raises(InputError, match="No person UNOBODY"), transaction(engine) as db:
        erasure.erase_user(db, user_id="UNOBODY", now=NOW)
    with transaction(engine) as db:
        report = erasure.erase_user(db, user_id=DAVE.user_id, channel_id=CHANNEL, now=NOW)
    [done] = report.relationships
    assert (done.name, done.answers, done.comments, done.already) == ("Former participant 1", 2, 2, False)
    with Session(engine) as db:
        assert db.exec(select(Answer).where(Answer.user_id == DAVE.user_id)).all() == []
        dave = db.exec(select(Person).where(Person.user_id == DAVE.user_id)).one()
        words = [e.text for e in history.latest_changes(db, actor=ALICE, limit=50).entries]
    assert dave.name == "Former participant 1" and dave.erased_at is not None
    logged = _history_json(engine)
    assert DAVE.user_id not in logged and SECRET not in logged  # neither his id nor what he wrote
    assert '["ERASED1", null, {"user_id": "ERASED1"' in logged  # his joining, under his stand-in
    assert "Former participant 1 joined Northwind as a member" in words
    assert any("Accord erased the personal data of Former participant 1: 2 check-in answers and 2 comments" in w
               for w in words)
    assert _results(engine) == published
    with transaction(engine) as db:  # Slack's later look-ups do not bring the name back
        people.record_user(db, user_id=DAVE.user_id, tz="Europe/London", name="Dave Daniels", now=NOW)
    version = _version(engine)
    with transaction(engine) as db:  # again: nothing more to do, nothing recorded
        again = erasure.erase_user(db, user_id=DAVE.user_id, now=NOW)
    assert again.relationships[0].already and _version(engine) == version
    assert again.relationships[0].name == "Former participant 1"


def test_export_user_gives_only_that_persons_data_and_is_recorded(checked_in: tuple[Engine, Round, Round]) -> None:
    engine, _, _ = checked_in
    with transaction(engine) as db:
        document = personal.export_user(db, user_id=DAVE.user_id, now=NOW)
    [mine] = document["relationships"]
    assert mine["person"]["user_id"] == DAVE.user_id and mine["person"]["party"] == "Northwind"
    assert [a["round"] for a in mine["checkin_answers"]] == [1, 2]
    assert mine["checkin_answers"][0]["comment"] == f"{SECRET} (round 1)"
    assert mine["checkin_answers"][0]["ratings"]["Commitments are kept"] == 4
    assert [a["description"] for a in mine["actions"]] == ["Agree the dock hours"]
    assert [h["text"] for h in mine["history"]] == ["someone joined Northwind as a member"]
    text = personal.dump(document, "yaml")
    assert "UALICE" not in text.replace("owner_user_id: UDAVE", "")  # nobody else's answers or entries
    with Session(engine) as db:
        [logged] = db.exec(select(Change).where(Change.entity == "person", Change.verb == "exported"))
    assert logged.after == {"user_id": DAVE.user_id} and logged.user_id == "accord"


def test_the_accord_command_erases_and_exports_a_person(checked_in: tuple[Engine, Round, Round],
                                                        database_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": database_url, "PATH": os.environ["PATH"]}
    exported = run_accord(["export", "--user", DAVE.user_id, "--format", "json"], env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["relationships"][0]["checkin_answers"][1]["comment"].startswith(SECRET)
    unknown = run_accord(["erase", "--user", "UNOBODY"], env=env, cwd=tmp_path)
    assert unknown.returncode == 1 and unknown.stderr.strip() == \
        "accord erase: No person UNOBODY in any relationship: nothing was changed."
    erased = run_accord(["erase", "--user", DAVE.user_id], env=env, cwd=tmp_path)
    assert erased.returncode == 0, erased.stderr
    assert "is now Former participant 1: 2 check-in answers (2 with comments) deleted" in erased.stdout
    again = run_accord(["erase", "--user", DAVE.user_id, "--channel", CHANNEL], env=env, cwd=tmp_path)
    assert "already erased" in again.stdout
    after = run_accord(["export", "--user", DAVE.user_id, "--output", "mine.json", "--format", "json"], env=env,
                       cwd=tmp_path)
    assert after.returncode == 0 and json.loads((tmp_path / "mine.json").read_text())["relationships"][0][
        "checkin_answers"] == []
    assert run_accord(["export"], env=env, cwd=tmp_path).returncode == 2  # neither --channel nor --user
