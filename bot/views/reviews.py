"""Review messages: the summary with its sign-off, a thread reply per part, the list, the value form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.ids import Act, Callback
from bot.views import ideas as idea_views
from bot.views import promises, review_minutes
from bot.views.audit import report_button
from bot.views.blocks import Block, context, escape, possessive, section, sections
from bot.views.inputs import date_picker, modal, option, radios, select, text_input
from bot.views.rmp import OBJECTIVE_STATUS, RAG_EMOJI, TREND, actions_block, button
from commands.reviews.records import ReviewRecord
from commands.reviews.runs import message_data
from commands.rmp import sentences
from commands.wording import DEFAULT_CURRENCY, money, plural, score

PART_CHARS = 12_000  # one thread reply holds at most this much text (4 sections), the rest is counted
SHOWN = 6  # KPIs and recommendations listed in the summary itself
TRIGGERS = {"scheduled": "on the review cadence", "now": "held on request"}
PART_TITLES = {
    "performance": "Performance: KPIs over the period", "trust": "Behaviour and trust per party",
    "disputes": "Disputes", "actions": "Actions", "risks": "Risks by score", "objectives": "Objectives",
    "values": "Costs and benefits", "exits": "Exit strategy",
}


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "–"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} {escape(unit)}" if unit else text


def currency_of(figures: dict[str, Any]) -> str:
    """The currency of a review's money: recorded with its figures, or the default for older reviews."""
    return str(figures.get("currency") or DEFAULT_CURRENCY)


def _local(moment: str, tz: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ZoneInfo(tz)).strftime("%d %b %Y %H:%M")


def _period(f: dict[str, Any]) -> str:
    return sentences.days(f["period"]["first_day"], f["period"]["last_day"])


def _kpi_line(k: dict[str, Any]) -> str:
    better = "≥" if k["direction"] == "higher" else "≤"
    streak = f" · red {k['red_streak']} periods in a row" if k["red_streak"] >= 2 else ""
    trend = f" {TREND[k['trend']]}" if TREND[k["trend"]] else ""  # no arrow for a first value
    return (f"{RAG_EMOJI[k['rag']]} *#{k['number']} {escape(k['name'])}*: {_num(k['value'], k['unit'])}"
            f"{trend} (target {better} {_num(k['target'], k['unit'])}){streak}")


