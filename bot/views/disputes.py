"""Dispute messages and modals: the root that shows the state, thread replies, and the forms."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Callback, DisputeAct
from bot.views.blocks import Block, context, escape, section, sections
from bot.views.inputs import modal, option, select, text_input
from bot.views.rmp import actions_block, button
from commands.wording import plural, working_days_left

SEVERITY = {"low": ":large_blue_circle:", "medium": ":large_yellow_circle:", "high": ":large_orange_circle:",
            "critical": ":red_circle:"}


def _local(moment: str | None, tz: str) -> str:
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M") + f" ({tz})"


def _mentions(users: list[str]) -> str:
    return " ".join(f"<@{u}>" for u in users)


def _people(users: list[str]) -> str:
    return plural(len(users), "person") if users else "_nobody_"


def _evidence(data: dict[str, Any]) -> str:
    if not data.get("evidence_channel") or not data.get("evidence_ts"):
        return ""
    ts = str(data["evidence_ts"]).replace(".", "")
    return f" · <https://slack.com/archives/{data['evidence_channel']}/p{ts}|evidence>"


def root(data: dict[str, Any]) -> dict[str, Any]:
    """The dispute's root message: its state, and what each side can do."""
    # a new post names the holders without mentioning them (its thread mentions each in their working hours);
    # the updates in place, which notify nobody, show who they are
    show = _mentions if data.get("mentions", True) else _people
    holders = " · ".join(f"{escape(party)}: {show(users) or '_nobody_'}" for party, users in data["holders"].items())
    if data["status"] == "resolved":
        clock = "resolved"
    elif data["status"] == "paused":
        clock = ":pause_button: paused"
    elif data["due_at"] is None:
        clock = "no timer at the last level"
    else:
        clock = f"{working_days_left(data['days_left'])}, escalates {_local(data['due_at'], data['timezone'])}"
    blocks: list[Block] = [
        section(f"{SEVERITY.get(data['severity'], '')} *Dispute #{data['number']}: {escape(data['title'])}*\n"
                f"{escape(data['description'][:1500])}"),
        section(f"*Status:* {data['status']} · *Level:* L{data['level']} of {data['levels']} "
                f"{escape(data['level_name'])}\n*Held by:* {holders}\n*Clock:* {clock}"),
        context(f"Raised by <@{data['raised_by']}> for {escape(data['raising_party'])} · severity {data['severity']}"
                + (f" · wants: {escape(data['desired_outcome'][:300])}" if data["desired_outcome"] else "")
                + _evidence(data)),
    ]
    if data["status"] != "resolved":
        value = {"channel": data["channel"], "number": data["number"]}
        pause = button("Resume", DisputeAct.RESUME, value) if data["status"] == "paused" else \
            button("Pause (SERs)", DisputeAct.PAUSE, value)
        blocks.append(actions_block([
            button("Escalate now", DisputeAct.ESCALATE, value, style="danger"),
            button("Propose resolution", DisputeAct.PROPOSE, value, style="primary"), pause,
            button("Add note", DisputeAct.NOTE, value),
        ]))
    if data["status"] == "resolved":
        blocks.append(section(f"*Resolution:* {escape((data['resolution'] or '')[:1400])}"))
        blocks.append(section(f"*Lessons learned:* {escape((data['lessons'] or '')[:1400])}"))
    return {"text": f"Dispute #{data['number']}: {escape(data['title'])} ({data['status']}, L{data['level']})",
            "blocks": blocks}


EVENT_TEXT = {
    "raised": ":scales: <@{user}> ({party}) raised this dispute at {level}.",
    "escalated": ":arrow_up: Escalated to {level}: {reason}.",
    "warning": ":hourglass_flowing_sand: 75% of the time at {level} has gone: it escalates {due}.",
    "paused": ":pause_button: <@{user}> ({party}) paused the clock: {reason}.",
    "resumed": ":arrow_forward: <@{user}> ({party}) resumed the clock.",
    "proposed": ":handshake: <@{user}> ({party}) proposes: {resolution}",
    "rejected": ":x: <@{user}> ({party}) rejected the proposal. {reason}",
    "note": ":memo: <@{user}> ({party}): {note}",
    "resolved": ":white_check_mark: <@{user}> ({party}) accepted. Resolved: {resolution}\n*Lessons learned:* {lessons}",
}


