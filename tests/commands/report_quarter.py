"""A quarter of a partnership for the audit report: `build_plan` and then three months of KPI and service-level
values, check-in rounds (one party answering enough to publish, the other not), a charter, resource commitments,
ideas, and a review with expectations, lessons and both SERs' sign-offs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from commands.checkins import disclosure
from commands.reviews import runs
from commands.rmp.access import relationship_in
from storage.checkins import ASKED, CLOSED, Answer, Prompt, Round
from storage.engine import transaction
from storage.partnership import Commitment, Idea
from storage.reviews import ReviewExpectation, ReviewLesson, ReviewSignature
from storage.rmp import Kpi, KpiValue, Party, Person
from tests.commands.rmp_factory import ALICE, BOB, CAROL, CHANNEL, DAVE, NOW, build_plan

END = datetime(2027, 2, 24, 16, 0, tzinfo=UTC)  # the quarter's end: the report is made then
ERIN, FRANK = "U0ERIN", "U0FRANK"  # two more of party 1, who answer check-ins (members: named nowhere else)
SECRET = "SECRET-COMMENT-"  # begins every check-in comment: never in the report
WITHHELD_RATING = 2  # party 2's ratings: two people answer, fewer than the threshold
MISSION = "Deliver the joint service customers trust"
NAME, PARTIES = "Acme × Northwind partnership", ("Acme Ünïcode", "Northwind Partner Co")  # as renamed later
NAMES = {ALICE: "Alice Archer", DAVE: "Dave Dunn", BOB: "Bob Baker", CAROL: "Carol Chen"}


def build_quarter(engine: Engine) -> str:
    """The relationship of `build_plan` with a quarter of data; returns its channel."""
    build_plan(engine)
    with transaction(engine) as db:
        relationship = relationship_in(db, CHANNEL, lock=True)
        rid = relationship.id or 0
        relationship.name = NAME
        for person in db.exec(select(Person).where(Person.relationship_id == rid)):
            person.name = NAMES.get(person.user_id, person.name)
        relationship.charter_mission = MISSION
        relationship.charter_values = ["Openness", "Fairness — équité"]
        relationship.charter_behaviours = ["We raise problems early", "We keep our commitments"]
        parties = {p.slot: p for p in db.exec(select(Party).where(Party.relationship_id == rid))}
        parties[1].name, parties[2].name = PARTIES
        for user, name in ((ERIN, "Erin Answerer"), (FRANK, "Frank Answerer")):
            db.add(Person(relationship_id=rid, party_id=parties[1].id or 0, user_id=user, role="member", name=name))
        _values(db, rid)
        _rounds(db, rid, relationship.checkin_statements, relationship.checkin_scale)
        _partnership(db, rid)
        db.flush()
        review = runs.hold(db, relationship, trigger="now", by=ALICE, now=END - timedelta(hours=2))
        for slot, user, party in ((1, DAVE, parties[1].name), (2, BOB, parties[2].name)):
            db.add(ReviewExpectation(review_id=review.id or 0, party_slot=slot, score=3 + slot % 2,
                                     note=f"Mostly met for {party}", user_id=user, at=END - timedelta(hours=1)))
            db.add(ReviewSignature(review_id=review.id or 0, party_slot=slot, party=party, user_id=user,
                                   signed_at=END - timedelta(minutes=30 - slot), plan_version=relationship.version,
                                   exit_reviewed=slot == 1))
        db.add(ReviewLesson(review_id=review.id or 0, number=1, party_slot=2, user_id=BOB,
                            failure="The kick-off slipped", reason="No venue booked in time",
                            avoidance="Book venues a month ahead", at=END - timedelta(hours=1)))
    return CHANNEL


def _values(db: Session, rid: int) -> None:
    """A service level with a breach, and monthly values of the KPIs through the quarter."""
    level = Kpi(relationship_id=rid, number=3, name="Tickets answered within 4 hours", unit="%", direction="higher",
                target=95, amber=95, red=80, owner_slot=2, reporter_slot=1, cadence="monthly", service_level=True)
    db.add(level)
    db.flush()
    kpis = {k.number: k for k in db.exec(select(Kpi).where(Kpi.relationship_id == rid))}
    monthly = {1: (38.0, 44.0, 47.5), 2: (5.0, 3.5, 3.0), 3: (97.0, 78.0, 96.5)}
    for number, values in monthly.items():
        for month, value in zip((12, 1, 2), values, strict=True):
            period = date(2026 if month == 12 else 2027, month, 1)
            db.add(KpiValue(kpi_id=kpis[number].id or 0, period=period, value=value, reported_by=BOB,
                            reported_at=datetime.combine(period, datetime.min.time(), UTC) + timedelta(days=3)))


def _rounds(db: Session, rid: int, statements: list[str], scale: int) -> None:
    """Three closed rounds: party 1's four people answer (published), party 2's two do (withheld)."""
    answering = {1: (ALICE, DAVE, ERIN, FRANK), 2: (BOB, CAROL)}
    for number, period in enumerate((date(2026, 12, 8), date(2027, 1, 12), date(2027, 2, 9)), start=1):
        opens = datetime.combine(period, datetime.min.time(), UTC) + timedelta(hours=10)
        round_ = Round(relationship_id=rid, number=number, period=period, opens_at=opens,
                       closes_at=opens + timedelta(days=3), status=CLOSED, statements=list(statements), scale=scale,
                       min_respondents=3)
        db.add(round_)
        db.flush()
        for slot, users in answering.items():
            for index, user in enumerate(users):
                ratings = [WITHHELD_RATING] * len(statements) if slot == 2 else \
                    [min(scale, 4 + (index + number) % 3)] * len(statements)
                db.add(Prompt(round_id=round_.id or 0, user_id=user, party_slot=slot, due_at=opens, tz="UTC",
                              status=ASKED))
                db.add(Answer(round_id=round_.id or 0, user_id=user, party_slot=slot, ratings=ratings,
                              comment=f"{SECRET}{user}", share_comment=True, submitted_at=opens,
                              updated_at=opens))
        db.flush()
        disclosure.publish(db, round_, [1, 2])


def _partnership(db: Session, rid: int) -> None:
    """Commitments of both parties (one not honoured) and ideas (one delivered)."""
    at = NOW + timedelta(days=10)
    db.add(Commitment(relationship_id=rid, number=1, party_slot=1, resource="people",
                      description="Two integration engineers", quantity="2 FTE", created_at=at))
    db.add(Commitment(relationship_id=rid, number=2, party_slot=2, resource="budget",
                      description="Joint marketing budget", quantity="GBP 50,000", status="not_honoured",
                      reason="The budget was frozen in January", marked_by=BOB, marked_on=date(2027, 1, 20),
                      created_at=at))
    db.add(Idea(relationship_id=rid, number=1, party_slot=2, raised_by=BOB, title="Shared ticket queue",
                owner_user_id=ALICE, status="done", benefit_1="Fewer hand-offs", benefit_2="Faster answers",
                created_at=at, agreed_at=at + timedelta(days=5), done_at=at + timedelta(days=40)))
    db.add(Idea(relationship_id=rid, number=2, party_slot=1, raised_by=ALICE, title="Quarterly joint webinar",
                owner_user_id=BOB, status="proposed", created_at=at + timedelta(days=20)))
