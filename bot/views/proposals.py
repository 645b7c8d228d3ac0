"""A proposal of a shared change: what changes, before → after, and its Approve, Reject and Withdraw buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import ProposalAct
from bot.views.blocks import Block, context, escape, possessive, section, sections
from bot.views.rmp import actions_block, button

STATUS_TEXT = {
    "open": ":hourglass_flowing_sand: Waiting for the decision of {other}",
    "approved": ":white_check_mark: Approved by <@{decided_by}> ({other}): in effect",
    "rejected": ":x: Rejected by <@{decided_by}> ({other}): nothing changed",
    "withdrawn": ":leftwards_arrow_with_hook: Withdrawn by <@{decided_by}> ({party}): nothing changed",
    "lapsed": ":zzz: Lapsed without a decision: nothing changed",
}


def _when(moment: str, zones: list[str]) -> str:
    instant = datetime.fromisoformat(moment)
    return " / ".join(f"{instant.astimezone(ZoneInfo(tz)):%a %d %b %H:%M} {tz}" for tz in zones)


def proposal(data: dict[str, Any]) -> dict[str, Any]:
    """The proposal's message, posted when proposed and updated in place as it is decided."""
    party, other = escape(data["party"]), escape(data["other"])
    what = f"to add a {data['title'].removeprefix('a new ')}" if data["title"].startswith("a new ") \
        else f"to change {data['title']}"
    lines = [f":memo: *Proposal #{data['number']}*: <@{data['by']}> ({party}) proposes {escape(what)}:"]
    lines += [f"• *{escape(c['field'])}*: {escape(c['before'])} → {escape(c['after'])}" for c in data["changes"]]
    if data.get("mention"):
        lines.append(" ".join(f"<@{user}>" for user in data["mention"]) + f": {possessive(other)} to decide.")
    status = STATUS_TEXT[data["status"]].format(other=other, party=party, decided_by=data.get("decided_by") or "")
    if data["status"] == "rejected" and data.get("reason"):
        status += f" ({escape(data['reason'])})"
    blocks: list[Block] = sections(lines)
    blocks.append(section(f"*{status}*"))
    if data["status"] == "open":
        value = {"channel": data["channel"], "number": data["number"]}
        blocks.append(actions_block([
            button(f"Approve ({data['other']})", ProposalAct.APPROVE, value, style="primary"),
            button(f"Reject ({data['other']})", ProposalAct.REJECT, value),
            button(f"Withdraw ({data['party']})", ProposalAct.WITHDRAW, value),
        ]))
        blocks.append(context(f"{possessive(other)} SERs and managers decide; {party} can withdraw it. It lapses on "
                              f"{_when(data['lapses_at'], data['timezones'])} if nobody decides."))
    return {"text": f"Proposal #{data['number']} ({data['title']}): {data['status']}", "blocks": blocks}


def lapsed(data: dict[str, Any]) -> dict[str, Any]:
    """In the proposal's thread: it lapsed."""
    return {"text": f":zzz: Proposal #{data['number']} ({escape(data['title'])}) lapsed after five working days "
                    "without a decision; nothing changed. Propose it again if it is still wanted."}
