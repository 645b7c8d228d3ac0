"""The help message, and the short answer to an unknown mention."""

from __future__ import annotations

from typing import Any

from bot.ids import Act
from bot.views.blocks import context, escape, section, sections
from bot.views.rmp import actions_block, button
from commands.help import HelpResult, get_help, subcommand_names

NO_SLASH = "Your workspace does not have `/accord`: mention `@accord` in the channel, as above."
PARTNER_HINT = "Partner organisation without Accord installed? Mention `@accord` in the channel."


def _not_a_command(result: HelpResult) -> str:
    """"`x` is not an Accord command.", with a "did you mean" when one is close."""
    head = f"`{escape((result.unknown or '')[:80])}` is not an Accord command."
    if result.suggestion:
        head += f" Did you mean `{result.prefix} {result.suggestion}`?"
    return head


def help_message(result: HelpResult) -> dict[str, Any]:
    """Every subcommand the reader may use with its description, written as they call Accord (`/accord` or
    `@accord`); a "did you mean" first for a mistyped one."""
    lines = [f"`{result.usage(sub)}`: {sub.summary}" for sub in result.subcommands]
    blocks = []
    text = "Accord commands"
    if result.unknown is not None:
        text = _not_a_command(result)
        blocks.append(section(text))
    blocks.append(section("*Accord commands you can use*"))
    blocks.extend(sections(lines))
    blocks.append(context(PARTNER_HINT if result.slash else NO_SLASH))
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def help_button(channel: str) -> dict[str, Any]:
    """The Help button: the help for whoever clicks it (what they may use, as they call Accord)."""
    return button("Help", Act.CONTINUE, {"channel": channel, "command": "help"})


def unknown_mention(result: HelpResult, channel: str) -> dict[str, Any]:
    """The one short answer to `@accord <not a command>`: a "did you mean", and the Help button."""
    text = _not_a_command(result)
    return {"text": text, "blocks": [section(text), actions_block([help_button(channel)])]}


def mention_help(data: dict[str, Any]) -> dict[str, Any]:
    """The reply to an @accord mention queued by an earlier version (posted in the thread): the help."""
    asked = data.get("asked") or "help"
    result = get_help() if asked in subcommand_names() else get_help(unknown=asked)
    message = help_message(result)
    message.pop("response_type")
    message["text"] = f"<@{data['user']}> {message['text']}"
    return message
