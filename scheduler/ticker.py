"""APScheduler as the clock only: one job that fires the tick every few seconds."""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

TICK_JOB_ID = "accord.tick"


class _OverlapIsNormal(logging.Filter):
    """A tick still running when the next is due is what a long fan-out looks like (the running tick does all
    the due work; the next one follows it): APScheduler's warning about it, every interval, is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in str(record.msg)


def create_scheduler(tick: Callable[[], None], *, every_seconds: float) -> BackgroundScheduler:
    """A scheduler (not yet started) firing `tick` every `every_seconds`, never two at once."""
    apscheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _OverlapIsNormal) for f in apscheduler_log.filters):
        apscheduler_log.addFilter(_OverlapIsNormal())
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        seconds=every_seconds,
        id=TICK_JOB_ID,
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
