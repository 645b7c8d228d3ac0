"""A whole Accord on one machine with no Slack account: the built-in fake Slack with two organisations,
the real app served over HTTP, a SQLite database, and a clock the demo moves.

Everything people do goes to the app as Slack would send it (signed HTTP); due work runs through
the same tick as in production, at the moments it falls due.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session, col, select

from bot.app import create_app
from bot.demo.transcript import Transcript
from bot.fakeslack import FakeSlack, SlackDriver
from bot.fakeslack.modal_filling import fill
from bot.identity import BotIdentity
from bot.outbox import OutboxSender
from bot.settings import load_settings
from bot.slack_client import make_web_client
from bot.web import HttpServer, make_wsgi
from scheduler.tick import run_tick
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import PENDING, OutboxMessage, WorkItem

TOKEN, SECRET = "xoxb-accord-demo", "accord-demo-signing-secret"  # noqa: S105 - the fake's, not a real secret
CHANNEL, CHANNEL_NAME = "C0DEMOSHARED", "northwind-southwind"
BOT = "UACCORD"
_AT_NAME = re.compile(r"(?<![\w@<|])@([A-Za-z][\w-]*(?:@[A-Za-z][\w-]*)?)")
SPECIAL_MENTIONS = {"here": "<!here>", "channel": "<!channel>", "everyone": "<!everyone>"}


@dataclass(frozen=True)
class Person:
    """Someone in the demo: `handle` is how the transcript and the console name them (alice@northwind)."""

    handle: str
    user_id: str
    team_id: str
    real_name: str
    tz: str | None


ORGANISATIONS = {"T0NORTHWIND": "Northwind Logistics", "T0SOUTHWIND": "Southwind Foods"}
PEOPLE = (
    Person("alice@northwind", "U0ALICE", "T0NORTHWIND", "Alice Moreau", "Europe/London"),
    Person("erin@northwind", "U0ERIN", "T0NORTHWIND", "Erin Walsh", "Europe/London"),
    Person("hank@northwind", "U0HANK", "T0NORTHWIND", "Hank Dubois", "Europe/Paris"),
    Person("bob@southwind", "U0BOB", "T0SOUTHWIND", "Bob Okafor", "America/New_York"),
    Person("carol@southwind", "U0CAROL", "T0SOUTHWIND", "Carol Jensen", "America/Chicago"),
    Person("joe@southwind", "U0JOE", "T0SOUTHWIND", "Joe Park", None),  # his organisation hides his tz
    Person("dana@southwind", "U0DANA", "T0SOUTHWIND", "Dana Reyes", "America/New_York"),
)
# the console's world also has someone of a third organisation in the shared channel (as Slack Connect allows),
# to try what Accord refuses to people of neither party
THIRD_ORGANISATION = ("T0EASTWIND", "Eastwind Traders")
OUTSIDER = Person("dave@eastwind", "U0DAVE", "T0EASTWIND", "Dave Novak", "America/New_York")


class DemoClock:
    """The app's clock: where the demo has moved time to."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """The running pieces; use `World.running(...)`."""

    fake: FakeSlack
    driver: SlackDriver
    sender: OutboxSender
    engine: Any
    clock: DemoClock
    transcript: Transcript
    people: dict[str, Person] = field(default_factory=dict)

    @classmethod
    @contextmanager
    def running(cls, directory: Path, *, start: datetime, transcript: Transcript, fresh: bool = True,
                people: tuple[Person, ...] = PEOPLE) -> Iterator[World]:
        """Start the fake Slack with `people` and the app on free ports, with the database in `directory`: a new
        one when `fresh`, else the one there (Slack's messages are the fake's: they start anew each time)."""
        directory.mkdir(parents=True, exist_ok=True)
        database = directory / "accord.db"
        if fresh:
            for stale in directory.glob("accord.db*"):
                stale.unlink()
        for name in ("bot", "httpx", "scheduler", "slack_bolt", "slack_sdk"):  # the transcript is the output
            logging.getLogger(name).setLevel(logging.ERROR)
        # the demo plays a quarter in seconds: Slack's per-minute limits would take its calls as one minute's
        with FakeSlack(bot_token=TOKEN, team_id="T0NORTHWIND", team_name=ORGANISATIONS["T0NORTHWIND"],
                       bot_user_id=BOT, trigger_ttl=60.0, tiers=False) as fake:
            crowd = _populate(fake, people)
            settings = load_settings({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET,
                                      "SLACK_API_URL": fake.api_url, "DATABASE_URL": f"sqlite:///{database}"})
            engine = make_engine(settings.database_url)
            upgrade(engine)
            client = make_web_client(settings)
            identity = BotIdentity(token=TOKEN)
            identity.learn(client)
            clock = DemoClock(start)
            app = create_app(settings, client, engine=engine, identity=identity, clock=clock)
            server = HttpServer(make_wsgi(app, engine), host="127.0.0.1", port=0, threads=4)
            server.start()
            driver = SlackDriver(app_url=f"http://127.0.0.1:{server.port}/slack/events", signing_secret=SECRET,
                                 fake=fake)
            sender = OutboxSender(engine=engine, client=client, worker="demo", pace_seconds=0.0, clock=clock,
                                  as_of=clock)
            transcript.names = {p.user_id: p.handle for p in people} | {BOT: "Accord"}
            transcript.channels = {CHANNEL: CHANNEL_NAME}
            try:
                yield cls(fake, driver, sender, engine, clock, transcript, crowd)
            finally:
                driver.close()
                server.stop(wait=10)
                engine.dispose()

    # -- people acting ------------------------------------------------------------------------------

    def who(self, handle: str) -> Person:
        """The person called `handle` (alice@northwind, or just alice)."""
        found = self.people.get(handle) or next((p for p in self.people.values()
                                                 if p.handle.split("@")[0] == handle), None)
        if found is None:
            raise KeyError(f"nobody is called {handle}; try one of {', '.join(self.people)}")
        return found

    def linked(self, text: str) -> str:
        """Text as Slack sends it once typed: each `@name` of someone in the channel becomes their mention
        `<@U…>` (`@accord` Accord's), `@here` and `@channel` Slack's own; an unknown `@name` is refused."""

        def mention(found: re.Match[str]) -> str:
            name = found.group(1)
            if name.lower() in SPECIAL_MENTIONS:
                return SPECIAL_MENTIONS[name.lower()]
            if name.lower() == "accord":
                return f"<@{BOT}>"
            try:
                return f"<@{self.who(name).user_id}>"
            except KeyError:
                known = ", ".join("@" + handle.split("@")[0] for handle in self.people)
                raise KeyError(f"nobody in the channel is called @{name}; try {known}") from None

        return _AT_NAME.sub(mention, text)

    def slash(self, handle: str, text: str) -> dict[str, Any]:
        """`handle` types `/accord text` in the shared channel; returns what Slack shows them."""
        person = self.who(handle)
        self.transcript.said(self.clock.now, person.handle, f"/accord {text}")
        answer = _json(self.driver.slash(person.user_id, CHANNEL, text))
        if answer.get("text"):
            self.transcript.private(self.clock.now, person.handle, answer)
        self.settle()
        return answer

    def say(self, handle: str, text: str, *, thread_ts: str | None = None) -> str:
        """`handle` posts a message in the channel (in a thread if given); returns its ts."""
        person = self.who(handle)
        message = self.fake.add_message(CHANNEL, user=person.user_id, text=text, thread_ts=thread_ts)
        self.transcript.posted(self.clock.now, person.handle, text, thread=thread_ts is not None)
        return str(message["ts"])

    def mention(self, handle: str, text: str, *, thread_ts: str | None = None) -> None:
        """`handle` writes `@accord text` in the channel (in a thread if given)."""
        person = self.who(handle)
        self.transcript.posted(self.clock.now, person.handle, f"@accord {text}", thread=thread_ts is not None)
        self.driver.app_mention(person.user_id, CHANNEL, f"<@{BOT}> {text}", thread_ts=thread_ts)
        self.settle()

    def buttons(self, handle: str) -> list[tuple[str, str, dict[str, Any]]]:
        """The buttons `handle` can see on the latest messages: (label, channel, the button and its message)."""
        person = self.who(handle)
        self.transcript.refresh(self.fake)
        found: list[tuple[str, str, dict[str, Any]]] = []
        for channel, message in self.transcript.visible_to(person.user_id):
            for block in message.get("blocks") or []:
                for element in block.get("elements") or [] if block.get("type") == "actions" else []:
                    if element.get("type") == "button":
                        found.append((element["text"]["text"], channel, {"button": element, "message": message}))
        return found

    def click(self, handle: str, label: str) -> None:
        """`handle` clicks the newest button labelled `label` that they can see."""
        person = self.who(handle)
        matches = [b for b in self.buttons(handle) if b[0] == label]
        if not matches:
            raise LookupError(f"{person.handle} sees no button “{label}”")
        _label, channel, found = matches[-1]
        self.press(person, channel, found["button"], found["message"])

    def press(self, person: Person, channel: str, button: dict[str, Any], message: dict[str, Any]) -> None:
        """Click one button of one message."""
        self.transcript.clicked(self.clock.now, person.handle, button["text"]["text"])
        stored = message.get("ts") if self.fake.message(channel, str(message.get("ts"))) else None
        self.driver.block_action(person.user_id, channel, button["action_id"], value=button.get("value"),
                                 message_ts=stored)
        self.settle()

    def latest_form(self) -> dict[str, Any]:
        """The modal opened last."""
        view = self.fake.last_view()
        if view is None:
            raise LookupError("no form is open")
        return view

    def submit(self, handle: str, answers: dict[str, Any]) -> dict[str, str]:
        """`handle` fills the open form with `answers` (the rest as shown) and sends it; returns inline errors."""
        person = self.who(handle)
        view = self.latest_form()
        title = view.get("title", {}).get("text", "form")
        self.transcript.filled(self.clock.now, person.handle, title, answers)
        response = self.driver.view_submission(person.user_id, view, fill(view, answers))
        errors = _json(response).get("errors") or {}
        if errors:
            self.transcript.form_errors(self.clock.now, person.handle, errors)
        self.settle()
        return dict(errors)

    def form(self, handle: str, command: str, answers: dict[str, Any]) -> None:
        """`/accord command` opens a form that `handle` fills and sends; a refusal stops the demo."""
        opened = self.fake.views_opened
        answer = self.slash(handle, command)
        if self.fake.views_opened == opened:
            raise RuntimeError(f"/accord {command} opened no form: {answer.get('text')}")
        errors = self.submit(handle, answers)
        if errors:
            raise RuntimeError(f"the {command} form was refused: {errors}")

    # -- time ---------------------------------------------------------------------------------------

    def settle(self) -> None:
        """Deliver what Accord queued, and show it."""
        self.sender.drain(max_seconds=30)
        self.transcript.catch_up(self.fake, self.clock.now)

    def advance(self, to: datetime) -> None:
        """Let time pass until `to`: each piece of due work runs at the moment it falls due, and each message
        held for someone's working hours goes when they start."""
        while True:
            with Session(self.engine) as db:
                work = db.exec(select(WorkItem.due_at).where(WorkItem.status == PENDING, WorkItem.due_at <= to)
                               .order_by(col(WorkItem.due_at)).limit(1)).first()
                held = db.exec(select(OutboxMessage.not_before).where(
                    OutboxMessage.status == PENDING, col(OutboxMessage.not_before) > self.clock.now,
                    col(OutboxMessage.not_before) <= to).order_by(col(OutboxMessage.not_before)).limit(1)).first()
            due = min((at for at in (work, held) if at is not None), default=None)
            if due is None:
                break
            self.clock.now = max(self.clock.now, due)
            self.transcript.moved(self.clock.now)
            run_tick(self.engine, now=self.clock.now, worker="demo")
            self.settle()
        self.clock.now = max(self.clock.now, to)
        self.transcript.moved(self.clock.now)


def _populate(fake: FakeSlack, people: tuple[Person, ...]) -> dict[str, Person]:
    for team_id, name in (*ORGANISATIONS.items(), THIRD_ORGANISATION):
        fake.add_team(team_id, name)
    for person in people:
        fake.add_user(person.user_id, person.team_id, person.handle.split("@")[0], real_name=person.real_name,
                      tz=person.tz)
    fake.add_channel(CHANNEL, CHANNEL_NAME, members=[p.user_id for p in people], is_shared=True)
    return {p.handle: p for p in people}


def _json(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        loaded = json.loads(response.content)
    except ValueError:
        return {"text": response.text}
    return loaded if isinstance(loaded, dict) else {}
