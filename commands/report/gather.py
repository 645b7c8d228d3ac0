"""What the audit report holds: one relationship's evidence gathered into a plain, JSON-ready dict.

Read-only, in the caller's one transaction. Check-in figures are only what rounds' closes published
(`checkin_result`: counts, and means of blocks of at least the threshold of people) — never an answer or a
comment — so the report reveals no more than the channel already saw.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from commands.checkins import disclosure
from commands.errors import InputError
from commands.reviews import figures
from commands.rmp import access, exits, history, kpis
from commands.rmp.actions import local_today
from commands.rmp.sentences import UNNAMED
from storage.checkins import CLOSED, Result, Round
from storage.disputes import Dispute, DisputeEvent
from storage.partnership import Commitment, Idea
from storage.reviews import Review, ReviewExpectation, ReviewLesson, ReviewSignature, ValueEntry
from storage.rmp import Action, Change, ExitTrigger, Kpi, KpiValue, Objective, Party, Person, Relationship, Risk

Report = dict[str, Any]
_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")
_MARKUP = re.compile(r"(?<![\w*])[*_]|[*_](?![\w*])")
FORMAT = 1


def for_channel(db: Session, *, channel_id: str, now: datetime) -> Report:
    """The report of the relationship in `channel_id` (`accord report`); InputError when there is none."""
    relationship = db.exec(select(Relationship).where(Relationship.channel_id == channel_id)).first()
    if relationship is None:
        raise InputError(f"channel {channel_id} has no relationship", field="channel")
    return gather(db, relationship, now=now)


def gather(db: Session, relationship: Relationship, *, now: datetime) -> Report:
    """Everything the audit report shows of `relationship`, as of `now`."""
    rid = relationship.id or 0
    parties = access.parties(db, relationship)
    party_names = {p.slot: p.name for p in parties}
    people = list(db.exec(select(Person).where(Person.relationship_id == rid).order_by(col(Person.id))))
    slot_of_party = {p.id: p.slot for p in parties}
    names = {p.user_id: p.name or UNNAMED for p in people}
    ctx = _Context(db, rid, party_names, names, {p.user_id: slot_of_party.get(p.party_id) for p in people})
    today = local_today(relationship, now)
    return {
        "format": FORMAT,
        "generated_at": now.isoformat(),
        "today": today.isoformat(),
        "relationship": {
            "name": relationship.name, "channel": relationship.channel_id, "timezone": relationship.timezone,
            "currency": relationship.currency, "version": relationship.version,
            "since": relationship.created_at.isoformat(), "retention_months": relationship.retention_months,
            "review_cadence": relationship.review_cadence, "checkin_cadence": relationship.checkin_cadence,
        },
        "parties": [{"slot": p.slot, "name": p.name} for p in parties],
        "team": [{"name": names[p.user_id], "party": party_names.get(slot_of_party.get(p.party_id) or 0, "?"),
                  "role": p.role} for p in people if p.left_at is None and p.role in access.EDITORS],
        "charter": {"mission": relationship.charter_mission, "values": list(relationship.charter_values),
                    "behaviours": list(relationship.charter_behaviours)},
        "objectives": _objectives(ctx),
        "history": _history(db, rid),
        "reviews": _reviews(ctx),
        "kpis": _kpis(ctx),
        "checkins": _checkins(db, relationship, parties, now),
        "actions": _actions(ctx),
        "disputes": _disputes(ctx),
        "risks": _risks(ctx),
        "values": _values(ctx),
        "ideas": _ideas(ctx),
        "commitments": _commitments(ctx),
        "exit": _exit(ctx, relationship, today),
    }


class _Context:
    """What every part reads: the session, the relationship's id, its parties' and people's names."""

    def __init__(self, db: Session, rid: int, parties: dict[int, str], people: dict[str, str],
                 slots: dict[str, int | None]) -> None:
        self.db, self.rid, self.parties, self.people, self.slots = db, rid, parties, people, slots

    def person(self, user_id: str | None) -> str:
        return "Accord" if user_id == "accord" else self.people.get(user_id or "", UNNAMED)

    def plain(self, text: str) -> str:
        """Slack's markup of a stored review text as plain words: mentions as names, no bold or italics."""
        return _MARKUP.sub("", _MENTION.sub(lambda found: self.person(found.group(1)), text))

    def party(self, slot: int | None) -> str:
        return self.parties.get(slot or 0, "?")

    def party_of(self, user_id: str | None) -> str:
        return self.party(self.slots.get(user_id or ""))


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _objectives(ctx: _Context) -> list[dict[str, Any]]:
    rows = ctx.db.exec(select(Objective).where(Objective.relationship_id == ctx.rid).order_by(col(Objective.number)))
    return [{"number": o.number, "title": o.title, "status": o.status,
             "whose": "ours" if o.party_slot is None else ctx.party(o.party_slot),
             "benefits": [o.benefit_1, o.benefit_2]} for o in rows]


