"""Slack's mrkdwn read the way Slack shows it: for a terminal (rich text), for Markdown (transcript.md), or as
plain words.

Handles what Accord writes: *bold*, _italics_, ~strikethrough~, `code`, emoji shortcodes (as characters; an
unknown one stays as typed), user and channel mentions (by name), links (by their label), `<!here>` and the
like, `&amp;`-style entities and `> ` quotes. Emphasis follows Slack's rule: its marks sit at word boundaries,
on one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import emoji
from rich.text import Text

BOLD, ITALIC, STRIKE, CODE = "bold", "italic", "strike", "code"
# Slack's names that the `emoji` package does not know as aliases
SLACK_EMOJI = {
    "large_green_circle": "🟢", "large_yellow_circle": "🟡", "large_orange_circle": "🟠",
    "large_purple_circle": "🟣", "large_brown_circle": "🟤", "large_red_square": "🟥",
    "large_green_square": "🟩", "large_yellow_square": "🟨", "large_orange_square": "🟧",
    "large_blue_square": "🟦", "large_purple_square": "🟪", "large_brown_square": "🟫",
}
RICH_STYLES = {BOLD: "bold", ITALIC: "italic", STRIKE: "strike", CODE: "cyan"}
MARKDOWN_MARKS = {BOLD: "**", ITALIC: "*", STRIKE: "~~", CODE: "`"}

_SHORTCODE = re.compile(r":([a-z0-9_+-]+):")
_ANGLE = re.compile(r"<([^<>\s][^<>]*)>")
_CODE = re.compile(r"`([^`\n]+)`")
# a mark opens after the start, a space or an opening punctuation, and closes before the end, a space or a
# punctuation; the marked text neither starts nor ends with a space
_EMPHASIS = re.compile(r"(?<![^\s(\[{\"'“‘—–/-])([*_~])(?=\S)(.+?)(?<=\S)\1(?![^\s.,;:!?)\]}\"'”’—–/-])")
_PLACEHOLDER = re.compile("[\ue000-\uf8ff]")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


@dataclass(frozen=True)
class Names:
    """How mentions read: user id -> name (shown as @name), channel id -> name (shown as #name)."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """A run of text with its styles (bold, italic, strike, code) and, for a link, where it points."""

    text: str
    styles: frozenset[str] = frozenset()
    url: str | None = None


@dataclass(frozen=True)
class Marked:
    """Text under one emphasis mark: what Markdown wraps in its own mark."""

    style: str
    children: tuple[Span | Marked, ...]


Tree = list[Span | Marked]


def emojize(text: str) -> str:
    """Emoji shortcodes as characters, Slack's names included; an unknown one stays as it is."""
    text = _SHORTCODE.sub(lambda m: SLACK_EMOJI.get(m.group(1), m.group(0)), text)
    return emoji.emojize(text, language="alias")


def _entities(text: str) -> str:
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _angle(inside: str, names: Names) -> Span:
    """One `<…>`: a mention, a special mention, or a link."""
    target, _, label = inside.partition("|")
    if target.startswith("@"):
        return Span("@" + (names.users.get(target[1:]) or label.lstrip("@") or target[1:]))
    if target.startswith("#"):
        return Span("#" + (names.channels.get(target[1:]) or label or target[1:]))
    if target.startswith("!"):
        special = target[1:].split("^")[0]
        return Span(label or ("@" + special))
    url = _entities(target)
    return Span(_entities(label) or url.removeprefix("mailto:"), url=url)


def parse(line: str, names: Names) -> Tree:
    """One line of mrkdwn as a tree of emphasis over runs of text (emphasis does not cross lines)."""
    atoms: list[Span] = []

    def hold(span: Span) -> str:  # an atom stands in the text as one private-use character while marks are read
        atoms.append(span)
        return chr(0xE000 + len(atoms) - 1)

    held = _CODE.sub(lambda m: hold(Span(_entities(m.group(1)), frozenset({CODE}))), line)
    held = _ANGLE.sub(lambda m: hold(_angle(m.group(1), names)), held)
    return _marks(held, atoms)


def spans(line: str, names: Names) -> list[Span]:
    """One line of mrkdwn as runs of text, each with all its styles."""
    return _flatten(parse(line, names), frozenset())


def _flatten(tree: Tree | tuple[Span | Marked, ...], styles: frozenset[str]) -> list[Span]:
    found: list[Span] = []
    for node in tree:
        if isinstance(node, Marked):
            found += _flatten(node.children, styles | {node.style})
        else:
            found.append(Span(node.text, styles | node.styles, node.url))
    return found


def _marks(text: str, atoms: list[Span]) -> Tree:
    found: Tree = []
    at = 0
    for match in _EMPHASIS.finditer(text):
        found += _plain(text[at:match.start()], atoms)
        style = {"*": BOLD, "_": ITALIC, "~": STRIKE}[match.group(1)]
        found.append(Marked(style, tuple(_marks(match.group(2), atoms))))
        at = match.end()
    return found + _plain(text[at:], atoms)


def _plain(text: str, atoms: list[Span]) -> Tree:
    found: Tree = []
    at = 0
    for match in _PLACEHOLDER.finditer(text):
        if match.start() > at:
            found.append(Span(emojize(_entities(text[at:match.start()]))))
        found.append(atoms[ord(match.group(0)) - 0xE000])
        at = match.end()
    if at < len(text):
        found.append(Span(emojize(_entities(text[at:]))))
    return found


def _quoted(line: str) -> tuple[bool, str]:
    for mark in ("&gt; ", "> "):
        if line.startswith(mark):
            return True, line[len(mark):]
    return False, line


def plain(text: str, names: Names) -> str:
    """The words as Slack shows them, without styles."""
    lines = []
    for line in text.split("\n"):
        quote, line = _quoted(line)
        lines.append(("│ " if quote else "") + "".join(s.text for s in spans(line, names)))
    return "\n".join(lines)


def to_rich(text: str, names: Names) -> Text:
    """For the terminal: styles as rich styles, links clickable where the terminal can."""
    out = Text()
    for number, line in enumerate(text.split("\n")):
        if number:
            out.append("\n")
        quote, line = _quoted(line)
        if quote:
            out.append("│ ", style="dim")
        for span in spans(line, names):
            style = " ".join(RICH_STYLES[s] for s in sorted(span.styles))
            if span.url:
                style = f"{style} underline link {span.url}".strip()
            out.append(span.text, style=style or None)
    return out


def escape_markdown(text: str, *, line_start: bool = True) -> str:
    """Plain text made safe in Markdown: nothing in it is read as markup (at the start of a line: no heading,
    quote, list or table either)."""
    text = re.sub(r"([\\`*~<])", r"\\\1", text)
    text = re.sub(r"\](?=[(\[:])", r"\\]", text)
    text = re.sub(r"&(?=#?\w+;)", r"\\&", text)
    text = re.sub(r"(?<!\w)_|_(?!\w)", r"\\_", text)
    if not line_start:
        return text
    text = re.sub(r"^(\s*)(\d+)([.)])", r"\1\2\\\3", text)
    return re.sub(r"^(\s*)(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|[-=](?=[-=]*\s*$))", r"\1\\\2", text)


def to_markdown(text: str, names: Names) -> str:
    """For Markdown: *bold* -> **bold**, _it_ -> *it*, ~s~ -> ~~s~~, `code` kept, mentions by name, links as
    Markdown links, emoji as characters; each line of the text stays a line."""
    lines = []
    for line in text.split("\n"):
        quote, line = _quoted(line)
        lines.append(("> " if quote else "") + _markdown(parse(line, names), first=True))
    return "\n".join(lines)


def _markdown(tree: Tree | tuple[Span | Marked, ...], *, first: bool) -> str:
    out: list[str] = []
    for node in tree:
        if isinstance(node, Marked):
            inner = _markdown(node.children, first=False)
            mark = MARKDOWN_MARKS[node.style]
            out.append(f"{mark}{inner}{mark}" if inner.strip() else inner)
            continue
        if CODE in node.styles:
            body = f"`{node.text}`" if "`" not in node.text else f"`` {node.text} ``"
        else:
            body = escape_markdown(node.text, line_start=first and not out)
        if node.url:
            body = f"[{body}]({node.url.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})"
        out.append(body)
    return "".join(out)
