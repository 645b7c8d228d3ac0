"""Per-relationship check-in settings: the statements, the scale, the window, privacy and the gap flag."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from commands.actor import Actor
from commands.checkins.rounds import MAX_REMINDERS
from commands.consent import proposals
from commands.errors import FieldChecks, InputError
from commands.numbers import whole_number
from commands.rmp import access, audit
from commands.rmp.fields import number, whole
from storage import limits
from storage.checkins import FLOOR
from storage.rmp import Proposal, Relationship


@dataclass(frozen=True)
class SettingsInput:
    """The check-in settings form as typed."""

    statements: str
    scale: str
    window_days: str
    min_respondents: str
    gap_threshold: str
    reminders: str
    retention_months: str | None = None  # None: unchanged (the form shows it; older callers leave it out)


def current(db: Session, *, actor: Actor) -> SettingsInput:
    """The relationship's settings as the form shows them (editors only)."""
    relationship = access.editor(db, actor).relationship
    return SettingsInput("\n".join(relationship.checkin_statements), str(relationship.checkin_scale),
                         str(relationship.checkin_window_days), str(relationship.checkin_min_respondents),
                         f"{relationship.gap_threshold:g}", str(relationship.checkin_reminders),
                         str(relationship.retention_months))


LABELS = {"checkin_statements": "statements", "checkin_scale": "scale", "checkin_window_days": "window (working days)",
          "checkin_min_respondents": "fewest answers shown", "gap_threshold": "gap flagged at",
          "checkin_reminders": "reminders", "retention_months": "answers kept (months)"}
RETENTION_MONTHS = (1, 120)  # how long individual answers and comments may be kept, in months


@dataclass(frozen=True)
class SettingsSaved:
    """The outcome of the settings form: changed now, waiting as a proposal, or nothing to change."""

    relationship: Relationship
    proposal: Proposal | None = None
    changed: bool = True


def statements(typed: str) -> list[str]:
    """The statements, one a line: 1 to 12, distinct, each short enough."""
    statements = [line.strip() for line in typed.splitlines() if line.strip()]
    if not 1 <= len(statements) <= 12:
        raise InputError("Give 1 to 12 statements, one per line.", field="statements")
    if any(len(s) > limits.TITLE for s in statements) or len(set(statements)) != len(statements):
        raise InputError(f"Each statement must be distinct and at most {limits.TITLE} characters.",
                         field="statements")
    return statements


def _gap_threshold(typed: str) -> float:
    """The perception gap flagged, 0.1 to 4 points."""
    threshold = number(typed, field="gap_threshold", label="The gap threshold")
    if not 0.1 <= threshold <= 4:
        raise InputError("The gap threshold is between 0.1 and 4 points (on a 5-point scale).",
                         field="gap_threshold")
    return threshold


def _fewest(typed: str) -> int:
    """The fewest answers a party's scores are shown for: never below FLOOR, which the message explains."""
    fewest = whole_number(typed)
    if fewest is not None and fewest < FLOOR:
        raise InputError(f"A party's scores are shown from {FLOOR} people at least: with fewer, those who answered "
                         "could work out each other's ratings.", field="min_respondents")
    return whole(typed, field="min_respondents", label="The fewest people a party's scores are shown for",
                 low=FLOOR, high=50)


def _checked(form: SettingsInput) -> dict[str, Any]:
    """The settings as stored; one InputError names every bad field."""
    checks = FieldChecks()
    values: dict[str, Any] = {
        "checkin_statements": checks.read(statements, form.statements),
        "checkin_scale": checks.read(whole, form.scale, field="scale", label="The scale", low=3, high=10),
        "checkin_window_days": checks.read(whole, form.window_days, field="window_days", label="The window", low=1,
                                           high=20),
        "checkin_min_respondents": checks.read(_fewest, form.min_respondents),
        "gap_threshold": checks.read(_gap_threshold, form.gap_threshold),
        "checkin_reminders": checks.read(whole, form.reminders, field="reminders", label="Reminders", low=0,
                                         high=MAX_REMINDERS),
    }
    if form.retention_months is not None:
        values["retention_months"] = checks.read(
            whole, form.retention_months, field="retention_months",
            label="How long individual answers are kept (months)", low=RETENTION_MONTHS[0], high=RETENTION_MONTHS[1])
    checks.raise_if_any()
    return values


def save_settings(db: Session, *, actor: Actor, form: SettingsInput, now: datetime) -> SettingsSaved:
    """Change the settings (from the next round on; an open round keeps what it opened with). They are both
    parties': once the partner has an SER or a manager, the change waits for their approval."""
    by = access.editor(db, actor)
    changed, proposal = proposals.change_settings(db, by, subject="checkins", values=_checked(form), labels=LABELS,
                                                  words=_words, apply=apply_settings, now=now)
    return SettingsSaved(by.relationship, proposal, changed=changed)


def _words(value: object) -> str:
    return " / ".join(str(line) for line in value) if isinstance(value, list) else f"{value:g}" \
        if isinstance(value, float) else str(value)


def apply_settings(db: Session, by: access.Member, values: dict[str, Any], *, now: datetime) -> None:
    """Make the check-in settings `values` take effect (from the next round on), recording the change."""
    relationship = by.relationship
    before = audit.snapshot(relationship)
    for key, value in values.items():
        setattr(relationship, key, value)
    old, new = audit.changed_fields(before, audit.snapshot(relationship))
    if new:
        audit.record(db, relationship, by=by, user_id=by.person.user_id, entity="checkin_settings", entity_id=None,
                     verb="update", before=old, after=new, now=now)
