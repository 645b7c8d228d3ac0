"""Many relationships written in bulk, for benchmarks of the tick and of the outbox fan-out.

The first relationship is set up through the real use case (`setup.configure`); the others are bulk
copies of its rows: the relationship, its two parties, its founder, and the due work `configure` queued
for it (the next check-in round's opening and the next review), with their ids and keys renamed. Each
relationship then gets `people` more participants of the partner's party, and, when asked, a check-in
round whose opening is due now (`open_rounds_now`), so that a tick opens the rounds and queues a prompt
for every participant, as the product does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.checkins import rounds
from commands.rmp import setup
from scheduler.tick import run_tick
from storage.engine import transaction
from storage.models import PENDING, OutboxMessage, WorkItem
from storage.rmp import Party, Person, Relationship

HOME, PARTNER = "T0BENCHHOME", "T0BENCHPARTNER"
FOUNDER = "UBENCHFOUNDER"
# rounds open at midnight UTC (the cadence's time), so a round opened today has its prompts due already
CADENCE = "every 2 weeks on monday at 00:00"
BATCH = 2000


# both parties work every hour of every day: a benchmark measures the same whatever the hour it runs at
# (with office hours, prompts falling due at night would wait for the morning)
ROUND_THE_CLOCK = setup.CalendarInput(working_days=(0, 1, 2, 3, 4, 5, 6), working_hours="00:00-24:00")


def channel_of(number: int) -> str:
    """The channel of relationship `number` (0-based)."""
    return f"CB{number:06d}"


def person_of(number: int, index: int) -> str:
    """The user id of participant `index` of relationship `number`."""
    return f"UB{number:06d}P{index:04d}"


@dataclass(frozen=True)
class Population:
    """What was built: the relationships' ids in order, and their channels."""

    ids: list[int]
    channels: list[str]
    people: int  # participants per relationship, the founder included


def _insert(db: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.execute(insert(table), rows[start:start + BATCH])


def build(engine: Engine, count: int, *, people: int = 1, now: datetime, start: int = 0) -> Population:
    """`count` relationships (numbered from `start`, so that a population can grow), each with a founder
    (party 1) and `people - 1` people of party 2."""
    with transaction(engine) as db:
        template = setup.configure(db, actor=Actor(FOUNDER, HOME, channel_of(start)), now=now, form=setup.SetupInput(
            name=f"Bench {start}", party_1="North", party_2="South", timezone="UTC",
            checkin_cadence=CADENCE, calendars=(ROUND_THE_CLOCK, ROUND_THE_CLOCK))).relationship
        template_id = template.id or 0
        # the welcome and the founder's time zone lookup are setup's business, not the benchmark's
        db.exec(delete(OutboxMessage))  # type: ignore[call-overload]
    with transaction(engine) as db:
        template = db.get_one(Relationship, template_id)
        columns = {c.name: getattr(template, c.name) for c in Relationship.__table__.columns  # type: ignore[attr-defined]
                   if c.name not in ("id", "channel_id", "name")}
        parties = list(db.exec(select(Party).where(Party.relationship_id == template_id).order_by(col(Party.slot))))
        work = [item for item in db.exec(select(WorkItem).where(WorkItem.status == PENDING))
                if item.payload.get("relationship_id") == template_id]  # what configure queued for it
        numbers = range(start + 1, start + count)
        _insert(db, Relationship.__table__,
                [{**columns, "channel_id": channel_of(n), "name": f"Bench {n}"} for n in numbers])
        ids = dict(db.exec(select(Relationship.channel_id, Relationship.id)).all())  # type: ignore[call-overload]
        copies = [ids[channel_of(n)] for n in numbers]
        _insert(db, Party.__table__, [{"relationship_id": rid, "slot": p.slot, "name": p.name, "team_id": p.team_id,
                                       **{key: getattr(p, key) for key in setup.PARTY_CALENDAR}}
                                      for rid in copies for p in parties])
        party_ids = {(rid, slot): pid for pid, rid, slot in db.exec(select(Party.id, Party.relationship_id,
                                                                           Party.slot))}
        all_ids = [template_id, *copies]
        _insert(db, Person.__table__, [{"relationship_id": rid, "party_id": party_ids[(rid, 1)], "user_id": FOUNDER,
                                        "role": "manager", "tz": None} for rid in copies])
        _insert(db, WorkItem.__table__, [
            {"kind": item.kind, "payload": {**item.payload, "relationship_id": rid}, "due_at": item.due_at,
             "status": PENDING, "attempts": 0, "created_at": now,
             "idempotency_key": item.idempotency_key.replace(f":{template_id}:", f":{rid}:")}
            for rid in copies for item in work])
        _insert(db, Person.__table__, [
            {"relationship_id": rid, "party_id": party_ids[(rid, 2)], "user_id": person_of(n, index),
             "role": "manager" if index == 1 else "member", "tz": None}
            for n, rid in zip(range(start, start + count), all_ids, strict=True) for index in range(1, people)])
    return Population(all_ids, [channel_of(n) for n in range(start, start + count)], people)


def open_rounds(engine: Engine, population: Population, *, now: datetime) -> datetime:
    """Open a check-in round of today in every relationship (a tick of the product, just before the prompts
    are due); returns when the prompts are due: today at the cadence's time, midnight UTC, before `now`."""
    period = now.astimezone(UTC).date()
    prompts_due = datetime.combine(period, datetime.min.time(), UTC)
    with transaction(engine) as db:
        _insert(db, WorkItem.__table__, [
            {"kind": rounds.OPEN_KIND, "payload": {"relationship_id": rid, "period": period.isoformat()},
             "due_at": prompts_due - timedelta(minutes=1), "status": PENDING, "attempts": 0, "created_at": now,
             "idempotency_key": f"{rounds.OPEN_KIND}:{rid}:{period.isoformat()}"} for rid in population.ids])
    report = run_tick(engine, now=prompts_due - timedelta(seconds=1), limit=len(population.ids) + 1)
    assert len(report.done) == len(population.ids), report
    return prompts_due
