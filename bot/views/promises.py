"""What the parties promise each other in Slack: the service-level form, a breach's post, the resource commitment
forms, the commitments list with its buttons, a commitment not honoured, and their lines in status and reviews."""

from __future__ import annotations

from typing import Any

from bot.ids import Act, Callback, CommitmentAct
from bot.views.blocks import Block, context, escape, possessive, section
from bot.views.inputs import modal, option, select, text_input
from bot.views.rmp import RAG_EMOJI, actions_block, button
from commands.rmp.commitments import NOT_HONOURED, RESOURCES, STATUS_LABELS, WITHDRAWN, CommitmentList
from commands.rmp.editing import FormContext
from commands.rmp.service_levels import ServiceLevelLine
from storage import limits
from storage.partnership import Commitment

SHOWN = 20  # commitments listed, each with its buttons (a message holds at most 50 blocks)


def _num(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _better(direction: str) -> str:
    return "≥" if direction == "higher" else "≤"


def _unit(unit: str) -> str:
    return f" {escape(unit)}" if unit else ""


# -- service levels ------------------------------------------------------------------------------


def service_level_form(form: FormContext, item: Any) -> tuple[str, list[dict[str, Any]]]:
    """The service-level form: a KPI's fields, with the promising party in place of the owner."""
    one, two = form.parties
    promised = [option(str(one.slot), f"{one.name}, to {two.name}"),
                option(str(two.slot), f"{two.name}, to {one.name}")]
    parties = [option(str(p.slot), p.name) for p in form.parties]
    number = "" if item is None else f"{item.target:g}"
    return "service level", [
        text_input("name", "Service level", initial=item.name if item else "", max_length=limits.KPI_NAME,
                   hint="What is measured: Tickets answered within 4 hours"),
        text_input("unit", "Unit", initial=item.unit if item else "", optional=True, max_length=limits.UNIT,
                   hint="%, hours, days…"),
        select("direction", "Better is", [option("higher", "Higher"), option("lower", "Lower")],
               initial=item.direction if item else "higher"),
        text_input("target", "Promised level (the target)", initial=number, max_length=30,
                   hint="A value short of it is a breach: the channel is told and the next review counts it"),
        text_input("red", "Red threshold", initial="" if item is None else f"{item.red:g}", max_length=30,
                   hint="Worse than this is red; short of the promise but not past this is amber"),
        select("owner_slot", "Promised by", promised, initial=str(item.owner_slot) if item else "1",
               hint="A party promises its own alone; a promise asked of the other party, and any change, waits "
                    "for the other party's approval"),
        select("reporter_slot", "Reported by", parties, initial=str(item.reporter_slot) if item else "1"),
        text_input("cadence", "Period", initial=item.cadence if item else "each check-in", max_length=60),
    ]


def status_lines(lines: list[ServiceLevelLine], commitments: list[tuple[str, int, int]]) -> list[str]:
    """The status's section of promises: service levels (apart from the KPIs) and commitments; [] for none."""
    if not lines and not commitments:
        return []
    out = ["*Service levels*"] if lines else []
    for line in lines:
        value = f"{_num(line.value)}{_unit(line.unit)}" if line.value is not None else "no value yet"
        out.append(f"{RAG_EMOJI[line.rag]} *#{line.number} {escape(line.name)}*: {value} (promised "
                   f"{_better(line.direction)} {_num(line.target)}{_unit(line.unit)} by {escape(line.promiser)} to "
                   f"{escape(line.partner)}, {escape(line.cadence)})")
    if commitments:
        out.append("*Commitments*: " + " · ".join(
            f"{escape(name)} {count}" + (f" ({missed} not honoured)" if missed else "")
            for name, count, missed in commitments) + " · `/accord commitments` lists them")
    return out


def breach(data: dict[str, Any]) -> dict[str, Any]:
    """Posted to the shared channel when a reported value misses a service level's promise."""
    unit = _unit(data["unit"])
    text = (f":warning: Service level *#{data['number']} {escape(data['name'])}* missed for {data['period']}: "
            f"{_num(data['value'])}{unit} against the promised {_better(data['direction'])} "
            f"{_num(data['target'])}{unit} ({escape(possessive(data['promiser']))} promise to "
            f"{escape(data['partner'])}).")
    return {"text": text.replace("*", ""), "blocks": [
        section(text),
        context("A breach: counted in the next review, and it may fire an exit trigger."),
    ]}


# -- commitments ---------------------------------------------------------------------------------


def commit_button(channel: str) -> dict[str, Any]:
    """The "Commit a resource" button (it opens the commitment form)."""
    return button("Commit a resource", f"{Act.OPEN_FORM}:commit", {"channel": channel, "form": "commit"})


def commit_modal(*, channel: str, party: str) -> dict[str, Any]:
    """The commitment form: a resource the clicker's party commits."""
    blocks = [
        select("resource", "Resource", [option(r, r.title()) for r in RESOURCES], initial="people"),
        text_input("quantity", "Quantity", optional=True, max_length=limits.TITLE,
                   hint="2 FTE, GBP 50,000, the shared CRM…"),
        text_input("description", "What is committed", multiline=True, max_length=limits.DESCRIPTION,
                   hint=f"Recorded as {possessive(party)} commitment, in the plan's history and counted in reviews."),
    ]
    return modal(Callback.COMMIT, "Commit a resource", blocks, metadata={"channel": channel}, submit="Commit")


def not_honoured_modal(number: int, description: str, *, channel: str) -> dict[str, Any]:
    """Ask why a commitment was not honoured (required): the channel is told, with it."""
    blocks = [
        section(f"*#{number}* {escape(description)}"[:3000]),
        text_input("reason", "Why was it not honoured?", multiline=True, max_length=limits.DETAIL,
                   hint="Posted to the channel with the committing party's name, and counted in the next review."),
    ]
    return modal(Callback.NOT_HONOURED, f"Not honoured: #{number}", blocks,
                 metadata={"channel": channel, "number": number}, submit="Tell the channel")


def _what(c: Commitment | dict[str, Any]) -> str:
    get = c.get if isinstance(c, dict) else lambda key: getattr(c, key)
    quantity = f" {escape(str(get('quantity')))}" if get("quantity") else ""
    return f"{get('resource')}{quantity}: {escape(str(get('description')))}"


def commitments_message(listing: CommitmentList) -> dict[str, Any]:
    """`/accord commitments`: every commitment by party, with the buttons the viewer may use."""
    blocks: list[Block] = [section("*Resource commitments*")]
    if not listing.commitments:
        blocks.append(section("_None yet._ SERs and managers commit their party's resources with "
                              "`/accord commit <resource> <quantity> – <description>` or the button below."))
    for c in listing.commitments[:SHOWN]:
        state = STATUS_LABELS[c.status]
        reason = f": {escape(c.reason)}" if c.status == NOT_HONOURED and c.reason else ""
        blocks.append(section(f"*#{c.number}* {escape(possessive(listing.parties.get(c.party_slot, '?')))} "
                              f"{_what(c)} · _{state}{reason}_"[:3000]))
        if not listing.can_edit or c.status == WITHDRAWN:
            continue
        value = {"channel": listing.channel_id, "number": c.number}
        buttons = []
        if c.status != NOT_HONOURED:
            buttons.append(button("Not honoured", CommitmentAct.NOT_HONOURED, value))
        if c.party_slot == listing.my_slot:
            if c.status == NOT_HONOURED:
                buttons.append(button("Honoured", CommitmentAct.HONOURED, value))
            buttons.append(button("Withdraw", CommitmentAct.WITHDRAW, value))
        blocks.append(actions_block(buttons, block_id=f"commitment_{c.number}"))
    if len(listing.commitments) > SHOWN:
        blocks.append(context(f"…and {len(listing.commitments) - SHOWN} more: `accord export` holds them all."))
    if listing.can_edit:
        blocks.append(actions_block([commit_button(listing.channel_id)]))
    return {"response_type": "ephemeral", "text": f"{len(listing.commitments)} resource commitments",
            "blocks": blocks}


def not_honoured(data: dict[str, Any]) -> dict[str, Any]:
    """Posted to the channel: a party marked a commitment not honoured (the parties named, never a person)."""
    whose = escape(possessive(data["party"]))
    said = "its own" if data["party"] == data["by_party"] else whose
    text = (f":warning: *{escape(data['by_party'])}* marked {said} commitment *#{data['number']}* not honoured "
            f"({_what(data)})")
    return {"text": f"Commitment #{data['number']} ({data['party']}) not honoured: {data['reason']}"[:3000],
            "blocks": [section(text[:3000]), section(f"*Reason:* {escape(data['reason'])}"[:3000]),
                       context("Counted in the next review. `/accord commitments` lists them all.")]}


def recorded(commitment: Commitment, party: str) -> str:
    """The private confirmation of a commitment."""
    return f"Recorded {possessive(party)} commitment #{commitment.number} ({commitment.resource}): it is in the " \
           "plan's history and counted in reviews."


# -- reviews -------------------------------------------------------------------------------------


def review_lines(figures: dict[str, Any]) -> list[str]:
    """The review's lines on promises (none for a review without service levels or commitments)."""
    lines = []
    levels = figures.get("service_levels") or []
    if levels:
        lines.append("*Service levels*: " + " · ".join(
            f"{escape(p['name'])} {p['met']} met, {p['breached']} breached" for p in levels))
        for p in levels:
            lines += [f"     :warning: {escape(possessive(p['name']))} #{b['number']} {escape(b['name'])} "
                      f"{b['period']}: {_num(b['value'])}{_unit(b['unit'])} against {_better(b['direction'])} "
                      f"{_num(b['target'])}{_unit(b['unit'])}" for b in p["breaches"][:5]]
    commitments = figures.get("commitments") or []
    if commitments:
        lines.append("*Commitments*: " + " · ".join(
            f"{escape(p['name'])} {p['committed']} committed, {len(p['not_honoured'])} not honoured"
            for p in commitments))
        for p in commitments:
            lines += [f"     :no_entry: {escape(possessive(p['name']))} #{c['number']} {_what(c)}: not honoured: "
                      f"{escape(c['reason'])}" for c in p["not_honoured"][:5]]
    return lines