def _signatures(data: dict[str, Any]) -> str:
    f = data["figures"]
    signed = {s["slot"]: s for s in data["signatures"]}
    lines = [f":white_check_mark: *{escape(s['party'])}*: signed off by <@{s['user']}> on "
             f"{_local(s['at'], f['timezone'])}{review_minutes.reviewed(s)}" for s in data["signatures"]]
    waiting = [p["name"] for p in f["parties"] if p["slot"] not in signed]
    if not waiting:
        lines.append("*Signed off by both parties.*")
    elif signed:
        lines.append(f":hourglass_flowing_sand: *Awaiting {escape(possessive(waiting[0]))} SER* to sign off.")
    else:
        lines.append(":hourglass_flowing_sand: Awaiting sign-off by each party's SER.")
    return "\n".join(lines)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """The review's message in the shared channel: headline figures, recommendations, wins, sign-off."""
    f = data["figures"]
    trust, disputes, actions = f["trust"], f["disputes"], f["actions"]
    rags = [k["rag"] for k in f["kpis"]]
    sides = " · ".join(f"*{escape(p['name'])}* trust {score(p['trust'])} behaviour {score(p['behaviour'])}"
                       for p in trust["parties"])
    gap = f"perception gap {score(trust['gap'])}" if trust["gap"] is not None else "no gap (too few answers)"
    participation = ", ".join(f"{escape(p['name'])} {p['answered']}/{p['invited']}" for p in trust["parties"])
    recs = f["recommendations"]
    rec_lines = [f"{i}. {escape(r['text'])}\n     _because {escape(r['figure'])}_" for i, r in
                 enumerate(recs[:SHOWN], 1)] or ["None: no figure this period met a rule for a recommendation."]
    if len(recs) > SHOWN:
        rec_lines.append(f"_…and {len(recs) - SHOWN} more in the thread._")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Review #{f['number']}: {f['relationship']}"[:150]}},
        context(f"{_period(f)} ({escape(f['timezone'])}) · {TRIGGERS.get(data['trigger'], data['trigger'])}"
                + (f" by <@{data['requested_by']}>" if data["trigger"] == "now" else "")),
        *sections([f"*Performance* · {rags.count('green')} green, {rags.count('amber')} amber, "
                   f"{rags.count('red')} red, {rags.count(None)} without a value",
                   *[_kpi_line(k) for k in f["kpis"][:SHOWN]],
                   *([f"_…and {len(f['kpis']) - SHOWN} more in the thread._"] if len(f["kpis"]) > SHOWN else [])]),
        section(f"*Trust* ({plural(trust['rounds'], 'check-in round')}) · {sides or '–'} · {gap}\n"
                f"*Participation* (answers/prompts): {participation or '–'}"),
        section(f"*Disputes*: {len(disputes['opened'])} opened, {plural(len(disputes['escalated']), 'escalation')}, "
                f"{len(disputes['resolved'])} resolved, {len(disputes['open'])} open\n"
                f"*Actions*: {len(actions['done'])} done, {actions['open']} open ({len(actions['overdue'])} overdue), "
                f"{len(actions['cannot'])} cannot be completed"),
        *sections(promises.review_lines(f)),
        *sections([f"*Recommendations* ({len(recs)})", *rec_lines]),
    ]
    if f["wins"]:
        wins = [f"• {escape(w)}" for w in f["wins"][:SHOWN * 2]]
        more = [f"_…and {len(f['wins']) - SHOWN * 2} more._"] if len(f["wins"]) > SHOWN * 2 else []
        blocks += sections(["*Wins to celebrate* :tada:", *wins, *more])
    if any(p["raised"] or p["agreed"] or p["delivered"] for p in f.get("ideas", {}).get("parties", [])):
        blocks.append(section(idea_views.review_line(f["ideas"])))
    blocks += review_minutes.minutes_blocks(data)
    blocks.append(section(_signatures(data)))
    value = {"channel": f["channel"], "number": f["number"]}
    if len(data["signatures"]) < len(f["parties"]):
        blocks.append(actions_block([button("Sign off (SER)", Act.REVIEW_SIGN, value, style="primary"),
                                     *review_minutes.buttons(f),
                                     button("Record a cost or benefit", f"{Act.OPEN_FORM}:value",
                                            {"channel": f["channel"], "form": "value"})]))
    blocks.append(actions_block([report_button(f["channel"], review=f["number"])]))  # shared in the thread
    blocks.append(context(f"Each part, with the chart, is in the thread. `/accord reviews {f['number']}` "
                          "shows this record again; it never changes."))
    return {"text": f"Review #{f['number']} of {f['relationship']}: {plural(len(recs), 'recommendation')}",
            "blocks": blocks}


# -- the parts, one thread reply each -------------------------------------------------------------


def _performance(f: dict[str, Any]) -> list[str]:
    lines = []
    for k in f["kpis"]:
        values = ", ".join(_num(v) for _, v in k["series"]) or "no values this period"
        lines.append(f"{_kpi_line(k)}\n     values: {values}")
    return lines or ["_No KPIs._"]


def _trust(f: dict[str, Any]) -> list[str]:
    t = f["trust"]
    lines = [f"*{escape(p['name'])}*: trust {score(p['trust'])}, behaviour {score(p['behaviour'])} "
             f"({p['rounds_counted']} of {plural(t['rounds'], 'round')} with enough answers; "
             f"{plural(p['answered'], 'answer')} to {plural(p['invited'], 'prompt')})" for p in t["parties"]]
    lines.append(f"Perception gap in trust: {score(t['gap'])} (flagged at {score(t['threshold'])} or more)")
    for s in t["statements"]:
        flag = ":warning: " if s["flagged"] else ""
        lines.append(f"{flag}“{escape(s['statement'])}”: " + " vs ".join(score(m) for m in s["means"])
                     + f" (gap {score(s['gap'])})")
    return lines if t["rounds"] else ["_No check-in rounds closed in this period._"]


