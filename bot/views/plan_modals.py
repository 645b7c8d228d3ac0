"""The plan's modals: setup, objective, KPI, risk, action, exit trigger, cannot-complete."""

from __future__ import annotations

from typing import Any

from bot.ids import Callback
from bot.views.blocks import possessive
from bot.views.inputs import (
    checkboxes,
    date_picker,
    modal,
    option,
    radios,
    select,
    text_input,
    user_picker,
)
from bot.views.promises import service_level_form
from commands.calendar import CADENCE_HELP, WEEKDAYS
from commands.rmp.editing import FormContext
from commands.rmp.exits import KIND_LABELS
from commands.rmp.objectives import STATUS_LABELS
from commands.rmp.setup import CalendarInput, SetupForm
from storage.rmp import CONNECT, SINGLE


def setup_modal(form: SetupForm, *, channel: str) -> dict[str, Any]:
    """The setup form, filled with the relationship's values (or the defaults), from the viewer's side: their
    own party first, called theirs, then the partner's."""
    values = form.values
    mine = form.viewer_slot or 1
    names = {1: values.party_1, 2: values.party_2}

    def whose(slot: int) -> str:
        if not form.editing:
            return "Your organisation" if slot == mine else "Partner organisation"
        return f"{names[slot]} (yours)" if slot == mine else f"{names[slot]} (partner)"

    order = (mine, 3 - mine)
    blocks = [text_input("name", "Relationship name", initial=values.name, max_length=150)]
    blocks += [text_input(f"party_{slot}", f"{whose(slot)}: name", initial=names[slot], max_length=80)
               for slot in order]
    if not form.editing:  # fixed once the relationship exists: not offered when editing
        blocks.append(radios("mode", "How are the parties told apart?", [
            option(CONNECT, "Slack Connect: each party is its own Slack organisation"),
            option(SINGLE, "One workspace: managers put people in a party"),
        ], initial=values.mode))
    blocks.append(text_input("timezone", "Channel timezone", initial=values.timezone, max_length=64,
                             hint="An IANA name such as Europe/London: cadences run, and shared posts give dates, "
                                  "in it. Each party's own calendar follows."))
    blocks.append(text_input("currency", "Currency", initial=values.currency, max_length=3,
                             hint="The ISO 4217 code of the costs and benefits you record, such as GBP, EUR or USD."))
    for slot in order:
        blocks += _calendar_blocks(slot, whose(slot), values.calendar(slot))
    blocks += [
        text_input("checkin_cadence", "Check-in cadence", initial=values.checkin_cadence, hint=CADENCE_HELP),
        text_input("review_cadence", "Review cadence", initial=values.review_cadence, hint=CADENCE_HELP),
        text_input("ladder", "Escalation ladder", initial=values.ladder, multiline=True,
                   hint="One level per line, `name | working days`; the last level may have no timer. Clocks "
                        "count the days that are working days of both parties."),
    ]
    title = "Edit relationship" if form.editing else "Set up Accord"
    return modal(Callback.SETUP, title, blocks, metadata={"channel": channel})


def _calendar_blocks(slot: int, whose: str, calendar: CalendarInput) -> list[dict[str, Any]]:
    return [
        text_input(f"timezone_{slot}", f"{whose}: timezone", initial=calendar.timezone, max_length=64,
                   hint="An IANA name: Europe/London, America/New_York"),
        checkboxes(f"working_days_{slot}", f"{whose}: working days",
                   [option(str(i), day.title()) for i, day in enumerate(WEEKDAYS)],
                   initial=[str(d) for d in calendar.working_days]),
        text_input(f"working_hours_{slot}", f"{whose}: working hours", initial=calendar.working_hours,
                   max_length=16, hint="Nobody is messaged outside them: 09:00-17:30"),
        text_input(f"holidays_{slot}", f"{whose}: holidays", initial=calendar.holidays, multiline=True,
                   optional=True, hint="One date per line: 2026-12-25"),
        text_input(f"holiday_region_{slot}", f"{whose}: public holidays of", initial=calendar.holiday_region,
                   optional=True, max_length=16, hint="A country or region: GB-ENG, US-NY, FR"),
    ]


def _party_options(context: FormContext) -> list[dict[str, Any]]:
    return [option(str(p.slot), p.name) for p in context.parties]


def _title(label: str, number: int | None) -> str:
    return f"Edit {label} #{number}" if number is not None else f"Add {label}"


def plan_modal(name: str, context: FormContext, *, channel: str, number: int | None) -> dict[str, Any]:
    """The form `name` (objective, kpi, risk, action, exit), filled with the edited item when given."""
    item: Any = context.item
    builders = {"objective": _objective, "kpi": _kpi, "service_level": service_level_form, "risk": _risk,
                "action": _action, "exit": _exit}
    label, blocks = builders[name](context, item)
    return modal(Callback.PLAN_FORM, _title(label, number), blocks,
                 metadata={"channel": channel, "form": name, "number": number})


