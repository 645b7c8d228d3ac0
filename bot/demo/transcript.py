"""The shared channel as a reader sees it: who said what, threads indented, dates, Block Kit rendered as text,
Slack's markup rendered (styles in a terminal, Markdown in transcript.md). Built from what people did and from
the calls Accord made to (fake) Slack."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import emoji
from rich.console import Console
from rich.text import Text

from bot.demo import mrkdwn
from bot.fakeslack import FakeSlack

INDENT = "      "
_EMOJI = re.compile(r":[a-z][a-z0-9_+-]*:")
EDITED = "✎ updated"  # how the transcript marks a message Accord edited in place (chat.update)
PRIVATE_FORMS = ("Check-in round",)  # what people answer in these is theirs: the transcript never shows it


@dataclass(frozen=True)
class Styled:
    """A line that is not mrkdwn (a header, the buttons, a divider), shown as it is in one style."""

    text: str
    style: str = ""


Line = str | Styled  # a line of a message: Slack mrkdwn, or plain text


def blocks_text(message: dict[str, Any]) -> list[Line]:
    """A message's Block Kit as lines (its `text` when it has no blocks)."""
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not blocks:
        return [*(str(message.get("text") or "").splitlines() or [""])]
    lines: list[Line] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(Styled(block["text"]["text"].upper(), "bold"))
        elif kind == "section":
            lines += _text(block.get("text") or {}).splitlines()
            lines += [_text(f) for f in block.get("fields") or []]
        elif kind == "context":
            lines.append("· " + " ".join(_text(e) for e in block.get("elements") or []))
        elif kind == "actions":
            lines.append(Styled(" ".join(f"[{e['text']['text']}]" for e in block.get("elements") or []
                                         if "text" in e), "cyan"))
        elif kind == "divider":
            lines.append(Styled("─" * 20, "dim"))
        elif kind == "image":
            lines.append(Styled(f"(image: {block.get('alt_text', '')})", "dim"))
    return lines


def _text(element: dict[str, Any]) -> str:
    """A text object as mrkdwn (plain text has no marks to read: its entities are escaped as Slack's)."""
    text = str(element.get("text", ""))
    if element.get("type") == "plain_text":
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


@dataclass
class Entry:
    """A message people can see, in the order it appeared (channel messages are looked up fresh by ts)."""

    channel: str
    ts: str | None
    user: str | None  # for an ephemeral or a DM: who sees it
    message: dict[str, Any]


