"""Test databases, migrated once per session.

SQLite: a template file migrated once, copied by each test (under a millisecond).
PostgreSQL: a template database migrated once; each test takes a database from a pool of copies of it
and gives it back emptied. Migrating costs about 0.8 s, `CREATE DATABASE … TEMPLATE` and `TRUNCATE`
about 0.25 s each (both sync files to disk), emptying the tables with DELETE and setting the sequences
back a couple of milliseconds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from storage.engine import make_engine, normalise_url
from storage.migrate import head_revision, upgrade
from storage.schema import metadata


def with_database(url: str, name: str) -> str:
    """`url` naming another database on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def migrated_sqlite_template(path: Path) -> Path:
    """A SQLite file migrated to head, checkpointed so that the file alone holds it."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def sqlite_clone(template: Path, path: Path) -> str:
    """A copy of the template at `path`, as a URL."""
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


POSTGRES_ENV = "ACCORD_TEST_POSTGRES_URL"


@contextmanager
def postgres_server_from_environment() -> Iterator[PostgresServer | None]:
    """The server at ACCORD_TEST_POSTGRES_URL for the length of the block; None when it is not set."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        yield None
        return
    server = PostgresServer(base)
    try:
        yield server
    finally:
        server.close()


class PostgresServer:
    """Databases of their own on the PostgreSQL server at `base_url`, created and dropped by name."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._admin: Engine = create_engine(normalise_url(base_url), isolation_level="AUTOCOMMIT",
                                            pool_size=1, max_overflow=2)

    def create(self, prefix: str, *, template: str | None = None) -> str:
        """A new database (empty, or a copy of `template`); returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
            # a test's commits need not wait for the disk: nothing must outlive a crash of the test server
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        return with_database(self.base_url, name)

    def drop(self, url: str) -> None:
        """Drop the database at `url`, ending whatever connections a test left open."""
        name = make_url(url).database
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    @contextmanager
    def database(self, prefix: str, *, template: str | None = None) -> Iterator[str]:
        """A database for the length of the block."""
        url = self.create(prefix, template=template)
        try:
            yield url
        finally:
            self.drop(url)

    def migrated_template(self) -> str:
        """A database migrated to head, with no connection left on it (a template must have none)."""
        url = self.create("accord_tpl")
        engine = make_engine(url, pool_size=1)
        upgrade(engine)
        engine.dispose()
        return url

    def close(self) -> None:
        self._admin.dispose()


class PostgresPool:
    """Databases at the newest schema, each used by one test at a time and emptied between tests."""

    def __init__(self, server: PostgresServer, template_url: str) -> None:
        self.server = server
        self.template = make_url(template_url).database
        self._free: list[str] = []
        self._made: list[str] = []

    def take(self) -> str:
        """A database with the schema and no rows."""
        if self._free:
            return self._free.pop()
        url = self.server.create("accord_t", template=self.template)
        self._made.append(url)
        return url

    def give_back(self, url: str) -> None:
        """Empty the database for the next test; one a test left in any other state is dropped instead."""
        try:
            empty(url)
        except Exception:
            self.server.drop(url)
            self._made.remove(url)
            return
        self._free.append(url)

    def close(self) -> None:
        for url in self._made:
            self.server.drop(url)


def empty(url: str) -> None:
    """Delete every row but the schema's revision and set the sequences back, after ending the connections a test
    left on the database (an engine not disposed, a killed replica's)."""
    engine = create_engine(normalise_url(url), poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            tables = set(connection.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
            if upgrade_needed(connection) or not set(metadata.tables) <= tables:
                raise RuntimeError("the test changed the schema")
            ordered = [t.name for t in reversed(metadata.sorted_tables) if t.name in tables]
            ordered += sorted(tables - set(ordered) - {"alembic_version"})
            sequences = list(connection.execute(text(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars())
            statements = [f'DELETE FROM "{name}"' for name in ordered]  # noqa: S608 - names read from the catalogue
            if sequences:
                statements.append("SELECT " + ", ".join(f"setval('\"{name}\"', 1, false)" for name in sequences))
            connection.exec_driver_sql("; ".join(statements))
    finally:
        engine.dispose()


def upgrade_needed(connection: Connection) -> bool:
    """True unless the database is at the newest revision."""
    return MigrationContext.configure(connection).get_current_revision() != head_revision()
