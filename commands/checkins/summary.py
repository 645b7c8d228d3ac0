"""A round's summary: participation, KPIs, each statement's mean per party, the perception gap, and
the largest changes since the party's previous published block. It reads only what the round's close
published (`disclosure`), never individual answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from commands.checkins import disclosure
from commands.rmp import access, items, kpis
from storage.checkins import Result, Round
from storage.rmp import Kpi, KpiValue, Relationship


@dataclass
class PartyResult:
    """One party in a round: counts, and the means of its published block (None when withheld)."""

    slot: int
    name: str
    invited: int  # asked: prompted, neither away nor skipping
    answered: int
    withheld: bool
    means: list[float | None]
    skipped: int = 0
    away: int = 0
    rounds: list[int] = field(default_factory=list)  # the block the means rest on (more than this round: pooled)
    people: int = 0


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
    """The parties' results as the round's close published them (decided then, once: see disclosure)."""
    kept = {r.party_slot: r for r in db.exec(select(Result).where(Result.round_id == round_.id))}
    results = []
    for party in access.parties(db, relationship):
        kept_result = kept.get(party.slot)
        if kept_result is None:
            results.append(PartyResult(party.slot, party.name, 0, 0, True, [None] * len(round_.statements)))
            continue
        shown = disclosure.published(kept_result)
        results.append(PartyResult(
            party.slot, party.name, kept_result.asked, kept_result.answered, not shown,
            [round(m, 2) if shown and m is not None else None for m in kept_result.means]
            if shown else [None] * len(round_.statements),
            kept_result.skipped, kept_result.away, list(kept_result.rounds), kept_result.people))
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
        one, two = (p.means[index] for p in parties)
        gaps.append(round(abs(one - two), 2) if one is not None and two is not None else None)
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
    """The three largest moves of a party's published mean since its previous published block (same statement)."""
    moves: list[dict[str, Any]] = []
    for party in parties:
        if party.withheld:
            continue
        row = db.exec(select(Result, Round).where(Result.relationship_id == relationship.id,
                                                  Result.party_slot == party.slot, Result.people > 0,
                                                  Result.round_number < round_.number, Result.round_id == Round.id)
                      .order_by(col(Result.round_number).desc())).first()
        if row is None:
            continue
        before, previous = row
        for index, statement in enumerate(round_.statements):
            if statement not in previous.statements:
                continue
            old_mean = before.means[previous.statements.index(statement)]
            new = party.means[index]
            old = None if old_mean is None else round(old_mean, 2)
            if old is not None and new is not None and old != new:
                moves.append({"party": party.name, "statement": statement, "before": old, "after": new,
                              "change": round(new - old, 2), "rounds_before": before.rounds,
                              "rounds_after": party.rounds})
    return sorted(moves, key=lambda move: (-abs(move["change"]), move["party"], move["statement"]))[:3]


def as_data(summary: Summary) -> dict[str, Any]:
    """The summary as JSON for the outbox."""
    return asdict(summary)