@dataclass
class Transcript:
    """Collects and prints the story: to `out` as it unfolds (styled by rich when `out` is a terminal, plain
    otherwise; `lines` keeps the plain lines), and as Markdown for transcript.md (`markdown()`)."""

    timezone: str = "Europe/London"
    out: TextIO | None = field(default_factory=lambda: sys.stdout)
    names: dict[str, str] = field(default_factory=dict)  # user id -> handle (alice@northwind), or Accord
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name
    lines: list[str] = field(default_factory=list)
    entries: list[Entry] = field(default_factory=list)
    _blocks: list[str] = field(default_factory=list)  # transcript.md's paragraphs and headings
    _console: Console | None = None
    _seen_calls: int = 0
    _day: date | None = None
    _md_day: date | None = None  # the day transcript.md last gave a heading
    _shown: dict[tuple[str, str], list[Line]] = field(default_factory=dict)
    _posted: dict[tuple[str, str], tuple[datetime, str]] = field(default_factory=dict)  # when, and its title
    _dms: dict[str, str] = field(default_factory=dict)  # DM channel -> its person (the fake's DMs, as posts land)
    _clock: str | None = None  # a clock move not shown yet: it is shown before what happens next

    # -- writing ----------------------------------------------------------------------------------

    @property
    def mentions(self) -> mrkdwn.Names:
        """How mentions read: people by their short name (@bob), channels by name."""
        return mrkdwn.Names({user: handle.split("@")[0] for user, handle in self.names.items()}, self.channels)

    def _print(self, text: Text) -> None:
        self.lines += text.plain.split("\n")
        if self.out is None:
            return
        if self._console is None:
            self._console = Console(file=self.out, highlight=False, markup=False, emoji=False, soft_wrap=True)
        self._console.print(text)
        self.out.flush()

    def _pending_clock(self) -> None:
        if self._clock is not None:
            pending, self._clock = self._clock, None
            self._print(Text(INDENT + pending, style="dim"))
            self._blocks.append(f"*{pending}*")

    def _at(self, now: datetime) -> str:
        local = now.astimezone(ZoneInfo(self.timezone))
        if local.date() != self._day:
            self._day = local.date()
            self._print(Text(""))
            self._print(Text(f"━━ {local:%a %d %b %Y} " + "━" * 37, style="bold"))
        if local.date() != self._md_day:
            self._md_day = local.date()
            self._blocks.append(f"### {local:%a %d %b %Y}")
        return f"{local:%H:%M}"

    def _line(self, line: Line) -> Text:
        if isinstance(line, Styled):
            return Text(line.text, style=line.style or "")
        return mrkdwn.to_rich(line, self.mentions)

    def _markdown_line(self, line: Line) -> str:
        if isinstance(line, Styled):
            text = mrkdwn.escape_markdown(line.text)
            return f"**{text}**" if "bold" in line.style and text.strip() else text
        return mrkdwn.to_markdown(line, self.mentions)

    def _message(self, now: datetime, head: str, body: list[Line], *, thread: bool = False) -> None:
        """One message: `head` (who, and how) and its lines; in a terminal, under its time, threads indented; in
        Markdown, one paragraph (a thread's reply quoted)."""
        body = [part for line in body for part in ([line] if isinstance(line, Styled) else line.split("\n"))]
        self._pending_clock()
        clock = self._at(now)
        first = body[0] if body and (body[0].text if isinstance(body[0], Styled) else body[0]) else None
        text = Text(clock + " ", style="dim")
        text.append(INDENT + "↳ " if thread else "")
        text.append(head, style="bold")
        if first is not None:
            text.append(": ")
            text.append_text(self._line(first))
        for line in body[1:]:
            text.append("\n" + INDENT + ("   " if thread else ""))
            text.append_text(self._line(line))
        self._print(text)
        heading = f"**{clock} {'↳ ' if thread else ''}{mrkdwn.escape_markdown(head, line_start=False)}**"
        lines = [heading + (": " + self._markdown_line(first) if first is not None else "")]
        lines += [self._markdown_line(line) for line in body[1:]]
        paragraph = "  \n".join(line if line.strip() else "\u00a0" for line in lines)  # hard line breaks
        self._blocks.append("\n".join(("> " + line) for line in paragraph.split("\n")) if thread else paragraph)

    def say(self, now: datetime, text: str) -> None:
        """A narrator's line (what the demo is about to show): a heading in transcript.md."""
        self._pending_clock()
        self._md_day = now.astimezone(ZoneInfo(self.timezone)).date()  # its day comes under its heading
        clock = self._at(now)
        self._print(Text(f"{clock} ▶ {text}", style="bold magenta"))
        self._blocks.append(f"## {mrkdwn.escape_markdown(text, line_start=False)}")
        self._md_day = None  # each step's section starts with its day

    def moved(self, now: datetime) -> None:
        """The clock's progress line."""
        local = now.astimezone(ZoneInfo(self.timezone))
        self._clock = f"⏱  clock → {local:%a %d %b %Y %H:%M} {self.timezone}"
        if self.out is not None and self.out.isatty():  # the progress line, overwritten by the next one
            self.out.write(self._clock + "\r")
            self.out.flush()

    def said(self, now: datetime, handle: str, text: str) -> None:
        """Someone typed a slash command (only they and Accord see it)."""
        self._message(now, handle, [text])

    def posted(self, now: datetime, handle: str, text: str, *, thread: bool = False) -> None:
        """Someone posted in the channel."""
        self._message(now, handle, [text], thread=thread)

    def clicked(self, now: datetime, handle: str, label: str) -> None:
        """Someone clicked a button."""
        self._message(now, handle, [Styled(f"clicks [{label}]")])

    def filled(self, now: datetime, handle: str, title: str, answers: dict[str, Any]) -> None:
        """Someone sent a form (answers shown unless the form is private, like a check-in)."""
        if title.startswith(PRIVATE_FORMS):
            self._message(now, handle, [Styled(f"sends the form “{title}” (answers stay private)")])
            return
        shown = ", ".join(f"{key}={_short(value)}" for key, value in answers.items())
        self._message(now, handle, [Styled(f"fills the form “{title}”: {shown}")])

    def form_errors(self, now: datetime, handle: str, errors: dict[str, str]) -> None:
        """The form said what is wrong, inline."""
        self._message(now, f"Accord (in {handle}'s form)", ["; ".join(f"{k}: {v}" for k, v in errors.items())])

    def private(self, now: datetime, handle: str, message: dict[str, Any]) -> None:
        """A reply only `handle` sees."""
        self._message(now, f"Accord (only {handle} sees)", blocks_text(message))

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
            lines = blocks_text(message)
            self._shown[(channel, ts)] = lines
            self._posted[(channel, ts)] = (now, _title(self._plain(lines[0] if lines else "")))
            self.entries.append(Entry(channel, ts, to, message))
            self._message(now, head, lines, thread=bool(message.get("thread_ts")))
        elif method == "chat.update":
            channel, ts = response["channel"], response["ts"]
            message = fake.message(channel, ts) or {}
            lines = blocks_text(message)
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
                self._message(now, "Accord", [Styled(f"📎 shares “{shared['title']}” ({shared['name']}, "
                                              f"{shared['size']:,} bytes)")], thread=threaded)
        elif method == "views.open":
            view = json.loads(args["view"]) if isinstance(args.get("view"), str) else args.get("view") or {}
            self._message(now, "Accord", [Styled(f"opens the form “{view.get('title', {}).get('text', '')}”")])

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

    def _plain(self, line: Line) -> str:
        return line.text if isinstance(line, Styled) else mrkdwn.plain(line, self.mentions)

    def markdown(self, title: str) -> str:
        """transcript.md: a heading per step and per day, each message a paragraph of Markdown."""
        return f"# {mrkdwn.escape_markdown(title, line_start=False)}\n\n" + "\n\n".join(self._blocks) + "\n"


def _title(line: str, width: int = 60) -> str:
    """How an edit names its message: its first line as plain words, without emoji; when longer than `width`,
    its first clause (up to ": " or ". "), or else its words that fit."""
    text = re.sub(r"\s+", " ", _EMOJI.sub("", emoji.replace_emoji(line, ""))).strip()
    if len(text) <= width:
        return text
    clause = re.split(r"[:.] ", text, maxsplit=1)[0]
    if len(clause) <= width:
        return clause
    return text[:width].rsplit(" ", 1)[0].rstrip(" ,.:;") + "…"


def _edit(before: list[Line], after: list[Line]) -> list[Line]:
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
