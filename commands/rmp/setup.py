"""`/accord setup`: create or edit the relationship bound to a channel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from commands import outbox
from commands.actor import Actor
from commands.calendar import WEEKDAYS, parse_cadence, zone
from commands.checkins import rounds
from commands.errors import InputError, Refused
from commands.numbers import whole_number
from commands.reviews import runs
from commands.rmp import access, audit, people
from commands.rmp.forms import text
from storage.rmp import CONNECT, SINGLE, Party, Person, Relationship

DEFAULT_LADDER = (
    {"name": "Working level", "days": 5},
    {"name": "Relationship managers", "days": 10},
    {"name": "Senior executives (SERs)", "days": 15},
    {"name": "Mediation", "days": None},
)
_LADDER_LINE = re.compile(r"^(?P<name>[^|]+?)\s*(?:\|\s*(?P<days>\S+))?$")


@dataclass(frozen=True)
class SetupInput:
    """The setup form as typed: text as given, parsed and checked by `configure`."""

    name: str
    party_1: str
    party_2: str
    mode: str = CONNECT
    timezone: str = "UTC"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: str = ""
    checkin_cadence: str = "every 2 weeks on monday at 09:30"
    review_cadence: str = "quarterly on the first working day at 10:00"
    ladder: str = field(default_factory=lambda: ladder_text(DEFAULT_LADDER))


@dataclass(frozen=True)
class SetupResult:
    """The relationship after setup, and whether it was created now."""

    relationship: Relationship
    parties: list[Party]
    created: bool


def ladder_text(levels: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """The ladder as the form shows it: one `name | working days` line per level."""
    return "\n".join(level["name"] if level["days"] is None else f"{level['name']} | {level['days']}"
                     for level in levels)


def current_form(db: Session, actor: Actor) -> tuple[SetupInput, bool]:
    """The form's values: the channel's relationship if it has one (editors only), else defaults."""
    existing = db.exec(select(Relationship).where(Relationship.channel_id == (actor.channel_id or ""))).first()
    if existing is None:
        return SetupInput(name="", party_1="", party_2=""), False
    access.editor(db, actor)
    one, two = access.parties(db, existing)
    return SetupInput(
        name=existing.name, party_1=one.name, party_2=two.name, mode=existing.mode, timezone=existing.timezone,
        working_days=tuple(existing.working_days), holidays="\n".join(existing.holidays),
        checkin_cadence=existing.checkin_cadence, review_cadence=existing.review_cadence,
        ladder=ladder_text(existing.ladder),
    ), True


def parse_ladder(value: str) -> list[dict[str, Any]]:
    """Lines of `name | working days`; the last level may have no timer. 2 to 6 levels."""
    levels: list[dict[str, Any]] = []
    lines = [line.strip() for line in value.splitlines() if line.strip()]
    if not 2 <= len(lines) <= 6:
        raise InputError("The ladder needs 2 to 6 levels, one per line: `Working level | 5`.", field="ladder")
    for number, line in enumerate(lines, start=1):
        match = _LADDER_LINE.match(line)
        name = (match["name"] if match else line).strip()
        days_text = match["days"] if match else None
        if not name or len(name) > 60:
            raise InputError(f"Level {number} needs a name of at most 60 characters.", field="ladder")
        if days_text is None:
            if number < len(lines):
                raise InputError(f"Level {number} ({name}) needs a timer in working days: `{name} | 5`.",
                                 field="ladder")
            levels.append({"name": name, "days": None})
            continue
        days = whole_number(days_text)
        if days is None or not 1 <= days <= 60:
            raise InputError(f"Level {number} ({name}): the timer must be 1 to 60 working days.", field="ladder")
        levels.append({"name": name, "days": days})
    return levels


def parse_holidays(value: str) -> list[str]:
    """Dates as YYYY-MM-DD separated by lines or commas, sorted and without repeats."""
    days: set[date] = set()
    for token in re.split(r"[\s,]+", value.strip()):
        if not token:
            continue
        try:
            days.add(date.fromisoformat(token))
        except ValueError:
            raise InputError(f"`{token[:40]}` is not a date like 2026-12-25.", field="holidays") from None
    return [day.isoformat() for day in sorted(days)]


def _validated(form: SetupInput) -> dict[str, Any]:
    name = text(form.name, field="name", label="The relationship's name", limit=150)
    party_1 = text(form.party_1, field="party_1", label="Your organisation's name", limit=80)
    party_2 = text(form.party_2, field="party_2", label="The partner's name", limit=80)
    if party_1.casefold() == party_2.casefold():
        raise InputError("The two parties need different names.", field="party_2")
    if form.mode not in (CONNECT, SINGLE):
        raise InputError("Choose how the parties are told apart.", field="mode")
    zone(form.timezone.strip())
    if not form.working_days or any(day not in range(7) for day in form.working_days):
        raise InputError("Pick at least one working day.", field="working_days")
    return {
        "name": name, "mode": form.mode, "timezone": form.timezone.strip(),
        "working_days": sorted(set(form.working_days)), "holidays": parse_holidays(form.holidays),
        "checkin_cadence": parse_cadence(form.checkin_cadence, field="checkin_cadence").text,
        "review_cadence": parse_cadence(form.review_cadence, field="review_cadence").text,
        "ladder": parse_ladder(form.ladder), "parties": (party_1, party_2),
    }


def configure(db: Session, *, actor: Actor, form: SetupInput, now: datetime) -> SetupResult:
    """Create the channel's relationship (the actor becomes a manager of party 1) or edit it (editors)."""
    if not actor.channel_id:
        raise Refused("Run `/accord setup` in the shared channel of the partnership.")
    values = _validated(form)
    names = values.pop("parties")
    existing = db.exec(select(Relationship).where(Relationship.channel_id == actor.channel_id)).first()
    if existing is None:
        return _create(db, actor=actor, values=values, names=names, now=now)
    by = access.editor(db, actor)
    if values["mode"] != existing.mode:
        raise InputError("How the parties are told apart is fixed once the relationship exists.", field="mode")
    before = audit.snapshot(existing)
    for key, value in values.items():
        setattr(existing, key, value)
    old, new = audit.changed_fields(before, audit.snapshot(existing))
    if old or new:
        audit.record(db, existing, by=by, user_id=actor.user_id, entity="relationship", entity_id=None,
                     verb="update", before=old, after=new, now=now)
    if {"checkin_cadence", "timezone", "working_days", "holidays"} & set(new):
        rounds.reschedule(db, existing, now=now)
    if {"review_cadence", "timezone", "working_days", "holidays"} & set(new):
        runs.reschedule(db, existing, now=now)
    for party, name in zip(access.parties(db, existing), names, strict=True):
        if party.name != name:
            audit.record(db, existing, by=by, user_id=actor.user_id, entity="party", entity_id=party.slot,
                         verb="update", before={"name": party.name}, after={"name": name}, now=now)
            party.name = name
            db.add(party)
    db.flush()
    return SetupResult(existing, access.parties(db, existing), created=False)


