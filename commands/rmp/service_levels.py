"""Service levels: a measure, a target and a period one party promises the other, stored as a KPI with
`Kpi.service_level` set (`owner_slot` is the promising party, `cadence` the period) and reported like any KPI.

Consent. A party adds a service level it promises on its own: it binds only itself. A service level one party
would have the other promise is proposed to that other party (nobody binds their partner). Changing or removing
an existing service level always needs the other party's consent, whoever asks: the promising party is bound by
it and the partner relies on it. Through `items.save_or_propose`: `owners` is {the promising party} for a new one
and {the promising party, joint} for a change, which no single party owns (so it waits as a proposal), except
while the partner has nobody who can decide.

Breach. A reported value that misses the target (amber or red by `kpis.colour`) breaches the promise: it is
posted once per period to the shared channel, naming the promising party (never a person), counted in the next
review (`review_figures`), and fires the exit triggers of kind `service_level_breached` it meets (the service
level missed N periods running).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.errors import FieldChecks, InputError
from commands.rmp import access, items, kpis
from commands.rmp.fields import whole
from commands.wording import possessive
from storage.rmp import ExitTrigger, Kpi, KpiValue, Party, Proposal, Relationship

TRIGGER = "service_level_breached"  # the exit trigger kind: service level #k missed N periods running
TRIGGER_LABEL = "A service level missed N periods in a row"
ENTITY = "kpi"  # a service level is a KPI row: its history and proposals are the KPI's


def _service_level(db: Session, relationship_id: int, number: int) -> Kpi:
    kpi = items.find(db, Kpi, relationship_id, number, label="service level")
    if not kpi.service_level:
        raise InputError(f"#{number} {kpi.name} is a KPI, not a service level: change it with "
                         f"`/accord kpi edit {number}`.", field="number")
    return kpi


def save_service_level(db: Session, *, actor: Actor, form: kpis.KpiInput, number: int | None,
                       now: datetime) -> Kpi | Proposal:
    """Add (number None) or change a service level; editors only; every bad field is reported at once. The
    promising party adds its own alone; the rest waits for the other party (see the module's docstring)."""
    by = access.editor(db, actor)
    rid = by.relationship.id or 0
    before = _service_level(db, rid, number) if number is not None else None
    checks = FieldChecks()
    values = kpis.checked_values(form, checks)
    taken = kpis.name_taken(db, rid, values["name"], number) if values["name"] else None
    if taken:
        checks.add("name", taken)
    checks.raise_if_any()
    values["service_level"] = True
    owners: set[int | None] = {values["owner_slot"]} if before is None else {before.owner_slot, None}
    return items.save_or_propose(db, by, entity=ENTITY, model=Kpi, values=values, number=number,
                                 user_id=actor.user_id, owners=owners, now=now)


def remove_service_level(db: Session, *, actor: Actor, number: int, now: datetime) -> Kpi | Proposal:
    """Retire a service level (its values stay in the reviews that counted them); with the other party's
    consent, as any change of a service level."""
    by = access.editor(db, actor)
    kpi = _service_level(db, by.relationship.id or 0, number)
    if not kpi.active:
        raise InputError(f"Service level #{number} is already removed.", field="number")
    return items.save_or_propose(db, by, entity=ENTITY, model=Kpi, values={"active": False}, number=number,
                                 user_id=actor.user_id, owners={kpi.owner_slot, None}, now=now)


# -- breaches ------------------------------------------------------------------------------------


def missed(kpi: Kpi, value: float) -> bool:
    """Whether `value` breaches the service level: short of its target (amber or red)."""
    return kpis.rag(kpi, value) != kpis.GREEN


def _names(db: Session, relationship: Relationship) -> dict[int, str]:
    return {party.slot: party.name for party in access.parties(db, relationship)}


def reported(db: Session, relationship: Relationship, kpi: Kpi, *, value: float, period: date,
             now: datetime) -> bool:
    """A value of `kpi` was reported for `period` (check-ins call this): a service level's value that misses
    its target is a breach, posted once per period, and fires the exit triggers it meets. Whether it was one."""
    if not kpi.service_level or not missed(kpi, value):
        return False
    from commands.checkins import triggers  # it imports the exit strategy, which imports this module

    rid = relationship.id or 0
    names = _names(db, relationship)
    outgoing.post_message(
        db, key=f"rel:{rid}:service_level:{kpi.number}:breach:{period.isoformat()}",
        channel=relationship.channel_id, view="service_level_breach", now=now,
        data={"number": kpi.number, "name": kpi.name, "unit": kpi.unit, "direction": kpi.direction,
              "target": kpi.target, "value": value, "rag": kpis.rag(kpi, value), "period": period.isoformat(),
              "promiser": names.get(kpi.owner_slot, "?"), "partner": names.get(3 - kpi.owner_slot, "?")})
    for trigger in items.all_of(db, ExitTrigger, rid):
        if trigger.kind == TRIGGER and trigger.status != "triggered" and trigger.kpi_number == kpi.number \
                and trigger_met(db, trigger, relationship_id=rid):
            triggers.fire(db, relationship, trigger, now=now,
                          reason=f"service level #{kpi.number} {kpi.name} was missed {trigger.periods} periods "
                                 f"in a row ({possessive(names.get(kpi.owner_slot, '?'))} promise)")
    return True


def trigger_values(db: Session, by: access.Member, kpi_typed: str, periods_typed: str,
                   checks: FieldChecks) -> dict[str, object]:
    """The exit form's fields of a `service_level_breached` trigger: the service level and the periods."""
    def service_level_number(typed: str) -> int:
        number = whole(typed, field="kpi", label="The service level", low=1, high=10_000)
        try:
            _service_level(db, by.relationship.id or 0, number)
        except InputError as exc:
            raise InputError(exc.message, field="kpi") from None
        return number

    return {"kpi_number": checks.read(service_level_number, kpi_typed),
            "periods": checks.read(whole, periods_typed, field="periods", label="Periods in a row", low=1, high=24)}


def trigger_met(db: Session, trigger: ExitTrigger, *, relationship_id: int) -> bool:
    """Whether the service level the trigger watches was missed in each of its last `periods` periods."""
    if not trigger.kpi_number or not trigger.periods:
        return False
    kpi = items.find(db, Kpi, relationship_id, trigger.kpi_number, label="service level")
    recent = kpis.latest_values(db, kpi, limit=trigger.periods)
    return len(recent) == trigger.periods and all(missed(kpi, row.value) for row in recent)


# -- status and reviews --------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLevelLine:
    """A service level in the status: its latest value and RAG, and who promises it to whom."""

    number: int
    name: str
    unit: str
    direction: str
    target: float
    value: float | None
    rag: str | None
    promiser: str
    partner: str
    cadence: str


def status_lines(db: Session, relationship: Relationship) -> list[ServiceLevelLine]:
    """The relationship's service levels in force, by number, with their latest values."""
    names = _names(db, relationship)
    lines = []
    for kpi in items.all_of(db, Kpi, relationship.id or 0):
        if not (kpi.service_level and kpi.active):
            continue
        latest = kpis.latest_values(db, kpi, limit=1)
        value = latest[0].value if latest else None
        lines.append(ServiceLevelLine(kpi.number, kpi.name, kpi.unit, kpi.direction, kpi.target, value,
                                      kpis.rag(kpi, value) if value is not None else None,
                                      names.get(kpi.owner_slot, "?"), names.get(3 - kpi.owner_slot, "?"),
                                      kpi.cadence))
    return lines


def review_figures(db: Session, relationship_id: int, parties: list[Party], first_day: date,
                   last_day: date) -> list[dict[str, Any]]:
    """Per promising party, the periods of the review in which its service levels were met and breached (the
    latest value of each period counts), with each breach; [] when the plan has no service levels."""
    promised = [k for k in items.all_of(db, Kpi, relationship_id) if k.service_level]
    if not promised:
        return []
    by_id = {k.id: k for k in promised}
    latest: dict[tuple[int, date], KpiValue] = {}
    for row in db.exec(select(KpiValue).where(col(KpiValue.kpi_id).in_(list(by_id)), KpiValue.period >= first_day,
                                              KpiValue.period <= last_day)
                       .order_by(col(KpiValue.period), col(KpiValue.id))):
        latest[(row.kpi_id, row.period)] = row  # a later report for the same period replaces an earlier one
    met: dict[int, int] = defaultdict(int)
    breaches: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (kpi_id, period), row in sorted(latest.items(), key=lambda kv: (by_id[kv[0][0]].number, kv[0][1])):
        kpi = by_id[kpi_id]
        if missed(kpi, row.value):
            breaches[kpi.owner_slot].append({"number": kpi.number, "name": kpi.name, "unit": kpi.unit,
                                             "direction": kpi.direction, "target": kpi.target, "value": row.value,
                                             "rag": kpis.rag(kpi, row.value), "period": period.isoformat()})
        else:
            met[kpi.owner_slot] += 1
    return [{"slot": party.slot, "name": party.name, "met": met[party.slot],
             "breached": len(breaches[party.slot]), "breaches": breaches[party.slot],
             "promised": sum(1 for k in promised if k.owner_slot == party.slot and k.active)} for party in parties]
