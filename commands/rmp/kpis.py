"""KPIs: a measure with a unit, a direction, a target and a red threshold; RAG from a value.

RAG is computed here and only here (`colour`; `rag` for a stored KPI): status, check-in summaries, reviews,
exit triggers, the review chart and the form's checks all call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.errors import FieldChecks, InputError
from commands.rmp import access, items
from commands.rmp.fields import choice, number, text
from storage import limits
from storage.rmp import Kpi, KpiValue, Proposal

GREEN, AMBER, RED = "green", "amber", "red"


@dataclass(frozen=True)
class KpiInput:
    """The KPI form as typed."""

    name: str
    unit: str
    direction: str
    target: str
    red: str
    owner_slot: str
    reporter_slot: str
    cadence: str = "each check-in"


def worse(direction: str, value: float, than: float) -> bool:
    """Whether `value` is worse than `than` for a KPI where `direction` ("higher" or "lower") is better."""
    return value < than if direction == "higher" else value > than


def colour(value: float, *, direction: str, target: float, red: float) -> str:
    """Green at or better than the target; amber short of it but not past the red threshold; red past it."""
    if worse(direction, value, red):
        return RED
    if worse(direction, value, target):
        return AMBER
    return GREEN


def rag(kpi: Kpi, value: float) -> str:
    """The colour of a value of a stored KPI (see `colour`)."""
    return colour(value, direction=kpi.direction, target=kpi.target, red=kpi.red)


def threshold_problem(direction: str, target: float, red: float) -> str | None:
    """Why a red threshold does not fit its target, or None: red lies on the bad side of the target."""
    if not worse(direction, red, target):
        side = "below" if direction == "higher" else "above"
        return f"When {direction} is better, red starts {side} the target."
    return None


def _checked(form: KpiInput, checks: FieldChecks) -> dict[str, Any]:
    """The KPI's values as stored; each bad field is recorded in `checks` (its value None)."""
    direction = checks.read(choice, form.direction, ("higher", "lower"), field="direction", label="Better is")
    target = checks.read(number, form.target, field="target", label="The target")
    red = checks.read(number, form.red, field="red", label="The red threshold")
    problem = threshold_problem(direction, target, red) \
        if direction is not None and target is not None and red is not None else None
    if problem:
        checks.add("red", problem)
    owner = checks.read(choice, form.owner_slot, ("1", "2"), field="owner_slot", label="The owning party")
    reporter = checks.read(choice, form.reporter_slot, ("1", "2"), field="reporter_slot",
                           label="The reporting party")
    return {
        "name": checks.read(text, form.name, field="name", label="The KPI's name", limit=limits.KPI_NAME),
        "unit": checks.read(text, form.unit, field="unit", label="The unit", limit=limits.UNIT, required=False),
        # amber starts where the target is missed: the stored threshold is the target (see Kpi.amber)
        "direction": direction, "target": target, "amber": target, "red": red,
        "owner_slot": int(owner) if owner else None, "reporter_slot": int(reporter) if reporter else None,
        "cadence": checks.read(text, form.cadence, field="cadence", label="The cadence", limit=limits.KPI_CADENCE),
    }


def _name_taken(db: Session, relationship_id: int, name: str, kpi_number: int | None) -> str | None:
    """Why `name` cannot be used (another KPI has it), or None."""
    for other in items.all_of(db, Kpi, relationship_id):
        if other.name.casefold() == name.casefold() and other.number != kpi_number:
            return f"KPI #{other.number} is already called {other.name}."
    return None


checked_values, name_taken = _checked, _name_taken  # the service-level form shares the KPI's fields (service_levels)


def save_kpi(db: Session, *, actor: Actor, form: KpiInput, kpi_number: int | None, now: datetime) -> Kpi | Proposal:
    """Add (kpi_number None) or edit a KPI; editors only; names are unique in a relationship. The owning party
    changes its KPIs alone; a change of the partner's KPI, or of who owns it, is proposed to the partner.
    Every bad field is reported at once."""
    by = access.editor(db, actor)
    checks = FieldChecks()
    values = _checked(form, checks)
    taken = _name_taken(db, by.relationship.id or 0, values["name"], kpi_number) if values["name"] else None
    if taken:
        checks.add("name", taken)
    checks.raise_if_any()
    before = items.find(db, Kpi, by.relationship.id or 0, kpi_number, label="KPI") if kpi_number else None
    if before is not None and before.service_level:  # the partner relies on it: its own consent rule
        raise InputError(f"#{kpi_number} {before.name} is a service level: change it with "
                         f"`/accord sla edit {kpi_number}`.", field="name")
    return items.save_or_propose(db, by, entity="kpi", model=Kpi, values=values, number=kpi_number,
                                 user_id=actor.user_id,
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