def _history(db: Session, rid: int) -> list[dict[str, Any]]:
    """Every recorded change of the plan, oldest first, each in one sentence."""
    changes = list(db.exec(select(Change).where(Change.relationship_id == rid)
                           .order_by(col(Change.version), col(Change.id))))
    return [{"version": entry.version, "at": entry.at.isoformat(), "party": change.party, "text": entry.text}
            for entry, change in zip(history.entries(db, rid, changes), changes, strict=True)]


def _reviews(ctx: _Context) -> list[dict[str, Any]]:
    db = ctx.db
    reviews = list(db.exec(select(Review).where(Review.relationship_id == ctx.rid).order_by(col(Review.number))))
    ids = [r.id for r in reviews]
    signed_by: dict[int, list[ReviewSignature]] = defaultdict(list)
    for signature in db.exec(select(ReviewSignature).where(col(ReviewSignature.review_id).in_(ids))
                             .order_by(col(ReviewSignature.party_slot))):
        signed_by[signature.review_id].append(signature)
    expected: dict[int, list[ReviewExpectation]] = defaultdict(list)
    for expectation in db.exec(select(ReviewExpectation).where(col(ReviewExpectation.review_id).in_(ids))
                               .order_by(col(ReviewExpectation.party_slot))):
        expected[expectation.review_id].append(expectation)
    learnt: dict[int, list[ReviewLesson]] = defaultdict(list)
    for lesson in db.exec(select(ReviewLesson).where(col(ReviewLesson.review_id).in_(ids))
                          .order_by(col(ReviewLesson.number))):
        learnt[lesson.review_id].append(lesson)
    out = []
    for review in reviews:
        shown = review.figures
        signatures = signed_by[review.id or 0]
        signed = {s.party_slot for s in signatures}
        actions = shown.get("actions") or {}
        out.append({
            "number": review.number, "held_at": review.created_at.isoformat(), "trigger": review.trigger,
            "requested_by": ctx.person(review.requested_by),
            "first_day": (shown.get("period") or {}).get("first_day"),
            "last_day": (shown.get("period") or {}).get("last_day"),
            "signatures": [{"party": s.party, "name": ctx.person(s.user_id), "at": s.signed_at.isoformat(),
                            "plan_version": s.plan_version, "exit_reviewed": s.exit_reviewed} for s in signatures],
            "awaiting": [p["name"] for p in shown.get("parties") or [] if p["slot"] not in signed],
            "expectations": [{"party": ctx.party(e.party_slot), "score": e.score, "note": e.note,
                              "by": ctx.person(e.user_id), "at": e.at.isoformat()}
                             for e in expected[review.id or 0]],
            "lessons": [{"number": lesson.number, "party": ctx.party(lesson.party_slot), "failure": lesson.failure,
                         "reason": lesson.reason, "avoidance": lesson.avoidance, "by": ctx.person(lesson.user_id)}
                        for lesson in learnt[review.id or 0]],
            "recommendations": [ctx.plain(str(r.get("text") or "")) for r in shown.get("recommendations") or []],
            "wins": [ctx.plain(str(w)) for w in shown.get("wins") or []],
            "actions": {"done": len(actions.get("done") or []), "cannot": len(actions.get("cannot") or []),
                        "overdue": len(actions.get("overdue") or []), "open": actions.get("open", 0)},
            "trust": [{"name": side.get("name"), "trust": side.get("trust"), "answered": side.get("answered"),
                       "invited": side.get("invited")} for side in (shown.get("trust") or {}).get("parties") or []],
        })
    return out


