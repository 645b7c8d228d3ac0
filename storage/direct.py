"""Statements compiled once and run on the driver's own cursor.

For the request path's few statements (a slash command's look-up and INSERT): there SQLAlchemy's work per
execution (an execution context, events, a result object: about 0.04 ms a statement) and the ORM Session's (0.04 ms
a transaction) cost more than SQLite does. The connection still comes from SQLAlchemy's pool: either a Session's, in
its transaction (`direct`), or one of its own whose statements each commit as they run (`one_write`).

Bound values go through the column types' own bind processors (UtcDateTime, JSON), so a row written here reads
back through the ORM exactly as one written by it; result rows come back as the driver gives them, so a Prepared
select should return plain columns (text, numbers), not ones whose type converts on the way out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import Session

from storage.engine import is_sqlite, writer_turn


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # the bind names in placeholder order (qmark drivers); None for named ones
    processors: Mapping[str, Callable[[Any], Any]]
    fixed: Mapping[str, Any]  # the values the statement carries itself (a LIMIT's, a literal compared with)

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        bound = {name: (self.processors[name](value) if name in self.processors else value)
                 for name, value in {**self.fixed, **values}.items()}
        return bound if self.order is None else [bound[name] for name in self.order]


class Prepared:
    """A Core statement compiled once per dialect, with its bind parameters' names (`keys`: the columns an INSERT
    sets; a select's `bindparam` names need not be given)."""

    def __init__(self, statement: ClauseElement, *, keys: Sequence[str] | None = None) -> None:
        self._statement, self._keys = statement, list(keys) if keys is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = cast(SQLCompiler, self._statement.compile(dialect=dialect, column_keys=self._keys))
            processors = {}
            for name, bind in compiled.binds.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    processors[name] = process
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            fixed = {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}
            found = self._compiled[dialect.name] = _Compiled(str(compiled), order, processors, fixed)
        return found


class Direct:
    """The driver's cursor of an open connection, for Prepared statements (`one_write`: at most one `run`, in this
    process's writer turn on SQLite)."""

    def __init__(self, cursor: Any, engine: Engine, *, one_write: bool = False) -> None:
        self._cursor, self._engine, self._dialect = cursor, engine, engine.dialect
        self._writes_left = 1 if one_write else -1

    def first(self, statement: Prepared, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row of a select, as the driver gives it, or None."""
        compiled = statement.compiled(self._dialect)
        self._cursor.execute(compiled.sql, compiled.parameters(values))
        row = self._cursor.fetchone()
        return tuple(row) if row is not None else None

    def run(self, statement: Prepared, values: Mapping[str, Any]) -> None:
        """Run an INSERT, UPDATE or DELETE."""
        if self._writes_left == 0:
            raise RuntimeError("one write only here: its statements are not one transaction on PostgreSQL")
        compiled = statement.compiled(self._dialect)
        parameters = compiled.parameters(values)
        if self._writes_left < 0:  # in a transaction, which holds the writer turn already
            self._cursor.execute(compiled.sql, parameters)
            return
        self._writes_left -= 1
        with writer_turn(self._engine):
            self._cursor.execute(compiled.sql, parameters)


def direct(db: Session | Direct) -> Direct:
    """The Direct of a Session's transaction (its connection, begun if it was not yet), or `db` if it is one."""
    if isinstance(db, Direct):
        return db
    connection = db.connection()
    return Direct(connection.connection.cursor(), connection.engine)


@contextmanager
def one_write(engine: Engine) -> Iterator[Direct]:
    """Look-ups and then at most one write, without a Session, for a request that changes one row: each statement
    is a transaction of its own (autocommit), the look-ups reading the latest committed state and the write
    committing as it runs. A statement is then one call to the database instead of three (BEGIN, it, COMMIT): on
    PostgreSQL one round trip to the server instead of three; on SQLite, where this process's writers take turns
    (storage.engine), the turn is held for the write alone, not for the look-ups and the commit too."""
    connection = engine.raw_connection()  # the pool's, without SQLAlchemy's Connection around it
    driver = connection.dbapi_connection
    autocommit = not is_sqlite(engine)  # Accord's SQLite connections are in autocommit outside an explicit BEGIN
    try:
        if autocommit and driver is not None:
            engine.dialect.set_isolation_level(driver, "AUTOCOMMIT")
        yield Direct(connection.cursor(), engine, one_write=True)
    finally:
        if autocommit and driver is not None:
            try:
                engine.dialect.reset_isolation_level(driver)
            except Exception:  # the database went away: the pool drops the connection (the block's error stands)
                connection.invalidate()
        connection.close()  # back to the pool
