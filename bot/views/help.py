"""The help message."""

from __future__ import annotations

from typing import Any

from bot.views.blocks import context, escape, section, sections
from commands.help import HelpResult, get_help, subcommand_names


def help_message(result: HelpResult) -> dict[str, Any]:
    """Every subcommand with its description; a "did you mean" first for a mistyped one."""
    lines = [f"`{sub.usage}`: {sub.summary}" for sub in result.subcommands]
    blocks = []
    text = "Accord commands"
    if result.unknown is not None:
        head = f"`{escape(result.unknown[:80])}` is not an Accord command."
        if result.suggestion:
            head += f" Did you mean `/accord {result.suggestion}`?"
        blocks.append(section(head))
        text = head
    blocks.append(section("*Accord commands*"))
    blocks.extend(sections(lines))
    blocks.append(context("Partner organisation without Accord installed? Mention `@accord` in the channel."))
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def mention_help(data: dict[str, Any]) -> dict[str, Any]:
    """The reply to an @accord mention: the help, in the thread, addressed to who asked."""
    asked = data.get("asked") or "help"
    result = get_help() if asked in subcommand_names() else get_help(unknown=asked)
    message = help_message(result)
    message.pop("response_type")
    message["text"] = f"<@{data['user']}> {message['text']}"
    return message
