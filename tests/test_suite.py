"""The test suite's own arrangements, which a library upgrade could silently undo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("suite-check")


def test_xdist_groups_keep_their_tests_on_one_worker(request: pytest.FixtureRequest) -> None:
    """Under pytest-xdist's `--dist loadgroup`, a grouped test's id carries its group: that is how the files that
    start real `accord` processes are kept on one worker. (pytest 9.2 with pytest-xdist 3.8 loses it.)"""
    if "PYTEST_XDIST_WORKER" not in os.environ or request.config.getoption("dist") != "no":
        pytest.skip("not in an xdist worker")
    if not request.config.getvalue("loadgroup"):
        pytest.skip("not run with --dist loadgroup")
    assert request.node.nodeid.endswith("@suite-check"), request.node.nodeid


def test_every_scenario_file_runs_on_postgresql_too() -> None:
    """Scenarios run on SQLite, and those marked `postgres` on PostgreSQL too (tests/conftest.py): each scenario
    file marks its broadest tests so, unless every test of it names the sibling that runs its statements there."""
    folder = Path(__file__).parent / "scenarios"
    files = sorted(folder.glob("test_*.py"))
    assert len(files) > 20
    missing = [path.name for path in files
               if "@pytest.mark.postgres\n" not in (text := path.read_text(encoding="utf-8"))
               and "sqlite_only(" not in text]
    assert missing == []
