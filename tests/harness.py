"""A running Accord for scenario tests: fake Slack, real app over HTTP, signed requests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from bot.app import create_app
from bot.fakeslack import FakeSlack, SlackDriver
from bot.identity import BotIdentity
from bot.outbox import DrainReport, OutboxSender
from bot.settings import Settings, load_settings
from bot.slack_client import make_web_client
from bot.tokens import token_source
from bot.wait_clock import SteppedClock, WaitClock
from bot.web import HttpServer, make_wsgi
from scheduler.tick import TickReport, run_tick
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import OutboxMessage
from storage.utc import utcnow
from tests.accord_cli import run_accord

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
HOME, PARTNER = "T0HOME", "T0PARTNER"
CHANNEL = "C0SHARED"
STATE_SECRET = "test-state-secret-0123456789"


def oauth_values(fake: FakeSlack) -> dict[str, str]:
    """The settings of an Accord distributed with OAuth, against `fake`'s app credentials."""
    return {"SLACK_CLIENT_ID": fake.client_id, "SLACK_CLIENT_SECRET": fake.client_secret,
            "SLACK_STATE_SECRET": STATE_SECRET}


def accord_command() -> list[str]:
    """The installed `accord` script beside this Python, else the module."""
    script = Path(sys.executable).with_name("accord")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


THIRD = "T0THIRD"
OTHER_CHANNEL = "C0OTHER"
HOME_PEOPLE = ("UALICE", "UERIN", "UHANK", "UIVY", "ULEO")
PARTNER_PEOPLE = ("UBOB", "UCAROL", "UJOE", "UKIM")


def populate(fake: FakeSlack) -> None:
    """Two organisations sharing one channel (and a third organisation's person in it too)."""
    fake.add_team(PARTNER, "Partner")
    fake.add_team(THIRD, "Third")
    for user in HOME_PEOPLE:
        fake.add_user(user, HOME, user[1:].lower(), tz="Europe/London")
    for user in PARTNER_PEOPLE:  # Bob shares his timezone; his colleagues, like many external users, do not
        fake.add_user(user, PARTNER, user[1:].lower(), tz="America/New_York" if user == "UBOB" else None)
    fake.add_user("UDAVE", THIRD, "dave", tz="America/New_York")
    everyone = (*HOME_PEOPLE, *PARTNER_PEOPLE, "UDAVE", "UACCORD")
    fake.add_channel(CHANNEL, "shared-partnership", members=everyone, is_shared=True)
    fake.add_channel(OTHER_CHANNEL, "other-partnership", members=everyone, is_shared=True)


class Clock:
    """The app's clock in tests: real time, unless a test sets it (`clock.now = …`)."""

    def __init__(self) -> None:
        self.now: datetime | None = None

    def __call__(self) -> datetime:
        return self.now or utcnow()


@dataclass
class Harness:
    """Everything a scenario needs, started and stopped together."""

    fake: FakeSlack
    driver: SlackDriver
    settings: Settings
    engine: Engine
    sender: OutboxSender
    server: HttpServer
    database_url: str
    workdir: Path
    clock: Clock
    wait_clock: SteppedClock

    @classmethod
    @contextmanager
    def start(cls, database_url: str, *, workdir: Path, oauth: bool = False) -> Iterator[Harness]:
        """Start fake Slack and the app on free ports; stop both afterwards.

        `oauth`: the app distributed with OAuth (no SLACK_BOT_TOKEN; each workspace installs it)."""
        with FakeSlack(bot_token=BOT_TOKEN, team_id=HOME, bot_user_id="UACCORD") as fake:
            populate(fake)
            settings = load_settings({
                "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake.api_url, "DATABASE_URL": database_url,
                **(oauth_values(fake) if oauth else {"SLACK_BOT_TOKEN": BOT_TOKEN}),
            })
            engine = make_engine(settings.database_url)
            upgrade(engine)
            # paced as in production, one post a second per channel, and retried after the same backoff, on a
            # clock that never really waits
            wait_clock = SteppedClock()
            fake.follow(wait_clock)  # Slack's rate limits (on) see the seconds waited on it as time passed
            client = make_web_client(settings, wait_clock=wait_clock)
            clock = Clock()  # the app's; the sender judges people's working hours by it too
            sender = OutboxSender(engine=engine, client=client, worker="test-sender", wait_clock=wait_clock,
                                  as_of=clock, tokens=token_source(settings, engine, client))
            identity = BotIdentity(token=settings.bot_token)
            if not oauth:  # with OAuth, requests are authorised from the stored installations
                identity.learn(client)
            app = create_app(settings, client, engine=engine, identity=identity, clock=clock)
            server = HttpServer(make_wsgi(app, engine), host="127.0.0.1", port=0, threads=4)
            server.start()
            driver = SlackDriver(app_url=f"http://127.0.0.1:{server.port}/slack/events",
                                 signing_secret=SIGNING_SECRET, fake=fake)
            try:
                yield cls(fake, driver, settings, engine, sender, server, database_url, workdir, clock, wait_clock)
            finally:
                driver.close()
                server.stop(wait=10)
                engine.dispose()

    @property
    def url(self) -> str:
        """The app's base URL."""
        return f"http://127.0.0.1:{self.server.port}"

    def tick(self, now: datetime) -> tuple[TickReport, DrainReport]:
        """Run due work as at `now` in this process, then drain the outbox (people's hours judged as at `now`)."""
        work = run_tick(self.engine, now=now, worker="test-tick")
        self.sender.as_of = lambda: now
        try:
            return work, self.sender.drain(max_seconds=30)
        finally:
            self.sender.as_of = self.clock

    def env(self) -> dict[str, str]:
        """The environment for `accord` subprocesses against this harness."""
        return {
            **os.environ, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            **(oauth_values(self.fake) if self.settings.distributed else {"SLACK_BOT_TOKEN": BOT_TOKEN}),
            "SLACK_API_URL": self.fake.api_url, "DATABASE_URL": self.database_url, "LOG_LEVEL": "WARNING",
        }

    def accord(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `accord` CLI, in this process, against this harness's database and fake Slack."""
        return run_accord(["--env-file", "/nonexistent", *args], env=self.env(), wait_clock=self.wait_clock)

    def count(self, table: type) -> int:
        """How many rows a table holds."""
        with Session(self.engine) as db:
            return int(db.exec(select(func.count()).select_from(table)).one())


def make_sender(engine: Engine, fake: FakeSlack, *, pace: float = 0.0, timeout: int = 10,
                wait_clock: WaitClock | None = None) -> OutboxSender:
    """An outbox sender for `engine` that reaches the fake Slack. It waits (pace, retries) on a clock that never
    really waits, unless `wait_clock` is given (the tests of pacing: RealClock)."""
    settings = load_settings({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url})
    wait_clock = wait_clock or SteppedClock()
    fake.follow(wait_clock)  # Slack's rate limits (on) see the seconds waited on it as time passed
    return OutboxSender(engine=engine, client=make_web_client(settings, timeout=timeout, wait_clock=wait_clock),
                        worker="test", pace_seconds=pace, wait_clock=wait_clock)


def outbox_rows(engine: Engine) -> dict[str, OutboxMessage]:
    """Every outbox row by its idempotency key."""
    with Session(engine) as db:
        return {row.idempotency_key: row for row in db.exec(select(OutboxMessage))}


def retries_due_now(engine: Engine) -> None:
    """Bring every retry's backoff forward, as if its time had come."""
    from storage.engine import transaction

    with transaction(engine) as db:
        for row in db.exec(select(OutboxMessage)):
            row.next_attempt_at = utcnow()
