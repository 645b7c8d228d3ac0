"""`/accord setup`: create or edit the relationship bound to a channel."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from commands import outgoing
from commands.actor import Actor
from commands.calendar import (
    DEFAULT_END,
    DEFAULT_START,
    WEEKDAYS,
    format_hours,
    parse_cadence,
    parse_hours,
    parse_region,
    zone,
)
from commands.checkins import rounds
from commands.consent import proposals
from commands.disputes import ladder
from commands.errors import FieldChecks, InputError, Refused, renamed
from commands.numbers import whole_number
from commands.reviews import runs
from commands.rmp import access, audit, calendars, people
from commands.rmp.fields import text
from commands.wording import DEFAULT_CURRENCY, currency_code
from storage import limits
from storage.disputes import OPEN, Dispute
from storage.rmp import CONNECT, SINGLE, Party, Person, Proposal, Relationship

DEFAULT_LADDER = (
    {"name": "Working level", "days": 5},
    {"name": "Relationship managers", "days": 10},
    {"name": "Senior executives (SERs)", "days": 15},
    {"name": "Mediation", "days": None},
)
_LADDER_LINE = re.compile(r"^(?P<name>[^|]+?)\s*(?:\|\s*(?P<days>\S+))?$")


@dataclass(frozen=True)
class CalendarInput:
    """One party's calendar as typed."""

    timezone: str = "UTC"
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    working_hours: str = format_hours(DEFAULT_START, DEFAULT_END)
    holidays: str = ""
    holiday_region: str = ""


@dataclass(frozen=True)
class SetupInput:
    """The setup form as typed: text as given, parsed and checked by `configure`.

    `timezone` is the channel's (cadences, and the dates of shared posts). `calendars` holds each party's
    calendar; without it both parties start from `timezone`, `working_days` and `holidays`."""

    name: str
    party_1: str
    party_2: str
    mode: str = CONNECT
    timezone: str = "UTC"
    currency: str = DEFAULT_CURRENCY
    working_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    holidays: str = ""
    working_hours: str = format_hours(DEFAULT_START, DEFAULT_END)
    checkin_cadence: str = "every 2 weeks on monday at 09:30"
    review_cadence: str = "quarterly on the first working day at 10:00"
    ladder: str = field(default_factory=lambda: ladder_text(DEFAULT_LADDER))
    calendars: tuple[CalendarInput, CalendarInput] | None = None

    def calendar(self, slot: int) -> CalendarInput:
        """The calendar typed for party `slot` (1 or 2)."""
        if self.calendars is not None:
            return self.calendars[slot - 1]
        return CalendarInput(self.timezone, self.working_days, self.working_hours, holidays=self.holidays)


@dataclass(frozen=True)
class SetupForm:
    """What the setup form shows: its values, whether it edits, and the viewer's party (None: creating)."""

    values: SetupInput
    editing: bool
    viewer_slot: int | None = None


@dataclass(frozen=True)
class SetupResult:
    """The relationship after setup, whether it was created now, and the proposal a change waits in."""

    relationship: Relationship
    parties: list[Party]
    created: bool
    proposal: Proposal | None = None
    changed: bool = True


PARTY_CALENDAR = ("timezone", "working_days", "working_hours", "holidays", "holiday_region")
RELATIONSHIP_SETTINGS = ("name", "timezone", "currency", "checkin_cadence", "review_cadence", "ladder")