def _create(db: Session, *, actor: Actor, values: dict[str, Any], names: tuple[str, str], now: datetime) -> SetupResult:
    relationship = Relationship(channel_id=actor.channel_id or "", created_at=now, updated_at=now, **values)
    db.add(relationship)
    db.flush()
    home_team = actor.team_id if relationship.mode == CONNECT else None
    one = Party(relationship_id=relationship.id or 0, slot=1, name=names[0], team_id=home_team)
    two = Party(relationship_id=relationship.id or 0, slot=2, name=names[1])
    db.add_all([one, two])
    db.flush()
    founder = Person(relationship_id=relationship.id or 0, party_id=one.id or 0, user_id=actor.user_id, role="manager")
    db.add(founder)
    db.flush()
    people.look_up_timezone(db, relationship_id=relationship.id or 0, user_id=actor.user_id, now=now)
    by = access.Member(relationship, founder, one)
    audit.record(db, relationship, by=by, user_id=actor.user_id, entity="relationship", entity_id=None,
                 verb="create", before=None,
                 after={**audit.snapshot(relationship, exclude=("id", "version", "created_at", "updated_at",
                                                                 "exit_reviewed_on")),
                        "parties": list(names)}, now=now)
    rounds.schedule_next_round(db, relationship, after=now, now=now)
    runs.schedule_next_review(db, relationship, after=now, now=now)
    outbox.post_message(
        db, key=f"rel:{relationship.id}:welcome", channel=relationship.channel_id, view="rmp_welcome",
        data={"name": relationship.name, "parties": list(names), "by": actor.user_id, "mode": relationship.mode,
              "channel": relationship.channel_id,
              "weekdays": [WEEKDAYS[d].title()[:3] for d in relationship.working_days]},
        now=now,
    )
    return SetupResult(relationship, [one, two], created=True)