def _kpis(ctx: _Context) -> list[dict[str, Any]]:
    """Every KPI and service level with its values per period (a later report of a period replaces an earlier)."""
    rows = list(ctx.db.exec(select(Kpi).where(Kpi.relationship_id == ctx.rid).order_by(col(Kpi.number))))
    values: dict[int, dict[str, float]] = defaultdict(dict)
    for value in ctx.db.exec(select(KpiValue).where(col(KpiValue.kpi_id).in_([k.id for k in rows]))
                             .order_by(col(KpiValue.period), col(KpiValue.id))):
        values[value.kpi_id][value.period.isoformat()] = value.value
    out = []
    for kpi in rows:
        series = sorted(values[kpi.id or 0].items())
        periods = [{"period": period, "value": value, "rag": kpis.rag(kpi, value),
                    "met": not kpis.worse(kpi.direction, value, kpi.target)} for period, value in series]
        out.append({
            "number": kpi.number, "name": kpi.name, "unit": kpi.unit, "direction": kpi.direction,
            "target": kpi.target, "red": kpi.red, "owner": ctx.party(kpi.owner_slot),
            "reporter": ctx.party(kpi.reporter_slot), "cadence": kpi.cadence, "active": kpi.active,
            "service_level": kpi.service_level, "periods": periods,
            "latest_rag": periods[-1]["rag"] if periods else None,
            "missed": sum(1 for p in periods if not p["met"]),
            "series": [[period, value] for period, value in series],  # as a review's figures hold it (the chart)
        })
    return out


def _checkins(db: Session, relationship: Relationship, parties: list[Party], now: datetime) -> dict[str, Any]:
    """Each closed round's published figures per party: counts, and the means of its block when published."""
    rows = list(db.exec(select(Result, Round).where(
        Result.round_id == Round.id, Round.relationship_id == relationship.id, Round.status == CLOSED)
        .order_by(col(Round.number), col(Result.party_slot))))
    names = {p.slot: p.name for p in parties}
    rounds: dict[int, dict[str, Any]] = {}
    for result, round_ in rows:
        entry = rounds.setdefault(round_.number, {
            "number": round_.number, "period": round_.period.isoformat(), "closed_at": round_.closes_at.isoformat(),
            "statements": list(round_.statements), "scale": round_.scale,
            "threshold": disclosure.threshold(round_), "parties": []})
        published = disclosure.published(result)
        entry["parties"].append({
            "name": names.get(result.party_slot, "?"), "asked": result.asked, "answered": result.answered,
            "published": published, "block": list(result.rounds) if published else [],
            "people": result.people if published else None,
            "means": [None if m is None else round(float(m), 2) for m in result.means] if published else [],
        })
    # trust per party over every round, from the published means alone (as a review computes it)
    trust = figures._trust(db, relationship, parties, relationship.created_at, now) if rows \
        else {"series": [], "parties": []}
    return {"threshold": max(relationship.checkin_min_respondents, disclosure.FLOOR),
            "rounds": list(rounds.values()), "trust_series": trust["series"],
            "trust": [{"name": side["name"], "trust": side["trust"], "behaviour": side["behaviour"],
                       "rounds_counted": side["rounds_counted"]} for side in trust["parties"]]}


def _actions(ctx: _Context) -> list[dict[str, Any]]:
    rows = ctx.db.exec(select(Action).where(Action.relationship_id == ctx.rid).order_by(col(Action.number)))
    return [{"number": a.number, "description": a.description, "owner": ctx.person(a.owner_user_id),
             "party": ctx.party_of(a.owner_user_id), "due_on": a.due_on.isoformat(), "status": a.status,
             "reason": a.reason, "closed_on": _iso(a.closed_on)} for a in rows]


