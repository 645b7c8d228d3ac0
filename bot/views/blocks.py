"""Small Block Kit helpers: sections split to fit Slack's limits."""

from __future__ import annotations

from typing import Any

from commands.wording import possessive

__all__ = ["Block", "context", "escape", "possessive", "section", "sections"]

SECTION_TEXT_LIMIT = 3000

Block = dict[str, Any]


def section(markdown: str) -> Block:
    """A section of mrkdwn text (the caller keeps it within 3,000 characters)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": markdown[:SECTION_TEXT_LIMIT]}}


def context(markdown: str) -> Block:
    """A context line in small grey text."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": markdown[:SECTION_TEXT_LIMIT]}]}


def sections(lines: list[str]) -> list[Block]:
    """Pack lines into as few sections as fit under the section text limit."""
    blocks: list[Block] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_TEXT_LIMIT and current:
            blocks.append(section(current))
            candidate = line
        current = candidate
    if current:
        blocks.append(section(current))
    return blocks


def escape(text: str) -> str:
    """Escape &, < and > as Slack's mrkdwn requires for user-supplied text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

