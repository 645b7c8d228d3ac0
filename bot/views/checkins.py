"""Check-in messages and modals: the prompt, the answer, away and settings forms, the exit warning."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act, Callback, CheckinAct
from bot.views.blocks import Block, context, escape, possessive, section
from bot.views.inputs import checkboxes, date_picker, modal, option, select, text_input
from bot.views.rmp import actions_block, button
from commands.checkins.answers import CheckinForm
from commands.checkins.settings import SettingsInput

MAX_KPIS_IN_FORM = 80


def _local(moment: str | datetime, tz: str) -> str:
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(ZoneInfo(tz)).strftime("%a %d %b %H:%M") + f" ({tz})"


def prompt(data: dict[str, Any]) -> dict[str, Any]:
    """The message (a DM, or one only they see in the shared channel) that invites a participant to answer
    a round, or reminds them: with the choices not to answer now."""
    closes = _local(data["closes_at"], data["timezone"])
    head = "Reminder: check-in round" if data["reminder"] else "Time for check-in round"
    text = f"{head} {data['number']} of *{escape(data['relationship'])}*. It closes {closes}."
    value = {"channel": data["channel"], "round": data["round_id"]}
    return {"text": text, "blocks": [
        section(text),
        context("Only figures per party are shared, and only from at least 3 people of a party. Nobody is named "
                "for not answering."),
        actions_block([button("Answer the check-in", Act.CHECKIN_OPEN, value, style="primary"),
                       button("Skip this round", CheckinAct.SKIP, value),
                       button("Remind me tomorrow", CheckinAct.REMIND_TOMORROW, value),
                       button("I'm away…", CheckinAct.AWAY, value)]),
    ]}


def away_modal(*, channel: str, today: str) -> dict[str, Any]:
    """Away until a day: no check-in prompts until then."""
    return modal(Callback.CHECKIN_AWAY, "Away", [
        context("No check-in prompts until then, and the rounds you miss do not count against participation."),
        date_picker("until", "Last day away", initial=today),
    ], metadata={"channel": channel}, submit="Save")


def answer_modal(form: CheckinForm, *, channel: str) -> dict[str, Any]:
    """The check-in form: the party's KPIs, each statement rated, a comment; filled with an earlier answer."""
    previous = form.previous
    blocks: list[Block] = [context(f"Round {form.round.number} · closes "
                                   f"{_local(form.round.closes_at, form.timezone)}")]
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
                             hint=f"Shown without your name to {possessive(form.party)} SERs and managers, once at "
                                  f"least {form.threshold} of {form.party} have answered."))
    blocks.append(checkboxes("share", f"Share with {form.partner}",
                             [option("share", f"Also show my comment to {form.partner}, without my name, in the "
                                              "round's thread")],
                             initial=["share"] if previous and previous.share_comment else []))
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
        text_input("retention_months", "Keep individual answers and comments for (months)",
                   initial=form.retention_months or "", max_length=3,
                   hint="Then they are deleted; the published figures stay"),
    ], metadata={"channel": channel})


def exit_warning(data: dict[str, Any]) -> dict[str, Any]:
    """An exit trigger fired: the SERs of both parties are told."""
    sers = " ".join(f"<@{u}>" for u in data["sers"]) or "SERs"
    text = f"Exit trigger #{data['number']} fired: {data['reason']}"
    return {"text": text, "blocks": [
        section(f":rotating_light: {sers}: exit trigger *#{data['number']}* {escape(data['description'])} has "
                f"fired ({escape(data['reason'])}). Review the exit strategy together."),
    ]}
