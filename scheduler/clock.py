"""APScheduler as the clock only: one job that fires the tick every few seconds."""

from __future__ import annotations

from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler

TICK_JOB_ID = "accord.tick"


def create_scheduler(tick: Callable[[], None], *, every_seconds: float) -> BackgroundScheduler:
    """A scheduler (not yet started) firing `tick` every `every_seconds`, never two at once."""
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
