"""Chasing messages: an item given to its owner, the day's nudge with its buttons, and what the owner's party
hears about an action marked done (or asked to be)."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.ids import Act
from bot.views.blocks import Block, context, escape, section
from bot.views.rmp import actions_block, button
from commands.wording import plural


def _day(iso: str) -> str:
    """`Mon 04 Jan`."""
    return f"{date.fromisoformat(iso):%a %d %b}"


def _where(data: dict[str, Any]) -> str:
    return f" in *{escape(data['relationship'])}*"


def _action_buttons(entry: dict[str, Any], *, block_id: str) -> Block:
    value = {"channel": entry["channel"], "number": entry["number"]}
    return actions_block([button("Done", Act.ACTION_DONE, value, style="primary"),
                          button("Snooze 2 days", Act.ACTION_SNOOZE, value),
                          button("Cannot complete", Act.ACTION_CANNOT, value)], block_id=block_id)


def _line(entry: dict[str, Any], several: bool) -> str:
    where = f" ({escape(entry['relationship'])})" if several else ""
    what = escape(entry["description"][:300])
    if entry["kind"] == "risk":
        return (f":warning: *Risk #{entry['number']}*{where}: {what}\nScore {entry['score']}; its review was due on "
                f"{_day(entry['review_on'])}: review the mitigation, then close the risk or move its review date.")
    overdue = entry["overdue"]
    when = f"was due {_day(entry['due_on'])}, overdue {plural(overdue, 'working day')}" \
        if overdue else "due today"
    asked = f"\n<@{entry['asked_by']}> says it is done: click Done to confirm." if entry.get("asked_by") else ""
    return f":pushpin: *Action #{entry['number']}*{where}: {what}\n_{when}_{asked}"


def nudge(data: dict[str, Any]) -> dict[str, Any]:
    """The day's one nudge: every action due or overdue and every risk past its review, with buttons."""
    entries, several = data["items"], bool(data.get("several"))
    count = len(entries) + int(data.get("more") or 0)
    needs = f"{count} items of yours need" if count != 1 else "1 item of yours needs"
    blocks: list[Block] = [section(f"Good morning: {needs} you today.")]
    for n, entry in enumerate(entries):
        blocks.append(section(_line(entry, several)))
        if entry["kind"] == "action":
            blocks.append(_action_buttons(entry, block_id=f"nudge_{n}"))
    if data.get("more"):
        blocks.append(context(f"…and {data['more']} more: `/accord status` lists them."))
    blocks.append(context("One reminder a day at most, every 2 working days while something is overdue."))
    items = ", ".join(f"{entry['kind']} #{entry['number']}" for entry in entries)
    return {"text": f"Reminder: {items} need{'s' if len(entries) == 1 else ''} you today.", "blocks": blocks}


def assigned(data: dict[str, Any]) -> dict[str, Any]:
    """Tells an owner that an action or a risk is now theirs."""
    what = escape(data["description"][:300])
    if data["entity"] == "action":
        text = (f"<@{data['by']}> gave you action #{data['number']}{_where(data)}: {what}, due "
                f"{_day(data['due_on'])}. I will remind you that morning.")
    else:
        review = f" Its review is due {_day(data['review_on'])}." if data.get("review_on") else ""
        text = f"<@{data['by']}> made you the owner of risk #{data['number']}{_where(data)}: {what}.{review}"
    return {"text": text, "blocks": [section(text)]}


def done_asked(data: dict[str, Any]) -> dict[str, Any]:
    """Asks the owner's party to confirm an action the other party says is done."""
    text = (f"<@{data['by']}> ({escape(data['party'])}) says action #{data['number']}{_where(data)} is done: "
            f"{escape(data['description'][:300])}. Only your party marks it done: confirm if it is.")
    value = {"channel": data["channel"], "number": data["number"]}
    return {"text": text, "blocks": [section(text), actions_block([
        button("Confirm done", Act.ACTION_DONE, value, style="primary"),
        button("Cannot complete", Act.ACTION_CANNOT, value)])]}


def done_by_other(data: dict[str, Any]) -> dict[str, Any]:
    """Tells an owner that someone else of their party marked their action done."""
    return {"text": f"<@{data['by']}> marked your action #{data['number']}{_where(data)} done: "
                    f"{escape(data['description'][:300])}"}


def done_confirmed(data: dict[str, Any]) -> dict[str, Any]:
    """Tells whoever asked that the owner's party confirmed the action done."""
    return {"text": f"<@{data['by']}> confirmed action #{data['number']}{_where(data)} done: "
                    f"{escape(data['description'][:300])}"}