def event(data: dict[str, Any]) -> dict[str, Any]:
    """A reply in the dispute's thread for one state change."""
    detail = {key: escape(str(value)[:1200]) if value is not None else "" for key, value in data["detail"].items()}
    if data["kind"] == "warning":
        detail["due"] = _local(data["detail"].get("due_at"), data["detail"].get("timezone") or "UTC")
    line = EVENT_TEXT[data["kind"]].format(user=data["user"], party=escape(data["party"]), **{
        "level": "", "reason": "", "resolution": "", "note": "", "lessons": "", "due": "", **detail})
    if data["mention"]:
        line += " " + _mentions(data["mention"])
    blocks: list[Block] = sections(line.split("\n"))
    if data["buttons"]:  # Accept names this proposal: a newer one is never accepted by an older button
        value = {"channel": data["channel"], "number": data["number"], "proposal": data.get("event")}
        blocks.append(actions_block([button("Accept", DisputeAct.ACCEPT, value, style="primary"),
                                     button("Reject", DisputeAct.REJECT, value)]))
    return {"text": line, "blocks": blocks}


def linked(data: dict[str, Any]) -> dict[str, Any]:
    """In the thread a dispute was raised from: where to follow it."""
    text = f":scales: Raised as dispute #{data['number']} ({escape(data['title'])}); follow it in its own thread " \
           f"in <#{data['channel']}>."
    return {"text": text}


def closed(data: dict[str, Any]) -> dict[str, Any]:
    """Posted to the channel when a dispute is resolved by both sides."""
    text = f":white_check_mark: Dispute #{data['number']} *{escape(data['title'])}* is resolved at L{data['level']} " \
           f"{escape(data['level_name'])}."
    return {"text": text, "blocks": [section(text),
                                     section(f"*Resolution:* {escape((data['resolution'] or '')[:1400])}"),
                                     section(f"*Lessons learned:* {escape((data['lessons'] or '')[:1400])}")]}


def raise_modal(parties: list[tuple[int, str]], my_slot: int, metadata: dict[str, Any]) -> dict[str, Any]:
    """The raise form."""
    return modal(Callback.DISPUTE_RAISE, "Raise a dispute", [
        text_input("title", "Title", max_length=150),
        text_input("description", "What is the issue?", multiline=True, max_length=3000),
        select("raising_slot", "Raised by", [option(str(slot), name) for slot, name in parties],
               initial=str(my_slot)),
        select("severity", "Severity", [option(s, s.title()) for s in SEVERITY], initial="medium"),
        text_input("desired_outcome", "The outcome you want", multiline=True, optional=True, max_length=1000),
    ], metadata=metadata, submit="Raise")


def text_modal(callback_id: str, title: str, field: str, label: str, *, metadata: dict[str, Any],
               optional: bool = False, submit: str = "Send") -> dict[str, Any]:
    """A one-field form (a reason, a note, a resolution, lessons learned)."""
    return modal(callback_id, title, [text_input(field, label, multiline=True, optional=optional, max_length=2000)],
                 metadata=metadata, submit=submit)


def _left(dispute: Any) -> str:
    if dispute.status == "paused":
        return "paused"
    return "no timer" if dispute.days_left is None else working_days_left(dispute.days_left)


def _held_by(holders: list[Any], mentions: bool) -> str:
    if mentions:  # a message only the viewer sees, or their App Home: mentions notify nobody there
        return ", ".join(f"<@{h.user_id}>" for h in holders)
    named = [escape(h.name) for h in holders if h.name]  # a post in the channel names them without a mention
    others = len(holders) - len(named)
    if others:
        named.append(f"{others} {'more ' if named else ''}{'person' if others == 1 else 'people'}")
    return ", ".join(named)


def status_line(dispute: Any, *, timezone: str, mentions: bool) -> str:
    """A dispute in the status: level, who holds it there per party, and the time left before it escalates
    (shown in `timezone`, the viewer's). `dispute` is a commands.rmp.status.DisputeLine."""
    holders = " · ".join(f"{escape(party)}: {_held_by(people, mentions) or '_nobody_'}"
                         for party, people in dispute.holders)
    if dispute.status == "paused":
        clock = ":pause_button: paused"
    elif dispute.due_at is None:
        clock = "no timer at the last level"
    else:
        clock = f"{working_days_left(dispute.days_left)}, escalates {_local(dispute.due_at.isoformat(), timezone)}"
    return (f"{SEVERITY.get(dispute.severity, '')} *#{dispute.number} {escape(dispute.title)}* · "
            f"L{dispute.level} of {dispute.levels} {escape(dispute.level_name)} · held by {holders} · {clock}")


def open_list(disputes: list[Any]) -> dict[str, Any]:
    """`/accord disputes`."""
    lines = ["*Open disputes*"] + [f"#{d.number} {escape(d.title)} · {escape(d.level)} · {_left(d)}" for d in disputes]
    if not disputes:
        lines.append("_No open disputes._")
    return {"response_type": "ephemeral", "text": "\n".join(lines)}
