"""The clock: APScheduler fires the tick, one at a time, and a long tick is not a warning every interval."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from scheduler.ticker import create_scheduler


def test_a_tick_longer_than_the_interval_runs_alone_without_a_warning_each_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    running, overlaps, runs = threading.Lock(), [], []

    def slow_tick() -> None:
        if not running.acquire(blocking=False):
            overlaps.append(1)
            return
        try:
            runs.append(1)
            time.sleep(0.6)  # a fan-out: six intervals long
        finally:
            running.release()

    caplog.set_level(logging.INFO)
    clock = create_scheduler(slow_tick, every_seconds=0.1)
    clock.start()
    time.sleep(1.0)
    clock.shutdown(wait=True)
    assert runs and overlaps == []
    assert "maximum number of running instances" not in caplog.text
    assert [r for r in caplog.records if r.name.startswith("apscheduler") and r.levelno >= logging.WARNING] == []
