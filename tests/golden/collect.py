"""What the fake Slack delivered, as plain text, by message type (the outbox row's view name) and reader."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from bot.fakeslack import FakeSlack
from bot.fakeslack.state import Call
from bot.outbox_reconcile import view_data
from bot.views.registry import render, render_file
from storage.models import OutboxMessage
from tests.harness import CHANNEL, HOME, PARTNER, Harness

BOTH = "both"  # a post in the shared channel: both parties read it
PARTIES = {HOME: "party1", PARTNER: "party2"}


@dataclass(frozen=True)
class Delivery:
    """One message as a reader saw it: its type, who reads it, how it came and its plain text."""

    kind: str
    reader: str
    how: str
    text: str


# ---- plain text ---------------------------------------------------------------------------------------------------

def _text_of(value: Any) -> str:
    """The text of a text object (or a string)."""
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return "" if value is None else str(value)


def element_text(element: dict[str, Any]) -> str:
    """An interactive or context element as a reader sees it: a button as [Label], a menu by its placeholder."""
    kind = element.get("type")
    if kind == "button":
        return f"[{_text_of(element.get('text'))}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text_of(element)
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    if kind in ("checkboxes", "radio_buttons"):
        chosen = {_text_of(o.get("text")) for o in element.get("initial_options") or
                  ([element["initial_option"]] if element.get("initial_option") else [])}
        return " ".join(f"({'x' if _text_of(o.get('text')) in chosen else ' '}) {_text_of(o.get('text'))}"
                        for o in element.get("options") or [])
    if kind == "plain_text_input":
        shown = element.get("initial_value") or _text_of(element.get("placeholder"))
        return f"[text: {shown}]" if shown else "[text]"
    if kind == "datepicker":
        return f"[date: {element.get('initial_date') or _text_of(element.get('placeholder'))}]"
    initial: dict[str, Any] | None = element.get("initial_option")
    shown = _text_of(initial.get("text")) if initial else _text_of(element.get("placeholder"))
    for key in ("initial_user", "initial_conversation", "initial_channel"):
        shown = shown or str(element.get(key) or "")
    return f"[{kind}: {shown}]" if shown else f"[{kind}]"


def _rich_text(node: Any) -> str:
    """The text inside a rich_text block, flattened."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        if node.get("type") == "user":
            return f"<@{node.get('user_id')}>"
        if node.get("type") == "link":
            return str(node.get("text") or node.get("url", ""))
        return "".join(_rich_text(child) for child in node.get("elements") or [])
    return ""


def block_lines(block: dict[str, Any]) -> list[str]:
    """A block's texts in order, one line (or more) each."""
    kind = block.get("type")
    lines: list[str] = []
    if kind == "divider":
        return ["---"]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "rich_text":
        return [_rich_text(block)]
    if kind == "input":
        label = _text_of(block.get("label"))
        hint = _text_of(block.get("hint"))
        optional = " (optional)" if block.get("optional") else ""
        return [f"{label}{optional}: {element_text(block.get('element') or {})}"] + ([f"  {hint}"] if hint else [])
    if block.get("text"):
        lines.append(_text_of(block["text"]))
    lines += [_text_of(field) for field in block.get("fields") or []]
    if block.get("accessory"):
        lines.append(element_text(block["accessory"]))
    if block.get("elements"):
        lines.append(" ".join(element_text(e) for e in block["elements"]))
    return lines


def plain(message: dict[str, Any]) -> str:
    """A message (or modal, or Home tab) as plain text: title, text, then each block's text, in order."""
    lines: list[str] = []
    if message.get("title"):
        lines.append(f"# {_text_of(message['title'])}")
    if message.get("text"):
        lines.append(str(message["text"]))
        lines.append("~~~ blocks ~~~")
    for block in message.get("blocks") or []:
        lines += block_lines(block)
    buttons = [f"[{_text_of(message[key])}]" for key in ("submit", "close") if message.get(key)]
    if buttons:
        lines.append(" ".join(buttons))
    return "\n".join(lines).rstrip()


_VARYING = [
    (re.compile(r"\bp\d{16}\b"), "p<ts>"),  # message links
    (re.compile(r"\b\d{10}\.\d{6}\b"), "<ts>"),
    (re.compile(r"\b\d{10}\.\d{10}\.[0-9a-f]+\b"), "<trigger>"),
    (re.compile(r"\bF[A-Z0-9]{8,}\b"), "<file>"),
    (re.compile(r"\bV[A-Z0-9]{8,}\b"), "<view>"),
]


def normalise(text: str) -> str:
    """`text` with what varies between runs (message ts, file, view and trigger ids) replaced by placeholders."""
    for pattern, placeholder in _VARYING:
        text = pattern.sub(placeholder, text)
    return text


# ---- who reads ----------------------------------------------------------------------------------------------------

