"""KPIs: a measure with a unit, a direction, a target and amber and red thresholds; RAG from a value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.errors import InputError
from commands.rmp import access, items
from commands.rmp.forms import choice, number, text
from storage.rmp import Kpi, KpiValue, Proposal

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class KpiInput:
    """The KPI form as typed."""

    name: str
    unit: str
    direction: str
    target: str
    amber: str
    red: str
    owner_slot: str
    reporter_slot: str
    cadence: str = "each check-in"


def rag(kpi: Kpi, value: float) -> str:
    """Green at or better than the amber threshold; amber past it; red past the red threshold."""
    worse = (lambda a, b: a < b) if kpi.direction == "higher" else (lambda a, b: a > b)
    if worse(value, kpi.red):
        return RED
    if worse(value, kpi.amber):
        return AMBER
    return GREEN


def _checked(form: KpiInput) -> dict[str, object]:
    direction = choice(form.direction, ("higher", "lower"), field="direction", label="Better is")
    target = number(form.target, field="target", label="The target")
    amber = number(form.amber, field="amber", label="The amber threshold")
    red = number(form.red, field="red", label="The red threshold")
    if direction == "higher":
        if amber > target:
            raise InputError("When higher is better, amber starts at or below the target.", field="amber")
        if red > amber or red >= target:
            raise InputError("When higher is better, red starts below the target and not above amber.",
                             field="red")
    else:
        if amber < target:
            raise InputError("When lower is better, amber starts at or above the target.", field="amber")
        if red < amber or red <= target:
            raise InputError("When lower is better, red starts above the target and not below amber.",
                             field="red")
    return {
        "name": text(form.name, field="name", label="The KPI's name", limit=100),
        "unit": text(form.unit, field="unit", label="The unit", limit=30, required=False),
        "direction": direction, "target": target, "amber": amber, "red": red,
        "owner_slot": int(choice(form.owner_slot, ("1", "2"), field="owner_slot", label="The owning party")),
        "reporter_slot": int(choice(form.reporter_slot, ("1", "2"), field="reporter_slot",
                                    label="The reporting party")),
        "cadence": text(form.cadence, field="cadence", label="The cadence", limit=60),
    }


def save_kpi(db: Session, *, actor: Actor, form: KpiInput, kpi_number: int | None, now: datetime) -> Kpi | Proposal:
    """Add (kpi_number None) or edit a KPI; editors only; names are unique in a relationship. The owning party
    changes its KPIs alone; a change of the partner's KPI, or of who owns it, is proposed to the partner."""
    by = access.editor(db, actor)
    values = _checked(form)
    for other in items.all_of(db, Kpi, by.relationship.id or 0):
        if other.name.casefold() == str(values["name"]).casefold() and other.number != kpi_number:
            raise InputError(f"KPI #{other.number} is already called {other.name}.", field="name")
    before = items.find(db, Kpi, by.relationship.id or 0, kpi_number, label="KPI") if kpi_number else None
    return items.save_or_propose(db, by, entity="kpi", values=values, number=kpi_number, user_id=actor.user_id,
                                 owners={values["owner_slot"], *([before.owner_slot] if before else [])}, now=now)


def latest_values(db: Session, kpi: Kpi, *, limit: int = 6) -> list[KpiValue]:
    """The KPI's most recent values, newest first."""
    return list(db.exec(
        select(KpiValue).where(KpiValue.kpi_id == kpi.id)
        .order_by(col(KpiValue.period).desc(), col(KpiValue.id).desc()).limit(limit)
    ))


def record_value(db: Session, kpi: Kpi, *, value: float, period: date, user_id: str, now: datetime) -> KpiValue:
    """Store a reported value for a period (check-ins call this)."""
    row = KpiValue(kpi_id=kpi.id or 0, period=period, value=value, reported_by=user_id, reported_at=now)
    db.add(row)
    db.flush()
    return row
