"""The review's minutes through the use cases, on SQLite and PostgreSQL: each party's expectations (stated by its
SER or a manager, frozen once its SER signed), lessons (anyone but observers, until both signed), the sign-off
refused before the party's expectations and recording the plan version and exit strategy reviewed, and the
actions evaluated per party with their deviations and reasons.

Northwind: Alice SER, Erin manager, Dave member. Southwind: Bob SER, Carol observer. London, Monday to Friday."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.fakeslack.validate import validate_blocks
from bot.views import reviews as views
from commands.actor import Actor
from commands.errors import InputError, Refused
from commands.reviews import minutes, records, runs
from commands.rmp import actions, people, setup, todo
from commands.rmp.access import relationship_in
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.reviews import ImmutableRecord, Review, ReviewExpectation, ReviewLesson, ReviewSignature
from storage.rmp import Change, Relationship
from tests.commands.test_review_rules import quiet

CHANNEL, HOME, PARTNER = "C0MINUTES", "T0HOME", "T0PARTNER"
ALICE, ERIN, DAVE = (Actor(u, HOME, CHANNEL) for u in ("UALICE", "UERIN", "UDAVE"))
BOB, CAROL = Actor("UBOB", PARTNER, CHANNEL), Actor("UCAROL", PARTNER, CHANNEL)
LONDON = setup.CalendarInput("Europe/London")


def at(day: int, month: int = 3) -> datetime:
    return datetime(2027, month, day, 12, 0, tzinfo=UTC)


def _founded(engine: Engine) -> None:
    """The cast, and four actions: Dave's #1 (due 5 Mar) left overdue, Bob's #2 (due 4 Mar) done on 8 Mar,
    Dave's #3 that cannot be completed, Bob's #4 done on time; then review #1 on 15 March."""
    with transaction(engine) as db:
        setup.configure(db, actor=ALICE, now=at(1), form=setup.SetupInput(
            name="NW–SW", party_1="Northwind", party_2="Southwind", timezone="Europe/London",
            calendars=(LONDON, LONDON)))
        for actor in (ERIN, DAVE, BOB, CAROL):
            people.join(db, actor=actor, now=at(1))
        people.set_role(db, actor=ALICE, text_args="<@UALICE> ser", now=at(1))
        people.set_role(db, actor=ALICE, text_args="<@UERIN> manager", now=at(1))
        people.set_role(db, actor=BOB, text_args="<@UBOB> ser", now=at(1))
        people.set_role(db, actor=BOB, text_args="<@UCAROL> observer", now=at(1))
        for actor, owner, due in ((ALICE, "UDAVE", "2027-03-05"), (BOB, "UBOB", "2027-03-04"),
                                  (ALICE, "UDAVE", "2027-03-10"), (BOB, "UBOB", "2027-03-20")):
            actions.save_action(db, actor=actor, number=None, now=at(1), form=actions.ActionInput(
                f"Task of {owner}", owner, due))
    with transaction(engine) as db:
        actions.complete_action(db, actor=BOB, number=2, now=at(8))
        actions.complete_action(db, actor=BOB, number=4, now=at(9))
        actions.cannot_complete_action(db, actor=DAVE, number=3, reason="The supplier closed", now=at(9))
    with transaction(engine) as db:
        runs.hold(db, relationship_in(db, CHANNEL, lock=True), trigger="now", by="UERIN", now=at(15))


def _refused(engine: Engine, run: object, words: str, error: type[Exception] = Refused) -> None:
    with pytest.raises(error) as raised, transaction(engine) as db:
        run(db)  # type: ignore[operator]
    assert words in str(raised.value), str(raised.value)


def _relationship(engine: Engine) -> Relationship:
    with Session(engine) as db:
        return db.exec(select(Relationship)).one()