def _dispute(d: dict[str, Any]) -> str:
    return f"#{d['number']} {escape(d['title'])} ({d['severity']}, {escape(d['level_name'])})"


def _disputes(f: dict[str, Any]) -> list[str]:
    d = f["disputes"]
    lines = [f"Opened: {_dispute(x)}" for x in d["opened"]]
    lines += [f"Escalated: #{x['number']} to {escape(x['to'])}" + (f": {escape(x['reason'])}" if x["reason"] else "")
              for x in d["escalated"]]
    lines += [f"Resolved: {_dispute(x)}: {escape(x['resolution'])}"
              + (f"\n     lessons learned: {escape(x['lessons'])}" if x["lessons"] else "") for x in d["resolved"]]
    lines += [f"Still open: {_dispute(x)}" for x in d["open"]]
    return lines or ["_No disputes in this period._"]


def _actions(f: dict[str, Any]) -> list[str]:
    a = f["actions"]
    lines = [f"{len(a['overdue'])} of {plural(a['open'], 'open action')} overdue ({a['overdue_share']:.0%})"]
    lines += [f":warning: overdue #{x['number']} {escape(x['description'])} · <@{x['owner']}> · due {x['due_on']}"
              for x in a["overdue"]]
    lines += [f":white_check_mark: done #{x['number']} {escape(x['description'])}" for x in a["done"]]
    lines += [f":no_entry: cannot complete #{x['number']} {escape(x['description'])}: {escape(x['reason'])}"
              for x in a["cannot"]]
    return lines


def _risks(f: dict[str, Any]) -> list[str]:
    def change(r: dict[str, Any]) -> str:
        if r["change"] is None:
            return "new"
        return "unchanged" if r["change"] == 0 else f"{'▲' if r['change'] > 0 else '▼'} {r['change']:+d}"

    return [f"*{r['score']}* ({r['likelihood']}×{r['impact']}) #{r['number']} {escape(r['description'])} · "
            f"{change(r)}" for r in f["risks"]] or ["_No open risks._"]


def _objectives(f: dict[str, Any]) -> list[str]:
    def whose(o: dict[str, Any]) -> str:
        return "ours" if o["whose"] == "ours" else f"{escape(possessive(o['whose']))} own"

    return [f"{':star: ' if o['met_in_period'] else ''}*{whose(o)}* · #{o['number']} {escape(o['title'])} · "
            f"{OBJECTIVE_STATUS.get(o['status'], o['status'])}" for o in f["objectives"]] or ["_No objectives._"]


def _values(f: dict[str, Any]) -> list[str]:
    lines = []
    currency = currency_of(f)
    for side in f["values"]:
        lines.append(f"*{escape(side['name'])}*: costs {money(side['cost'], currency)}, benefits "
                     f"{money(side['benefit'], currency)}")
        lines += [f"     {e['on']} {e['kind']} {money(e['amount'], currency)} {escape(e['description'])} (<@{e['by']}>)"
                  for e in side["entries"]]
    if not any(side["entries"] for side in f["values"]):
        lines.append("_None reported for this period: record them with `/accord value` or the button above._")
    return lines


def _exits(f: dict[str, Any]) -> list[str]:
    e = f["exits"]
    lines = [f"Last reviewed: {e['reviewed_on'] or 'never'}"]
    lines += [f"{':rotating_light:' if t['status'] == 'triggered' else ':white_check_mark:'} #{t['number']} "
              f"{escape(t['description'])} · {t['status']}" for t in e["triggers"]]
    return lines if e["triggers"] else [*lines, "_No exit triggers._"]


