"""Engine and sessions: one engine per process, built from a database URL."""

from __future__ import annotations

import select
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "accord_read_only"
# This process's writing transactions on one SQLite database take turns on a lock of their own. SQLite lets one
# writer in at a time, and a writer that finds the database locked sleeps and retries (after 1, 2, 5, 10 … 100 ms):
# a few requests writing at once waited tens of milliseconds for a lock held for one. Queued on a Python lock they
# follow each other at once. Writers of other processes (`accord tick`, a second replica) still meet in SQLite's
# busy handler. A turn is taken when a writing transaction begins (SQLAlchemy's `begin` event) and ends when its
# connection returns to the pool (the pool's `checkin` event, after the commit or the rollback): through
# SQLAlchemy's documented events, and with a plain lock, which any thread may release. A thread that opens a
# second writing transaction while holding a turn waits the busy timeout and is refused, as SQLite would refuse it.
WRITER_TURN = "accord_writer_turn"
IDLE_SINCE = "accord_idle_since"  # when a PostgreSQL connection went back to the pool
IDLE_PING_SECONDS = 30.0


class DatabaseUrlError(ValueError):
    """The database URL names a database Accord cannot use."""


def normalise_url(url: str) -> str:
    """Map the URL spellings people use onto the drivers Accord ships (psycopg 3)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    try:  # the URL may hold a password: it is never repeated in a message
        parsed = make_url(url)
    except Exception:  # sqlalchemy raises ArgumentError for junk
        raise DatabaseUrlError("not a database URL: expected sqlite:///path or postgresql://host/db") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseUrlError(f"unsupported database {parsed.get_backend_name()!r}; use sqlite or postgresql")
    if parsed.get_backend_name() == "postgresql":
        try:
            _ = parsed.port
        except ValueError:
            raise DatabaseUrlError("the port is not a number") from None
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise DatabaseUrlError("PostgreSQL is reached through psycopg 3: use postgresql://…")
    return url


def is_sqlite(engine: Engine) -> bool:
    """True when the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create the process's engine: SQLite with WAL, busy timeout and foreign keys; or PostgreSQL."""
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, pool_size=pool_size)
    return _postgres_engine(url, pool_size=pool_size)


def _postgres_engine(url: str, *, pool_size: int) -> Engine:
    """PostgreSQL, its pooled connections checked as they are handed out: a round trip to the server (SQLAlchemy's
    pool_pre_ping) only for a connection that has something unread waiting (a server that ended the session says
    so, then closes: a restart, pg_terminate_backend, an idle timeout) or that sat idle past IDLE_PING_SECONDS (a
    peer that vanished without a word). A busy pool's connections go straight to work: the ping was one of the
    three round trips of a slash command that looks a row up and INSERTs one."""
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_use_lifo=True, hide_parameters=True)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, connection_record: Any) -> None:
        connection_record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, connection_record: Any, _proxy: Any) -> None:
        idle = time.monotonic() - connection_record.info.get(IDLE_SINCE, time.monotonic())
        if dbapi_connection.closed:
            raise DisconnectionError("the connection is closed")
        if idle > IDLE_PING_SECONDS or _readable(dbapi_connection.fileno()):
            try:
                engine.dialect.do_ping(dbapi_connection)
            except Exception as exc:  # the pool drops this connection and hands out a new one
                raise DisconnectionError(f"the connection failed its ping: {type(exc).__name__}") from exc

    return engine


def _readable(fd: int) -> bool:
    """Whether the socket has something to read now (poll: any descriptor number, unlike select)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _sqlite_engine(url: str, *, pool_size: int) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        # as many connections kept as the process has threads using them: beyond the pool, each request
        # would open a connection (and read the schema) and close it again, which costs more than its query
        pool_size=pool_size, max_overflow=pool_size,
        # the connection returned last is handed out next: each connection keeps a page cache of its own, which
        # another connection's write makes stale; reusing the last writer's keeps it warm (FIFO went round them all)
        pool_use_lifo=True,
        hide_parameters=True,  # what people typed never reaches a log or an error message
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # this process's writers take turns (see WRITER_TURN); a plain lock, not owned by a thread
    writers = _WRITERS[engine] = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writing transaction takes the write lock up front: a deferred one that later upgrades
        # to a writer fails with "database is locked" without waiting. Readers (see `reading`)
        # begin deferred and, with WAL, never wait for a writer.
        # BEGIN goes straight to the driver: through SQLAlchemy's execution (events, contexts, a result) it cost more
        # than the rest of a one-INSERT transaction
        driver = connection.connection.driver_connection
        if connection.get_execution_options().get(READ_ONLY, False):
            driver.execute("BEGIN")
            return
        info = connection.connection.info  # the pooled connection's, the same dict its pool entry holds
        if not info.get(WRITER_TURN):  # a connection keeps its turn from one transaction to its next
            _take(writers)
            info[WRITER_TURN] = True
        try:
            driver.execute("BEGIN IMMEDIATE")
        except BaseException:
            _end_turn(info)
            raise

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, connection_record: Any) -> None:
        # The connection is back in the pool: its transaction has ended (committed, or rolled back by the
        # pool's reset), whichever thread returned it (a leaked session's is returned by the garbage collector).
        _end_turn(connection_record.info)

    def _end_turn(info: dict[str, Any]) -> None:
        if info.pop(WRITER_TURN, False):
            writers.release()

    return engine


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()  # each SQLite engine's


def _take(writers: threading.Lock) -> None:
    if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
        raise sqlite3.OperationalError("database is locked (waited for this process's other writers)")


@contextmanager
def writer_turn(engine: Engine) -> Iterator[None]:
    """This process's writer turn on a SQLite database (see WRITER_TURN), for a statement that writes outside a
    transaction of SQLAlchemy's (storage.direct); nothing on PostgreSQL."""
    writers = _WRITERS.get(engine)
    if writers is None:
        yield
        return
    _take(writers)
    try:
        yield
    finally:
        writers.release()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits when the block ends, rolls back if it raises."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A read-only unit of work: on SQLite it does not take the write lock, so it never waits."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        with Session(bind=connection, expire_on_commit=False) as session:
            yield session  # closing the connection rolls back; loaded objects stay readable


def lock_for_update(engine: Engine) -> dict[str, Any]:
    """Arguments for `select(...).with_for_update(**…)` that skip rows other workers hold."""
    return {} if is_sqlite(engine) else {"skip_locked": True}
