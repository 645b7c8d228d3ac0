"""Running Accord: the pieces of one process wired together for `serve` and `tick`."""

from __future__ import annotations

import logging
import os
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy.engine import Engine

from bot import outbox_reconcile as reconcile
from bot.app import create_app
from bot.identity import BotIdentity
from bot.outbox import DrainReport, OutboxPump, OutboxSender
from bot.settings import Settings
from bot.slack_client import make_web_client
from bot.tokens import token_source
from bot.wait_clock import RealClock, WaitClock
from bot.web import HttpServer, make_wsgi
from scheduler.tick import TickReport, run_tick, worker_name
from scheduler.ticker import create_scheduler
from storage.engine import make_engine
from storage.migrate import current_revision, head_revision, upgrade
from storage.utc import utcnow

log = logging.getLogger(__name__)

HTTP_THREADS = 8
SENDER_WORKERS = 8  # outbox messages delivered at once (each to its own channel): 100 channels at 1 post/s


class NotMigrated(Exception):
    """The database schema is behind this version of Accord."""


def open_database(settings: Settings, *, migrate: bool) -> Engine:
    """The process's engine, migrated to head when asked, else checked to be at head."""
    engine = make_engine(settings.database_url, pool_size=HTTP_THREADS + SENDER_WORKERS + 2)
    if migrate:
        upgrade(engine)
    elif current_revision(engine) != head_revision():
        raise NotMigrated("the database schema is not current: run `accord migrate`")
    return engine


def make_sender(settings: Settings, engine: Engine, *, wait_clock: WaitClock | None = None) -> OutboxSender:
    """The outbox sender for this process (OAuth: each message with its organisation's installation's token).

    `wait_clock`: the clock posts are paced and failed calls retried by (default: real seconds)."""
    client = make_web_client(settings, wait_clock=wait_clock)
    return OutboxSender(engine=engine, client=client, worker=worker_name(), workers=SENDER_WORKERS,
                        lease=timedelta(seconds=settings.outbox_lease_seconds),
                        tokens=token_source(settings, engine, client), wait_clock=wait_clock or RealClock(),
                        history=reconcile.history_tier({reconcile.TIER_ENV: settings.history_tier}),
                        posts_per_minute=settings.posts_per_minute)


@dataclass
class TickOutcome:
    """What `accord tick` did."""

    work: TickReport
    outbox: DrainReport


def tick_once(engine: Engine, sender: OutboxSender, *, now: datetime) -> TickOutcome:
    """Run the work due at `now`, then deliver what it queued, judging people's working hours as at `now`."""
    work = run_tick(engine, now=now)
    judged_at = sender.as_of
    sender.as_of = lambda: now
    try:
        return TickOutcome(work=work, outbox=sender.drain())
    finally:
        sender.as_of = judged_at


def serve(settings: Settings, *, host: str, port: int, scheduler: bool, migrate: bool) -> int:
    """Serve Slack until SIGTERM or Ctrl-C; then finish the tick and the message in flight."""
    engine = open_database(settings, migrate=migrate)
    sender = make_sender(settings, engine)
    pump = OutboxPump(sender, every=settings.tick_seconds)
    identity = BotIdentity(token=settings.bot_token)
    if not settings.distributed:  # with OAuth each request is authorised from its installation
        identity.learn_in_background(sender.client)
    app = create_app(settings, sender.client, engine=engine, notify_outbox=pump.notify, identity=identity)
    server = HttpServer(make_wsgi(app, engine), host=host, port=port, threads=HTTP_THREADS)
    clock = create_scheduler(lambda: _tick_job(engine, pump), every_seconds=settings.tick_seconds)
    socket_mode = SocketModeHandler(app, settings.app_token) if settings.app_token else None

    stopping = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():
            log.warning("signal %d again: exiting at once", signum)
            os._exit(1)
        stopping.set()
        log.info("signal %d: finishing requests, the current tick and the message in flight", signum)
        if socket_mode is not None:  # stop taking events from Slack at once, as HTTP does
            threading.Thread(target=socket_mode.close, daemon=True).start()
        server.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    pump.start()
    if scheduler:
        clock.start()
    if socket_mode is not None:
        socket_mode.connect()
    log.info("accord serving on http://%s:%d (slack %s, scheduler %s)", host, server.port,
             "socket mode" if socket_mode else "HTTP /slack/events", "on" if scheduler else "off")
    try:
        server.serve()  # returns after stop(), having finished the requests under way
    finally:
        _shutdown(clock if scheduler else None, pump, socket_mode, engine)
    return 0


def _tick_job(engine: Engine, pump: OutboxPump) -> None:
    try:
        report = run_tick(engine, now=utcnow(), after_each=pump.notify)
        if report.handled:
            log.info("tick: %d done, %d retried, %d failed", len(report.done), len(report.retried),
                     len(report.failed))
    except Exception:
        log.exception("tick failed; the next tick will try again")
    pump.notify()


def _shutdown(
    clock: BackgroundScheduler | None, pump: OutboxPump, socket_mode: SocketModeHandler | None, engine: Engine
) -> None:
    if socket_mode is not None:
        socket_mode.close()  # idempotent; already closed when a signal stopped us
    if clock is not None:
        clock.shutdown(wait=True)  # finishes the tick in progress
    pump.stop()
    engine.dispose()
    log.info("accord stopped")

