"""The figures of a review period, read with a fixed number of statements whatever the length of history.

Each part reads only the period (or the current state) through bulk queries; nothing here loops
over history issuing a statement per round, value or dispute.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from statistics import mean
from typing import Any, cast

from sqlalchemy import func
from sqlmodel import Session, col, or_, select

from commands.checkins import disclosure
from commands.reviews import evaluation
from commands.rmp import access, commitments, exits, ideas, kpis, risks, service_levels
from commands.rmp.actions import local_today
from storage.checkins import CLOSED, Result, Round
from storage.disputes import RESOLVED, Dispute, DisputeEvent
from storage.reviews import BENEFIT, COST, Review, ValueEntry
from storage.rmp import Action, ExitTrigger, Kpi, KpiValue, Objective, Party, Relationship, Risk, Win

Figures = dict[str, Any]


def compute(db: Session, relationship: Relationship, *, starts_at: datetime, ends_at: datetime,
            previous: Review | None) -> Figures:
    """Everything a review of `starts_at`..`ends_at` shows (recommendations and wins are added by the rules)."""
    rid = relationship.id or 0
    first_day, last_day = local_today(relationship, starts_at), local_today(relationship, ends_at)
    parties = access.parties(db, relationship)
    before = previous.figures if previous is not None else {}
    return {
        "relationship": relationship.name, "channel": relationship.channel_id, "timezone": relationship.timezone,
        "currency": relationship.currency,
        "period": {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                   "first_day": first_day.isoformat(), "last_day": last_day.isoformat()},
        "parties": [{"slot": p.slot, "name": p.name} for p in parties],
        "kpis": _kpis(db, rid, first_day, last_day),
        "trust": _trust(db, relationship, parties, starts_at, ends_at),
        "disputes": _disputes(db, rid, starts_at, ends_at),
        "actions": _actions(db, rid, first_day, last_day),
        "actions_by_party": evaluation.actions_by_party(db, rid, parties, first_day, last_day),
        "risks": _risks(db, rid, before.get("risks", [])),
        "objectives": _objectives(db, rid, parties, before.get("objectives", [])),
        "values": _values(db, rid, parties, first_day, last_day),
        "exits": _exits(db, relationship, last_day),
        "recorded_wins": _recorded_wins(db, rid, parties, starts_at, ends_at),
        "service_levels": service_levels.review_figures(db, rid, parties, first_day, last_day),
        "commitments": commitments.review_figures(db, rid, parties, ends_at),
        "ideas": ideas.review_figures(db, relationship, starts_at=starts_at, ends_at=ends_at),
    }


# -- KPIs ----------------------------------------------------------------------------------------


def _kpis(db: Session, rid: int, first_day: date, last_day: date) -> list[dict[str, Any]]:
    active = [k for k in db.exec(select(Kpi).where(Kpi.relationship_id == rid).order_by(col(Kpi.number))) if k.active]
    ids = [k.id for k in active]
    in_period: dict[int, list[KpiValue]] = defaultdict(list)
    for row in db.exec(select(KpiValue).where(col(KpiValue.kpi_id).in_(ids), KpiValue.period >= first_day,
                                              KpiValue.period <= last_day)
                       .order_by(col(KpiValue.period), col(KpiValue.id))):
        in_period[row.kpi_id].append(row)
    # the two values before the period, per KPI, in one statement
    rank = func.row_number().over(partition_by=col(KpiValue.kpi_id),
                                  order_by=(col(KpiValue.period).desc(), col(KpiValue.id).desc())).label("rank")
    ranked = select(col(KpiValue.kpi_id), col(KpiValue.value), rank) \
        .where(col(KpiValue.kpi_id).in_(ids), KpiValue.period < first_day).subquery()
    earlier: dict[int, list[float]] = defaultdict(list)  # oldest first
    for kpi_id, value in db.exec(select(ranked.c.kpi_id, ranked.c.value).where(ranked.c.rank <= 2)
                                 .order_by(ranked.c.kpi_id, ranked.c.rank.desc())):
        earlier[kpi_id].append(value)
    return [_kpi_figures(kpi, in_period[kpi.id or 0], earlier[kpi.id or 0]) for kpi in active]


def _kpi_figures(kpi: Kpi, rows: list[KpiValue], earlier: list[float]) -> dict[str, Any]:
    by_period: dict[str, float] = {}
    for row in rows:  # a later report for the same period replaces an earlier one
        by_period[row.period.isoformat()] = row.value
    series = sorted(by_period.items())
    values = [*earlier, *(value for _, value in series)]
    streak = 0
    for earlier_value in reversed(values):
        if kpis.rag(kpi, earlier_value) != kpis.RED:
            break
        streak += 1
    value = series[-1][1] if series else None
    baseline = earlier[-1] if earlier else (series[0][1] if len(series) > 1 else None)
    trend = None
    if value is not None and baseline is not None:
        trend = "flat" if value == baseline else "up" if value > baseline else "down"
    return {
        "number": kpi.number, "name": kpi.name, "unit": kpi.unit, "direction": kpi.direction, "target": kpi.target,
        "red": kpi.red, "value": value, "rag": kpis.rag(kpi, value) if value is not None else None,
        "previous_value": earlier[-1] if earlier else None,
        "previous_rag": kpis.rag(kpi, earlier[-1]) if earlier else None,
        "trend": trend, "red_streak": streak, "series": [[period, v] for period, v in series],
        "recent": values[-3:],  # the last three values up to the period's end, oldest first
    }


# -- trust and behaviour ---------------------------------------------------------------------------


def _rescale(value: float, scale: int) -> float:
    return 1 + (value - 1) * 4 / (scale - 1) if scale > 1 else value


def _trust(db: Session, relationship: Relationship, parties: list[Party], starts_at: datetime,
           ends_at: datetime) -> dict[str, Any]:
    """Trust and behaviour per party over the rounds that closed in the period, computed only from what the
    rounds' closes published (`checkin_result`: blocks of at least the threshold of people), never from
    answers: each point of the series is one published block."""
    rows = list(db.exec(select(Result, Round).where(
        Result.round_id == Round.id, Round.relationship_id == relationship.id, Round.status == CLOSED,
        Round.closes_at > starts_at, Round.closes_at <= ends_at).order_by(col(Round.number))))
    rounds = sorted({round_.number: round_ for _, round_ in rows}.values(), key=lambda r: r.number)
    per_statement: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    trust_of: dict[int, list[float]] = defaultdict(list)
    behaviour_of: dict[int, list[float]] = defaultdict(list)
    points: dict[int, dict[str, float | None]] = {r.number: {str(p.slot): None for p in parties} for r in rounds}
    blocks: dict[int, dict[str, list[int]]] = {r.number: {} for r in rounds}
    for result, round_ in rows:
        if not disclosure.published(result):
            continue
        trusty = [i for i, s in enumerate(round_.statements) if "trust" in s.lower()]
        others = [i for i in range(len(round_.statements)) if i not in trusty] or trusty
        published = cast(list[float], result.means)  # a published block has every statement's mean
        means = [_rescale(m, round_.scale) for m in published]
        for statement, value in zip(round_.statements, means, strict=True):
            per_statement[statement][result.party_slot].append(value)
        trust = mean(means[i] for i in (trusty or others))
        trust_of[result.party_slot].append(trust)
        behaviour_of[result.party_slot].append(mean(means[i] for i in others))
        points[round_.number][str(result.party_slot)] = round(trust, 2)
        blocks[round_.number][str(result.party_slot)] = list(result.rounds)
    series = [{"round": r.number, "period": r.period.isoformat(), "trust": points[r.number],
               "blocks": blocks[r.number]} for r in rounds]
    sides: list[dict[str, Any]] = []
    for party in parties:
        mine = [result for result, _ in rows if result.party_slot == party.slot]
        sides.append({"slot": party.slot, "name": party.name, "invited": sum(r.asked for r in mine),
                      "answered": sum(r.answered for r in mine), "trust": _mean(trust_of[party.slot]),
                      "behaviour": _mean(behaviour_of[party.slot]), "rounds_counted": len(trust_of[party.slot]),
                      "blocks": [r.rounds for r in mine if r.rounds]})
    statements = []
    for statement, by_slot in per_statement.items():
        pair = [_mean(by_slot.get(p.slot, [])) for p in parties]
        gap = round(abs(pair[0] - pair[1]), 2) if pair[0] is not None and pair[1] is not None else None
        statements.append({"statement": statement, "means": pair, "gap": gap,
                           "flagged": gap is not None and gap >= relationship.gap_threshold})
    pair = [side["trust"] for side in sides]  # on the 1-to-5 scale whatever the rounds' scales
    return {"rounds": len(rounds), "threshold": relationship.gap_threshold, "parties": sides, "series": series,
            "gap": round(abs(pair[0] - pair[1]), 2) if pair[0] is not None and pair[1] is not None else None,
            "statements": sorted(statements, key=lambda s: -(s["gap"] or 0))}


def _mean(values: list[float]) -> float | None:
    return round(mean(values), 2) if values else None


# -- disputes, actions, risks, objectives -----------------------------------------------------------


def _disputes(db: Session, rid: int, starts_at: datetime, ends_at: datetime) -> dict[str, Any]:
    active = list(db.exec(select(Dispute).where(
        Dispute.relationship_id == rid, Dispute.opened_at < ends_at,
        or_(col(Dispute.resolved_at).is_(None), col(Dispute.resolved_at) >= starts_at)).order_by(col(Dispute.number))))
    by_id = {d.id: d for d in active}
    escalations = db.exec(select(DisputeEvent).where(col(DisputeEvent.dispute_id).in_(list(by_id)),
                                                     DisputeEvent.kind == "escalated", DisputeEvent.at >= starts_at,
                                                     DisputeEvent.at < ends_at).order_by(col(DisputeEvent.id)))

    def brief(d: Dispute) -> dict[str, Any]:
        return {"number": d.number, "title": d.title, "severity": d.severity, "level": d.level,
                "level_name": f"L{d.level + 1} {d.ladder[d.level]['name']}" if d.ladder else f"L{d.level + 1}"}

    return {
        "opened": [brief(d) for d in active if d.opened_at >= starts_at],
        "escalated": [{**brief(by_id[e.dispute_id]), "to": e.detail.get("level", ""), "reason": e.detail.get("reason")}
                      for e in escalations],
        "resolved": [{**brief(d), "resolution": d.resolution or "", "lessons": d.lessons or ""}
                     for d in active if d.status == RESOLVED and d.resolved_at is not None and d.resolved_at < ends_at],
        "open": [brief(d) for d in active if d.status != RESOLVED or (d.resolved_at and d.resolved_at >= ends_at)],
        "highest": [brief(d) for d in sorted(active, key=lambda d: (-d.level, d.number))][:5],
    }


def _actions(db: Session, rid: int, first_day: date, last_day: date) -> dict[str, Any]:
    rows = list(db.exec(select(Action).where(Action.relationship_id == rid, or_(
        Action.status == "open", (col(Action.closed_on) >= first_day) & (col(Action.closed_on) <= last_day)))
        .order_by(col(Action.due_on), col(Action.number))))

    def brief(a: Action) -> dict[str, Any]:
        return {"number": a.number, "description": a.description, "owner": a.owner_user_id,
                "due_on": a.due_on.isoformat(), "reason": a.reason}

    open_ = [a for a in rows if a.status == "open"]
    overdue = [a for a in open_ if a.due_on < last_day]
    return {"done": [brief(a) for a in rows if a.status == "done"],
            "cannot": [brief(a) for a in rows if a.status == "cannot_complete"],
            "overdue": [brief(a) for a in overdue], "open": len(open_),
            "overdue_share": round(len(overdue) / len(open_), 2) if open_ else 0.0}


def _risks(db: Session, rid: int, before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    previous = {r["number"]: r["score"] for r in before}
    rows = risks.by_score([r for r in db.exec(select(Risk).where(Risk.relationship_id == rid))
                           if r.status != "closed"])
    return [{"number": r.number, "description": r.description, "score": r.likelihood * r.impact,
             "likelihood": r.likelihood, "impact": r.impact, "previous_score": previous.get(r.number),
             "change": None if r.number not in previous else r.likelihood * r.impact - previous[r.number]}
            for r in rows]


def _objectives(db: Session, rid: int, parties: list[Party], before: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {p.slot: p.name for p in parties}
    met_before = {o["number"] for o in before if o["status"] == "met"}
    return [{"number": o.number, "title": o.title, "status": o.status,
             "whose": "ours" if o.party_slot is None else names.get(o.party_slot, "?"),
             "met_in_period": o.status == "met" and o.number not in met_before}
            for o in db.exec(select(Objective).where(Objective.relationship_id == rid).order_by(col(Objective.number)))]


def _values(db: Session, rid: int, parties: list[Party], first_day: date, last_day: date) -> list[dict[str, Any]]:
    rows = list(db.exec(select(ValueEntry).where(ValueEntry.relationship_id == rid, ValueEntry.on >= first_day,
                                                 ValueEntry.on <= last_day).order_by(col(ValueEntry.on),
                                                                                     col(ValueEntry.id))))
    out = []
    for party in parties:
        mine = [v for v in rows if v.party_slot == party.slot]
        out.append({"slot": party.slot, "name": party.name,
                    **{kind: round(sum(v.amount or 0 for v in mine if v.kind == kind), 2) for kind in (COST, BENEFIT)},
                    "entries": [{"kind": v.kind, "amount": v.amount, "description": v.description,
                                 "on": v.on.isoformat(), "by": v.recorded_by} for v in mine]})
    return out


def _recorded_wins(db: Session, rid: int, parties: list[Party], starts_at: datetime,
                   ends_at: datetime) -> list[dict[str, Any]]:
    """The wins either party recorded in the period (`/accord win`), oldest first."""
    names = {p.slot: p.name for p in parties}
    rows = db.exec(select(Win).where(Win.relationship_id == rid, Win.created_at >= starts_at,
                                     Win.created_at < ends_at).order_by(col(Win.number)))
    return [{"number": w.number, "party": names.get(w.party_slot, "?"), "by": w.user_id, "text": w.text,
             "at": w.created_at.isoformat()} for w in rows]


def _exits(db: Session, relationship: Relationship, today: date) -> dict[str, Any]:
    rid = relationship.id or 0
    triggers = db.exec(select(ExitTrigger).where(ExitTrigger.relationship_id == rid).order_by(col(ExitTrigger.number)))
    return {"reviewed_on": relationship.exit_reviewed_on.isoformat() if relationship.exit_reviewed_on else None,
            "triggers": [{"number": t.number, "kind": t.kind, "description": t.description,
                          "status": exits.current_status(db, t, relationship_id=rid, today=today)} for t in triggers]}
