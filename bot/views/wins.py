"""Wins in Slack: the form that records one, and its post in the shared channel."""

from __future__ import annotations

from typing import Any

from bot.ids import Act, Callback
from bot.views.blocks import context, escape, section
from bot.views.inputs import modal, text_input
from bot.views.rmp import actions_block, button
from commands.rmp.wins import LIMIT


def win_button(channel: str) -> dict[str, Any]:
    """The "Record a win" button (it opens the win form; the partner's people need no /accord for it)."""
    return button("Record a win", f"{Act.OPEN_FORM}:win", {"channel": channel, "form": "win"})


def win_modal(*, channel: str, party: str) -> dict[str, Any]:
    """The win form: what went well, recorded as the clicker's party's."""
    blocks = [text_input("text", "The win", multiline=True, max_length=LIMIT,
                         hint=f"What went well: recorded as {party}'s, posted to the channel and counted in the "
                              "next review.")]
    return modal(Callback.WIN, "Record a win", blocks, metadata={"channel": channel}, submit="Record")


def win_posted(data: dict[str, Any]) -> dict[str, Any]:
    """Posted to the shared channel when either party records a win."""
    text = escape(data["text"])
    return {"text": f"Win #{data['number']} ({data['party']}): {data['text']}"[:3000], "blocks": [
        section(f":tada: *Win #{data['number']}* from *{escape(data['party'])}*: {text}"),
        context(f"Recorded by <@{data['user']}> · counted in the next review"),
        actions_block([win_button(data.get("channel", ""))]) if data.get("channel") else context(
            "Record one with `/accord win <text>` or `@accord win <text>`."),
    ]}


def recorded(number: int, party: str) -> str:
    """The private confirmation."""
    return f"Recorded win #{number} for {party}: it is posted to the channel and counted in the next review."
