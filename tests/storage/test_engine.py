"""The engine: SQLite pragmas, URL spellings, and migrations that match the models."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from storage import slack_oauth
from storage.engine import DatabaseUrlError, make_engine, normalise_url, transaction
from storage.migrate import current_revision, head_revision, upgrade
from storage.schema import metadata

# a relationship row as migrations 0008 to 0011 know the table (a calendar per party since 0007)
RELATIONSHIP_ROW = (
    "INSERT INTO relationship (id, channel_id, name, mode, timezone, checkin_cadence, review_cadence, ladder, "
    "checkin_statements, checkin_scale, checkin_window_days, checkin_min_respondents, checkin_reminders, "
    "gap_threshold, version, created_at, updated_at) VALUES ({id}, '{channel}', '{name}', 'connect', 'UTC', "
    "'weekly on monday at 09:30', 'quarterly on the first working day at 10:00', '[]', '[]', 5, 3, 3, 1, 1.0, 0, "
    "'2027-01-01 00:00:00+00:00', '2027-01-01 00:00:00+00:00')")


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_postgres_urls_use_psycopg_3() -> None:
    assert normalise_url("postgres://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    with pytest.raises(DatabaseUrlError):
        normalise_url("mysql://u@h/db")
    with pytest.raises(DatabaseUrlError):
        normalise_url("not a url")


def test_migrations_from_an_empty_database_reach_head_and_match_the_models(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert current_revision(engine) is None
        assert upgrade(engine) == head_revision()
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
        assert differences == []
    finally:
        engine.dispose()


def test_slack_sdks_oauth_tables_are_migrated_and_compared(engine: Engine) -> None:
    # the comparison above covers slack_sdk's installation and state stores only while their tables are in `metadata`
    assert set(slack_oauth.TABLES) <= set(metadata.tables)
    assert set(slack_oauth.TABLES) <= set(inspect(engine).get_table_names())
    columns = {column["name"] for column in inspect(engine).get_columns(slack_oauth.BOTS)}
    assert {"client_id", "team_id", "enterprise_id", "bot_token", "bot_user_id", "installed_at"} <= columns


def test_each_party_takes_the_calendar_its_relationship_had_when_migrated(empty_database_url: str) -> None:
    """0007 moves the one calendar of a relationship onto each of its two parties (and back on downgrade)."""
    from alembic import command

    from storage.migrate import alembic_config

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0006")
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO relationship (id, channel_id, name, mode, timezone, working_days, holidays, "
                "checkin_cadence, review_cadence, ladder, checkin_statements, checkin_scale, checkin_window_days, "
                "checkin_min_respondents, checkin_reminders, gap_threshold, version, created_at, updated_at) VALUES "
                "(1, 'C1', 'R', 'connect', 'Europe/London', '[0, 1, 2, 3]', '[\"2027-12-27\"]', 'weekly on monday "
                "at 09:30', 'quarterly on the first working day at 10:00', '[]', '[]', 5, 3, 3, 1, 1.0, 0, "
                "'2027-01-01 00:00:00+00:00', '2027-01-01 00:00:00+00:00')"))
            connection.execute(text("INSERT INTO party (id, relationship_id, slot, name) VALUES (1, 1, 1, 'A'), "
                                    "(2, 1, 2, 'B')"))
        assert upgrade(engine) == head_revision()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT slot, timezone, working_days, working_hours, holidays, "
                                           "holiday_region FROM party ORDER BY slot")).all()
        assert [(slot, tz, json.loads(days) if isinstance(days, str) else days, hours,
                 json.loads(off) if isinstance(off, str) else off, region)
                for slot, tz, days, hours, off, region in rows] == [
            (slot, "Europe/London", [0, 1, 2, 3], "09:00-17:30", ["2027-12-27"], "") for slot in (1, 2)]
        command.downgrade(alembic_config(engine), "0006")
        with engine.connect() as connection:
            days, = connection.execute(text("SELECT working_days FROM relationship")).one()
        assert (json.loads(days) if isinstance(days, str) else days) == [0, 1, 2, 3]
    finally:
        engine.dispose()


def test_each_bound_party_knows_its_one_id_as_a_workspace_or_a_grid_org_when_migrated(empty_database_url: str) -> None:
    """0009: a party bound to a workspace (T…) lists it among its workspaces; one bound to an Enterprise Grid org
    (E…, from a mention's user_team) takes it as its org; an unbound party knows nothing."""
    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0008")
        with engine.begin() as connection:
            for number, channel, name in ((1, "C1", "R"), (2, "C2", "S")):
                connection.execute(text(RELATIONSHIP_ROW.format(id=number, channel=channel, name=name)))
            connection.execute(text("INSERT INTO party (id, relationship_id, slot, name, team_id) VALUES "
                                    "(1, 1, 1, 'A', 'T1'), (2, 1, 2, 'B', 'E2'), (3, 2, 1, 'C', NULL)"))
        assert upgrade(engine) == head_revision()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT name, team_id, enterprise_id, team_ids FROM party ORDER BY id"))
            found = [(name, team, org, json.loads(teams) if isinstance(teams, str) else teams)
                     for name, team, org, teams in rows]
        assert found == [("A", "T1", None, ["T1"]), ("B", "E2", "E2", []), ("C", None, None, [])]
    finally:
        engine.dispose()


def test_each_kpis_amber_starts_at_its_target_when_migrated(empty_database_url: str) -> None:
    """0011: a KPI whose amber threshold lay past its target (94 % against ≥ 95 % was green) takes its target as
    amber, so a value short of the target is amber; the target and red threshold stay."""
    from commands.rmp.kpis import rag
    from storage.rmp import Kpi

    engine = make_engine(empty_database_url)
    try:
        upgrade(engine, "0010")
        with engine.begin() as connection:
            connection.execute(text(RELATIONSHIP_ROW.format(id=1, channel="C1", name="R")))
            connection.execute(text(
                "INSERT INTO kpi (id, relationship_id, number, name, unit, direction, target, amber, red, owner_slot, "
                "reporter_slot, cadence, active) VALUES (1, 1, 1, 'On time', '%', 'higher', 95, 90, 80, 1, 1, 'x', "
                "true), (2, 1, 2, 'Defects', 'ppm', 'lower', 50, 80, 120, 1, 1, 'x', true)"))
        assert upgrade(engine) == head_revision()
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT number, target, amber, red FROM kpi ORDER BY number")).all()
        assert [tuple(row) for row in rows] == [(1, 95, 95, 80), (2, 50, 50, 120)]
        on_time = Kpi(relationship_id=1, number=1, name="On time", direction="higher", target=95, amber=95, red=80,
                      owner_slot=1, reporter_slot=1)
        assert [rag(on_time, value) for value in (95, 94, 80, 79)] == ["green", "amber", "amber", "red"]
    finally:
        engine.dispose()


def test_a_writing_transaction_ended_on_another_thread_leaves_no_writer_waiting(tmp_path: Path) -> None:
    """A writer's turn (this process's SQLite writer lock) ends with its transaction whichever thread ends it (a
    leaked session's connection is returned by the garbage collector, on any thread): the next writer goes at once
    rather than waiting the busy timeout out and being told the database is locked."""
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")
        left_open: list[Connection] = []

        def write_and_leave_open() -> None:
            connection = engine.connect()
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")  # BEGIN IMMEDIATE: this writer's turn
            left_open.append(connection)

        for step in (write_and_leave_open, lambda: left_open[0].close()):  # begun on one thread, ended on another
            thread = threading.Thread(target=step)
            thread.start()
            thread.join()
        started = time.monotonic()
        with transaction(engine) as db:
            db.exec(text("INSERT INTO t VALUES (2)"))  # type: ignore[call-overload]
        assert time.monotonic() - started < 2
        with engine.connect() as connection:
            assert [n for (n,) in connection.exec_driver_sql("SELECT n FROM t")] == [2]  # the first rolled back
    finally:
        engine.dispose()


def test_sqlite_writers_on_many_threads_take_turns_and_all_land(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE t (n INTEGER)")

        def write(n: int) -> None:
            with transaction(engine) as db:
                db.exec(text("INSERT INTO t VALUES (:n)"), params={"n": n})  # type: ignore[call-overload]
                if n % 7 == 0:
                    raise_in_block(n)

        def raise_in_block(n: int) -> None:
            raise ValueError(n)

        def attempt(n: int) -> None:
            with contextlib.suppress(ValueError):  # rolled back: its turn ends too
                write(n)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(attempt, range(200)))
        with engine.connect() as connection:
            landed = sorted(n for (n,) in connection.exec_driver_sql("SELECT n FROM t"))
        assert landed == [n for n in range(200) if n % 7]
    finally:
        engine.dispose()
