"""A round's one message in the shared channel (open with counts, then its summary), the details and shared
comments in its thread, and the closed notice a prompt DM becomes. Nobody is named: counts per party only."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act, CheckinAct
from bot.views.blocks import Block, context, escape, possessive, section, sections
from bot.views.rmp import RAG_EMOJI, actions_block, button
from commands.wording import plural, score

NOTE = "Figures per party only, each from at least 3 people; nobody is named, individual ratings are never shown."


def _local(moment: str, tz: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M")


def _counts(party: dict[str, Any]) -> str:
    asked = party["asked"] if "asked" in party else party["invited"]  # a summary calls them invited
    out = [f"{party['answered']} of {asked}"]
    out += [f"{party[k]} {k}" for k in ("skipped", "away") if party.get(k)]
    return f"{escape(party['name'])} {', '.join(out)}"


def _fmt(value: float | None) -> str:
    return score(value)


def _pooled(rounds: list[int]) -> str:
    return f" (rounds {rounds[0]}–{rounds[-1]} pooled)" if len(rounds) > 1 else ""


def round_message(data: dict[str, Any]) -> dict[str, Any]:
    """The round's message: while open, its window, counts and the Answer button; once closed, its summary."""
    if data["state"] == "closed":
        return _closed(data)
    tz = data["timezone"]
    value = {"channel": data["channel"], "round": data["round_id"]}
    counts = counts_line(data["parties"])
    text = f"Check-in round {data['number']} of {data['relationship']} is open until " \
           f"{_local(data['closes_at'], tz)} ({tz})."
    return {"text": text, "blocks": [
        section(f":clipboard: *Check-in round {data['number']}* of *{escape(data['relationship'])}*: open "
                f"{_local(data['opens_at'], tz)} to {_local(data['closes_at'], tz)} ({tz})."),
        section(f"*Answered so far*: {counts}"),
        actions_block([button("Answer the check-in", Act.CHECKIN_OPEN, value, style="primary"),
                       button("I'm away…", CheckinAct.AWAY, value)]),
        context(NOTE),
    ]}


def counts_line(parties: list[dict[str, Any]]) -> str:
    """`Northwind 3 of 3 · Southwind 1 of 3, 1 away`: counts per party, nobody named."""
    return " · ".join(_counts(p) for p in parties)


def participation(figures: dict[str, Any]) -> list[str]:
    """A closed round's counts per party, and which party's scores are withheld (under the threshold)."""
    lines = [f"*Participation*: {counts_line(figures['parties'])}"]
    for party in figures["parties"]:
        if party["withheld"]:
            lines.append(f"_{escape(possessive(party['name']))} scores are withheld this round: they are shown once "
                         f"{figures['min_respondents']} or more people of {escape(party['name'])} have answered "
                         "(pooled with the next rounds if need be)._")
    return lines


def statement_lines(figures: dict[str, Any]) -> list[str]:
    """The heading, then each statement's published means per party (– where withheld) and the gap."""
    parties = figures["parties"]
    names = " / ".join(escape(p["name"]) + _pooled(p["rounds"]) for p in parties)
    lines = [f"*Behaviours and trust* (means out of {figures['scale']}: {names})"]
    for index, statement in enumerate(figures["statements"]):
        means = " / ".join(_fmt(p["means"][index]) for p in parties)
        gap = figures["gaps"][index]
        flag = f" :warning: *gap {score(gap)}*" if figures["flagged"][index] else (
            f" · gap {score(gap)}" if gap is not None else "")
        lines.append(f"{escape(statement)}: {means}{flag}")
    return lines


def status_lines(checkin: Any, *, timezone: str) -> list[str]:
    """The latest round in the status (times in `timezone`, the viewer's): while open, its answered counts per
    party as its message shows them; once closed, the figures its close published, withheld ones included as
    withheld. `checkin` is a commands.rmp.status.CheckinLine, or None before the first round."""
    if checkin is None:
        return ["*Latest check-in*", "_No check-in round yet._"]
    if checkin.state == "open":
        lines = [f"*Latest check-in*: round {checkin.number}, open until "
                 f"{_local(checkin.closes_at.isoformat(), timezone)} ({timezone})",
                 f"Answered so far: {counts_line(checkin.counts)}", "_No figures yet: they are published when the "
                 "round closes._"]
        if checkin.previous is None:
            return lines
        return [*lines[:2], "_Its figures are published when it closes; until then the last closed round's:_",
                *_closed_lines(checkin.previous, timezone, "Last closed check-in")]
    return _closed_lines(checkin, timezone, "Latest check-in")


