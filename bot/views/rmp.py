"""Messages of the plan: welcome, status, people, history, saved, cannot-complete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act
from bot.views.blocks import Block, context, escape, possessive, section, sections
from commands.rmp.access import ACTORS, EDITORS
from commands.rmp.exits import KIND_LABELS
from commands.rmp.history import History
from commands.rmp.people import ROLE_NAMES, PeopleList
from commands.rmp.risks import score
from commands.rmp.status import KpiLine, Status
from storage.rmp import Objective

RAG_EMOJI = {
    "green": ":large_green_circle:", "amber": ":large_orange_circle:", "red": ":red_circle:", None: ":white_circle:",
}
TREND = {"up": "↑", "down": "↓", "flat": "→", None: ""}
SHOWN = 8  # items listed per kind before "and N more"
OBJECTIVE_STATUS = {"at_risk": ":warning: *at risk*", "failing": ":rotating_light: *failing*"}  # else as stored


MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's value, in characters
MIN_KEPT = 100  # strings this short are ids, timestamps and names: never shortened to fit a button value


def _capped(value: Any, most: int) -> Any:
    """`value` with every string in it (not the keys) cut to at most `most` characters."""
    if isinstance(value, str):
        return value[:most]
    if isinstance(value, dict):
        return {k: _capped(v, most) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_capped(v, most) for v in value]
    return value


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def button_value(value: dict[str, Any]) -> str:
    """`value` as JSON within Slack's 2,000 characters. The longest strings (free text such as a mention's rest)
    are shortened, by whole characters before encoding, until it fits: the JSON is never cut mid-escape.
    Strings of at most MIN_KEPT characters are never shortened: a value that cannot fit without shortening one
    raises ValueError rather than carry a wrong id."""
    encoded = json.dumps(value)
    if len(encoded) <= MAX_BUTTON_VALUE:
        return encoded
    lengths = [len(s) for s in _strings(value)]
    low, high = 0, max(lengths, default=0)  # the longest cap on the strings that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps(_capped(value, middle))) <= MAX_BUTTON_VALUE:
            low = middle
        else:
            high = middle - 1
    encoded = json.dumps(_capped(value, low))
    if len(encoded) > MAX_BUTTON_VALUE or any(low < n <= MIN_KEPT for n in lengths):
        raise ValueError(f"a button value cannot fit in {MAX_BUTTON_VALUE} characters: {encoded[:80]}…")
    return encoded


def button(text: str, action_id: str, value: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    """A button whose value carries JSON (channel, form, number), shortened to fit (see button_value)."""
    element: dict[str, Any] = {"type": "button", "text": {"type": "plain_text", "text": text[:75]},
                               "action_id": action_id, "value": button_value(value)}
    if style:
        element["style"] = style
    return element


def actions_block(elements: list[dict[str, Any]], block_id: str | None = None) -> Block:
    """A row of at most 25 buttons."""
    block: Block = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


PLAN_FORMS = [("Add KPI", "kpi"), ("Add risk", "risk"), ("Add action", "action"), ("Add objective", "objective"),
              ("Add exit trigger", "exit"), ("Add service level", "service_level"), ("Commit a resource", "commit")]


def form_buttons(channel: str, role: str | None = None) -> list[Block]:
    """Buttons that open the forms `role` may use (they work for the partner's people without /accord): the plan's
    for SERs and managers, "Record a win" for all but observers; none for an observer (no role: all)."""
    forms = PLAN_FORMS if role is None or role in EDITORS else []
    forms = forms + [("Record a win", "win")] if role is None or role in ACTORS else forms
    forms = forms + [("Log an idea", "idea")] if role is None or role in ACTORS else forms  # bot.views.ideas
    return [actions_block([button(text, f"{Act.OPEN_FORM}:{form}", {"channel": channel, "form": form})
                           for text, form in forms])] if forms else []


def welcome(data: dict[str, Any]) -> dict[str, Any]:
    """Posted when a relationship is created: what it is, and a Join button for both parties."""
    one, two = (escape(p) for p in data["parties"])
    how = ("Each of you joins as your own organisation with the button below (or `@accord join`)."
           if data["mode"] == "connect" else "Managers add people with `/accord party add @person <party>`.")
    return {
        "text": f"Accord is set up for {escape(data['name'])}: {one} and {two}.",
        "blocks": [
            section(f":handshake: *{escape(data['name'])}* is now run with Accord: *{one}* and *{two}*.\n{how}"),
            context(f"Set up by <@{data['by']}> · " + " · ".join(escape(c) for c in data.get("calendars", []))),
            actions_block([button("Join", Act.JOIN, {"channel": data["channel"]}, style="primary"),
                           button("Status", Act.STATUS, {"channel": data["channel"]})]),
        ],
    }


def _when(moment: datetime | None, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %d %b %Y %H:%M") + f" {tz}" if moment else "not scheduled"


def _kpi(line: KpiLine) -> str:
    unit = f" {escape(line.unit)}" if line.unit else ""
    value = f"{line.value:g}{unit}" if line.value is not None else "no value yet"
    better = "≥" if line.direction == "higher" else "≤"
    return f"{RAG_EMOJI[line.rag]} *#{line.number} {escape(line.name)}*: {value} {TREND[line.trend]} " \
           f"(target {better} {line.target:g}{unit})"


def _more(lines: list[str], total: int, what: str) -> list[str]:
    return lines + ([f"_…and {total - SHOWN} more {what}_"] if total > SHOWN else [])


def status_blocks(status: Status, *, buttons: bool = True, role: str | None = None) -> list[Block]:
    """The relationship at a glance, within Slack's limits (at most ~20 blocks); with `buttons`, those of the forms
    the viewer's `role` may use."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": status.name[:150]}},
        context(f"{escape(' · '.join(status.parties))} · plan version {status.version} · "
                f"today {status.today.isoformat()} ({status.timezone})"),
    ]
    from bot.views.charter import status_line  # it builds on this module's buttons: imported when used

    blocks += status_line(status.charter)
    kpis = [_kpi(line) for line in status.kpis[:SHOWN]] or ["_No KPIs yet._"]
    blocks += sections(["*KPIs*", *_more(kpis, len(status.kpis), "KPIs")])
    from bot.views import promises  # it builds on this module's buttons: imported when used

    blocks += sections(promises.status_lines(status.service_levels[:SHOWN], status.commitments))
    actions = [f"{':warning: *overdue* ' if a.number in status.overdue else ''}*#{a.number}* "
               f"{escape(a.description)} · <@{a.owner_user_id}> · due {a.due_on.isoformat()}"
               for a in status.actions[:SHOWN]] or ["_No open actions._"]
    blocks += sections([f"*Open actions* ({len(status.actions)}, {len(status.overdue)} overdue)",
                        *_more(actions, len(status.actions), "actions")])
    risks = [f"*{score(r)}* · #{r.number} {escape(r.description)} · <@{r.owner_user_id}> · {r.status}"
             for r in status.risks[:SHOWN]] or ["_No open risks._"]
    blocks += sections(["*Risks by score*", *_more(risks, len(status.risks), "risks")])
    def whose(objective: Objective, kind: str) -> str:  # a public post speaks to both parties: by name
        if buttons or objective.party_slot is None:
            return kind
        return f"{possessive(status.parties[objective.party_slot - 1])} own"

    objectives = [f"*{escape(whose(o, kind))}* · #{o.number} {escape(o.title)} · "
                  f"{OBJECTIVE_STATUS.get(o.status, o.status)}"
                  for o, kind in status.objectives[:SHOWN]]
    blocks += sections(["*Objectives*", *_more(objectives or ["_No objectives yet._"], len(status.objectives),
                                               "objectives")])
    exits = [f"{':rotating_light:' if state == 'triggered' else ':white_check_mark:'} #{t.number} "
             f"{escape(t.description)} ({KIND_LABELS[t.kind].lower()}) · {state}" for t, state in status.exits[:SHOWN]]
    reviewed = status.exit_reviewed_on.isoformat() if status.exit_reviewed_on else "never"
    blocks += sections([f"*Exit strategy* (last reviewed {reviewed})",
                        *_more(exits or ["_No exit triggers yet._"], len(status.exits), "triggers")])
    from bot.views import disputes, rounds  # they build on this module's buttons: imported when used

    # in a post to the channel (no buttons) the holders are named, not mentioned: a mention would notify them
    open_disputes = [disputes.status_line(d, timezone=status.timezone, mentions=buttons)
                     for d in status.open_disputes[:SHOWN]] or ["_No open disputes._"]
    blocks += sections(["*Disputes*", *_more(open_disputes, len(status.open_disputes), "disputes")])
    blocks += sections(rounds.status_lines(status.checkin, timezone=status.timezone))
    blocks.append(context(f"Next check-in {_when(status.next_checkin, status.timezone)} · "
                          f"next review {_when(status.next_review, status.timezone)}"
                          + (f" · last review {status.last_review}" if status.last_review else "")))
    if buttons:
        blocks += form_buttons(status.channel_id, role)
    return blocks


