"""Recommendations and wins: rules over a review's figures, each naming the figure that raised it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from commands.rmp.kpis import RED, colour, worse
from commands.rmp.sentences import day
from commands.wording import DEFAULT_CURRENCY, money, plural, possessive, score

Figures = dict[str, Any]
Recommendation = dict[str, str]

RED_PERIODS = 2  # a KPI red for this many periods in a row
LADDER_LEVEL = 3  # a dispute that reached this rung (L3: the SERs)
OVERDUE_SHARE = 0.25  # overdue actions above this share of the open ones
BENEFIT_SHARE = 0.75  # one party reporting at least this share of the benefit
PARTICIPATION = 0.5  # a party answering less than this share of its prompts
EXIT_REVIEW_DAYS = 365  # the exit strategy reviewed at least this often


def _num(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _kpi_red(f: Figures) -> list[Recommendation]:
    return [{"rule": "kpi_red", "figure": f"KPI #{k['number']} {k['name']} red for {k['red_streak']} periods in a row "
             f"(now {_num(k['value'])}{k['unit'] and ' ' + k['unit']} against a target of {_num(k['target'])})",
             "text": f"Agree a recovery plan for *{k['name']}* with an owner and a date."}
            for k in f["kpis"] if k["red_streak"] >= RED_PERIODS and k["value"] is not None]


def _rag_of(k: dict[str, Any]) -> Callable[[float], str]:
    return lambda value: colour(value, direction=k["direction"], target=k["target"], red=k["red"])


def _kpi_toward_red(f: Figures) -> list[Recommendation]:
    """A KPI not yet red two periods running that got worse in each of its last two periods, or that, on the
    line through its last two values, passes red by its next report."""
    out = []
    for k in f["kpis"]:
        recent = [float(v) for v in k.get("recent") or []]
        if k["red_streak"] >= RED_PERIODS or len(recent) < 2:
            continue  # _kpi_red speaks of it, or too few values for a direction
        rag = _rag_of(k)
        direction, last, before = k["direction"], recent[-1], recent[-2]
        falling = worse(direction, last, before)
        twice = falling and len(recent) == 3 and worse(direction, before, recent[0])
        projected = 2 * last - before
        passes = falling and rag(last) != RED and rag(projected) == RED
        if not (twice or passes):
            continue
        unit = k["unit"] and " " + k["unit"]
        shown = recent if twice else recent[-2:]
        verb = "fell" if direction == "higher" else "rose"
        if rag(last) == RED:  # red for the first period: _kpi_red speaks from the second
            outlook = f"it is past red ({_num(k['red'])}{unit})"
        elif passes:
            outlook = f"at this rate it passes red ({_num(k['red'])}{unit}) next period"
        else:
            outlook = f"at this rate it reaches {_num(projected)}{unit} next period (red at {_num(k['red'])}{unit})"
        gone = rag(last) == RED
        out.append({"rule": "kpi_toward_red",
                    "figure": f"KPI #{k['number']} {k['name']} {verb} {' → '.join(_num(v) for v in shown)}{unit}; "
                              f"{outlook}",
                    "text": f"Find out why *{k['name']}* is slipping and agree with its owner what turns it round"
                            + (": it has gone red." if gone else " before it goes red.")})
    return out


def _gap(f: Figures) -> list[Recommendation]:
    trust = f["trust"]
    names = [p["name"] for p in trust["parties"]]
    flagged = [s for s in trust["statements"] if s["flagged"]]  # largest gap first
    if not flagged:
        return []
    top = flagged[0]
    a, b = top["means"]
    others = f" and {plural(len(flagged) - 1, 'other statement')}" if len(flagged) > 1 else ""
    return [{"rule": "perception_gap",
             "figure": f"a perception gap of {score(top['gap'])} on “{top['statement']}” ({names[0]} {score(a)}, "
                       f"{names[1]} {score(b)}; threshold {score(trust['threshold'])}){others}",
             "text": "Talk the gap through at the next managers' meeting: ask each side what it sees and why."}]


def _dispute_level(f: Figures) -> list[Recommendation]:
    return [{"rule": "dispute_level", "figure": f"dispute #{d['number']} “{d['title']}” reached {d['level_name']}",
             "text": "Look at why it could not be settled lower down the ladder, and what the working level needs."}
            for d in f["disputes"]["highest"] if d["level"] + 1 >= LADDER_LEVEL]


def _overdue(f: Figures) -> list[Recommendation]:
    actions = f["actions"]
    if not actions["open"] or actions["overdue_share"] <= OVERDUE_SHARE:
        return []
    return [{"rule": "overdue_actions",
             "figure": f"{len(actions['overdue'])} of {actions['open']} open actions are overdue "
                       f"({actions['overdue_share']:.0%}, above {OVERDUE_SHARE:.0%})",
             "text": "Re-plan the overdue actions: new dates, new owners, or close them with a reason."}]


def _benefit(f: Figures) -> list[Recommendation]:
    values = f["values"]
    total = sum(v["benefit"] for v in values)
    if total <= 0:
        return []
    top = max(values, key=lambda v: v["benefit"])
    share = top["benefit"] / total
    if share < BENEFIT_SHARE:
        return []
    other = next(v for v in values if v is not top)
    cur = str(f.get("currency") or DEFAULT_CURRENCY)
    return [{"rule": "benefit_imbalance",
             "figure": f"{top['name']} reported {share:.0%} of the period's benefit ({money(top['benefit'], cur)} of "
                       f"{money(total, cur)}; {other['name']} {money(other['benefit'], cur)} against costs of "
                       f"{money(other['cost'], cur)})",
             "text": f"Check that {other['name']} gets enough out of the partnership: review the joint objectives "
                     "and record both sides' costs and benefits."}]


def _participation(f: Figures) -> list[Recommendation]:
    out = []
    for side in f["trust"]["parties"]:
        if side["invited"] and side["answered"] / side["invited"] < PARTICIPATION:
            out.append({"rule": "participation",
                        "figure": f"{side['name']} answered {side['answered']} of {side['invited']} check-in prompts "
                                  f"({side['answered'] / side['invited']:.0%})",
                        "text": f"Ask {possessive(side['name'])} managers why the check-ins go unanswered."})
    return out


def _objectives(f: Figures) -> list[Recommendation]:
    """An objective failing or at risk must be acted upon (failing first)."""
    def named(o: dict[str, Any]) -> str:
        whose = "ours" if o["whose"] == "ours" else f"{possessive(o['whose'])} own"
        return f"objective #{o['number']} “{o['title']}” ({whose})"

    failing = [{"rule": "objective_failing", "figure": f"{named(o)} is failing",
                "text": f"Decide together how to recover *{o['title']}*, with an owner and a date, or whether to drop "
                        "it; check the exit strategy's triggers."}
               for o in f["objectives"] if o["status"] == "failing"]
    at_risk = [{"rule": "objective_at_risk", "figure": f"{named(o)} is at risk",
                "text": f"Agree what gets *{o['title']}* back on track before it fails, with an owner and a date."}
               for o in f["objectives"] if o["status"] == "at_risk"]
    return failing + at_risk


def _exit(f: Figures) -> list[Recommendation]:
    out = [{"rule": "exit_triggered", "figure": f"exit trigger #{t['number']} “{t['description']}” has fired",
            "text": "The SERs should meet and decide, with the exit strategy in hand, whether to go on."}
           for t in f["exits"]["triggers"] if t["status"] == "triggered"]
    reviewed = f["exits"]["reviewed_on"]
    last_day = date.fromisoformat(f["period"]["last_day"])
    if reviewed is None or (last_day - date.fromisoformat(reviewed)).days > EXIT_REVIEW_DAYS:
        out.append({"rule": "exit_review", "figure": f"the exit strategy was last reviewed on {day(reviewed)}"
                    if reviewed else "the exit strategy has never been reviewed",
                    "text": "Review the exit strategy together, then record it with `/accord exit reviewed`."})
    return out


RULES: tuple[Callable[[Figures], list[Recommendation]], ...] = (
    _kpi_red, _kpi_toward_red, _gap, _dispute_level, _overdue, _benefit, _participation, _objectives, _exit)


def recommendations(figures: Figures) -> list[Recommendation]:
    """Every recommendation the figures raise, in the order of the rules."""
    return [found for rule in RULES for found in rule(figures)]


def wins(figures: Figures) -> list[str]:
    """Successes to celebrate: KPIs turned green, disputes resolved, objectives met, and the wins either party
    recorded in the period (`recorded_wins`; reviews held before wins were recorded have none)."""
    out = [f"KPI #{k['number']} {k['name']} turned green ({_num(k['previous_value'])} → {_num(k['value'])})"
           for k in figures["kpis"] if k["rag"] == "green" and k["previous_rag"] in ("amber", "red")]
    out += [f"Dispute #{d['number']} “{d['title']}” resolved at {d['level_name']}"
            for d in figures["disputes"]["resolved"]]
    out += [f"Objective #{o['number']} “{o['title']}” met" for o in figures["objectives"] if o["met_in_period"]]
    out += [f"Win #{w['number']} from {w['party']}: {w['text']}" for w in figures.get("recorded_wins", [])]
    return out
