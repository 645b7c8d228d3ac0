"""The improvement log in Slack: an idea's message (one per idea, updated in place, with the buttons that move it
on), the forms that raise one, drop one and state a party's benefit, the list, and the review's line."""

from __future__ import annotations

from typing import Any

from bot.ids import Act, Callback, IdeaAct
from bot.views.blocks import Block, context, escape, possessive, sections
from bot.views.inputs import modal, text_input, user_picker
from bot.views.rmp import actions_block, button
from commands.rmp.ideas import BENEFIT_LIMIT, LIMIT, REASON_LIMIT, STATUS_WORDS

ICONS = {"proposed": ":bulb:", "agreed": ":handshake:", "in_progress": ":hammer_and_wrench:",
         "done": ":white_check_mark:", "dropped": ":wastebasket:"}


def idea_button(channel: str) -> dict[str, Any]:
    """The "Log an idea" button (it opens the idea form; the partner's people need no /accord for it)."""
    return button("Log an idea", f"{Act.OPEN_FORM}:idea", {"channel": channel, "form": "idea"})


def idea_modal(*, channel: str, party: str, owner: str, title: str = "", source_ts: str | None = None) -> Block:
    """The idea form: what to improve, its owner (the raiser unless changed) and the raiser's party's benefit."""
    blocks = [text_input("title", "The idea or improvement", initial=title[:LIMIT], multiline=True, max_length=LIMIT,
                         hint=f"Raised as {possessive(party)}, posted to the channel for the other party to agree."),
              user_picker("owner", "Owner", initial=owner),
              text_input("benefit", f"Expected benefit to {party}", optional=True, multiline=True,
                         max_length=BENEFIT_LIMIT, hint="The other party states its own.")]
    return modal(Callback.IDEA, "Log an idea", blocks, metadata={"channel": channel, "source_ts": source_ts},
                 submit="Log")


def drop_modal(*, channel: str, number: int) -> Block:
    """Why the idea is dropped."""
    return modal(Callback.IDEA_DROP, f"Drop idea #{number}",
                 [text_input("reason", "Why drop it?", multiline=True, max_length=REASON_LIMIT)],
                 metadata={"channel": channel, "number": number}, submit="Drop")


def benefit_modal(*, channel: str, number: int, title: str, party: str, benefit: str) -> Block:
    """The benefit the clicker's party expects from the idea (prefilled with what it said before)."""
    return modal(Callback.IDEA_BENEFIT, f"Benefit of idea #{number}",
                 [text_input("benefit", f"Expected benefit to {party}", initial=benefit, multiline=True, optional=True,
                             max_length=BENEFIT_LIMIT, hint=f"Idea #{number}: {title}"[:150])],
                 metadata={"channel": channel, "number": number}, submit="Save")


def _status(data: dict[str, Any]) -> str:
    status = data["status"]
    if status == "proposed":
        return f"Proposed: awaiting {possessive(escape(data['other']))} agreement (an SER or manager)"
    if status == "agreed":
        return f"Agreed by {escape(data['other'])}: not started yet"
    if status == "dropped":
        return "Dropped" + (f": {escape(data['reason'])}" if data.get("reason") else "")
    return STATUS_WORDS.get(status, status).capitalize()


def _buttons(data: dict[str, Any]) -> list[dict[str, Any]]:
    value = {"channel": data["channel"], "number": data["number"]}
    status = data["status"]
    shown: list[tuple[str, IdeaAct, str | None]] = []
    if status == "proposed":
        shown.append((f"Agree ({data['other']})", IdeaAct.AGREE, "primary"))
    if status == "agreed":
        shown.append(("Start", IdeaAct.START, None))
    if status in ("agreed", "in_progress"):
        shown.append(("Done", IdeaAct.DONE, "primary" if status == "in_progress" else None))
    if status != "dropped":
        shown.append(("Set our benefit", IdeaAct.BENEFIT, None))
    if status in ("proposed", "agreed", "in_progress"):
        shown.append(("Drop", IdeaAct.DROP, None))
    return [button(text, act.value, value, style=style) for text, act, style in shown]


def _benefits(data: dict[str, Any]) -> list[str]:
    return [f"*Benefit to {escape(b['party'])}*: " + (escape(b["text"]) if b["text"] else "_not stated yet_")
            for b in data["benefits"]]


def _people(data: dict[str, Any]) -> str:
    raiser, owner = data["raised_by"], data["owner"]
    # the raiser acted just now; an owner they named is not pinged by the post (told in its thread in their hours)
    owner_name = escape(data.get("owner_name") or "") or "a person they named"
    who = f"Raised and owned by <@{raiser}>" if raiser == owner else f"Raised by <@{raiser}> · owner {owner_name}"
    return who if data["status"] == "dropped" else f"{who} · counted in the next review"


def idea_posted(data: dict[str, Any]) -> dict[str, Any]:
    """The idea's message in the shared channel, updated in place as its status changes."""
    icon = ICONS.get(data["status"], ":bulb:")
    head = f"{icon} *Idea #{data['number']}* from *{escape(data['party'])}*: {escape(data['title'])}"
    blocks: list[Block] = [*sections([head, f"*Status*: {_status(data)}", *_benefits(data)]),
                           context(_people(data))]
    buttons = _buttons(data)
    if buttons:
        blocks.append(actions_block(buttons))
    status = STATUS_WORDS.get(data["status"], data["status"])
    return {"text": f"Idea #{data['number']} ({data['party']}, {status}): {data['title']}"[:3000], "blocks": blocks}


def idea_list(ideas: list[dict[str, Any]], total: int) -> dict[str, Any]:
    """`/accord ideas`: the improvement log, privately."""
    if not ideas:
        return {"response_type": "ephemeral", "text": "No ideas yet: raise one with `/accord idea <text>`, "
                                                      "`@accord idea <text>`, or the message shortcut "
                                                      "*Log as improvement*."}
    lines = [f"*Improvement log* ({total})"]
    if total > len(ideas):
        lines.append(f"_The latest {len(ideas)} of {total}._")
    for data in ideas:
        lines.append(f"{ICONS.get(data['status'], ':bulb:')} #{data['number']} {escape(data['title'])} · "
                     f"{escape(data['party'])} · {STATUS_WORDS.get(data['status'], data['status'])} · "
                     f"owner <@{data['owner']}>")
    return {"response_type": "ephemeral", "text": f"Improvement log ({total})", "blocks": sections(lines)}


def done(number: int, status: str) -> str:
    """The private confirmation of a change."""
    if status == "proposed":
        return f"Idea #{number} is logged and posted to the channel for the other party to agree."
    return f"Idea #{number} is {STATUS_WORDS.get(status, status)}: its message in the channel shows it."


def review_line(ideas: dict[str, Any]) -> str:
    """The review's line: each party's ideas (by who raised them) raised, agreed and delivered in the period."""
    def side(p: dict[str, Any]) -> str:
        counts = f"{p['raised']} raised, {p['agreed']} agreed, {p['delivered']} delivered" \
            if p["raised"] or p["agreed"] or p["delivered"] else "none"
        return f"{escape(possessive(p['name']))} ideas: {counts}"

    return "*Improvement*: " + "; ".join(side(p) for p in ideas["parties"])