PARTS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "performance": _performance, "trust": _trust, "disputes": _disputes, "actions": _actions, "risks": _risks,
    "objectives": _objectives, "values": _values, "exits": _exits,
}


def _within(lines: list[str], limit: int, what: str) -> list[str]:
    """The lines that fit in `limit` characters, and a count of the rest."""
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        if used + len(line) > limit:
            return [*kept, f"_…and {len(lines) - index} more {what} not shown here; `accord export` holds "
                           "the whole review._"]
        kept.append(line[:2900])
        used += len(kept[-1]) + 1
    return kept


def part(data: dict[str, Any]) -> dict[str, Any]:
    """One part of the review, as a reply in its thread."""
    f, name = data["figures"], data["part"]
    lines = _within(PARTS[name](f), PART_CHARS, "lines")
    title = f"*{PART_TITLES[name]}* · review #{f['number']}"
    if name == "performance" and f["recommendations"]:
        lines += ["", "*All recommendations*", *(f"• {escape(r['text'])} _(because {escape(r['figure'])})_"
                                                 for r in f["recommendations"])]
        lines = _within(lines, PART_CHARS, "lines")
    return {"text": f"Review #{f['number']}: {PART_TITLES[name]}", "blocks": sections([title, *lines])}


def signed(data: dict[str, Any]) -> dict[str, Any]:
    """A reply in the review's thread when an SER signs off."""
    text = f":white_check_mark: <@{data['user']}> signed review #{data['number']} off for *{escape(data['party'])}*."
    text += (f" Awaiting {escape(possessive(data['awaiting'][0]))} SER." if data["awaiting"]
             else " The review is now signed off by both parties.")
    return {"text": text, "blocks": [section(text)]}


def review_list(records: list[ReviewRecord]) -> dict[str, Any]:
    """`/accord reviews`: every review, newest first, with its sign-off state."""
    if not records:
        return {"response_type": "ephemeral", "text": "No reviews yet. Managers and SERs hold one with "
                "`/accord review now`; the next one also comes on the review cadence (see `/accord status`)."}
    lines = []
    for record in records:
        r, f = record.review, record.review.figures
        state = (f"awaiting {', '.join(escape(n) for n in record.awaiting)}" if record.awaiting
                 else "signed off by both parties")
        lines.append(f"*#{r.number}* · {_period(f)} · {TRIGGERS.get(r.trigger, r.trigger)} · "
                     f"{plural(len(f['recommendations']), 'recommendation')} · {state}")
    shown = _within(lines, 2900 * 12, "reviews")
    return {"response_type": "ephemeral", "text": plural(len(records), "review"),
            "blocks": [*sections(["*Reviews*", *shown]),
                       context("`/accord reviews 3` shows review #3 as it was recorded.")]}


def review_record(record: ReviewRecord) -> dict[str, Any]:
    """`/accord reviews N`: the summary of review N as recorded, with its sign-offs."""
    data = {**message_data(record.review, record.signatures), **record.minutes}
    return {"response_type": "ephemeral", **summary(data)}


def value_modal(parties: list[tuple[int, str]], my_slot: int, *, channel: str, today: str) -> dict[str, Any]:
    """`/accord value`: a cost or benefit of one party, with an amount, a description, or both."""
    blocks = [
        select("party_slot", "Whose", [option(str(slot), name) for slot, name in parties], initial=str(my_slot)),
        radios("kind", "A cost or a benefit?", [option("benefit", "Benefit"), option("cost", "Cost")],
               initial="benefit"),
        text_input("amount", "Amount", optional=True, max_length=30, hint="A number in the relationship's currency"),
        text_input("description", "Description", multiline=True, optional=True, max_length=1000,
                   hint="What it was: needed when there is no amount"),
        date_picker("on", "When", initial=today, optional=True),
    ]
    return modal(Callback.REVIEW_VALUE, "Record a cost or benefit", blocks, metadata={"channel": channel},
                 submit="Record")
