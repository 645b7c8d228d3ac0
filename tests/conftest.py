"""Fixtures: a database per test (SQLite, and PostgreSQL when ACCORD_TEST_POSTGRES_URL is set), cloned from
a template migrated once per session, and a harness running the real app over HTTP against the packaged
fake Slack."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy.engine import Engine

from bot.fakeslack import FakeSlack
from storage.engine import make_engine
from tests.databases import (
    POSTGRES_ENV,
    PostgresPool,
    PostgresServer,
    migrated_sqlite_template,
    postgres_server_from_environment,
    sqlite_clone,
)

if TYPE_CHECKING:
    from tests.harness import Harness



def pytest_configure(config: pytest.Config) -> None:
    """Each test process (every xdist worker) collects garbage less often: the objects loaded at start (SQLAlchemy,
    bolt, matplotlib, the test modules) are frozen out of the collector's rounds, and a round starts after 100,000
    allocations instead of 700. Measured on two scenario files and the outbox tests: a fifth less CPU time. The
    `accord` processes the tests start keep Python's defaults."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """The PostgreSQL server tests make their databases on; None when ACCORD_TEST_POSTGRES_URL is not set."""
    with postgres_server_from_environment() as server:
        yield server


@pytest.fixture(scope="session")
def postgres_pool(postgres_server: PostgresServer | None) -> Iterator[PostgresPool | None]:
    """This session's PostgreSQL databases at the newest schema: copies of a template migrated once, each
    emptied when a test gives it back."""
    if postgres_server is None:
        yield None
        return
    template = postgres_server.migrated_template()
    pool = PostgresPool(postgres_server, template)
    yield pool
    pool.close()
    postgres_server.drop(template)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This session's SQLite file migrated to head, copied by every test."""
    return migrated_sqlite_template(tmp_path_factory.mktemp("template") / "accord.db")


@contextmanager
def _fresh_database(kind: str, request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """A database of `kind` at the newest schema with no rows, for the block alone."""
    if kind == "sqlite":
        yield sqlite_clone(request.getfixturevalue("sqlite_template"), folder / f"accord-{uuid.uuid4().hex[:8]}.db")
        return
    pool: PostgresPool = request.getfixturevalue("postgres_pool")
    url = pool.take()
    try:
        yield url
    finally:
        pool.give_back(url)


@pytest.fixture(params=["sqlite", "postgres"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Each test that takes a database runs on SQLite and on PostgreSQL."""
    if request.param == "postgres" and request.getfixturevalue("postgres_server") is None:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    return str(request.param)


@pytest.fixture
def database_copies(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Makes databases of this test's kind at the newest schema and with no rows, for this test alone."""
    with ExitStack() as stack:
        yield lambda: stack.enter_context(_fresh_database(database_kind, request, tmp_path))


@pytest.fixture
def database_url(database_copies: Callable[[], str]) -> str:
    """A URL to a database of its own at the newest schema."""
    return database_copies()


@pytest.fixture
def empty_database_url(database_kind: str, tmp_path: Path, postgres_server: PostgresServer | None) -> Iterator[str]:
    """A URL to an empty database of its own, for the tests of migrating."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    assert postgres_server is not None
    with postgres_server.database("accord_e") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on that database (at head)."""
    engine = make_engine(database_url)
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Benchmarks (timings, memory) run only when the `-m` expression names them: `pytest -m benchmark`.
    The default run keeps their deterministic halves (statement counts), which are not marked.

    A test marked `sqlite_only` runs on SQLite alone: its statements are the ones a sibling test runs on
    PostgreSQL too (the marker names that sibling), so a second run would only repeat Python. In tests/scenarios
    that is the rule: a scenario runs on SQLite, and on PostgreSQL too when it is marked `postgres`, as every
    scenario file's broadest tests are (tests/test_suite.py checks that each file has one)."""
    dropped = [item for item in items if _on_postgres(item) and not postgres_too(item)]
    if "benchmark" not in (config.getoption("markexpr", default="") or ""):
        dropped += [item for item in items if item.get_closest_marker("benchmark") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        gone = {id(item) for item in dropped}
        items[:] = [item for item in items if id(item) not in gone]


def postgres_too(item: pytest.Item) -> bool:
    """Whether `item`, a test taking a database, also runs on PostgreSQL."""
    if item.get_closest_marker("sqlite_only") is not None:
        return False
    return SCENARIOS not in Path(str(item.path)).parts or item.get_closest_marker("postgres") is not None


SCENARIOS = "scenarios"


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and callspec.params.get("database_kind") == "postgres"
