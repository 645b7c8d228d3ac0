"""Years of one partnership's history written in bulk, for benchmarks that must not grow with it.

The relationship itself is set up through the real use cases (`setup.configure`, `people.join`); its
history is then inserted as rows: a weekly check-in round with its prompts and answers, weekly KPI
values, disputes with their logs, actions, costs and benefits, and a review of every quarter but the
last one, whose figures come from a real `figures.compute` of that quarter.

History is counted in weeks back from `NOW` and can be extended backwards (`History.extend_to`), so
the last quarter, the one a benchmark reviews, holds the same rows whatever the length of history
behind it. Every week's rows come from a random generator seeded by the week: the same week is built
the same way whenever it is built.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.checkins import disclosure
from commands.reviews import figures, rules
from commands.rmp import people, setup
from storage.checkins import CLOSED, Answer, Prompt, Round
from storage.disputes import OPEN, RESOLVED, Dispute, DisputeEvent
from storage.engine import transaction
from storage.reviews import BENEFIT, COST, Review, ReviewSignature, ValueEntry
from storage.rmp import DEFAULT_STATEMENTS, Action, ExitTrigger, Kpi, KpiValue, Objective, Relationship, Risk

NOW = datetime(2031, 1, 6, 10, 0, tzinfo=UTC)  # a Monday: the end of the history, when the review is held
WEEK = timedelta(weeks=1)
QUARTER = 13  # weeks
YEAR = 52  # weeks
CHANNEL = "C0BENCH"
HOME, PARTNER = "T0NORTH", "T0SOUTH"
NORTH = ("UN0ALICE", "UN0ERIN", "UN0HANK")  # party 1
SOUTH = ("US0BOB", "US0CAROL", "US0JOE")  # party 2
SLOT = {**dict.fromkeys(NORTH, 1), **dict.fromkeys(SOUTH, 2)}
PARTY = {1: "Northwind", 2: "Southwind"}
TRUST = next(i for i, s in enumerate(DEFAULT_STATEMENTS) if "trust" in s.lower())

# (name, unit, direction, target, amber, red, owner slot, typical value, spread)
KPIS = (
    ("On-time delivery", "%", "higher", 95.0, 90.0, 80.0, 2, 91.0, 6.0),
    ("Response time", "hours", "lower", 4.0, 8.0, 24.0, 2, 6.0, 4.0),
    ("Qualified leads", "leads", "higher", 40.0, 30.0, 20.0, 1, 36.0, 8.0),
    ("Customer satisfaction", "/5", "higher", 4.5, 4.0, 3.5, 1, 4.2, 0.3),
)
SEVERITIES = ("low", "medium", "high", "critical")


def week_start(week: int, now: datetime = NOW) -> datetime:
    """When week `week` (0: the last one before `now`) begins."""
    return now - (week + 1) * WEEK


def quarter_bounds(quarter: int, now: datetime = NOW) -> tuple[datetime, datetime]:
    """The period of quarter `quarter` (0: the last 13 weeks before `now`)."""
    return now - (quarter + 1) * QUARTER * WEEK, now - quarter * QUARTER * WEEK


@dataclass
class _Planned:
    """Disputes and actions of the whole history, numbered in the order they happened."""

    disputes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # by week
    actions: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


def _plan(total_weeks: int, now: datetime) -> _Planned:
    today = now.date()
    planned, disputes, actions = _Planned(), 0, 0
    for week in range(total_weeks - 1, -1, -1):  # oldest first, so numbers follow time
        rng = random.Random(f"plan:{week}")
        start = week_start(week, now)
        planned.disputes[week] = []
        if rng.random() < 0.4:
            disputes += 1
            planned.disputes[week].append(_planned_dispute(rng, disputes, start, now))
        planned.actions[week] = []
        for _ in range(rng.choice((1, 2, 2, 3))):
            actions += 1
            planned.actions[week].append(_planned_action(rng, actions, start.date(), today))
    return planned


def _planned_dispute(rng: random.Random, number: int, start: datetime, now: datetime) -> dict[str, Any]:
    opened = start + timedelta(days=rng.randint(0, 4), hours=rng.randint(0, 7))
    climbs, moment = [], opened
    for _ in range(rng.choices((0, 1, 2, 3), weights=(50, 30, 15, 5))[0]):
        moment += timedelta(days=rng.randint(5, 15), hours=rng.randint(0, 6))
        climbs.append(moment)
    settled = moment + timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 6))
    resolved = settled if settled < now and rng.random() < 0.96 else None
    return {"number": number, "opened": opened, "climbs": [c for c in climbs if c < now], "resolved": resolved,
            "severity": rng.choice(SEVERITIES), "slot": rng.choice((1, 2)), "notes": rng.randint(0, 2)}


def _planned_action(rng: random.Random, number: int, created: date, today: date) -> dict[str, Any]:
    due = created + timedelta(days=rng.randint(7, 42))
    roll, status, closed = rng.random(), "open", None
    if due >= today:
        if roll < 0.25:
            status, closed = "done", min(today, created + timedelta(days=rng.randint(1, 10)))
    elif roll < 0.82:
        status, closed = "done", due + timedelta(days=rng.randint(-6, 10))
    elif roll < 0.92:
        status, closed = "cannot_complete", due + timedelta(days=rng.randint(-3, 10))
    if closed is not None:
        closed = max(created, min(closed, today))
    return {"number": number, "created": created, "due": due, "status": status, "closed": closed,
            "owner": rng.choice(NORTH + SOUTH)}


class History:
    """One relationship whose history reaches `weeks` weeks back from `now`, extended on demand."""

    def __init__(self, engine: Engine, *, now: datetime = NOW, total_weeks: int = 5 * YEAR) -> None:
        self.engine, self.now, self.total_weeks = engine, now, total_weeks
        self.weeks = 0
        self._planned = _plan(total_weeks, now)
        self.relationship_id = self._create()

    # -- the relationship, through the use cases ---------------------------------------------------

    def _create(self) -> int:
        founded = self.now - self.total_weeks * WEEK
        ser = Actor(NORTH[0], HOME, CHANNEL)
        with transaction(self.engine) as db:
            result = setup.configure(db, actor=ser, now=founded, form=setup.SetupInput(
                name="Northwind–Southwind", party_1=PARTY[1], party_2=PARTY[2], timezone="Europe/London",
                checkin_cadence="weekly on monday at 10:00"))
            for user in (*NORTH[1:], *SOUTH):
                people.join(db, actor=Actor(user, HOME if SLOT[user] == 1 else PARTNER, CHANNEL), now=founded)
            relationship = result.relationship
            rid = relationship.id or 0
            relationship.exit_reviewed_on = (self.now - 30 * WEEK).date()
            db.add_all(Kpi(relationship_id=rid, number=n, name=name, unit=unit, direction=direction, target=target,
                           amber=amber, red=red, owner_slot=owner, reporter_slot=owner)
                       for n, (name, unit, direction, target, amber, red, owner, _, _) in enumerate(KPIS, start=1))
            db.add_all(Risk(relationship_id=rid, number=n, description=f"Risk {n}: key supplier or person lost",
                            likelihood=1 + n % 5, impact=1 + (n * 3) % 5, owner_user_id=(NORTH + SOUTH)[n % 6],
                            mitigation="Pair up and document", status=("open", "open", "mitigated", "closed")[n % 4])
                       for n in range(1, 16))
            db.add_all(Objective(relationship_id=rid, number=n, party_slot=(None, 1, 2)[n % 3],
                                 title=f"Objective {n}: grow the joint pipeline", benefit_1="Revenue",
                                 benefit_2="Reach", status=("open", "met", "open", "dropped", "met")[n % 5])
                       for n in range(1, 11))
            db.add_all([
                ExitTrigger(relationship_id=rid, number=1, kind="kpi_red", description="Delivery red 3 periods",
                            kpi_number=1, periods=3),
                ExitTrigger(relationship_id=rid, number=2, kind="trust_below", description="Trust below 2.5",
                            threshold=2.5),
                ExitTrigger(relationship_id=rid, number=3, kind="dispute_last_level",
                            description="A dispute reaches mediation"),
                ExitTrigger(relationship_id=rid, number=4, kind="date", description="The contract ends",
                            on_date=(self.now + 60 * WEEK).date()),
                ExitTrigger(relationship_id=rid, number=5, kind="manual", description="Either party decides"),
            ])
        return rid

    # -- history, in bulk ----------------------------------------------------------------------------

    def extend_to(self, weeks: int) -> None:
        """Add the weeks from what is built back to `weeks` weeks before `now`, and a review of each of their
        quarters but the last (the one a benchmark reviews); the relationship now begins `weeks` weeks ago."""
        if not self.weeks < weeks <= self.total_weeks:
            raise ValueError(f"history holds {self.weeks} weeks: extend it to at most {self.total_weeks}")
        added = range(self.weeks, weeks)
        with transaction(self.engine) as db:
            relationship = db.get_one(Relationship, self.relationship_id)
            kpis = list(db.exec(select(Kpi).where(Kpi.relationship_id == self.relationship_id)
                                .order_by(col(Kpi.number))))
            self._checkins(db, relationship, kpis, added)
            self._disputes(db, relationship, added)
            self._actions(db, added)
            self._values(db, added)
            relationship.created_at = self.now - weeks * WEEK
            db.add(relationship)
        quarters = [q for q in range(self.weeks // QUARTER, weeks // QUARTER) if q >= 1]
        self.weeks = weeks
        for quarter in sorted(quarters, reverse=True):  # oldest first: each sees the one before it
            self._review(quarter)

    def _checkins(self, db: Session, relationship: Relationship, kpis: list[Kpi], weeks: range) -> None:
        rounds: dict[int, Round] = {}
        for week in weeks:
            opens = week_start(week, self.now)
            rounds[week] = Round(relationship_id=relationship.id or 0, number=self.total_weeks - week,
                                 period=opens.date(), opens_at=opens, closes_at=opens + timedelta(days=3),
                                 status=CLOSED, statements=list(relationship.checkin_statements),
                                 scale=relationship.checkin_scale, min_respondents=3,
                                 gap_threshold=relationship.gap_threshold)
        db.add_all(rounds.values())
        db.flush()
        rows: list[Any] = []
        for week, round_ in rounds.items():
            rng = random.Random(f"checkin:{week}")
            opens = round_.opens_at
            # the partner's trust sags for a quarter every year or so
            south_mood = 2.6 if (week // QUARTER) % 5 == 2 else 3.6
            values = {n: round(spec[7] + rng.uniform(-spec[8], spec[8]), 2) for n, spec in enumerate(KPIS, start=1)}
            for user in NORTH + SOUTH:
                slot = SLOT[user]
                due = opens + timedelta(minutes=rng.randint(0, 120))
                rows.append(Prompt(round_id=round_.id or 0, user_id=user, party_slot=slot, due_at=due,
                                   tz="Europe/London"))
                if rng.random() > 0.85:
                    continue  # no answer this week
                mood = 4.1 if slot == 1 else south_mood
                ratings = [max(1, min(5, round(rng.gauss(mood, 0.7)))) for _ in round_.statements]
                reported = {str(n): values[n] for n, spec in enumerate(KPIS, start=1)
                            if spec[6] == slot and user in (NORTH[0], SOUTH[0])}
                at = due + timedelta(hours=rng.randint(1, 60))
                rows.append(Answer(round_id=round_.id or 0, user_id=user, party_slot=slot, ratings=ratings,
                                   kpi_values=reported, comment="Fine week" if rng.random() < 0.3 else "",
                                   submitted_at=at, updated_at=at))
            for kpi in kpis:
                reporter = NORTH[0] if kpi.reporter_slot == 1 else SOUTH[0]
                rows.append(KpiValue(kpi_id=kpi.id or 0, period=round_.period, value=values[kpi.number],
                                     reported_by=reporter, reported_at=round_.closes_at))
        db.add_all(rows)
        db.flush()
        for round_ in sorted(rounds.values(), key=lambda r: r.number):  # what each close published, as it would
            disclosure.publish(db, round_, [1, 2])

    def _disputes(self, db: Session, relationship: Relationship, weeks: range) -> None:
        ladder = relationship.ladder
        planned = [p for week in weeks for p in self._planned.disputes[week]]
        made = []
        for p in planned:
            level = len(p["climbs"])
            started = p["climbs"][-1] if p["climbs"] else p["opened"]
            days = ladder[level]["days"]
            raiser = (NORTH if p["slot"] == 1 else SOUTH)[p["number"] % 3]
            made.append(Dispute(
                relationship_id=relationship.id or 0, number=p["number"], title=f"Dispute {p['number']}: late invoices",
                description="Invoices arrived late three times", severity=p["severity"],
                desired_outcome="Pay within 30 days", raised_by=raiser, raising_slot=p["slot"], ladder=ladder,
                level=level, level_started_at=started,
                level_due_at=started + timedelta(days=days) if days and p["resolved"] is None else None,
                status=OPEN if p["resolved"] is None else RESOLVED,
                resolution="Weekly calls" if p["resolved"] else None,
                lessons="Agree the terms up front" if p["resolved"] else None,
                opened_at=p["opened"], resolved_at=p["resolved"], version=2 + level + p["notes"]))
        db.add_all(made)
        db.flush()
        events: list[DisputeEvent] = []
        for p, dispute in zip(planned, made, strict=True):
            raiser, other = dispute.raised_by, (SOUTH if p["slot"] == 1 else NORTH)[0]

            def log(at: datetime, user: str, kind: str, detail: dict[str, Any], dispute: Dispute = dispute) -> None:
                events.append(DisputeEvent(dispute_id=dispute.id or 0, at=at, user_id=user,
                                           party=PARTY[SLOT[user]], kind=kind, detail=detail))

            log(p["opened"], raiser, "raised", {"severity": p["severity"]})
            for n in range(p["notes"]):
                log(p["opened"] + timedelta(hours=2 + n), other, "note", {"note": "We are looking into it"})
            for level, at in enumerate(p["climbs"], start=1):
                log(at, raiser, "escalated", {"level": f"L{level + 1} {dispute.ladder[level]['name']}",
                                              "reason": "No answer at this level"})
            if p["resolved"] is not None:
                log(p["resolved"] - timedelta(hours=20), other, "proposed", {"resolution": "Weekly calls"})
                log(p["resolved"], raiser, "resolved", {"resolution": "Weekly calls",
                                                        "lessons": "Agree the terms up front"})
        db.add_all(events)

    def _actions(self, db: Session, weeks: range) -> None:
        db.add_all(Action(relationship_id=self.relationship_id, number=p["number"],
                          description=f"Action {p['number']}: send the updated price list", owner_user_id=p["owner"],
                          due_on=p["due"], status=p["status"], closed_on=p["closed"],
                          reason="The venue is closed" if p["status"] == "cannot_complete" else "")
                   for week in weeks for p in self._planned.actions[week])

    def _values(self, db: Session, weeks: range) -> None:
        rows = []
        for week in weeks:
            rng = random.Random(f"values:{week}")
            on = week_start(week, self.now).date() + timedelta(days=2)
            for slot, (user, share) in {1: (NORTH[0], 1.0), 2: (SOUTH[0], 0.6)}.items():
                if week % 4 == 0:
                    rows.append(ValueEntry(relationship_id=self.relationship_id, party_slot=slot, kind=BENEFIT,
                                           amount=round(rng.uniform(5_000, 30_000) * share, 2),
                                           description="Joint deals closed", on=on, recorded_by=user,
                                           recorded_at=datetime.combine(on, datetime.min.time(), UTC)))
                if week % QUARTER == 6:
                    rows.append(ValueEntry(relationship_id=self.relationship_id, party_slot=slot, kind=COST,
                                           amount=round(rng.uniform(2_000, 8_000), 2), description="Staff time",
                                           on=on, recorded_by=user,
                                           recorded_at=datetime.combine(on, datetime.min.time(), UTC)))
        db.add_all(rows)

    def _review(self, quarter: int) -> None:
        """The review of quarter `quarter` as `runs.hold` would have stored it, signed by both SERs."""
        starts_at, ends_at = quarter_bounds(quarter, self.now)
        number = self.total_weeks // QUARTER - quarter
        with transaction(self.engine) as db:
            relationship = db.get_one(Relationship, self.relationship_id)
            previous = db.exec(select(Review).where(Review.relationship_id == self.relationship_id,
                                                    Review.number == number - 1)).first()
            data = figures.compute(db, relationship, starts_at=starts_at, ends_at=ends_at, previous=previous)
            data["recommendations"] = rules.recommendations(data)
            data["wins"] = rules.wins(data)
            data["number"] = number
            review = Review(relationship_id=self.relationship_id, number=number, starts_at=starts_at, ends_at=ends_at,
                            trigger="scheduled", requested_by="accord", figures=data, created_at=ends_at)
            db.add(review)
            db.flush()
            db.add_all(ReviewSignature(review_id=review.id or 0, party_slot=slot, party=PARTY[slot], user_id=user,
                                       signed_at=ends_at + timedelta(days=2)) for slot, user in ((1, NORTH[0]),
                                                                                                (2, SOUTH[0])))

    # -- what was built --------------------------------------------------------------------------------

    def rows(self) -> int:
        """Rows in every table of the database."""
        names = inspect(self.engine).get_table_names()
        with self.engine.connect() as connection:
            return sum(connection.execute(select(func.count()).select_from(text(f'"{name}"'))).scalar_one()
                       for name in names if name != "alembic_version")


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements the engine sends to the database while the block runs."""
    from sqlalchemy import event

    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
