"""Benchmarks: every test here is marked `benchmark`; the long ones only run when asked for.

`pytest -m benchmark -s tests/benchmarks` runs them all and shows their figures. In the default run
(no `-m` naming `benchmark`) a benchmark marked `benchmark(long=True)` is skipped; the quick ones (the
review cost, ~10 s) run with the other tests.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the long benchmarks unless the `-m` expression names `benchmark`."""
    if "benchmark" in (config.getoption("markexpr", default="") or ""):
        return
    skip = pytest.mark.skip(reason="a long benchmark: run it with `pytest -m benchmark -s tests/benchmarks`")
    for item in items:
        marker = item.get_closest_marker("benchmark")
        if marker is not None and marker.kwargs.get("long"):
            item.add_marker(skip)
