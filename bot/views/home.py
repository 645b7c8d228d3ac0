"""The App Home tab: each person's to-do list per relationship, with buttons to act, and the relationship at a
glance below it, within Slack's 100 blocks of a view."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act, DisputeAct, ProposalAct
from bot.views.audit import report_actions
from bot.views.blocks import Block, context, escape, section
from bot.views.rmp import actions_block, button, status_blocks
from commands.rmp import todo
from commands.rmp.access import EDITORS
from commands.rmp.todo import Todo, TodoList
from commands.wording import plural

MAX_BLOCKS = 100  # Slack's limit for a Home tab view
MAX_ITEMS = 8  # to-do items listed per relationship before "and N more"
HEAD = {todo.CHECKIN: ":ballot_box_with_check:", todo.ACTION: ":white_square:", todo.RISK: ":shield:",
        todo.DISPUTE: ":scales:", todo.REVIEW: ":memo:", todo.PROPOSAL: ":inbox_tray:",
        todo.EXPECTATIONS: ":dart:"}


def _local(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M")


def _line(item: Todo, tz: str) -> str:
    """What the item is and when it is due, in the person's own timezone."""
    what = {todo.CHECKIN: f"*{escape(item.title)}* waits for your answer",
            todo.ACTION: f"*Action #{item.number}* {escape(item.title)}",
            todo.RISK: f"*Risk #{item.number}* {escape(item.title)}",
            todo.DISPUTE: f"*Dispute #{item.number}* {escape(item.title)}: you hold it",
            todo.REVIEW: f"*{escape(item.title)}* waits for your sign-off",
            todo.EXPECTATIONS: f"*{escape(item.title)}*: state how far your party's were met (1 to 5)",
            todo.PROPOSAL: f"*{escape(item.title)}* waits for your party's decision"}[item.kind]
    when = ""
    if item.due_on is not None:
        word = "review was due" if item.kind == todo.RISK else "due"
        when = f" · {':warning: *overdue*, ' if item.overdue else ''}{word} {item.due_on:%a %d %b}"
    elif item.due_at is not None:
        word = {todo.CHECKIN: "closes", todo.DISPUTE: "escalates", todo.PROPOSAL: "lapses"}.get(item.kind, "due")
        when = f" · {word} {_local(item.due_at, tz)}"
    detail = f" · {escape(item.detail)}" if item.detail else ""
    return f"{HEAD[item.kind]} {what}{when}{detail}"


def _buttons(item: Todo, channel: str, role: str) -> list[dict[str, Any]]:
    """The buttons that act on the item: the same ones its own message carries, those the person's `role` may use
    (a risk is reviewed in its form, which SERs and managers open)."""
    value = {"channel": channel, "number": item.number}
    if item.kind == todo.CHECKIN:
        return [button("Answer", Act.CHECKIN_OPEN, {"channel": channel, "round": item.number}, style="primary")]
    if item.kind == todo.ACTION:
        return [button("Done", Act.ACTION_DONE, value, style="primary"),
                button("Cannot complete", Act.ACTION_CANNOT, value)]
    if item.kind == todo.RISK:
        return [button("Review the risk", f"{Act.OPEN_FORM}:risk", {**value, "form": "risk"})] \
            if role in EDITORS else []
    if item.kind == todo.DISPUTE:
        return [button("Propose resolution", DisputeAct.PROPOSE, value, style="primary"),
                button("Add note", DisputeAct.NOTE, value)]
    if item.kind == todo.REVIEW:
        return [button("Sign off", Act.REVIEW_SIGN, value, style="primary")]
    if item.kind == todo.EXPECTATIONS:
        return [button("State our expectations", Act.REVIEW_EXPECT, value, style="primary")]
    return [button("Approve", ProposalAct.APPROVE, value, style="primary"),
            button("Reject", ProposalAct.REJECT, value)]


def todo_blocks(todo_list: TodoList) -> list[Block]:
    """The list of what waits on the person in one relationship, each item with its buttons."""
    status = todo_list.status
    items = sorted(todo_list.items, key=lambda i: todo.ORDER.index(i.kind))
    count = f"{plural(len(items), 'thing')} waiting on you" if items else "nothing waits on you"
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text",
                                                       "text": f"To do · {status.name}"[:150]}},
                           context(f"{count} · times in {status.timezone}")]
    for item in items[:MAX_ITEMS]:
        blocks.append(section(_line(item, status.timezone)))
        buttons = _buttons(item, status.channel_id, todo_list.role)
        blocks += [actions_block(buttons)] if buttons else []
    if len(items) > MAX_ITEMS:
        blocks.append(context(f"…and {len(items) - MAX_ITEMS} more: `/accord status` in the channel lists them."))
    if not items:
        blocks.append(section(":sparkles: Nothing waits on you here. The relationship at a glance:"))
    return blocks


def home_view(lists: list[TodoList]) -> dict[str, Any]:
    """The App Home tab: per relationship, the person's to-do list and then the relationship at a glance; a
    relationship that no longer fits in Slack's 100 blocks is named at the end instead."""
    blocks: list[Block] = []
    if not lists:
        blocks.append(section("You are not in any Accord relationship yet. Run `/accord setup` in a shared "
                              "channel, or click *Join* on Accord's message there."))
    left_out: list[str] = []
    for todo_list in lists:
        part = [{"type": "divider"}] * bool(blocks) + todo_blocks(todo_list) + \
            status_blocks(todo_list.status, role=todo_list.role) + [report_actions(todo_list.status.channel_id)]
        if left_out or len(blocks) + len(part) > MAX_BLOCKS - 1:
            left_out.append(todo_list.status.name)
            continue
        blocks += part
    if left_out:
        names = escape(", ".join(left_out))[:2000]
        blocks.append(context(f"…and {plural(len(left_out), 'more relationship')} ({names}): "
                              "use `/accord status` in their channels."))
    return {"type": "home", "blocks": blocks}
