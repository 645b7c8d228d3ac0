"""Opening and saving the plan's forms: one entry per form, so listeners stay generic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel

from commands.actor import Actor
from commands.errors import InputError
from commands.rmp import access, actions, exits, items, kpis, objectives, risks, service_levels
from storage.rmp import Action, ExitTrigger, Kpi, Objective, Party, Relationship, Risk


@dataclass(frozen=True)
class FormContext:
    """What a form needs to be drawn: the plan, its parties, the item edited (or None), the KPIs."""

    relationship: Relationship
    parties: list[Party]
    item: SQLModel | None
    kpis: list[Kpi]
    objectives: list[Objective] = field(default_factory=list)  # the exit form's objective triggers


@dataclass(frozen=True)
class FormKind:
    """A plan form: its item table, its input dataclass and the use case that saves it."""

    label: str
    model: type[SQLModel]
    input_type: type
    save: Callable[..., SQLModel]


FORMS: dict[str, FormKind] = {
    "objective": FormKind("objective", Objective, objectives.ObjectiveInput,
                          lambda db, actor, form, number, now: objectives.save_objective(
                              db, actor=actor, form=form, number=number, now=now)),
    "kpi": FormKind("KPI", Kpi, kpis.KpiInput,
                    lambda db, actor, form, number, now: kpis.save_kpi(
                        db, actor=actor, form=form, kpi_number=number, now=now)),
    "service_level": FormKind("service level", Kpi, kpis.KpiInput,
                              lambda db, actor, form, number, now: service_levels.save_service_level(
                                  db, actor=actor, form=form, number=number, now=now)),
    "risk": FormKind("risk", Risk, risks.RiskInput,
                     lambda db, actor, form, number, now: risks.save_risk(
                         db, actor=actor, form=form, number=number, now=now)),
    "action": FormKind("action", Action, actions.ActionInput,
                       lambda db, actor, form, number, now: actions.save_action(
                           db, actor=actor, form=form, number=number, now=now)),
    "exit": FormKind("exit trigger", ExitTrigger, exits.ExitInput,
                     lambda db, actor, form, number, now: exits.save_trigger(
                         db, actor=actor, form=form, number=number, now=now)),
}


def form_kind(name: str) -> FormKind:
    """The form called `name`."""
    try:
        return FORMS[name]
    except KeyError:
        raise InputError(f"There is no form called {name!r}.") from None


def open_form(db: Session, *, actor: Actor, name: str, number: int | None) -> FormContext:
    """Check the actor may edit, and gather what the form shows."""
    kind = form_kind(name)
    by = access.editor(db, actor)
    rid = by.relationship.id or 0
    item = items.find(db, kind.model, rid, number, label=kind.label) if number is not None else None
    return FormContext(by.relationship, access.parties(db, by.relationship), item, items.all_of(db, Kpi, rid),
                       items.all_of(db, Objective, rid))


def save_form(
    db: Session, *, actor: Actor, name: str, values: dict[str, Any], number: int | None, now: datetime
) -> SQLModel:
    """Save a submitted form through its use case (which checks permissions and input)."""
    kind = form_kind(name)
    given = {f.name: _as_text(values[f.name]) for f in fields(kind.input_type) if f.name in values}
    missing = {f.name: "" for f in fields(kind.input_type) if f.name not in values and f.default is MISSING}
    form = kind.input_type(**given, **missing)
    return kind.save(db, actor, form, number, now)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else str(value if value is not None else "")
