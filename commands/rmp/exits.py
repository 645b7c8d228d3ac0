"""The exit strategy: triggers of given kinds, each with its status, and when it was last reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, func, select

from commands.actor import Actor
from commands.errors import FieldChecks, InputError
from commands.rmp import access, audit, fields, items, kpis, service_levels
from commands.rmp.actions import local_today
from commands.rmp.fields import choice, iso_date, text, whole
from storage import limits
from storage.rmp import ExitTrigger, Kpi, Objective, Proposal

OBJECTIVE_FAILING, OBJECTIVES_FAILING = "objective_failing", "objectives_failing"
OBJECTIVE_KINDS = (OBJECTIVE_FAILING, OBJECTIVES_FAILING)
KINDS = ("kpi_red", "trust_below", "dispute_last_level", "date", "manual", *OBJECTIVE_KINDS,
         service_levels.TRIGGER)
KIND_LABELS = {
    "kpi_red": "KPI red for N periods in a row", "trust_below": "Trust score below a value",
    "dispute_last_level": "A dispute reaches the last ladder level", "date": "A date is reached",
    "manual": "Manual (the parties decide)", OBJECTIVE_FAILING: "An objective is failing",
    OBJECTIVES_FAILING: "N objectives are failing",
    service_levels.TRIGGER: service_levels.TRIGGER_LABEL,
}
STATUSES = ("clear", "triggered")


@dataclass(frozen=True)
class ExitInput:
    """The exit trigger form as typed; the fields a kind does not use are ignored."""

    kind: str
    description: str
    kpi: str = ""
    periods: str = ""
    threshold: str = ""
    on_date: str = ""
    status: str = "clear"
    objective: str = ""  # objective_failing: the objective's number
    count: str = ""  # objectives_failing: how many objectives failing fire it


def _numbered(db: Session, by: access.Member, model: type[Kpi] | type[Objective], typed: str, *, field: str,
              label: str) -> int:
    """The number of an existing KPI or objective the trigger watches; InputError on the form's field."""
    number = whole(typed, field=field, label=f"The {label}", low=1, high=10_000)
    try:
        items.find(db, model, by.relationship.id or 0, number, label=label)
    except InputError as exc:
        raise InputError(exc.message, field=field) from None
    return number


def _trust_threshold(typed: str) -> float:
    """The trust score below which the trigger fires, 1 to 5."""
    threshold = fields.number(typed, field="threshold", label="The trust threshold")
    if not 1 <= threshold <= 5:
        raise InputError("Trust is rated 1 to 5: pick a threshold in that range.", field="threshold")
    return threshold


def _kind_values(db: Session, by: access.Member, kind: str | None, form: ExitInput, checks: FieldChecks, *,
                 now: datetime) -> dict[str, object]:
    """The fields the trigger's kind uses, read from the form (bad ones recorded in `checks`)."""
    if kind == "kpi_red":
        return {"kpi_number": checks.read(_numbered, db, by, Kpi, form.kpi, field="kpi", label="KPI"),
                "periods": checks.read(whole, form.periods, field="periods", label="Periods in a row", low=1,
                                       high=24)}
    if kind == service_levels.TRIGGER:
        return service_levels.trigger_values(db, by, form.kpi, form.periods, checks)
    if kind == "trust_below":
        return {"threshold": checks.read(_trust_threshold, form.threshold)}
    if kind == OBJECTIVE_FAILING:
        return {"objective_number": checks.read(_numbered, db, by, Objective, form.objective, field="objective",
                                                label="objective")}
    if kind == OBJECTIVES_FAILING:
        count = checks.read(whole, form.count, field="count", label="The number of objectives failing", low=1,
                            high=1000)
        return {"threshold": float(count) if count is not None else None}
    if kind == "date":
        return {"on_date": checks.read(iso_date, form.on_date, field="on_date", label="The date",
                                       not_before=local_today(by.relationship, now))}
    return {}


