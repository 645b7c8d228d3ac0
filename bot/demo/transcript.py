"""The shared channel as a reader sees it, in a terminal: who said what, threads indented, dates, Block Kit
rendered as text. Built from what people did and from the calls Accord made to (fake) Slack."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.fakeslack import FakeSlack

INDENT = "      "
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]*)>")
_EMOJI = re.compile(r":[a-z][a-z0-9_+-]*:")
EDITED = "✎ updated"  # how the transcript marks a message Accord edited in place (chat.update)
PRIVATE_FORMS = ("Check-in round",)  # what people answer in these is theirs: the transcript never shows it


def mrkdwn(text: str, names: dict[str, str]) -> str:
    """Slack mrkdwn as terminal text: mentions by handle, links by their label, entities decoded."""
    text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)).split("@")[0], text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _LINK.sub(lambda m: m.group(2), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def blocks_text(message: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A message's Block Kit as lines of text (its `text` when it has no blocks)."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return mrkdwn(str(message.get("text") or ""), names).splitlines() or [""]
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(block["text"]["text"].upper())
        elif kind == "section":
            lines += mrkdwn(block.get("text", {}).get("text", ""), names).splitlines()
            lines += [mrkdwn(f.get("text", ""), names) for f in block.get("fields") or []]
        elif kind == "context":
            lines.append("· " + " ".join(mrkdwn(e.get("text", ""), names) for e in block.get("elements") or []))
        elif kind == "actions":
            lines.append(" ".join(f"[{e['text']['text']}]" for e in block.get("elements") or [] if "text" in e))
        elif kind == "divider":
            lines.append("─" * 20)
        elif kind == "image":
            lines.append(f"(image: {block.get('alt_text', '')})")
    return lines


@dataclass
class Entry:
    """A message people can see, in the order it appeared (channel messages are looked up fresh by ts)."""

    channel: str
    ts: str | None
    user: str | None  # for an ephemeral or a DM: who sees it
    message: dict[str, Any]


@dataclass
class Transcript:
    """Collects and prints the story; `lines` is what transcript.md gets."""

    timezone: str = "Europe/London"
    out: TextIO | None = field(default_factory=lambda: sys.stdout)
    names: dict[str, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    on_line: Callable[[str], None] | None = None
    _seen_calls: int = 0
    _day: date | None = None
    _shown: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    _posted: dict[tuple[str, str], tuple[datetime, str]] = field(default_factory=dict)  # when, and its title
    _dms: dict[str, str] = field(default_factory=dict)  # DM channel -> its person (the fake's DMs, as posts land)
    _clock: str | None = None  # a clock move not shown yet: it is shown before what happens next

    # -- writing ----------------------------------------------------------------------------------

    def _emit(self, line: str, *, clock_first: bool = True) -> None:
        if clock_first and self._clock is not None:
            pending, self._clock = self._clock, None
            self._emit(pending)
        self.lines.append(line)
        if self.out is not None:
            self.out.write(line + "\n")
            self.out.flush()

    def _at(self, now: datetime) -> str:
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.date() != self._day:
            self._day = local.date()
            self._emit("", clock_first=False)
            self._emit(f"━━ {local:%a %d %b %Y} ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━", clock_first=False)
        return f"{local:%H:%M}"

    def _message(self, now: datetime, head: str, body: list[str], *, thread: bool = False) -> None:
        pad = INDENT + "↳ " if thread else ""
        self._emit(f"{self._at(now)} {pad}{head}{(': ' + body[0]) if body and body[0] else ''}")
        for line in body[1:]:
            self._emit(f"{INDENT}{'   ' if thread else ''}{line}")

    def say(self, now: datetime, text: str) -> None:
        """A narrator's line (what the demo is about to show)."""
        self._emit(f"{self._at(now)} ## {text}")

    def moved(self, now: datetime) -> None:
        """The clock's progress line."""
        local = now.astimezone(ZoneInfo(self.timezone))
        self._clock = f"      ⏱  clock → {local:%a %d %b %Y %H:%M} {self.timezone}"
        if self.out is not None and self.out.isatty():  # the progress line, overwritten by the next one
            self.out.write(self._clock.strip() + "\r")
            self.out.flush()

    def said(self, now: datetime, handle: str, text: str) -> None:
        """Someone typed a slash command (only they and Accord see it)."""
        self._message(now, handle, [text])

    def posted(self, now: datetime, handle: str, text: str, *, thread: bool = False) -> None:
        """Someone posted in the channel."""
        self._message(now, handle, [mrkdwn(text, self.names)], thread=thread)

    def clicked(self, now: datetime, handle: str, label: str) -> None:
        """Someone clicked a button."""
        self._message(now, handle, [f"clicks [{label}]"])

    def filled(self, now: datetime, handle: str, title: str, answers: dict[str, Any]) -> None:
        """Someone sent a form (answers shown unless the form is private, like a check-in)."""
        if title.startswith(PRIVATE_FORMS):
            self._message(now, handle, [f"sends the form “{title}” (answers stay private)"])
            return
        shown = ", ".join(f"{key}={_short(value)}" for key, value in answers.items())
        self._message(now, handle, [f"fills the form “{title}”: {shown}"])

    def form_errors(self, now: datetime, handle: str, errors: dict[str, str]) -> None:
        """The form said what is wrong, inline."""
        self._message(now, f"Accord (in {handle}'s form)", ["; ".join(f"{k}: {v}" for k, v in errors.items())])

    def private(self, now: datetime, handle: str, message: dict[str, Any]) -> None:
        """A reply only `handle` sees."""
        self._message(now, f"Accord (only {handle} sees)", blocks_text(message, self.names))

    # -- reading what Accord did in Slack -------------------------------------------------------------

    def catch_up(self, fake: FakeSlack, now: datetime) -> None:
        """Show the Slack calls Accord made since the last look."""
        calls = fake.calls
        for call in calls[self._seen_calls:]:
            if call.status == 200 and call.response and call.response.get("ok"):
                self._call(fake, call.method, call.args, call.response, now)
        self._seen_calls = len(calls)

    def _call(self, fake: FakeSlack, method: str, args: dict[str, Any], response: dict[str, Any],
              now: datetime) -> None:
        if method == "chat.postMessage":
            channel, ts = response["channel"], response["ts"]
            message = fake.message(channel, ts) or {}
            if channel not in self._dms and (person := fake.dm_channels().get(channel)) is not None:
                self._dms[channel] = person  # a DM (posted to the person's id: Slack answers with its channel)
            to = self._dms.get(channel)
            head = f"Accord → DM {self.names.get(to or '', to)}" if to else "Accord"
            lines = blocks_text(message, self.names)
            self._shown[(channel, ts)] = lines
            self._posted[(channel, ts)] = (now, _title(lines))
            self.entries.append(Entry(channel, ts, to, message))
            self._message(now, head, lines, thread=bool(message.get("thread_ts")))
        elif method == "chat.update":
            channel, ts = response["channel"], response["ts"]
            message = fake.message(channel, ts) or {}
            lines = blocks_text(message, self.names)
            before = self._shown.get((channel, ts), [])
            self._shown[(channel, ts)] = lines
            self._message(now, self._edited(channel, ts, now), _edit(before, lines),
                          thread=bool(message.get("thread_ts")))
        elif method == "chat.postEphemeral":
            user = str(args.get("user"))
            message = {"text": args.get("text"), "blocks": args.get("blocks")}
            self.entries.append(Entry(str(args.get("channel")), None, user, message))
            self.private(now, self.names.get(user, user), message)
        elif method == "files.completeUploadExternal":
            files = response.get("files") or []
            threaded = bool(args.get("thread_ts"))
            for shared in files:
                self._message(now, "Accord", [f"📎 shares “{shared['title']}” ({shared['name']}, "
                                              f"{shared['size']:,} bytes)"], thread=threaded)
        elif method == "views.open":
            view = json.loads(args["view"]) if isinstance(args.get("view"), str) else args.get("view") or {}
            self._message(now, "Accord", [f"opens the form “{view.get('title', {}).get('text', '')}”"])

    def _edited(self, channel: str, ts: str, now: datetime) -> str:
        """The head of an edit: which message (its first line when posted, in a DM whose), and when it was posted."""
        to = self._dms.get(channel)
        where = f" DM to {self.names.get(to, to)}" if to else ""
        posted = self._posted.get((channel, ts))
        if posted is None:
            return f"Accord {EDITED}{where} a message"
        at, first = posted
        local, today = (moment.astimezone(ZoneInfo(self.timezone)) for moment in (at, now))
        when = f"{local:%H:%M}" if local.date() == today.date() else f"{local:%a %d %b %H:%M}"
        return f"Accord {EDITED}{where} “{first}” (posted {when})"

    def visible_to(self, user_id: str) -> list[tuple[str, dict[str, Any]]]:
        """What `user_id` can see (channel messages as they are now, their DMs and ephemerals), oldest first."""
        return [(e.channel, e.message) for e in self.entries if e.user in (None, user_id)]

    def refresh(self, fake: FakeSlack) -> None:
        """Channel messages as they are now (after updates)."""
        for entry in self.entries:
            if entry.ts is not None:
                entry.message = fake.message(entry.channel, entry.ts) or entry.message

    def markdown(self, title: str) -> str:
        """transcript.md."""
        return f"# {title}\n\n```text\n" + "\n".join(self.lines).strip("\n") + "\n```\n"


def _title(lines: list[str], width: int = 60) -> str:
    """How an edit names its message: the first line as plain words; when longer than `width`, its first clause
    (up to ": " or ". "), or else its words that fit."""
    text = re.sub(r"\s+", " ", _EMOJI.sub("", (lines or [""])[0]).replace("*", "")).strip()
    if len(text) <= width:
        return text
    clause = re.split(r"[:.] ", text, maxsplit=1)[0]
    if len(clause) <= width:
        return clause
    return text[:width].rsplit(" ", 1)[0].rstrip(" ,.:;") + "…"


def _edit(before: list[str], after: list[str]) -> list[str]:
    """What an edit shows: the lines it changed, or, when it rewrote the message, the whole message under its
    head (as `_message` prints an empty first line: nothing after the head)."""
    changed = [line for line in after if line not in before]
    if not changed:
        return ["(no visible change)"]
    if len(changed) == len(after) and len(after) > 1:
        return ["", *after]
    return changed


def _short(value: Any) -> str:
    text = ", ".join(value) if isinstance(value, list) else str(value)
    text = text.replace("\n", " / ")
    return text if len(text) <= 60 else text[:57] + "…"
