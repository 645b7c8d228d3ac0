"""Issue 7, point 6: the cost of a review does not grow with the length of history.

One relationship is given a quarter, then a year, then five years of weekly check-ins, KPI values,
disputes, actions, costs and benefits and quarterly reviews, built backwards from the moment of the
review, so the quarter under review holds the same rows each time. At each length a review of the last
quarter is held (`runs.hold`, what the scheduler runs: it computes, applies the rules, stores the review
and queues its messages) in a fresh session and rolled back, and the SQL statements it sends are counted.

Targets: at five years the median review takes under 100 ms, and it sends as many statements as with a
quarter of history. Run with `pytest -n 0 -s -m benchmark tests/benchmarks` to see the figures.

The default test run keeps the deterministic half: the statements of a review at each length
(test_review_statements_do_not_grow_with_history).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from statistics import median
from time import perf_counter

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from commands.reviews import figures, rules, runs
from storage.engine import reading
from storage.rmp import Relationship
from tests.benchmarks.history import NORTH, NOW, QUARTER, WEEK, YEAR, History, counting

LENGTHS = (("1 quarter", QUARTER), ("1 year", YEAR), ("5 years", 5 * YEAR))
WARM_UP, RUNS = 2, 10
TARGET_MS = 100.0


@dataclass(frozen=True)
class Measure:
    """The figures of one length of history."""

    history: str
    rows: int
    hold_ms: list[float]
    compute_ms: list[float]
    statements: int
    figures_kb: float
    sql: list[str]  # the statements of one run

    @property
    def median(self) -> float:
        return median(self.hold_ms)

    @property
    def p90(self) -> float:
        ordered = sorted(self.hold_ms)
        return ordered[math.ceil(0.9 * len(ordered)) - 1]


def hold_once(engine: Engine, relationship_id: int) -> tuple[float, list[str], float]:
    """Hold a review of the last quarter in a fresh session, then roll it back: milliseconds, statements and
    the size of the stored figures in kB."""
    with counting(engine) as seen, Session(engine, expire_on_commit=False) as db:
        started = perf_counter()
        relationship = db.get_one(Relationship, relationship_id)
        review = runs.hold(db, relationship, trigger="now", by=NORTH[0], now=NOW)
        elapsed = (perf_counter() - started) * 1000
        statements = list(seen)
        assert review.starts_at == NOW - QUARTER * WEEK, "the review must cover the last quarter, not more"
        assert review.figures["trust"]["rounds"] == QUARTER
        size = len(json.dumps(review.figures)) / 1000
        db.rollback()
    return elapsed, statements, size


def compute_once(engine: Engine, relationship_id: int) -> float:
    """Only the reading part: figures and rules of the last quarter, in a fresh read-only session."""
    with reading(engine) as db:
        started = perf_counter()
        relationship = db.get_one(Relationship, relationship_id)
        previous = runs.latest(db, relationship)
        data = figures.compute(db, relationship, starts_at=NOW - QUARTER * WEEK, ends_at=NOW, previous=previous)
        rules.recommendations(data)
        rules.wins(data)
        return (perf_counter() - started) * 1000


def measure(engine: Engine, history: History, label: str, *, warm_up: int = WARM_UP, runs: int = RUNS) -> Measure:
    for _ in range(warm_up):
        hold_once(engine, history.relationship_id)
        compute_once(engine, history.relationship_id)
    holds = [hold_once(engine, history.relationship_id) for _ in range(runs)]
    counts = {len(statements) for _, statements, _ in holds}
    assert len(counts) == 1, f"the number of statements varies from one run to the next: {sorted(counts)}"
    computes = [compute_once(engine, history.relationship_id) for _ in range(runs)]
    return Measure(label, history.rows(), [ms for ms, _, _ in holds], computes, counts.pop(), holds[-1][2],
                   holds[-1][1])


def test_review_statements_do_not_grow_with_history(engine: Engine) -> None:
    history = History(engine)
    measures = []
    for label, weeks in LENGTHS:
        history.extend_to(weeks)
        measures.append(measure(engine, history, label, warm_up=1, runs=2))
    first = measures[0]
    for m in measures[1:]:
        extra = Counter(m.sql) - Counter(first.sql)
        print(f"statements({m.history}) / statements(1q) = {m.statements / first.statements:.2f}")
        assert m.statements == first.statements, f"the statements of a review grow with history: {extra}"


@pytest.mark.benchmark
def test_review_cost_does_not_grow_with_history(engine: Engine) -> None:
    started = perf_counter()
    history = History(engine)
    measures = []
    for label, weeks in LENGTHS:
        history.extend_to(weeks)
        measures.append(measure(engine, history, label))
    first, last = measures[0], measures[-1]
    print(f"\n\nreview of the last quarter ({engine.dialect.name}; runs.hold, median of {RUNS} after {WARM_UP} "
          f"warm-up runs; benchmark took {perf_counter() - started:.1f} s)")
    print(f"{'history':<10} {'rows':>6} {'median ms':>10} {'p90 ms':>8} {'compute ms':>11} {'statements':>11} "
          f"{'figures kB':>11}")
    for m in measures:
        print(f"{m.history:<10} {m.rows:>6} {m.median:>10.1f} {m.p90:>8.1f} {median(m.compute_ms):>11.1f} "
              f"{m.statements:>11} {m.figures_kb:>11.1f}")
    print(f"ms(5y) / {TARGET_MS:.0f} ms target        = {last.median / TARGET_MS:.2f}  (must be < 1)")
    print(f"statements(5y) / statements(1q) = {last.statements / first.statements:.2f}  (must be 1.00)")
    print(f"ms(5y) / ms(1q)                 = {last.median / first.median:.2f}  (growth of time with history)")
    print(f"rows(5y) / rows(1q)             = {last.rows / first.rows:.2f}")
    extra = Counter(last.sql) - Counter(first.sql)
    assert last.statements == first.statements, f"the statements of a review grow with history: {extra}"
    assert last.median < TARGET_MS, f"a review with 5 years of history takes {last.median:.1f} ms"
