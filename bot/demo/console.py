"""`accord console`: act as any person of either party on the demo's machinery, one line at a time.

Works at a terminal, in tmux, or with piped input (each answer on its own line). The database stays in the
console's folder between runs (with the clock and who you were, in console.json) unless `--fresh`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.demo.script import START
from bot.demo.transcript import Transcript
from bot.demo.world import CHANNEL, CHANNEL_NAME, OUTSIDER, PEOPLE, World
from commands.numbers import whole_number
from storage.rmp import Relationship
from storage.utc import as_utc

HELP = """Commands:
  as <person>          act as someone: alice, erin, hank (Northwind); bob, carol, joe, dana (Southwind);
                       dave (Eastwind, a third organisation in the channel: Accord refuses him)
  people               who is who
  /accord <text>       a slash command in the shared channel (try /accord help)
  @accord <text>       mention Accord in the channel (what Southwind's people use)
  say <text>           post a message in the channel
                       (in all three, @bob becomes a mention of Bob, as Slack does)
  buttons              the buttons you can see, numbered
  click <n | label>    click one of them
  tick <+3d | +4h | +30m | 2027-02-01 09:00>   let time pass; due work runs when it falls due
                       (a time is the relationship's, unless it ends in Z or an offset)
  time                 the clock, in the relationship's timezone
  help                 this list
  quit                 leave (the database stays for next time; `accord console --fresh` starts anew)
When a form opens you fill it field by field: press Enter to keep what is shown."""
STEP = re.compile(r"^\+(\d+)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}
STATE = "console.json"  # the clock and who you are, kept beside the database


class Console:
    """The prompt loop."""

    def __init__(self, directory: Path, stdin: TextIO, stdout: TextIO, *, fresh: bool = False) -> None:
        self.directory, self.stdin, self.stdout, self.fresh = directory, stdin, stdout, fresh
        self.me = "alice@northwind"
        self.world: World | None = None

    def write(self, text: str) -> None:
        """Print to the console's output."""
        self.stdout.write(text + "\n")
        self.stdout.flush()

    def ask(self, prompt: str) -> str | None:
        """One line of input (None at the end of input)."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        return None if line == "" else line.rstrip("\n")

    def run(self) -> int:
        """Until `quit` or the end of input."""
        state = self.directory / STATE
        kept = not self.fresh and (self.directory / "accord.db").exists()
        saved: dict[str, Any] = json.loads(state.read_text(encoding="utf-8")) if kept and state.exists() else {}
        start = as_utc(datetime.fromisoformat(saved["now"])) if "now" in saved else START
        self.me = str(saved.get("me", self.me))
        with World.running(self.directory, start=start, transcript=Transcript(out=self.stdout), fresh=not kept,
                           people=(*PEOPLE, OUTSIDER)) as world:
            self.world = world
            relationship = self.relationship()
            self.write(f"Accord console: a fake Slack with Northwind and Southwind (and Dave of Eastwind) in "
                       f"#{CHANNEL_NAME}. Type `help`.")
            if relationship is not None:
                self.write(f"Carrying on with “{relationship.name}” from {self.directory / 'accord.db'} "
                           f"(`--fresh` starts anew; the channel's earlier messages are not shown again). "
                           f"{self.clock_line('It is')}")
            while (line := self.ask(f"{self.me}> ")) is not None:
                line = line.strip()
                if line in ("quit", "exit"):
                    break
                if line:
                    try:
                        self.handle(line)
                    except (KeyError, LookupError, ValueError, RuntimeError) as exc:
                        self.write(f"! {exc.args[0] if exc.args else exc}")
                    self.relationship()  # the transcript's times follow the relationship's timezone once set
                    self.save()
            self.save()
        return 0

    def save(self) -> None:
        """Keep the clock and who you are for the next run."""
        assert self.world is not None
        state = {"now": self.world.clock.now.isoformat(), "me": self.me}
        (self.directory / STATE).write_text(json.dumps(state) + "\n", encoding="utf-8")

    def relationship(self) -> Relationship | None:
        """The shared channel's relationship, if set up; the transcript follows its timezone."""
        assert self.world is not None
        with Session(self.world.engine) as db:
            found = db.exec(select(Relationship).where(Relationship.channel_id == CHANNEL)).first()
        if found is not None:
            self.world.transcript.timezone = found.timezone
        return found

    def zone(self) -> tuple[str, str]:
        """The timezone times are shown in, and what it is."""
        assert self.world is not None
        if self.relationship() is not None:
            return self.world.transcript.timezone, "the relationship's timezone"
        return self.world.transcript.timezone, "the demo's timezone: no relationship yet"

    def clock_line(self, opening: str) -> str:
        """`It is now Mon 18 Jan 2027 10:30 Europe/London (the relationship's timezone).`"""
        assert self.world is not None
        zone, what = self.zone()
        return f"{opening} {self.world.clock.now.astimezone(ZoneInfo(zone)):%a %d %b %Y %H:%M} {zone} ({what})."

    def handle(self, line: str) -> None:
        """One command."""
        world = self.world
        assert world is not None
        word, _, rest = line.partition(" ")
        forms = world.fake.views_opened
        if word == "help":
            self.write(HELP)
        elif word == "as":
            self.me = world.who(rest.strip()).handle
            self.write(f"You are {self.me}.")
        elif word == "people":
            for person in world.people.values():
                self.write(f"  {person.handle:18} {person.real_name} ({person.tz or 'timezone not shared'})")
        elif word == "/accord":
            world.slash(self.me, world.linked(rest))
        elif word == "@accord":
            world.mention(self.me, world.linked(rest))
        elif word == "say":
            world.say(self.me, world.linked(rest))
        elif word == "buttons":
            self.list_buttons()
        elif word == "click":
            self.click(rest.strip())
        elif word == "tick":
            world.advance(self.when(rest.strip()))
            self.write(self.clock_line("It is now"))
        elif word == "time":
            self.write(self.clock_line("It is"))
        else:
            self.write(f"! unknown command {word!r}: type `help`")
        if world.fake.views_opened > forms:
            self.fill_form()

    def when(self, text: str) -> datetime:
        """`+3d`, `+4h`, `+30m`, or an ISO time (in the relationship's timezone unless it gives its own)."""
        world = self.world
        assert world is not None
        step = STEP.match(text)
        if step:
            return world.clock.now + timedelta(**{UNITS[step[2]]: int(step[1])})
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValueError("tick takes +3d, +4h, +30m or a time like 2027-02-01 09:00 (the relationship's "
                             "timezone) or 2027-02-01T09:00Z") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(self.zone()[0]))
        return as_utc(moment)

    def list_buttons(self) -> None:
        """The buttons this person can see, newest last."""
        assert self.world is not None
        found = self.world.buttons(self.me)
        if not found:
            self.write("No buttons in sight.")
        for number, (label, _channel, _found) in enumerate(found[-15:], start=max(1, len(found) - 14)):
            self.write(f"  {number:>3}. [{label}]")

    def click(self, which: str) -> None:
        """Click by number (from `buttons`) or by label (the newest with that label)."""
        world = self.world
        assert world is not None
        if (number := whole_number(which)) is not None:
            found = world.buttons(self.me)
            index = number - 1
            if not 0 <= index < len(found):
                raise LookupError(f"no button {which}: type `buttons`")
            _label, channel, button = found[index]
            world.press(world.who(self.me), channel, button["button"], button["message"])
        else:
            world.click(self.me, which.strip("[]"))

    def fill_form(self) -> None:
        """Walk the open form field by field, send it, and ask again for the fields it refuses."""
        world = self.world
        assert world is not None
        view = world.latest_form()
        self.write(f"── form “{view.get('title', {}).get('text', '')}” (Enter keeps what is shown) ──")
        answers: dict[str, Any] = {}
        inputs = [b for b in view.get("blocks", []) if b.get("type") == "input"]
        wanted = [b["block_id"] for b in inputs]
        for _attempt in range(3):
            for block in inputs:
                if block["block_id"] in wanted:
                    value = self.field(block)
                    if value is None:
                        self.write("(form left unsent)")
                        return
                    if value != "":
                        answers[block["block_id"]] = value
            errors = world.submit(self.me, answers)
            if not errors:
                return
            wanted = list(errors)
        self.write("(form left unsent after three tries)")

    def field(self, block: dict[str, Any]) -> Any:
        """Ask for one field; "" keeps the shown value, None means the input ended."""
        element, label = block["element"], block["label"]["text"]
        kind = element["type"]
        if kind in ("static_select", "radio_buttons", "checkboxes"):
            options = element.get("options") or []
            shown = ", ".join(f"{i}) {o['text']['text']}" for i, o in enumerate(options, start=1))
            current = element.get("initial_option") or {}
            line = self.ask(f"{label} [{shown}] ({current.get('text', {}).get('text', '')}): ")
            if line is None or not line.strip():
                return line
            numbers = [whole_number(p) for p in re.split(r"[ ,]+", line.strip())]
            picks = [options[n - 1]["value"] for n in numbers if n is not None and 0 < n <= len(options)]
            return picks if kind == "checkboxes" else (picks[0] if picks else line.strip())
        current = element.get("initial_value") or element.get("initial_date") or element.get("initial_user") or ""
        line = self.ask(f"{label}{f' ({current})' if current else ''}: ")
        return line.replace("\\n", "\n") if line is not None else None
