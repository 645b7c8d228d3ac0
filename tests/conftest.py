"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when ACCORD_TEST_POSTGRES_URL is
set), and a harness running the real app over HTTP against the packaged fake Slack."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from storage.engine import make_engine, normalise_url
from storage.migrate import upgrade

if TYPE_CHECKING:
    from tests.harness import Harness

POSTGRES_ENV = "ACCORD_TEST_POSTGRES_URL"


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of its own: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accord.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    schema = f"accord_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(base, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on that database, migrated to head."""
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """The packaged fake Slack on a free port, with two organisations sharing a channel."""
    from tests.harness import BOT_TOKEN, HOME, populate

    with FakeSlack(bot_token=BOT_TOKEN, team_id=HOME, bot_user_id="UACCORD") as running:
        populate(running)
        yield running


@pytest.fixture
def harness(database_url: str, tmp_path: Path) -> Iterator[Harness]:
    """The real app over HTTP, the fake Slack, and a driver that signs requests like Slack."""
    from tests.harness import Harness

    with Harness.start(database_url, workdir=tmp_path) as running:
        yield running