def _party(fake: FakeSlack, user: str) -> str:
    """The party of a person: party1 (the home organisation), party2 (the partner), or their team id."""
    team = str(fake.user(user).get("team_id", ""))
    return PARTIES.get(team, team)


def _reader(fake: FakeSlack, channel: str, user: str | None = None) -> str:
    """Who reads a message in `channel`: both parties in the shared channel; a DM's person; else `user`."""
    if user:
        return _party(fake, user)
    if channel == CHANNEL:
        return BOTH
    dms = fake.dm_channels()
    if channel in dms:
        return _party(fake, dms[channel])
    if channel.startswith(("U", "W")):  # a DM posted to the person's id
        return _party(fake, channel)
    return channel


# ---- joining the fake's calls with the outbox's rows --------------------------------------------------------------

def _key_of(call: Call) -> str | None:
    metadata = call.args.get("metadata")
    if isinstance(metadata, dict):
        return str((metadata.get("event_payload") or {}).get("key"))
    return None


def _shown(call: Call) -> dict[str, Any]:
    return {"text": call.args.get("text"), "blocks": call.args.get("blocks")}


def _same(call: Call, rendered: dict[str, Any]) -> bool:
    return bool(call.args.get("text") == rendered.get("text"))


def deliveries(harness: Harness) -> list[Delivery]:
    """Every message the fake Slack took, oldest first, each named by its outbox row's view when it came through
    the outbox (else by how a listener sent it: `direct_ephemeral`, `modal-<callback_id>`, `response_url`)."""
    fake = harness.fake
    with Session(harness.engine) as db:
        rows = list(db.exec(select(OutboxMessage).where(col(OutboxMessage.status) == "sent")
                            .order_by(col(OutboxMessage.id))))
    calls = [c for c in fake.calls if c.ok]
    row_of_call: dict[int, OutboxMessage] = {}
    by_key = {_key_of(c): i for i, c in enumerate(calls) if c.method == "chat.postMessage" and _key_of(c)}
    files: list[Delivery] = []
    for row in rows:
        if row.method == "users.info":
            continue
        if row.method == "files.upload":
            file = render_file(row.view, view_data(row.data))
            text = f"[file {file.filename}: {file.title}]\n{file.initial_comment}".rstrip()
            files.append(Delivery(row.view, _reader(fake, row.channel or ""), "files.upload", normalise(text)))
            continue
        if row.method in ("chat.postMessage", "dm") and row.idempotency_key in by_key:
            row_of_call[by_key[row.idempotency_key]] = row
            continue
        rendered = render(row.view, view_data(row.data))
        for i, call in enumerate(calls):
            if i in row_of_call or not _same(call, rendered):
                continue
            if row.method == "chat.update" and call.method == "chat.update" and call.args.get("ts") == row.ts \
                    or row.method == "views.publish" and call.method == "views.publish" \
                    and call.args.get("user_id") == row.user \
                    or row.method in ("chat.postEphemeral", "dm") and call.method == "chat.postEphemeral" \
                    and call.args.get("user") == row.user:
                row_of_call[i] = row
                break
        else:
            raise AssertionError(f"outbox row {row.idempotency_key} ({row.view}) matches no call the fake took")
    out: list[Delivery] = []
    for i, call in enumerate(calls):
        found = row_of_call.get(i)
        channel = str(call.args.get("channel") or "")
        if call.method == "chat.postEphemeral":
            reader = _reader(fake, channel, str(call.args.get("user")))
            kind = found.view if found else "direct_ephemeral"
        elif call.method in ("chat.postMessage", "chat.update"):
            reader = _reader(fake, channel)
            kind = found.view if found else f"direct_{call.method.split('.')[1].lower()}"
        elif call.method == "views.publish":
            reader, kind = _party(fake, str(call.args.get("user_id"))), found.view if found else "home_tab"
        elif call.method in ("views.open", "views.push", "views.update"):
            view = call.args.get("view") or {}
            view = view if isinstance(view, dict) else {}
            out.append(Delivery(f"modal-{view.get('callback_id') or 'none'}", "opener", call.method,
                                normalise(plain(view))))
            continue
        else:
            continue
        shown = call.args.get("view") if call.method == "views.publish" else _shown(call)
        out.append(Delivery(kind, reader, call.method, normalise(plain(shown if isinstance(shown, dict) else {}))))
    for post in fake.response_url_posts:
        out.append(Delivery("response_url", "clicker", "response_url", normalise(plain(post))))
    return out + files


def grouped(found: list[Delivery]) -> dict[str, list[Delivery]]:
    """Deliveries by golden file stem, `<kind>--<reader>`, in the order they came."""
    groups: dict[str, list[Delivery]] = defaultdict(list)
    for delivery in found:
        groups[f"{delivery.kind}--{delivery.reader}"].append(delivery)
    return dict(groups)