def _disputes(ctx: _Context) -> list[dict[str, Any]]:
    rows = list(ctx.db.exec(select(Dispute).where(Dispute.relationship_id == ctx.rid).order_by(col(Dispute.number))))
    events: dict[int, list[DisputeEvent]] = defaultdict(list)
    for event in ctx.db.exec(select(DisputeEvent).where(col(DisputeEvent.dispute_id).in_([d.id for d in rows]))
                             .order_by(col(DisputeEvent.at), col(DisputeEvent.id))):
        events[event.dispute_id].append(event)
    return [{
        "number": d.number, "title": d.title, "severity": d.severity, "status": d.status,
        "raised_by": ctx.party(d.raising_slot), "opened_at": d.opened_at.isoformat(),
        "resolved_at": _iso(d.resolved_at), "desired_outcome": d.desired_outcome,
        "level": (f"L{d.level + 1} {d.ladder[d.level]['name']}" if d.ladder and d.level < len(d.ladder)
                  else f"L{d.level + 1}"),
        "resolution": d.resolution or "", "lessons": d.lessons or "",
        "log": [{"at": e.at.isoformat(), "kind": e.kind.replace("_", " "), "party": e.party,
                 "by": ctx.person(e.user_id)} for e in events[d.id or 0]],
    } for d in rows]


def _risks(ctx: _Context) -> list[dict[str, Any]]:
    rows = ctx.db.exec(select(Risk).where(Risk.relationship_id == ctx.rid).order_by(col(Risk.number)))
    return [{"number": r.number, "description": r.description, "likelihood": r.likelihood, "impact": r.impact,
             "score": r.likelihood * r.impact, "owner": ctx.person(r.owner_user_id), "mitigation": r.mitigation,
             "status": r.status, "review_on": _iso(r.review_on)} for r in rows]


def _values(ctx: _Context) -> dict[str, Any]:
    rows = list(ctx.db.exec(select(ValueEntry).where(ValueEntry.relationship_id == ctx.rid)
                            .order_by(col(ValueEntry.on), col(ValueEntry.id))))
    totals = [{"name": name, **{kind: round(sum(v.amount or 0 for v in rows if v.party_slot == slot
                                                and v.kind == kind), 2) for kind in ("cost", "benefit")}}
              for slot, name in sorted(ctx.parties.items())]
    return {"totals": totals,
            "entries": [{"party": ctx.party(v.party_slot), "kind": v.kind, "amount": v.amount,
                         "description": v.description, "on": v.on.isoformat(), "by": ctx.person(v.recorded_by)}
                        for v in rows]}


def _ideas(ctx: _Context) -> dict[str, Any]:
    rows = list(ctx.db.exec(select(Idea).where(Idea.relationship_id == ctx.rid).order_by(col(Idea.number))))
    counts = [{"name": name, "raised": sum(1 for i in rows if i.party_slot == slot),
               "agreed": sum(1 for i in rows if i.party_slot == slot and i.agreed_at is not None),
               "delivered": sum(1 for i in rows if i.party_slot == slot and i.status == "done")}
              for slot, name in sorted(ctx.parties.items())]
    return {"counts": counts,
            "entries": [{"number": i.number, "title": i.title, "party": ctx.party(i.party_slot),
                         "raised_by": ctx.person(i.raised_by), "owner": ctx.person(i.owner_user_id),
                         "status": i.status.replace("_", " "), "benefits": [i.benefit_1, i.benefit_2],
                         "raised_at": i.created_at.isoformat(), "done_at": _iso(i.done_at)} for i in rows]}


def _commitments(ctx: _Context) -> list[dict[str, Any]]:
    rows = ctx.db.exec(select(Commitment).where(Commitment.relationship_id == ctx.rid)
                       .order_by(col(Commitment.number)))
    return [{"number": c.number, "party": ctx.party(c.party_slot), "resource": c.resource,
             "description": c.description, "quantity": c.quantity, "status": c.status.replace("_", " "),
             "reason": c.reason, "marked_on": _iso(c.marked_on)} for c in rows]


def _exit(ctx: _Context, relationship: Relationship, today: Any) -> dict[str, Any]:
    rows = ctx.db.exec(select(ExitTrigger).where(ExitTrigger.relationship_id == ctx.rid)
                       .order_by(col(ExitTrigger.number)))
    return {"reviewed_on": _iso(relationship.exit_reviewed_on),
            "triggers": [{"number": t.number, "kind": exits.KIND_LABELS.get(t.kind, t.kind),
                          "description": t.description,
                          "status": exits.current_status(ctx.db, t, relationship_id=ctx.rid, today=today)}
                         for t in rows]}
