"""The test suite's own arrangements, which a library upgrade could silently undo."""

from __future__ import annotations

import os

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