def status_message(status: Status, *, public: bool, role: str | None = None) -> dict[str, Any]:
    """`/accord status` (ephemeral, with the buttons of the forms the viewer's `role` may use) or
    `/accord status public` (in the channel)."""
    return {"response_type": "in_channel" if public else "ephemeral", "text": f"{status.name}: status",
            "blocks": status_blocks(status, buttons=not public, role=role)}


def people_message(people: PeopleList) -> dict[str, Any]:
    """Both parties' people by role."""
    lines = [f"*{escape(people.relationship)}*: people by role"]
    for party, by_role in people.parties:
        lines.append(f"\n*{escape(party)}*")
        for role, users in by_role.items():
            if users:
                lines.append(f"{ROLE_NAMES[role]}: {', '.join(f'<@{u}>' for u in users)}")
        if not any(by_role.values()):
            lines.append("_Nobody yet._")
    return {"response_type": "ephemeral", "text": "\n".join(lines), "blocks": sections(lines)}


def change_line(version: int, at: datetime, text: str, *, timezone: str) -> str:
    """A change of the plan in one line: version, when (in the channel's time zone), and the change in words."""
    when = at.astimezone(ZoneInfo(timezone)).strftime("%-d %b %H:%M")
    return f"v{version} · {when} · {escape(text)}"[:600]


def history_message(history: History) -> dict[str, Any]:
    """The latest changes, newest first, each in one sentence."""
    lines = [f"*{escape(history.name)}*: plan version {history.version}, latest changes "
             f"(times in {history.timezone})"]
    lines += [change_line(entry.version, entry.at, entry.text, timezone=history.timezone)
              for entry in history.entries] or ["_No changes yet._"]
    return {"response_type": "ephemeral", "text": lines[0], "blocks": sections(lines)}


def cannot_complete(data: dict[str, Any]) -> dict[str, Any]:
    """Posted to the channel: an action cannot be completed, the partner's managers mentioned."""
    notify = " ".join(f"<@{u}>" for u in data["notify"]) or "Partner managers"
    return {
        "text": f"Action #{data['number']} cannot be completed: {escape(data['reason'])}",
        "blocks": [
            section(f":warning: {notify}: <@{data['by']}> ({escape(data['party'])}) cannot complete action "
                    f"*#{data['number']}* {escape(data['description'])}"),
            section(f"*Reason:* {escape(data['reason'])}"),
        ],
    }


def saved(text: str) -> dict[str, Any]:
    """A short ephemeral confirmation."""
    return {"response_type": "ephemeral", "text": text}
