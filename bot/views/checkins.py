"""Check-in messages and modals: the prompt, the answer form, the settings form, the summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act, Callback
from bot.views.blocks import Block, context, escape, possessive, section, sections
from bot.views.inputs import modal, option, select, text_input
from bot.views.rmp import RAG_EMOJI, actions_block, button
from commands.checkins.answers import CheckinForm
from commands.checkins.settings import SettingsInput

MAX_KPIS_IN_FORM = 80


def _local(moment: str | datetime, tz: str) -> str:
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M") + f" ({tz})"


def prompt(data: dict[str, Any]) -> dict[str, Any]:
    """The DM that invites a participant (or reminds them) to answer a round."""
    closes = _local(data["closes_at"], data["timezone"])
    head = "Reminder: you have not answered" if data["reminder"] else "Time for"
    text = f"{head} check-in round {data['number']} of *{escape(data['relationship'])}*. It closes {closes}."
    return {"text": text, "blocks": [
        section(text),
        context("Only summaries per party are shared, and only when enough people of a party answer."),
        actions_block([button("Answer the check-in", Act.CHECKIN_OPEN,
                              {"channel": data["channel"], "round": data["round_id"]}, style="primary")]),
    ]}


def answer_modal(form: CheckinForm, *, channel: str) -> dict[str, Any]:
    """The check-in form: the party's KPIs, each statement rated, a comment; filled with an earlier answer."""
    previous = form.previous
    blocks: list[Block] = [context(f"Round {form.round.number} · closes "
                                   f"{_local(form.round.closes_at, form.relationship.timezone)}")]
    for kpi in form.kpis[:MAX_KPIS_IN_FORM]:
        better = "higher" if kpi.direction == "higher" else "lower"
        initial = previous.kpi_values.get(str(kpi.number)) if previous else None
        blocks.append(text_input(f"kpi_{kpi.number}", f"{kpi.name}" + (f" ({kpi.unit})" if kpi.unit else ""),
                                 initial="" if initial is None else f"{initial:g}", optional=True, max_length=30,
                                 hint=f"Target {kpi.target:g}{kpi.unit and ' ' + kpi.unit}; {better} is better"))
    scale = [option(str(n), str(n)) for n in range(1, form.round.scale + 1)]
    for index, statement in enumerate(form.round.statements):
        initial = str(previous.ratings[index]) if previous and index < len(previous.ratings) else None
        blocks.append(select(f"stmt_{index}", statement, scale, initial=initial,
                             hint=f"1 = strongly disagree, {form.round.scale} = strongly agree"))
    blocks.append(text_input("comment", "Anything else?", initial=previous.comment if previous else "",
                             multiline=True, optional=True, max_length=2000,
                             hint="Never posted as yours: it stays with this check-in."))
    return modal(Callback.CHECKIN_ANSWER, f"Check-in round {form.round.number}", blocks,
                 metadata={"channel": channel, "round": form.round.id}, submit="Send")


def settings_modal(form: SettingsInput, *, channel: str) -> dict[str, Any]:
    """The check-in settings form."""
    return modal(Callback.CHECKIN_SETTINGS, "Check-in settings", [
        text_input("statements", "Statements rated each round", initial=form.statements, multiline=True,
                   hint="One per line"),
        select("scale", "Scale", [option(str(n), f"1 to {n}") for n in (3, 4, 5, 7, 10)], initial=form.scale),
        text_input("window_days", "Answers taken for (working days)", initial=form.window_days, max_length=2),
        text_input("reminders", "Reminders to those who have not answered", initial=form.reminders, max_length=1),
        text_input("min_respondents", "Show a party's scores from this many answers", initial=form.min_respondents,
                   max_length=2),
        text_input("gap_threshold", "Flag a gap between the parties from", initial=form.gap_threshold, max_length=4,
                   hint="Points on a 5-point scale"),
    ], metadata={"channel": channel})


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _kpi_line(kpi: dict[str, Any]) -> str:
    unit = f" {escape(kpi['unit'])}" if kpi["unit"] else ""
    value = "no value" if kpi["value"] is None else f"{kpi['value']:g}{unit}"
    trend = " → ".join(f"{v:g}" for v in kpi["history"]) or "–"
    return f"{RAG_EMOJI[kpi['rag']]} *#{kpi['number']} {escape(kpi['name'])}*: {value} " \
           f"(target {kpi['target']:g}{unit}) · trend {trend}"


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """The round's summary for the shared channel (no individual answer appears in it)."""
    parties = data["parties"]
    lines = ["*Participation*: " + " · ".join(f"{escape(p['name'])} {p['answered']} of {p['invited']}"
                                                for p in parties)]
    for party in parties:
        if party["withheld"]:
            lines.append(f"_{escape(possessive(party['name']))} scores are withheld: fewer than "
                         f"{data['min_respondents']} answered._")
    kpis = [_kpi_line(k) for k in data["kpis"]]
    names = " / ".join(escape(p["name"]) for p in parties)
    statements = []
    for index, statement in enumerate(data["statements"]):
        means = " / ".join(_fmt(p["means"][index]) for p in parties)
        gap = data["gaps"][index]
        flag = f" :warning: *gap {gap:.2f}*" if data["flagged"][index] else (f" · gap {gap:.2f}" if gap is not None
                                                                              else "")
        statements.append(f"{escape(statement)}: {means}{flag}")
    changes = [f"{escape(c['party'])} · {escape(c['statement'])}: {c['before']:.2f} → {c['after']:.2f} "
               f"({c['change']:+.2f})" for c in data["changes"]] or ["_No earlier round to compare with._"]
    flagged = sum(data["flagged"])
    text = f"Check-in round {data['round_number']} of {data['relationship']}: summary" + \
        (f", {flagged} perception gap{'s' if flagged != 1 else ''} flagged" if flagged else "")
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text",
                                                       "text": f"Check-in round {data['round_number']} summary"[:150]}}]
    blocks += sections(lines)
    blocks += sections(["*KPIs*", *(kpis or ["_No KPIs._"])])
    blocks += sections([f"*Behaviours and trust* (means out of {data['scale']}: {names})", *statements])
    blocks += sections(["*Largest changes since the last round*", *changes])
    blocks.append(context(f"A gap of {data['gap_threshold']:g} or more (on a 5-point scale) is flagged. "
                          "Individual ratings and comments are never shown."))
    return {"text": text, "blocks": blocks[:50]}


def exit_warning(data: dict[str, Any]) -> dict[str, Any]:
    """An exit trigger fired: the SERs of both parties are told."""
    sers = " ".join(f"<@{u}>" for u in data["sers"]) or "SERs"
    text = f"Exit trigger #{data['number']} fired: {data['reason']}"
    return {"text": text, "blocks": [
        section(f":rotating_light: {sers}: exit trigger *#{data['number']}* {escape(data['description'])} has "
                f"fired ({escape(data['reason'])}). Review the exit strategy together."),
    ]}
