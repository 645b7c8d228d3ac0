"""A database's rows copied out and written back: a plan built once through the use cases is written into each
further test's database instead of being built again (about a second on SQLite, more on PostgreSQL)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.engine import Engine

from storage.schema import metadata

Rows = list[tuple[Table, list[dict[str, Any]]]]


def snapshot(engine: Engine) -> Rows:
    """Every table's rows, parents first."""
    with engine.connect() as connection:
        return [(table, [dict(row._mapping) for row in connection.execute(select(table))])
                for table in metadata.sorted_tables]


def restore(engine: Engine, rows: Rows) -> None:
    """Write `rows` into an empty database of the same schema, and move PostgreSQL's sequences past them (SQLite's
    AUTOINCREMENT counters follow explicit ids by themselves)."""
    with engine.begin() as connection:
        for table, values in rows:
            if values:
                connection.execute(insert(table), values)
        if engine.dialect.name != "postgresql":
            return
        for table, values in rows:
            for column in table.primary_key.columns:
                if values and column.autoincrement is not False and column.type.python_type is int:
                    highest = connection.execute(select(func.max(column))).scalar_one()
                    connection.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :n)"),
                                       {"t": table.name, "c": column.name, "n": highest})
