"""What someone leaving, or removing a person, is told."""

from __future__ import annotations

from typing import Any

from bot.ids import Act
from bot.views.blocks import section
from bot.views.rmp import actions_block, button
from commands.rmp.leaving import Gone, Leaving

ROLE_NAMES = {"ser": "SER", "manager": "manager"}


def confirm_leave(leaving: Leaving, *, channel: str) -> dict[str, Any]:
    """`/accord leave` asks first: a button leaves (with the successor named, if any)."""
    text = f"Leave *{leaving.relationship}*? You will no longer be prompted or counted in *{leaving.party}*."
    if leaving.successor:
        text += f" <@{leaving.successor}> takes over your role."
    return {"response_type": "ephemeral", "text": text, "blocks": [
        section(text),
        actions_block([button(f"Leave {leaving.party}"[:75], Act.LEAVE, {"channel": channel,
                                                                       "successor": leaving.successor or ""},
                              style="danger")])]}


def gone_message(gone: Gone, *, self_: bool) -> dict[str, Any]:
    """`You left Northwind.` / `<@U1> is no longer in Northwind.`, who took over, and what needs a new owner."""
    lines = [f"You left *{gone.party}*: Accord no longer prompts you or counts you; the history keeps what you did."
             if self_ else f"<@{gone.user_id}> is no longer in *{gone.party}*: not prompted or counted any more; "
             "the history keeps what they did."]
    if gone.successor and gone.successor_role:
        lines.append(f"<@{gone.successor}> is now {ROLE_NAMES.get(gone.successor_role, gone.successor_role)} "
                     f"of *{gone.party}*.")
    if gone.unowned:
        lines.append(f"{', '.join(gone.unowned).capitalize()} need{'s' if len(gone.unowned) == 1 else ''} a new owner: "
                     "its SERs and managers can give them one with `/accord action edit N` or `/accord risk edit N`.")
    return {"response_type": "ephemeral", "text": "\n".join(lines)}


HOW = {"left": "left", "removed": "was removed from", "deactivated": "was deactivated in Slack and has left"}


def person_gone(data: dict[str, Any]) -> dict[str, Any]:
    """To a party's SERs and managers: someone of theirs went, and what they owned needs a new owner."""
    items = ", ".join(data["items"])
    text = (f"<@{data['user']}> {HOW.get(data['how'], 'left')} *{data['party']}* in {data['relationship']}. "
            f"{items[:1].upper()}{items[1:]} {'was' if len(data['items']) == 1 else 'were'} theirs and "
            f"need{'s' if len(data['items']) == 1 else ''} a new owner: "
            f"`/accord action edit N` or `/accord risk edit N` in <#{data['channel']}>.")
    return {"text": text, "blocks": [section(text)]}