def save_trigger(db: Session, *, actor: Actor, form: ExitInput, number: int | None,
                 now: datetime) -> ExitTrigger | Proposal:
    """Add (number None) or edit an exit trigger; editors only; the exit strategy is joint: a change waits for
    the partner's approval once they have an SER or a manager."""
    by = access.editor(db, actor)
    checks = FieldChecks()
    kind = checks.read(choice, form.kind, KINDS, field="kind", label="The kind of trigger")
    values: dict[str, object] = {
        "kind": kind,
        "description": checks.read(text, form.description, field="description", label="The trigger",
                                   limit=limits.DESCRIPTION),
        "kpi_number": None, "periods": None, "threshold": None, "on_date": None, "objective_number": None,
        "status": checks.read(choice, form.status, STATUSES, field="status", label="The status"),
    }
    values.update(_kind_values(db, by, kind, form, checks, now=now))
    checks.raise_if_any()
    return items.save_or_propose(db, by, entity="exit_trigger", model=ExitTrigger, values=values, number=number,
                                 user_id=actor.user_id, owners={None}, now=now)


def mark_reviewed(db: Session, *, actor: Actor, now: datetime) -> date:
    """Record that the parties reviewed the exit strategy today."""
    by = access.editor(db, actor)
    today = local_today(by.relationship, now)
    before = by.relationship.exit_reviewed_on
    by.relationship.exit_reviewed_on = today
    audit.record(db, by.relationship, by=by, user_id=actor.user_id, entity="exit_strategy", entity_id=None,
                 verb="reviewed", before={"exit_reviewed_on": before.isoformat() if before else None},
                 after={"exit_reviewed_on": today.isoformat()}, now=now)
    return today


def current_status(db: Session, trigger: ExitTrigger, *, relationship_id: int, today: date) -> str:
    """`triggered` or `clear`: KPI, date and objective triggers are evaluated, the others are as recorded."""
    if trigger.status == "triggered":
        return "triggered"
    if trigger.kind == "date" and trigger.on_date is not None:
        return "triggered" if today >= trigger.on_date else "clear"
    if trigger.kind == "kpi_red" and trigger.kpi_number and trigger.periods:
        kpi = items.find(db, Kpi, relationship_id, trigger.kpi_number, label="KPI")
        recent = kpis.latest_values(db, kpi, limit=trigger.periods)
        if len(recent) == trigger.periods and all(kpis.rag(kpi, row.value) == kpis.RED for row in recent):
            return "triggered"
    if trigger.kind == service_levels.TRIGGER:
        return "triggered" if service_levels.trigger_met(db, trigger, relationship_id=relationship_id) else "clear"
    if trigger.kind == OBJECTIVE_FAILING and trigger.objective_number:
        failing = _failing_numbers(db, relationship_id)
        return "triggered" if trigger.objective_number in failing else "clear"
    if trigger.kind == OBJECTIVES_FAILING and trigger.threshold:
        return "triggered" if _failing_count(db, relationship_id) >= trigger.threshold else "clear"
    return "clear"


FAILING = "failing"  # an objective's status (commands.rmp.objectives)


def _failing_numbers(db: Session, relationship_id: int) -> list[int]:
    return list(db.exec(select(Objective.number).where(Objective.relationship_id == relationship_id,
                                                       Objective.status == FAILING).order_by(col(Objective.number))))


def _failing_count(db: Session, relationship_id: int) -> int:
    return int(db.exec(select(func.count()).select_from(Objective).where(
        Objective.relationship_id == relationship_id, Objective.status == FAILING)).one())


def objective_reason(db: Session, trigger: ExitTrigger, *, relationship_id: int) -> str:
    """Why a trigger on objectives failing fires, in words."""
    if trigger.kind == OBJECTIVE_FAILING:
        objective = items.find(db, Objective, relationship_id, trigger.objective_number or 0, label="objective")
        return f"objective #{objective.number} “{objective.title}” is failing"
    failing = _failing_numbers(db, relationship_id)
    return f"{len(failing)} objectives are failing (" + ", ".join(f"#{n}" for n in failing) + \
        f"; the trigger is at {trigger.threshold:g})"
