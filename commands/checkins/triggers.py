"""Exit triggers on KPIs and trust, evaluated after each round; a trigger that fires warns the SERs."""

from __future__ import annotations

from datetime import datetime
from statistics import mean
from typing import cast

from sqlmodel import Session, col, select

from commands import quiet, wording
from commands.checkins.summary import Summary
from commands.rmp import access, audit, exits, items
from commands.rmp.actions import local_today
from storage.rmp import ExitTrigger, Person, Relationship


def trust_means(summary: Summary) -> dict[str, float]:
    """Each party's trust score this round on the 1-to-5 scale the triggers use: the mean of the
    statements about trust (else of all), rescaled from the round's scale."""
    indexes = [i for i, s in enumerate(summary.statements) if "trust" in s.lower()] or \
        list(range(len(summary.statements)))
    scale = summary.scale
    return {party.name: round(1 + (mean(cast(list[float], party.means)[i] for i in indexes) - 1) * 4 / (scale - 1), 2)
            for party in summary.parties if not party.withheld}  # a party not withheld has every mean


def evaluate_after_round(db: Session, relationship: Relationship, summary: Summary, *, now: datetime) -> list[int]:
    """Fire the KPI and trust triggers the round has met; returns the numbers that fired."""
    rid = relationship.id or 0
    today = local_today(relationship, now)
    trust = trust_means(summary)
    fired = []
    for trigger in items.all_of(db, ExitTrigger, rid):
        if trigger.status == "triggered" or trigger.kind not in ("kpi_red", "trust_below"):
            continue
        reason = None
        if trigger.kind == "kpi_red" and exits.current_status(db, trigger, relationship_id=rid, today=today) \
                == "triggered":
            reason = f"KPI #{trigger.kpi_number} has been red for {trigger.periods} periods in a row"
        elif trigger.kind == "trust_below" and trigger.threshold is not None:
            low = {party: score for party, score in trust.items() if score < trigger.threshold}
            if low:
                reason = "trust below " + f"{trigger.threshold:g}: " + \
                    ", ".join(f"{party} {wording.score(score)}" for party, score in sorted(low.items()))
        if reason is None:
            continue
        fire(db, relationship, trigger, reason=reason, now=now)
        fired.append(trigger.number)
    return fired


def fire(db: Session, relationship: Relationship, trigger: ExitTrigger, *, reason: str, now: datetime) -> None:
    """Mark the trigger fired, record it in the plan's history, and warn both parties' SERs."""
    rid = relationship.id or 0
    trigger.status = "triggered"
    db.add(trigger)
    change = audit.record(db, relationship, by=None, user_id="accord", entity="exit_trigger",
                          entity_id=trigger.number, verb="fired", before={"status": "clear"},
                          after={"status": "triggered", "reason": reason}, now=now)
    sers = sorted(p.user_id for p in db.exec(select(Person).where(Person.relationship_id == rid,
                                                                 Person.role == "ser",
                                                                 col(Person.left_at).is_(None))))
    quiet.addressed_post(db, relationship_id=rid, key=f"rel:{rid}:change:{change.version}",
                         channel=relationship.channel_id, view="exit_warning", now=now, users=sers,
                         mention_field="sers", about=f"exit trigger #{trigger.number} fired: see above.",
                         data={"number": trigger.number, "description": trigger.description, "reason": reason,
                               "parties": [p.name for p in access.parties(db, relationship)]})


def on_last_level(db: Session, relationship: Relationship, *, dispute_number: int, level: str,
                  now: datetime) -> None:
    """A dispute reached the last ladder level: fire the triggers that wait for that."""
    for trigger in items.all_of(db, ExitTrigger, relationship.id or 0):
        if trigger.kind == "dispute_last_level" and trigger.status != "triggered":
            fire(db, relationship, trigger, reason=f"dispute #{dispute_number} reached {level}", now=now)