def test_the_actions_are_evaluated_per_party_with_days_late_and_reasons(engine: Engine) -> None:
    _founded(engine)
    with Session(engine) as db:
        figures = db.exec(select(Review)).one().figures
    assert figures["actions_by_party"] == [
        {"slot": 1, "name": "Northwind", "done": 0, "done_late": [],
         "overdue": [{"number": 1, "description": "Task of UDAVE", "due_on": "2027-03-05", "days_late": 10}],
         "cannot": [{"number": 3, "description": "Task of UDAVE", "reason": "The supplier closed"}]},
        {"slot": 2, "name": "Southwind", "done": 2,
         "done_late": [{"number": 2, "description": "Task of UBOB", "days_late": 4}], "overdue": [], "cannot": []}]
    text = str(views.summary({"figures": figures, "trigger": "now", "requested_by": "UERIN", "signatures": []}))
    for shown in ("*Northwind*: 0 done, 1 overdue, 1 cannot be completed",
                  "#1 Task of UDAVE: overdue by 10 days (due 2027-03-05)",
                  "#3 Task of UDAVE: cannot be completed: The supplier closed",
                  "*Southwind*: 2 done (1 late), 0 overdue, 0 cannot be completed",
                  "#2 Task of UBOB: done 4 days late"):
        assert shown in text, shown
    assert "<@UDAVE>" not in text  # nobody is named in the channel for what they did not do


def test_expectations_lessons_and_sign_offs_follow_who_may_and_freeze_once_signed(engine: Engine) -> None:
    _founded(engine)

    def state(actor: Actor, score: str, note: str = "") -> object:
        return lambda db: minutes.state_expectations(db, actor=actor, number=1, score=score, note=note, now=at(16))

    def lesson(actor: Actor, avoidance: str = "Name an owner") -> object:
        return lambda db: minutes.add_lesson(db, actor=actor, number=1, failure="Invoices late", reason="No owner",
                                             avoidance=avoidance, now=at(16))

    def sign(actor: Actor, version: int | None, exit_reviewed: bool = True) -> object:
        return lambda db: records.sign_off(db, actor=actor, number=1, now=at(17), plan_version=version,
                                           exit_reviewed=exit_reviewed)

    _refused(engine, state(DAVE, "3"), "Each party's SER or a manager states how far its expectations were met")
    _refused(engine, state(CAROL, "3"), "you are an observer")
    _refused(engine, state(ERIN, "6"), "The score", InputError)
    _refused(engine, sign(ALICE, 1), "state how far *Northwind's* expectations were met")
    _refused(engine, lesson(CAROL), "Observers")
    _refused(engine, lesson(DAVE, avoidance=" "), "How to avoid it cannot be empty", InputError)
    with Session(engine) as db:
        items = todo.todos_for_user(db, user_id="UERIN", now=at(16))[0].items
        assert [(i.kind, i.number) for i in items] == [(todo.EXPECTATIONS, 1)]
        assert todo.EXPECTATIONS not in {i.kind for i in todo.todos_for_user(db, user_id="UDAVE", now=at(16))[0].items}
    with transaction(engine) as db:
        state(ERIN, "2", "A slow start")(db)
        state(ALICE, "4", "Good — gut")(db)  # restated by the SER: one statement per party
        lesson(DAVE)(db)
        lesson(BOB)(db)
    with Session(engine) as db:
        assert [(e.party_slot, e.score, e.note, e.user_id) for e in db.exec(select(ReviewExpectation))] == [
            (1, 4, "Good — gut", "UALICE")]
        assert [(lesson.number, lesson.party_slot, lesson.user_id) for lesson in
                db.exec(select(ReviewLesson).order_by(col(ReviewLesson.number)))] == [(1, 1, "UDAVE"), (2, 2, "UBOB")]
        assert [(c.verb, c.user_id) for c in db.exec(select(Change).where(Change.entity == "review")
                                                     .order_by(col(Change.version)))] == [
            ("held", "UERIN"), ("expectations", "UERIN"), ("expectations", "UALICE"), ("lesson", "UDAVE"),
            ("lesson", "UBOB")]
        assert not todo.todos_for_user(db, user_id="UERIN", now=at(16))[0].items
    version = _relationship(engine).version
    _refused(engine, sign(ALICE, None), f"Confirm that you reviewed the plan (version {version})", InputError)
    _refused(engine, sign(ALICE, version + 1), f"no version {version + 1}", InputError)
    with transaction(engine) as db:
        sign(ALICE, version)(db)
    _refused(engine, state(ERIN, "1"), "*Northwind* signed review #1 off already: the expectations it stated")
    _refused(engine, sign(BOB, version), "state how far *Southwind's* expectations were met")
    with transaction(engine) as db:
        lesson(DAVE)(db)  # lessons go on until both signed
        state(BOB, "3")(db)
    bobs = _relationship(engine).version  # what the plan was when Bob opened the form
    with transaction(engine) as db:
        sign(BOB, bobs, exit_reviewed=False)(db)
    with Session(engine) as db:
        assert [(s.party_slot, s.plan_version, s.exit_reviewed) for s in db.exec(
            select(ReviewSignature).order_by(col(ReviewSignature.party_slot)))] == [
            (1, version, True), (2, bobs, False)]
    assert _relationship(engine).exit_reviewed_on is None  # Southwind's SER did not review the exit strategy
    _refused(engine, lesson(DAVE), "Review #1 is signed off by both parties: its record no longer changes")
    _refused(engine, state(ERIN, "1"), "signed review #1 off already")
    for model in (ReviewExpectation, ReviewLesson):
        with pytest.raises(ImmutableRecord), Session(engine) as db:
            row = db.exec(select(model)).first()
            row.user_id = "UERASED"  # type: ignore[union-attr]
            db.add(row)
            db.commit()

    # review #2: both SERs confirm the exit strategy, which is then recorded as reviewed that day
    with transaction(engine) as db:
        runs.hold(db, relationship_in(db, CHANNEL, lock=True), trigger="now", by="UBOB", now=at(1, 4))
    with transaction(engine) as db:
        for actor in (ALICE, BOB):
            minutes.state_expectations(db, actor=actor, number=2, score="5", note="", now=at(1, 4))
            records.sign_off(db, actor=actor, number=2, now=at(1, 4), plan_version=version, exit_reviewed=True)
    assert _relationship(engine).exit_reviewed_on == date(2027, 4, 1)
    with transaction(engine) as db:  # the next review no longer recommends reviewing the exit strategy
        third = runs.hold(db, relationship_in(db, CHANNEL, lock=True), trigger="now", by="UBOB", now=at(2, 4))
        assert third.figures["exits"]["reviewed_on"] == "2027-04-01"
        assert "exit_review" not in {r["rule"] for r in third.figures["recommendations"]}

    # what the review's message last showed is what is stored
    with Session(engine) as db:
        for review in db.exec(select(Review)):
            root = runs.root_key(review)
            shown = db.exec(select(OutboxMessage).where(
                (col(OutboxMessage.idempotency_key) == root) | (col(OutboxMessage.updates) == root))
                .order_by(col(OutboxMessage.id).desc())).first()
            assert shown is not None and views.summary(shown.data) == views.summary(minutes.summary_data(db, review))


