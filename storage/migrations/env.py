"""Alembic environment: runs against the engine handed over in the config."""

from alembic import context

from storage.schema import metadata

config = context.config
engine = config.attributes["engine"]

MIGRATION_LOCK = 4_401_044  # a PostgreSQL advisory lock: replicas starting together migrate one at a time

with engine.connect() as connection:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        compare_type=True,
        # SQLite too runs every migration in one transaction (BEGIN IMMEDIATE: see storage/engine.py), so that
        # replicas migrating at once wait for each other, and the next finds the schema current
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
