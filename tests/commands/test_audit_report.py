"""The audit report's contents (issue 21, point 6), gathered on SQLite and PostgreSQL: every section's evidence,
read-only; check-in figures only as published (never an answer, a comment or a respondent, and nothing of a party
whose answers fall short of the threshold); and the report shared from Slack through the outbox."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from commands.actor import Actor
from commands.errors import InputError
from commands.report import clauses, gather, sharing
from commands.reviews.runs import root_key
from storage.checkins import Answer
from storage.engine import reading, transaction
from storage.models import OutboxMessage
from storage.reviews import Review
from tests.commands.report_quarter import END, ERIN, FRANK, MISSION, NAMES, SECRET, build_quarter
from tests.commands.rmp_factory import ALICE, BOB, CHANNEL, HOME, PARTNER


def test_the_report_holds_each_sections_evidence_and_no_individual_check_in_answer(engine: Engine) -> None:
    build_quarter(engine)
    with reading(engine) as db:  # read-only: a write would fail here
        report = gather.for_channel(db, channel_id=CHANNEL, now=END)
        answers = list(db.exec(select(Answer)))
    assert answers and all(a.comment.startswith(SECRET) for a in answers)  # the individual answers exist

    shown = json.dumps(report, ensure_ascii=False)  # plain, JSON-ready data: what the outbox carries
    for secret in (SECRET, ERIN, FRANK, "Erin", "Frank", '"ratings"', '"comment"'):
        assert secret not in shown, secret
    checkins = report["checkins"]
    assert checkins["threshold"] == 3 and len(checkins["rounds"]) == 3
    for round_ in checkins["rounds"]:
        home, partner = round_["parties"]
        # party 1: four people answered, so its block's means are published; party 2: two answered, all withheld
        assert home["published"] and home["people"] == 4 and len(home["means"]) == len(round_["statements"])
        assert (partner["answered"], partner["published"], partner["means"], partner["people"]) == (2, False, [],
                                                                                                    None)
    assert [t["trust"] is None for t in checkins["trust"]] == [False, True]
    assert all(point["trust"]["2"] is None and point["trust"]["1"] is not None for point in checkins["trust_series"])

    assert report["charter"]["mission"] == MISSION and report["charter"]["behaviours"]
    assert {p["name"] for p in report["team"]} >= {NAMES[ALICE], NAMES[BOB]}
    assert report["history"] and report["history"][-1]["version"] == report["relationship"]["version"]
    assert all(entry["text"] for entry in report["history"])
    latest = report["reviews"][-1]
    assert [(s["plan_version"], s["exit_reviewed"]) for s in latest["signatures"]] == \
        [(report["relationship"]["version"], True), (report["relationship"]["version"], False)]
    assert latest["awaiting"] == [] and len(latest["expectations"]) == 2
    assert latest["lessons"][0]["avoidance"] == "Book venues a month ahead"
    level = next(k for k in report["kpis"] if k["service_level"])
    assert [p["rag"] for p in level["periods"]] == ["green", "red", "green"] and level["missed"] == 1
    assert [c["status"] for c in report["commitments"]] == ["committed", "not honoured"]
    assert [(c["raised"], c["delivered"]) for c in report["ideas"]["counts"]] == [(1, 0), (1, 1)]
    assert report["disputes"] and report["disputes"][0]["log"] and report["risks"]
    assert report["values"]["entries"] and report["exit"]["triggers"]
    assert {t["status"] for t in report["exit"]["triggers"]} == {"clear", "triggered"}
    # each section of the clause map has its data
    assert {s["id"] for s in clauses.sections()} <= {*report, "team", "plan", "service_levels", "history"}

    with reading(engine) as db, pytest.raises(InputError, match="C0NOPE has no relationship"):
        gather.for_channel(db, channel_id="C0NOPE", now=END)


def test_the_report_is_shared_as_a_file_in_a_reviews_thread_or_to_the_person(engine: Engine) -> None:
    build_quarter(engine)
    with transaction(engine) as db:
        to_me = sharing.share(db, actor=Actor(BOB, PARTNER, CHANNEL), now=END)
        in_thread = sharing.share(db, actor=Actor(ALICE, HOME, CHANNEL), now=END, review_number=3)
        again = sharing.share(db, actor=Actor(BOB, PARTNER, CHANNEL), now=END)  # a second click: no second file
        with pytest.raises(InputError, match="no review #9"):
            sharing.share(db, actor=Actor(ALICE, HOME, CHANNEL), now=END, review_number=9)
    assert "direct message" in to_me and again == to_me and "review #3" in in_thread
    with reading(engine) as db:
        rows = list(db.exec(select(OutboxMessage).where(OutboxMessage.view == sharing.VIEW)
                            .order_by(col(OutboxMessage.id))))
        review = db.exec(select(Review).where(Review.number == 3)).one()
    assert [(r.method, r.user, r.channel, r.thread_of) for r in rows] == [
        ("files.upload", BOB, CHANNEL, None), ("files.upload", None, CHANNEL, root_key(review))]
    assert rows[0].data["relationship"]["channel"] == CHANNEL and SECRET not in json.dumps(rows[0].data)
