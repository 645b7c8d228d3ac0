"""A round's summary: participation, KPIs, each statement's mean per party, the perception gap, and
the largest changes since the previous round. Individual answers never leave this module."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from statistics import mean
from typing import Any

from sqlmodel import Session, col, select

from commands.rmp import access, items, kpis
from storage.checkins import Answer, Prompt, Round
from storage.rmp import Kpi, KpiValue, Relationship


@dataclass
class PartyResult:
    """One party in a round: who was asked, who answered, and the means (None when withheld)."""

    slot: int
    name: str
    invited: int
    answered: int
    withheld: bool
    means: list[float | None]


@dataclass
class KpiResult:
    """A KPI's value this round with target, RAG and the values of the last rounds (oldest first)."""

    number: int
    name: str
    unit: str
    direction: str
    target: float
    value: float | None
    rag: str | None
    history: list[float]


@dataclass
class Summary:
    """Everything the round's summary says."""

    relationship: str
    round_number: int
    period: str
    scale: int
    min_respondents: int
    gap_threshold: float
    statements: list[str]
    parties: list[PartyResult]
    gaps: list[float | None]
    flagged: list[bool]
    kpis: list[KpiResult] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)


def _party_results(db: Session, round_: Round, relationship: Relationship) -> list[PartyResult]:
    prompts = list(db.exec(select(Prompt).where(Prompt.round_id == round_.id)))
    answers = list(db.exec(select(Answer).where(Answer.round_id == round_.id)))
    results = []
    for party in access.parties(db, relationship):
        mine = [a for a in answers if a.party_slot == party.slot]
        invited = len({p.user_id for p in prompts if p.party_slot == party.slot} | {a.user_id for a in mine})
        withheld = len(mine) < round_.min_respondents
        means: list[float | None] = [
            None if withheld else round(mean(a.ratings[i] for a in mine), 2) for i in range(len(round_.statements))
        ]
        results.append(PartyResult(party.slot, party.name, invited, len(mine), withheld, means))
    return results


def normalised_gap(gap: float, scale: int) -> float:
    """A gap on the round's scale expressed on the 5-point scale the threshold speaks of."""
    return gap * 4 / (scale - 1) if scale > 1 else gap


def summarise(db: Session, round_: Round) -> Summary:
    """The summary of `round_` (read-only)."""
    relationship = db.get(Relationship, round_.relationship_id)
    assert relationship is not None
    parties = _party_results(db, round_, relationship)
    gaps: list[float | None] = []
    for index in range(len(round_.statements)):
        pair = [p.means[index] for p in parties]
        gaps.append(None if None in pair else round(abs(pair[0] - pair[1]), 2))  # type: ignore[operator]
    flagged = [gap is not None and normalised_gap(gap, round_.scale) >= round_.gap_threshold for gap in gaps]
    result = Summary(relationship.name, round_.number, round_.period.isoformat(), round_.scale,
                     round_.min_respondents, round_.gap_threshold, list(round_.statements), parties, gaps, flagged)
    result.kpis = [_kpi_result(db, kpi, round_) for kpi in items.all_of(db, Kpi, relationship.id or 0) if kpi.active]
    result.changes = _changes(db, round_, relationship, parties)
    return result


def _kpi_result(db: Session, kpi: Kpi, round_: Round) -> KpiResult:
    rows = list(db.exec(select(KpiValue).where(KpiValue.kpi_id == kpi.id, KpiValue.period <= round_.period)
                        .order_by(col(KpiValue.period).desc()).limit(4)))
    current = rows[0].value if rows and rows[0].period == round_.period else None
    return KpiResult(kpi.number, kpi.name, kpi.unit, kpi.direction, kpi.target, current,
                     kpis.rag(kpi, current) if current is not None else None, [r.value for r in reversed(rows)])


def _changes(
    db: Session, round_: Round, relationship: Relationship, parties: list[PartyResult]
) -> list[dict[str, Any]]:
    """The three largest moves of a party's mean since the previous round (same statements only)."""
    previous = db.exec(select(Round).where(Round.relationship_id == relationship.id, Round.number < round_.number)
                       .order_by(col(Round.number).desc())).first()
    if previous is None:
        return []
    before = {p.slot: p for p in _party_results(db, previous, relationship)}
    moves = []
    for party in parties:
        for index, statement in enumerate(round_.statements):
            if statement not in previous.statements:
                continue
            old = before[party.slot].means[previous.statements.index(statement)]
            new = party.means[index]
            if old is not None and new is not None and old != new:
                moves.append({"party": party.name, "statement": statement, "before": old, "after": new,
                              "change": round(new - old, 2)})
    return sorted(moves, key=lambda move: (-abs(move["change"]), move["party"], move["statement"]))[:3]


def as_data(summary: Summary) -> dict[str, Any]:
    """The summary as JSON for the outbox."""
    return asdict(summary)
