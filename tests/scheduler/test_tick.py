"""The tick: each due item runs once, in one transaction with its messages; failures back off."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from commands import outgoing, work
from scheduler.tick import backoff, run_tick
from storage.engine import transaction
from storage.models import DONE, FAILED, PENDING, OutboxMessage, WorkItem

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _post(db: Session, item: WorkItem, now: datetime) -> None:
    outgoing.post_message(db, key=f"work:{item.id}", channel="C1", view="reminder",
                        data={"text": item.payload["n"], "by": "U1"}, now=now)


def _schedule(engine: Engine, count: int, *, kind: str = "test.post", due: datetime = NOW) -> None:
    with transaction(engine) as db:
        for n in range(count):
            work.schedule(db, kind=kind, key=f"{kind}:{n}", due_at=due, payload={"n": str(n)}, now=NOW)


def _items(engine: Engine) -> list[WorkItem]:
    with Session(engine) as db:
        return list(db.exec(select(WorkItem).order_by(WorkItem.id)))


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as db:
        return list(db.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_due_item_fires_once_however_often_the_tick_runs(engine: Engine) -> None:
    _schedule(engine, 1)
    first = run_tick(engine, now=NOW, handlers={"test.post": _post})
    second = run_tick(engine, now=NOW + timedelta(hours=1), handlers={"test.post": _post})
    assert len(first.done) == 1 and second.handled == 0
    assert [item.status for item in _items(engine)] == [DONE]
    assert len(_outbox(engine)) == 1


def test_items_not_yet_due_wait(engine: Engine) -> None:
    _schedule(engine, 1, due=NOW + timedelta(minutes=5))
    assert run_tick(engine, now=NOW, handlers={"test.post": _post}).handled == 0
    assert run_tick(engine, now=NOW + timedelta(minutes=5), handlers={"test.post": _post}).handled == 1


def test_two_concurrent_ticks_fire_each_item_exactly_once(engine: Engine) -> None:
    _schedule(engine, 60)
    calls: list[int] = []
    lock = threading.Lock()

    def counting(db: Session, item: WorkItem, now: datetime) -> None:
        with lock:
            calls.append(item.id or 0)
        _post(db, item, now)

    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def tick(worker: str) -> None:
        try:
            start.wait(10)  # both ticks begin together
            run_tick(engine, now=NOW, handlers={"test.post": counting}, worker=worker)
        except BaseException as exc:  # a tick that died would leave the other to do all the work
            errors.append(exc)

    threads = [threading.Thread(target=tick, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
        assert not thread.is_alive()
    assert errors == []
    assert sorted(calls) == sorted({*calls}) and len(calls) == 60
    assert {item.status for item in _items(engine)} == {DONE}
    assert len(_outbox(engine)) == 60


def test_a_failing_handler_backs_off_then_parks_without_blocking_others(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    _schedule(engine, 1, kind="test.broken")
    _schedule(engine, 1, kind="test.post")

    def broken(db: Session, item: WorkItem, now: datetime) -> None:
        _post(db, item, now)  # its message must roll back with it
        raise RuntimeError("handler bug")

    handlers = {"test.broken": broken, "test.post": _post}
    report = run_tick(engine, now=NOW, handlers=handlers, max_attempts=3)
    assert len(report.done) == 1 and len(report.retried) == 1
    broken_item = next(item for item in _items(engine) if item.kind == "test.broken")
    assert broken_item.status == PENDING and broken_item.attempts == 1
    assert broken_item.due_at == NOW + backoff(1)
    assert "handler bug" in (broken_item.last_error or "")
    assert len(_outbox(engine)) == 1  # only the healthy item's message

    later = NOW
    for _ in range(2):
        later += timedelta(hours=2)
        run_tick(engine, now=later, handlers=handlers, max_attempts=3)
    broken_item = next(item for item in _items(engine) if item.kind == "test.broken")
    assert broken_item.status == FAILED and broken_item.attempts == 3
    assert f"work item {broken_item.id} (test.broken) failed after 3 attempts, parked" in caplog.text
    assert run_tick(engine, now=later + timedelta(days=1), handlers=handlers).handled == 0


def test_an_unknown_kind_is_parked_not_fatal(engine: Engine) -> None:
    _schedule(engine, 1, kind="nobody.handles.this")
    report = run_tick(engine, now=NOW, handlers={}, max_attempts=1)
    assert len(report.failed) == 1
    assert "no handler" in (_items(engine)[0].last_error or "")


def test_backoff_doubles_and_is_capped() -> None:
    assert backoff(1) == timedelta(seconds=30)
    assert backoff(2) == timedelta(seconds=60)
    assert backoff(30) == timedelta(hours=1)