def _objective(context: FormContext, item: Any) -> tuple[str, list[dict[str, Any]]]:
    one, two = context.parties
    whose = "ours" if item is None or item.party_slot is None else str(item.party_slot)
    return "objective", [
        select("whose", "Whose objective", [option("ours", "Ours (joint)"), option("1", f"{possessive(one.name)} own"),
                                             option("2", f"{possessive(two.name)} own")], initial=whose),
        text_input("title", "Objective", initial=item.title if item else "", max_length=150),
        text_input("benefit_1", f"Benefit to {one.name}", initial=item.benefit_1 if item else "",
                   multiline=True, optional=True, max_length=1000),
        text_input("benefit_2", f"Benefit to {two.name}", initial=item.benefit_2 if item else "",
                   multiline=True, optional=True, max_length=1000),
        select("status", "Status", [option(s, label) for s, label in STATUS_LABELS.items()],
               initial=item.status if item else "open",
               hint="At risk or failing: the next review recommends action; failing also tells the channel and "
                    "fires the exit triggers it meets"),
    ]


def _number_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _kpi(context: FormContext, item: Any) -> tuple[str, list[dict[str, Any]]]:
    parties = _party_options(context)
    return "KPI", [
        text_input("name", "Name", initial=item.name if item else "", max_length=100),
        text_input("unit", "Unit", initial=item.unit if item else "", optional=True, max_length=30,
                   hint="%, days, £k…"),
        select("direction", "Better is", [option("higher", "Higher"), option("lower", "Lower")],
               initial=item.direction if item else "higher"),
        text_input("target", "Target", initial=_number_text(item.target if item else None), max_length=30),
        text_input("red", "Red threshold", initial=_number_text(item.red if item else None), max_length=30,
                   hint="Worse than this is red; short of the target but not past this is amber"),
        select("owner_slot", "Owning party", parties, initial=str(item.owner_slot) if item else "1"),
        select("reporter_slot", "Reported by", parties, initial=str(item.reporter_slot) if item else "1"),
        text_input("cadence", "Reported", initial=item.cadence if item else "each check-in", max_length=60),
    ]


def _risk(context: FormContext, item: Any) -> tuple[str, list[dict[str, Any]]]:
    scale = [option(str(n), str(n)) for n in range(1, 6)]
    return "risk", [
        text_input("description", "Risk", initial=item.description if item else "", multiline=True, max_length=500),
        select("likelihood", "Likelihood (1 to 5)", scale, initial=str(item.likelihood) if item else None),
        select("impact", "Impact (1 to 5)", scale, initial=str(item.impact) if item else None),
        user_picker("owner", "Owner", initial=item.owner_user_id if item else None),
        text_input("mitigation", "Mitigation", initial=item.mitigation if item else "", multiline=True,
                   optional=True, max_length=1000),
        select("status", "Status", [option(s, s.title()) for s in ("open", "mitigated", "closed")],
               initial=item.status if item else "open"),
        date_picker("review_on", "Review date (its owner is reminded then)", optional=True,
                    initial=item.review_on.isoformat() if item and item.review_on else None),
    ]


def _action(context: FormContext, item: Any) -> tuple[str, list[dict[str, Any]]]:
    return "action", [
        text_input("description", "Action", initial=item.description if item else "", multiline=True,
                   max_length=500),
        user_picker("owner", "Owner", initial=item.owner_user_id if item else None),
        date_picker("due_on", "Due", initial=item.due_on.isoformat() if item else None),
    ]


def _exit(context: FormContext, item: Any) -> tuple[str, list[dict[str, Any]]]:
    kpi_options = [option(str(k.number), f"#{k.number} {k.name}") for k in context.kpis]
    blocks = [
        select("kind", "Kind", [option(k, label) for k, label in KIND_LABELS.items()],
               initial=item.kind if item else None),
        text_input("description", "Trigger", initial=item.description if item else "", multiline=True,
                   max_length=500),
    ]
    if kpi_options:
        blocks.append(select("kpi", "KPI (for a KPI trigger)", kpi_options, optional=True,
                             initial=str(item.kpi_number) if item and item.kpi_number else None))
    objective_options = [option(str(o.number), f"#{o.number} {o.title}") for o in context.objectives]
    if objective_options:
        blocks.append(select("objective", "Objective (for an objective failing)", objective_options, optional=True,
                             initial=str(item.objective_number) if item and item.objective_number else None))
    counted = item is not None and item.kind == "objectives_failing" and item.threshold
    blocks += [
        text_input("count", "Objectives failing (count trigger)", optional=True, max_length=4,
                   initial=f"{item.threshold:g}" if counted else ""),
        text_input("periods", "Periods in a row (KPI trigger)", optional=True, max_length=3,
                   initial=str(item.periods) if item and item.periods else ""),
        text_input("threshold", "Trust below (trust trigger, 1 to 5)", optional=True, max_length=5,
                   initial=_number_text(item.threshold) if item and item.threshold and not counted else ""),
        date_picker("on_date", "Date (date trigger)", optional=True,
                    initial=item.on_date.isoformat() if item and item.on_date else None),
        select("status", "Status", [option("clear", "Clear"), option("triggered", "Triggered")],
               initial=item.status if item else "clear"),
    ]
    return "exit trigger", blocks


def cannot_complete_modal(number: int, description: str, *, channel: str) -> dict[str, Any]:
    """Ask why an action cannot be completed; the partner's managers will be told."""
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*#{number}* {description}"[:3000]}},
        text_input("reason", "Why can it not be completed?", multiline=True, max_length=1000,
                   hint="The partner's SERs and managers are told, with this reason."),
    ]
    return modal(Callback.CANNOT_COMPLETE, f"Cannot complete #{number}", blocks,
                 metadata={"channel": channel, "number": number}, submit="Tell the partner")