def test_the_review_message_with_the_most_minutes_stays_within_slacks_limits() -> None:
    figures = quiet()
    figures["recommendations"], figures["wins"] = [], []
    side = {"done": 3, "done_late": [{"number": n, "description": "d" * 500, "days_late": 2} for n in range(3)],
            "overdue": [{"number": n, "description": "o" * 500, "due_on": "2027-03-01", "days_late": 9}
                        for n in range(3)],
            "cannot": [{"number": n, "description": "c" * 500, "reason": "r" * 1000} for n in range(3)]}
    figures["actions_by_party"] = [{"slot": 1, "name": "N" * 80, **side}, {"slot": 2, "name": "S" * 80, **side}]
    data = {"figures": figures, "trigger": "now", "requested_by": "UERIN", "signatures": [
        {"slot": 1, "party": "N", "user": "UA", "at": "2027-04-02T10:00:00+00:00", "plan_version": 12,
         "exit_reviewed": True}],
        "expectations": [{"slot": s, "score": 5, "note": "n" * 1000, "user": "UA", "at": "2027-04-02T10:00:00+00:00"}
                         for s in (1, 2)],
        "lessons": [{"number": n, "slot": 1, "user": "UD", "failure": f"{n}" + "f" * 999, "reason": "y" * 1000,
                     "avoidance": "a" * 1000, "at": "2027-04-02T10:00:00+00:00"}
                    for n in range(1, minutes.MAX_LESSONS + 1)]}
    blocks = views.summary(data)["blocks"]
    assert validate_blocks(blocks) == [] and len(blocks) <= 50
    text = str(blocks)
    assert all(f"{n}" + "f" * 999 in text for n in range(1, minutes.MAX_LESSONS + 1))
    assert "reviewed plan version 12 and the exit strategy" in text
