"""`accord console`: act as any person of either party on the demo's machinery, one line at a time.

Works at a terminal, in tmux, or with piped input (each answer on its own line).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.demo.script import START
from bot.demo.transcript import Transcript
from bot.demo.world import World
from commands.numbers import whole_number
from storage.utc import parse_instant

HELP = """Commands:
  as <person>          act as someone: alice, erin, hank (Northwind); bob, carol, joe, dana (Southwind)
  people               who is who
  /accord <text>       a slash command in the shared channel (try /accord help)
  @accord <text>       mention Accord in the channel (what Southwind's people use)
  say <text>           post a message in the channel
  buttons              the buttons you can see, numbered
  click <n | label>    click one of them
  tick <+3d | +4h | +30m | 2027-02-01T09:00Z>   let time pass; due work runs when it falls due
  time                 the clock
  help                 this list
  quit                 leave
When a form opens you fill it field by field: press Enter to keep what is shown."""
STEP = re.compile(r"^\+(\d+)([dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class Console:
    """The prompt loop."""

    def __init__(self, directory: Path, stdin: TextIO, stdout: TextIO) -> None:
        self.directory, self.stdin, self.stdout = directory, stdin, stdout
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
        with World.running(self.directory, start=START, transcript=Transcript(out=self.stdout)) as world:
            self.world = world
            self.write(f"Accord console: a fake Slack with Northwind and Southwind in #{'northwind-southwind'}. "
                       "Type `help`.")
            while (line := self.ask(f"{self.me}> ")) is not None:
                line = line.strip()
                if line in ("quit", "exit"):
                    break
                if line:
                    try:
                        self.handle(line)
                    except (KeyError, LookupError, ValueError, RuntimeError) as exc:
                        self.write(f"! {exc.args[0] if exc.args else exc}")
        return 0

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
            world.slash(self.me, rest)
        elif word == "@accord":
            world.mention(self.me, rest)
        elif word == "say":
            world.say(self.me, rest)
        elif word == "buttons":
            self.list_buttons()
        elif word == "click":
            self.click(rest.strip())
        elif word == "tick":
            world.advance(self.when(rest.strip()))
            self.write(f"It is now {world.clock.now:%a %d %b %Y %H:%M} UTC.")
        elif word == "time":
            self.write(f"It is {world.clock.now:%a %d %b %Y %H:%M} UTC.")
        else:
            self.write(f"! unknown command {word!r}: type `help`")
        if world.fake.views_opened > forms:
            self.fill_form()

    def when(self, text: str) -> datetime:
        """`+3d`, `+4h`, `+30m`, or an ISO time."""
        world = self.world
        assert world is not None
        step = STEP.match(text)
        if step:
            return world.clock.now + timedelta(**{UNITS[step[2]]: int(step[1])})
        try:
            return parse_instant(text)
        except ValueError:
            raise ValueError("tick takes +3d, +4h, +30m or a time like 2027-02-01T09:00Z") from None

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