def _closed_lines(checkin: Any, timezone: str, label: str) -> list[str]:
    head = f"*{label}*: round {checkin.number}, closed {_local(checkin.closes_at.isoformat(), timezone)} " \
           f"({timezone})"
    if checkin.nobody:
        return [head, f"_Nobody answered: no figures this round._ ({counts_line(checkin.figures['parties'])})"]
    return [head, *participation(checkin.figures), *statement_lines(checkin.figures)]


def _closed(data: dict[str, Any]) -> dict[str, Any]:
    tz, figures = data["timezone"], data["summary"]
    head = f"Check-in round {data['number']} of {data['relationship']} closed {_local(data['closes_at'], tz)}"
    if data["nobody"]:
        text = f"{head}: nobody answered."
        return {"text": text, "blocks": [section(f":clipboard: *{escape(text)}* No figures this round."),
                                         context(counts_line(figures["parties"]))]}
    lines, statements = participation(figures), statement_lines(figures)
    flagged = sum(figures["flagged"])
    text = f"{head}: summary" + (f", {plural(flagged, 'perception gap')} flagged" if flagged
                                 else "")
    blocks: list[Block] = [section(f":clipboard: *Check-in round {data['number']}* of "
                                   f"*{escape(data['relationship'])}*: closed {_local(data['closes_at'], tz)}.")]
    blocks += sections(lines)
    blocks += sections(statements)
    blocks.append(actions_block([button("Comments for my organisation", CheckinAct.COMMENTS,
                                        {"channel": data["channel"], "round": data["round_id"]})]))
    blocks.append(context(f"KPIs and changes since the last round are in the thread. A gap of "
                          f"{score(figures['gap_threshold'])} or more (on a 5-point scale) is flagged. {NOTE}"))
    return {"text": text, "blocks": blocks[:50]}


def _kpi_line(kpi: dict[str, Any]) -> str:
    unit = f" {escape(kpi['unit'])}" if kpi["unit"] else ""
    value = "no value" if kpi["value"] is None else f"{kpi['value']:g}{unit}"
    trend = " → ".join(f"{v:g}" for v in kpi["history"]) or "–"
    return f"{RAG_EMOJI[kpi['rag']]} *#{kpi['number']} {escape(kpi['name'])}*: {value} " \
           f"(target {kpi['target']:g}{unit}) · trend {trend}"


def details(data: dict[str, Any]) -> dict[str, Any]:
    """The round's details, in its thread: KPIs and the largest changes since each party's last figures."""
    kpis = [_kpi_line(k) for k in data["kpis"]]
    changes = [f"{escape(c['party'])} · {escape(c['statement'])}: {score(c['before'])} → {score(c['after'])} "
               f"({'+' if c['change'] >= 0 else '-'}{score(abs(c['change']))})"
               for c in data["changes"]] or ["_No earlier figures to compare with._"]
    text = f"Check-in round {data['round_number']} of {data['relationship']}: KPIs and changes"
    blocks = sections(["*KPIs*", *(kpis or ["_No KPIs._"])])
    blocks += sections(["*Largest changes since the last figures*", *changes])
    return {"text": text, "blocks": blocks[:50]}


summary = details  # outbox rows queued as "checkin_summary" by earlier versions


def comments(data: dict[str, Any]) -> dict[str, Any]:
    """Comments of one party, without names, sorted: shared with the partner in the thread, or shown privately
    to the party's SERs and managers."""
    party = escape(data["party"])
    if data.get("shared"):
        head = f"Comments {party} shared with {escape(data['partner'])} (round {data['number']}, without names)"
    else:
        head = f"{possessive(party)} comments in round {data['number']} (without names; only your SERs and " \
               "managers see these)"
    items = [f"• {escape(c)}" for c in data["comments"]]
    if not items:
        enough = data.get("answered") is None or data["answered"] >= data["threshold"]
        items = ["_No comments to show._"] if enough else [
            f"_Comments are shown once {data['threshold']} or more of {party} answered._"]
    return {"text": head, "blocks": sections([f"*{head}*", *items])[:50]}


def closed_notice(data: dict[str, Any]) -> dict[str, Any]:
    """A prompt DM once its round closed: no stale button; for an SER or manager, their party's comments."""
    text = f"Check-in round {data['number']} of {data['relationship']} has closed; its summary is in the channel."
    blocks: list[Block] = [section(escape(text))]
    if data.get("lead"):
        blocks += comments(data)["blocks"]
    return {"text": text, "blocks": blocks[:50]}