def ladder_text(levels: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    """The ladder as the form shows it: one `name | working days` line per level."""
    return "\n".join(level["name"] if level["days"] is None else f"{level['name']} | {level['days']}"
                     for level in levels)


def current_form(db: Session, actor: Actor) -> SetupForm:
    """The form's values: the channel's relationship if it has one (editors only), else defaults."""
    existing = db.exec(select(Relationship).where(Relationship.channel_id == (actor.channel_id or ""))).first()
    if existing is None:
        return SetupForm(SetupInput(name="", party_1="", party_2=""), editing=False)
    me = access.editor(db, actor)
    one, two = access.parties(db, existing)
    return SetupForm(SetupInput(
        name=existing.name, party_1=one.name, party_2=two.name, mode=existing.mode, timezone=existing.timezone,
        currency=existing.currency,
        checkin_cadence=existing.checkin_cadence, review_cadence=existing.review_cadence,
        ladder=ladder_text(existing.ladder), calendars=(_calendar_input(one), _calendar_input(two)),
    ), editing=True, viewer_slot=me.party.slot)


def _calendar_input(party: Party) -> CalendarInput:
    return CalendarInput(party.timezone, tuple(party.working_days), party.working_hours, "\n".join(party.holidays),
                         party.holiday_region)


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
        if not name or len(name) > limits.LEVEL_NAME:
            raise InputError(f"Level {number} needs a name of at most {limits.LEVEL_NAME} characters.", field="ladder")
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


def _timezone(value: str, *, field: str) -> str:
    """A known timezone's name, trimmed; InputError naming `field` if unknown."""
    name = value.strip()
    try:
        zone(name)
    except InputError as exc:
        raise InputError(exc.message, field=field) from None
    return name


def _currency(value: str) -> str:
    """An active ISO 4217 code (`eur` → `EUR`); InputError on `currency` otherwise."""
    try:
        return currency_code(value)
    except ValueError as error:
        raise InputError(str(error), field="currency") from None


def _working_days(days: tuple[int, ...], *, field: str) -> list[int]:
    """The working days picked (0 Monday to 6 Sunday), at least one."""
    if not days or any(day not in range(7) for day in days):
        raise InputError("Pick at least one working day.", field=field)
    return sorted(set(days))


def _hours(value: str, *, field: str) -> str:
    """Working hours as stored (`09:00-17:30`)."""
    return format_hours(*parse_hours(value, field=field))


def _slot_holidays(value: str, slot: int) -> list[str]:
    """Party `slot`'s own holidays (see `parse_holidays`), an error naming `holidays_<slot>`."""
    try:
        return parse_holidays(value)
    except InputError as exc:
        raise InputError(exc.message, field=f"holidays_{slot}") from None


def _calendar_values(form: CalendarInput, slot: int, checks: FieldChecks) -> dict[str, Any]:
    """One party's calendar as stored, its bad fields (`timezone_1`, `working_days_1`, …) recorded in `checks`
    with the value None."""
    return {
        "timezone": checks.read(_timezone, form.timezone, field=f"timezone_{slot}"),
        "working_days": checks.read(_working_days, form.working_days, field=f"working_days_{slot}"),
        "working_hours": checks.read(_hours, form.working_hours, field=f"working_hours_{slot}"),
        "holidays": checks.read(_slot_holidays, form.holidays, slot),
        "holiday_region": checks.read(parse_region, form.holiday_region, field=f"holiday_region_{slot}"),
    }


def _party_calendar(form: SetupInput, slot: int, checks: FieldChecks) -> dict[str, Any]:
    """Party `slot`'s calendar (see `_calendar_values`); a form without per-party calendars has its errors on
    the shared fields (`timezone`, `working_days`, …)."""
    own = FieldChecks()
    calendar = _calendar_values(form.calendar(slot), slot, own)
    if own.errors:
        error = InputError(errors=own.errors)
        checks.record(error if form.calendars is not None else renamed(error, lambda name: name.rsplit("_", 1)[0]))
    return calendar


def _mode(form: SetupInput, editing: Relationship | None) -> str:
    """How the parties are told apart: chosen when creating, fixed afterwards."""
    mode = form.mode or (editing.mode if editing else "")
    if mode not in (CONNECT, SINGLE):
        raise InputError("Choose how the parties are told apart.", field="mode")
    if editing is not None and mode != editing.mode:
        raise InputError("How the parties are told apart is fixed once the relationship exists.", field="mode")
    return mode


def _validated(form: SetupInput, *, editing: Relationship | None) -> dict[str, Any]:
    """The settings as stored (JSON): the relationship's, and each party's name and calendar. Every field is
    read, and one InputError names all the bad ones."""
    checks = FieldChecks()
    name = checks.read(text, form.name, field="name", label="The relationship's name", limit=limits.TITLE)
    party_1 = checks.read(text, form.party_1, field="party_1", label="The first party's name", limit=limits.PARTY)
    party_2 = checks.read(text, form.party_2, field="party_2", label="The second party's name", limit=limits.PARTY)
    if party_1 is not None and party_2 is not None and party_1.casefold() == party_2.casefold():
        checks.add("party_2", "The two parties need different names.")
    mode = checks.read(_mode, form, editing)
    timezone = checks.read(_timezone, form.timezone, field="timezone")
    currency = checks.read(_currency, form.currency)
    one, two = (_party_calendar(form, slot, checks) for slot in (1, 2))
    if one["working_days"] and two["working_days"] and not set(one["working_days"]) & set(two["working_days"]):
        checks.add("working_days_2" if form.calendars is not None else "working_days",
                   f"{party_1 or 'The first party'} and {party_2 or 'the second party'} share no working day: "
                   "dispute clocks and check-in windows count the days both work, so they need at least one in "
                   "common.")
    checkin = checks.read(parse_cadence, form.checkin_cadence, field="checkin_cadence")
    review = checks.read(parse_cadence, form.review_cadence, field="review_cadence")
    levels = checks.read(parse_ladder, form.ladder)
    checks.raise_if_any()
    assert checkin is not None and review is not None  # raise_if_any saw to it
    return {
        "name": name, "mode": mode, "timezone": timezone, "currency": currency, "checkin_cadence": checkin.text,
        "review_cadence": review.text, "ladder": levels,
        "parties": [{"name": party_1, **one}, {"name": party_2, **two}],
    }


def configure(db: Session, *, actor: Actor, form: SetupInput, now: datetime) -> SetupResult:
    """Create the channel's relationship (the actor becomes a manager of party 1) or change it (editors).

    A change is the two parties' to make: once the partner has an SER or a manager it waits as a proposal
    until they approve it; until then it takes effect at once (the day's digest announces it)."""
    if not actor.channel_id:
        raise Refused("Run `/accord setup` in the shared channel of the partnership.")
    existing = db.exec(select(Relationship).where(Relationship.channel_id == actor.channel_id)).first()
    if existing is None:
        return _create(db, actor=actor, values=_validated(form, editing=None), now=now)
    by = access.editor(db, actor)
    values = _validated(form, editing=existing)
    values.pop("mode")
    parties = access.parties(db, existing)
    changes = describe(existing, parties, values)
    if not changes:
        return SetupResult(existing, parties, created=False, changed=False)
    if proposals.partner_can_decide(db, by):
        proposal = proposals.propose(db, by, subject="relationship", values=values, changes=changes, now=now)
        return SetupResult(existing, parties, created=False, proposal=proposal)
    apply_settings(db, by, values, now=now)
    return SetupResult(existing, access.parties(db, existing), created=False)


def describe(relationship: Relationship, parties: list[Party], values: dict[str, Any]) -> list[proposals.Change]:
    """The changes `values` would make, in words, before → after."""
    changes = [proposals.Change(SETTING_LABELS[key], _words(key, getattr(relationship, key)), _words(key, values[key]))
               for key in RELATIONSHIP_SETTINGS if getattr(relationship, key) != values[key]]
    for party, wanted in zip(parties, values["parties"], strict=True):
        if party.name != wanted["name"]:
            changes.append(proposals.Change(f"{party.name}: name", party.name, wanted["name"]))
        changes += [proposals.Change(f"{party.name}: {SETTING_LABELS[key]}", _words(key, getattr(party, key)),
                                     _words(key, wanted[key]))
                    for key in PARTY_CALENDAR if getattr(party, key) != wanted[key]]
    return changes


SETTING_LABELS = {
    "name": "name", "timezone": "timezone", "currency": "currency", "checkin_cadence": "check-in cadence",
    "review_cadence": "review cadence", "ladder": "escalation ladder", "working_days": "working days",
    "working_hours": "working hours", "holidays": "holidays", "holiday_region": "public holidays of",
}


def _words(key: str, value: Any) -> str:
    if key == "ladder":
        return "; ".join(level["name"] if level["days"] is None else f"{level['name']} {level['days']} days"
                         for level in value)
    if key == "working_days":
        return ", ".join(WEEKDAYS[day].title()[:3] for day in value)
    if key == "holidays":
        return ", ".join(value[:8]) + (f" and {len(value) - 8} more" if len(value) > 8 else "") if value else "none"
    if key == "holiday_region":
        return value or "none"
    return str(value)


def apply_settings(db: Session, by: access.Member, values: dict[str, Any], *, now: datetime) -> None:
    """Make the relationship's settings `values` (as `_validated` gives them) take effect; record each change,
    and move what depends on them: the next round and review, and the clocks of open disputes."""
    relationship = by.relationship
    parties = access.parties(db, relationship)
    clocks = _dispute_clocks(db, relationship, now)
    before = audit.snapshot(relationship)
    for key in RELATIONSHIP_SETTINGS:
        setattr(relationship, key, values[key])
    old, new = audit.changed_fields(before, audit.snapshot(relationship))
    if new:
        audit.record(db, relationship, by=by, user_id=by.person.user_id, entity="relationship", entity_id=None,
                     verb="update", before=old, after=new, now=now)
    calendars_changed = False
    for party, wanted in zip(parties, values["parties"], strict=True):
        old = {key: getattr(party, key) for key in ("name", *PARTY_CALENDAR) if getattr(party, key) != wanted[key]}
        if not old:
            continue
        calendars_changed = calendars_changed or bool(set(old) - {"name"})
        audit.record(db, relationship, by=by, user_id=by.person.user_id, entity="party", entity_id=party.slot,
                     verb="update", before=old, after={key: wanted[key] for key in old}, now=now)
        for key in old:
            setattr(party, key, wanted[key])
        db.add(party)
    db.flush()
    if calendars_changed or {"checkin_cadence", "timezone"} & set(new):
        rounds.reschedule(db, relationship, now=now)
    if calendars_changed or {"review_cadence", "timezone"} & set(new):
        runs.reschedule(db, relationship, now=now)
    if calendars_changed:  # each open dispute keeps the working time it had left, counted on the new calendars
        for dispute, left in clocks:
            ladder.arm(db, dispute, relationship, start=now, seconds=left, now=now)
            db.add(dispute)


def _dispute_clocks(db: Session, relationship: Relationship, now: datetime) -> list[tuple[Dispute, float]]:
    """The open disputes with a running clock, each with the working time it has left."""
    running = db.exec(select(Dispute).where(Dispute.relationship_id == relationship.id, Dispute.status == OPEN,
                                            col(Dispute.level_due_at).is_not(None)))
    calendar = calendars.joint(db, relationship)
    return [(d, calendar.working_seconds_between(now, d.level_due_at)) for d in running if d.level_due_at]


def _create(db: Session, *, actor: Actor, values: dict[str, Any], now: datetime) -> SetupResult:
    party_values = values.pop("parties")
    relationship = Relationship(channel_id=actor.channel_id or "", created_at=now, updated_at=now, **values)
    db.add(relationship)
    db.flush()
    home_team = actor.team_id if relationship.mode == CONNECT else None
    one = Party(relationship_id=relationship.id or 0, slot=1, team_id=home_team, **party_values[0])
    if relationship.mode == CONNECT:
        access.learn(db, one, actor)  # its Enterprise Grid org and workspaces too
    two = Party(relationship_id=relationship.id or 0, slot=2, **party_values[1])
    db.add_all([one, two])
    db.flush()
    founder = Person(relationship_id=relationship.id or 0, party_id=one.id or 0, user_id=actor.user_id, role="manager",
                     name=people.slack_name(actor))
    db.add(founder)
    db.flush()
    people.look_up_timezone(db, relationship_id=relationship.id or 0, user_id=actor.user_id, now=now)
    by = access.Member(relationship, founder, one)
    audit.record(db, relationship, by=by, user_id=actor.user_id, entity="relationship", entity_id=None,
                 verb="create", before=None,
                 after={**audit.snapshot(relationship, exclude=("id", "version", "created_at", "updated_at",
                                                                 "exit_reviewed_on")),
                        "parties": party_values}, now=now)
    rounds.schedule_next_round(db, relationship, after=now, now=now)
    runs.schedule_next_review(db, relationship, after=now, now=now)
    outgoing.post_message(
        db, key=f"rel:{relationship.id}:welcome", channel=relationship.channel_id, view="rmp_welcome",
        data={"name": relationship.name, "parties": [one.name, two.name], "by": actor.user_id,
              "mode": relationship.mode, "channel": relationship.channel_id,
              "calendars": [f"{party['name']}: {_words('working_days', party['working_days'])} "
                            f"{party['working_hours']} ({party['timezone']})" for party in party_values]},
        now=now,
    )
    return SetupResult(relationship, [one, two], created=True)
