"""Issue 9, point 3: the cost of a tick follows the work that is due, not the number of relationships.

Relationships are written in bulk (tests/benchmarks/population.py: the first through `setup.configure`,
the others copies of its rows, each with three people and the due work `configure` queues: the next
check-in round and the next review, both weeks away). Before each tick a handful of items fall due (the
same handful at every size: DUE reminders in as many channels, each queuing its post); the tick
(`scheduler.tick.run_tick`, what `accord serve` runs) handles them and finds nothing else due. Its time
is the median of RUNS ticks after WARM_UP, at 10 relationships and then at 10,000 (the same database,
grown), and the SQL statements each tick sends are counted.

Target: median tick at 10,000 relationships <= 2x the median at 10.

    pytest -n 0 -m benchmark -s tests/benchmarks/test_tick_cost.py

The default test run keeps the deterministic half: a tick sends as many statements at 1,000 relationships
as at 10 (test_tick_statements_do_not_grow_with_relationships).
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from statistics import median

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from commands import reminders, work
from scheduler.tick import run_tick
from storage.engine import transaction
from storage.models import PENDING, WorkItem
from storage.rmp import Person, Relationship
from tests.benchmarks import population, serving
from tests.benchmarks.history import counting

SIZES = (10, 10_000)
COUNTED_SIZES = (10, 1_000)  # the default run's: statements only
PEOPLE = 3
DUE = 5
WARM_UP, RUNS = 3, 9
TARGET = 2.0


@dataclass(frozen=True)
class Measure:
    relationships: int
    people: int
    pending: int  # work items waiting (not due)
    ms: list[float]
    statements: int

    @property
    def median(self) -> float:
        return median(self.ms)

    @property
    def p90(self) -> float:
        ordered = sorted(self.ms)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _fall_due(engine: Engine, built: population.Population, now: datetime) -> None:
    """The handful of due items: a reminder in each of the first DUE channels, due a minute ago."""
    with transaction(engine) as db:
        for channel in built.channels[:DUE]:
            work.schedule_new(db, kind=reminders.KIND, key=f"reminder:{uuid.uuid4().hex}",
                              due_at=now - timedelta(minutes=1), now=now - timedelta(hours=1),
                              payload={"channel": channel, "text": "Benchmark reminder", "by": population.FOUNDER})


def tick_once(engine: Engine, built: population.Population, now: datetime) -> tuple[float, int]:
    _fall_due(engine, built, now)
    with counting(engine) as seen:
        started = time.perf_counter()
        report = run_tick(engine, now=now)
        elapsed = (time.perf_counter() - started) * 1000
    assert len(report.done) == DUE and not report.failed, report
    return elapsed, len(seen)


def measure(engine: Engine, built: population.Population, now: datetime, *, warm_up: int = WARM_UP,
            runs: int = RUNS) -> Measure:
    for _ in range(warm_up):
        tick_once(engine, built, now)
    timed = [tick_once(engine, built, now) for _ in range(runs)]
    counts = {statements for _, statements in timed}
    assert len(counts) == 1, f"the statements of a tick vary: {sorted(counts)}"
    with Session(engine) as db:
        relationships = db.exec(select(func.count()).select_from(Relationship)).one()
        people = db.exec(select(func.count()).select_from(Person)).one()
        pending = db.exec(select(func.count()).select_from(WorkItem).where(WorkItem.status == PENDING)).one()
    return Measure(relationships, people, pending, [ms for ms, _ in timed], counts.pop())


def test_tick_statements_do_not_grow_with_relationships(engine: Engine) -> None:
    now = datetime.now(UTC)
    small = population.build(engine, COUNTED_SIZES[0], people=PEOPLE, now=now)
    first = measure(engine, small, now, warm_up=1, runs=2)
    population.build(engine, COUNTED_SIZES[1] - COUNTED_SIZES[0], people=PEOPLE, now=now, start=COUNTED_SIZES[0])
    last = measure(engine, small, now, warm_up=1, runs=2)
    assert last.relationships == COUNTED_SIZES[1]
    print(f"statements(1,000) / statements(10) = {last.statements / first.statements:.2f}")
    assert last.statements == first.statements


@pytest.mark.benchmark
def test_tick_cost_follows_due_work(database_url: str, engine: Engine) -> None:
    started = time.monotonic()
    now = datetime.now(UTC)
    small = population.build(engine, SIZES[0], people=PEOPLE, now=now)
    first = measure(engine, small, now)
    population.build(engine, SIZES[1] - SIZES[0], people=PEOPLE, now=now, start=SIZES[0])
    last = measure(engine, small, now)
    assert last.relationships == SIZES[1]

    print(f"\n\none tick with {DUE} items due ({engine.dialect.name}; median of {RUNS} ticks after {WARM_UP}; "
          f"benchmark took {time.monotonic() - started:.0f} s)")
    print(f"machine: {serving.machine(database_url)}")
    print(f"{'relationships':>13} {'people':>7} {'waiting items':>13} {'median ms':>10} {'p90 ms':>7} "
          f"{'statements':>10}")
    for m in (first, last):
        print(f"{m.relationships:>13} {m.people:>7} {m.pending:>13} {m.median:>10.2f} {m.p90:>7.2f} "
              f"{m.statements:>10}")
    print(f"ms(10,000) / ms(10)                 = {last.median / first.median:.2f}  (must be <= {TARGET})")
    print(f"statements(10,000) / statements(10) = {last.statements / first.statements:.2f}")
    assert last.statements == first.statements
    assert last.median <= TARGET * first.median, f"{last.median:.2f} ms > {TARGET} x {first.median:.2f} ms"
