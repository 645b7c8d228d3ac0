"""Statements run on the driver's cursor (storage.direct), and PostgreSQL's pooled connections checked without a
round trip (storage.engine): what the request path's cuts must not change."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.direct import Prepared, one_write
from storage.engine import normalise_url, transaction
from storage.models import PENDING, WorkItem

_INSERT = Prepared(insert(WorkItem).inline(), keys=("kind", "idempotency_key", "due_at", "payload", "status",
                                                    "attempts", "created_at"))


def _values(key: str, due_at: datetime) -> dict[str, object]:
    return {"kind": "test", "idempotency_key": key, "due_at": due_at, "payload": {"text": "Zürich ✓", "n": [1, 2]},
            "status": PENDING, "attempts": 0, "created_at": due_at - timedelta(hours=1)}


def test_a_row_written_directly_reads_back_through_the_orm_as_one_written_by_it(engine: Engine) -> None:
    due = datetime(2027, 3, 28, 0, 30, 15, 123456, tzinfo=UTC)
    with one_write(engine) as db:
        db.run(_INSERT, _values("direct", due))
    with transaction(engine) as db:
        db.add(WorkItem(**_values("orm", due)))  # type: ignore[arg-type]
    with Session(engine) as db:
        rows = {w.idempotency_key: w for w in db.exec(select(WorkItem))}
    direct, orm = rows["direct"], rows["orm"]
    assert (direct.due_at, direct.created_at, direct.payload) == (orm.due_at, orm.created_at, orm.payload)
    assert direct.due_at == due and direct.due_at.tzinfo is not None


def test_one_write_allows_one_write_and_a_failed_write_changes_nothing(engine: Engine) -> None:
    due = datetime(2027, 1, 4, 9, tzinfo=UTC)
    with pytest.raises(RuntimeError, match="one write only"), one_write(engine) as db:
        db.run(_INSERT, _values("first", due))
        db.run(_INSERT, _values("second", due))
    with pytest.raises(Exception, match="(?i)unique|duplicate"), one_write(engine) as db:
        db.run(_INSERT, _values("first", due))  # the key is taken: refused by the database
    with Session(engine) as db:
        assert [w.idempotency_key for w in db.exec(select(WorkItem))] == ["first"]
    with one_write(engine) as db:  # the pool's connections are still good after the refusals
        db.run(_INSERT, _values("third", due))
    with Session(engine) as db:
        assert len(db.exec(select(WorkItem)).all()) == 2


@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
def test_a_pooled_connection_the_server_ended_is_replaced_before_use(engine: Engine) -> None:
    """No round trip checks a busy pool's connections; one the server ended (a restart, pg_terminate_backend) is
    known by the message it left and replaced, so the request using it does not fail."""
    due = datetime(2027, 1, 4, 9, tzinfo=UTC)
    with one_write(engine) as db:
        db.run(_INSERT, _values("first", due))
    connects: list[object] = []
    event.listen(engine, "connect", lambda *_: connects.append("connect"))
    for n in range(3):  # the same pooled connection each time
        with one_write(engine) as db:
            db.run(_INSERT, _values(f"before {n}", due))
    assert connects == []
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(normalise_url(os.environ["ACCORD_TEST_POSTGRES_URL"]), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
        deadline = time.monotonic() + 10  # the backend ends a moment later, having told its client
        while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}).scalar_one():
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.01)
    admin.dispose()
    with one_write(engine) as db:  # handed a new connection, not the dead one
        db.run(_INSERT, _values("after", due))
    assert connects == ["connect"]
    with Session(engine) as db:
        assert len(db.exec(select(WorkItem)).all()) == 5
