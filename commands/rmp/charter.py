"""The partnership charter: a mission statement, shared values and the behaviours both parties commit to.

It belongs to the plan and is both parties': once the partner has an SER or a manager, a change waits as a
proposal (subject `charter`) until the other party approves it; until then it takes effect at once. Its
behaviours can become the check-in statements in the same consented change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from commands.actor import Actor
from commands.checkins import settings
from commands.consent import proposals
from commands.errors import FieldChecks, InputError, renamed
from commands.rmp import access, audit
from commands.rmp.fields import text
from storage import limits
from storage.rmp import Proposal, Relationship

SUBJECT = "charter"
MOST_LINES = 12  # values, and behaviours (as many as check-in statements may be)
FIELDS = ("charter_mission", "charter_values", "charter_behaviours")
LABELS = {"charter_mission": "mission", "charter_values": "shared values", "charter_behaviours": "behaviours",
          "checkin_statements": "check-in statements"}


@dataclass(frozen=True)
class CharterInput:
    """The charter form as typed: the mission, values and behaviours one a line, and whether the behaviours
    become the check-in statements."""

    mission: str
    values: str = ""
    behaviours: str = ""
    use_as_statements: bool = False


@dataclass(frozen=True)
class Charter:
    """The charter as shown: whether the viewer may propose a change, and the open proposal about it, if any."""

    relationship: str
    channel_id: str
    mission: str
    values: list[str]
    behaviours: list[str]
    can_edit: bool
    statements_are_behaviours: bool
    pending: int | None = None

    @property
    def empty(self) -> bool:
        """Nothing written yet."""
        return not (self.mission or self.values or self.behaviours)


@dataclass(frozen=True)
class CharterSaved:
    """The outcome of the form: changed now, waiting as a proposal, or nothing to change."""

    relationship: Relationship
    proposal: Proposal | None = None
    changed: bool = True


def of(relationship: Relationship) -> tuple[str, list[str], list[str]]:
    """The relationship's mission, values and behaviours."""
    return relationship.charter_mission, list(relationship.charter_values), list(relationship.charter_behaviours)


def show_charter(db: Session, *, actor: Actor) -> Charter:
    """The charter of the actor's channel's relationship (anyone in it may read it)."""
    me = access.member(db, actor)
    relationship = me.relationship
    mission, values, behaviours = of(relationship)
    pending = proposals.open_for(db, relationship, SUBJECT)
    return Charter(relationship.name, relationship.channel_id, mission, values, behaviours, me.can_edit,
                   bool(behaviours) and behaviours == list(relationship.checkin_statements),
                   pending.number if pending else None)


def current(db: Session, *, actor: Actor) -> CharterInput:
    """The form's values: the charter as it is (SERs and managers only)."""
    relationship = access.editor(db, actor).relationship
    mission, values, behaviours = of(relationship)
    return CharterInput(mission, "\n".join(values), "\n".join(behaviours),
                        use_as_statements=bool(behaviours) and behaviours == list(relationship.checkin_statements))


def _lines(typed: str, *, field: str, label: str) -> list[str]:
    """Distinct lines, at most MOST_LINES, each at most limits.TITLE characters."""
    lines = [" ".join(line.split()) for line in (typed or "").replace("\x00", "").splitlines() if line.strip()]
    if len(lines) > MOST_LINES:
        raise InputError(f"Give at most {MOST_LINES} {label}, one per line (this has {len(lines)}).", field=field)
    if any(len(line) > limits.TITLE for line in lines):
        raise InputError(f"Each of the {label} holds at most {limits.TITLE} characters: one per line.", field=field)
    if len({line.casefold() for line in lines}) != len(lines):
        raise InputError(f"The {label} repeat a line: give each once.", field=field)
    return lines


def _as_statements(typed: str) -> list[str]:
    """The behaviours checked as check-in statements are (the check-in settings' own rule), on `behaviours`."""
    try:
        return settings.statements(typed)
    except InputError as error:
        raise renamed(error, lambda _: "behaviours") from None


def checked(form: CharterInput) -> dict[str, Any]:
    """The charter as stored (and the check-in statements when the behaviours become them); one InputError
    names every bad field."""
    checks = FieldChecks()
    values: dict[str, Any] = {
        "charter_mission": checks.read(text, form.mission, field="mission", label="The mission statement",
                                       limit=limits.LONG),
        "charter_values": checks.read(_lines, form.values, field="values", label="values"),
        "charter_behaviours": checks.read(_lines, form.behaviours, field="behaviours", label="behaviours"),
    }
    if form.use_as_statements and checks.fine("behaviours"):
        if not values["charter_behaviours"]:
            checks.add("behaviours", "Write the behaviours, one per line, to use them as the check-in statements.")
        else:
            values["checkin_statements"] = checks.read(_as_statements, "\n".join(values["charter_behaviours"]))
    checks.raise_if_any()
    return values


def _words(value: Any) -> str:
    if isinstance(value, list):
        return " / ".join(value) if value else "—"
    return value or "—"


def save_charter(db: Session, *, actor: Actor, form: CharterInput, now: datetime) -> CharterSaved:
    """Change the charter (SERs and managers): at once while the partner has nobody to decide, else proposed."""
    by = access.editor(db, actor)
    changed, proposal = proposals.change_settings(db, by, subject=SUBJECT, values=checked(form), labels=LABELS,
                                                  words=_words, apply=apply_charter, now=now)
    return CharterSaved(by.relationship, proposal, changed=changed)


def apply_charter(db: Session, by: access.Member, values: dict[str, Any], *, now: datetime) -> None:
    """Make the charter `values` take effect, recording the change; the check-in statements too when they
    come with it (from the next round on, recorded as a change of the check-in settings)."""
    relationship = by.relationship
    before = audit.snapshot(relationship)
    for key in FIELDS:
        setattr(relationship, key, values[key])
    old, new = audit.changed_fields(before, audit.snapshot(relationship))
    if new:
        audit.record(db, relationship, by=by, user_id=by.person.user_id, entity=SUBJECT, entity_id=None,
                     verb="update", before=old, after=new, now=now)
    if "checkin_statements" in values:
        settings.apply_settings(db, by, {"checkin_statements": values["checkin_statements"]}, now=now)


@dataclass(frozen=True)
class CharterLine:
    """The charter in brief, for status and App Home: the mission and how many values and behaviours."""

    mission: str
    values: int
    behaviours: int


def brief(relationship: Relationship) -> CharterLine | None:
    """The charter in brief; None before anything is written."""
    mission, values, behaviours = of(relationship)
    if not (mission or values or behaviours):
        return None
    return CharterLine(mission, len(values), len(behaviours))
