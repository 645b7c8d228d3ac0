"""Answering a round: the form a participant sees, and saving (or editing) their answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from commands.actor import Actor
from commands.calendar import zone
from commands.checkins import disclosure, round_post
from commands.errors import FieldChecks, InputError, Refused
from commands.numbers import whole_number
from commands.rmp import access, audit, calendars, items, kpis, service_levels
from commands.rmp.fields import number, text
from storage import limits
from storage.checkins import FLOOR, OPEN, Answer, Round
from storage.rmp import Kpi, KpiValue, Relationship


@dataclass(frozen=True)
class CheckinForm:
    """What the check-in modal shows a participant."""

    round: Round
    relationship: Relationship
    kpis: list[Kpi]
    previous: Answer | None
    party: str = ""  # the participant's
    partner: str = ""
    threshold: int = FLOOR  # comments are shown once this many of the party answered
    timezone: str = "UTC"  # the participant's own: the form tells them times in it


def _closed_message(round_: Round, tz: str) -> str:
    """The round closed, when in the reader's `tz`."""
    closed = round_.closes_at.astimezone(zone(tz)).strftime("%a %d %b %H:%M")
    return f"Check-in round {round_.number} closed on {closed} ({tz}); answers are no longer taken."


def _participant(db: Session, actor: Actor) -> access.Member:
    me = access.member(db, actor)
    if me.role == "observer":
        raise Refused("Observers read the plan but do not answer check-ins.")
    return me


def open_round_of(db: Session, relationship: Relationship) -> Round | None:
    """The relationship's open round, if any."""
    return db.exec(select(Round).where(Round.relationship_id == relationship.id, Round.status == OPEN)
                   .order_by(col(Round.number).desc())).first()


def answer_form(db: Session, *, actor: Actor, round_id: int | None, now: datetime) -> CheckinForm:
    """The form for the open round (or round `round_id`, from a prompt's button)."""
    me = _participant(db, actor)
    relationship = me.relationship
    tz = calendars.local_zone_name(me.person, me.party)
    if round_id is None:
        round_ = open_round_of(db, relationship)
        if round_ is None:
            latest = db.exec(select(Round).where(Round.relationship_id == relationship.id)
                             .order_by(col(Round.number).desc())).first()
            before = _closed_message(latest, tz) + " " if latest else ""
            raise Refused(f"{before}No check-in round is open: rounds open on the cadence "
                          f"`{relationship.checkin_cadence}`; `/accord status` shows the next one.")
    else:
        round_ = db.get(Round, round_id)
        if round_ is None or round_.relationship_id != relationship.id:
            raise Refused("That check-in belongs to another relationship.")
    if round_.status != OPEN or now >= round_.closes_at:
        raise Refused(_closed_message(round_, tz))
    reported = [k for k in items.all_of(db, Kpi, relationship.id or 0) if k.active and k.reporter_slot == me.party.slot]
    previous = db.exec(select(Answer).where(Answer.round_id == round_.id, Answer.user_id == actor.user_id)).first()
    partner = next((p.name for p in access.parties(db, relationship) if p.slot != me.party.slot), "")
    return CheckinForm(round_, relationship, reported, previous, me.party.name, partner,
                       disclosure.threshold(round_), tz)


def _score(typed: object, index: int, scale: int) -> int:
    """The rating of statement `index`, from 1 to `scale`."""
    score = whole_number(str(typed))
    if score is None or not 1 <= score <= scale:
        raise InputError(f"Rate this from 1 to {scale}.", field=f"stmt_{index}")
    return score


def submit_answer(
    db: Session, *, actor: Actor, round_id: int, ratings: dict[str, str], kpi_values: dict[str, str],
    comment: str, now: datetime, share_comment: bool = False,
) -> tuple[Answer, bool]:
    """Save the actor's answer (or replace their earlier one) while the round is open; (answer, edited)."""
    form = answer_form(db, actor=actor, round_id=round_id, now=now)
    round_ = form.round
    checks = FieldChecks()
    read_scores = [checks.read(_score, ratings.get(str(index), ""), index, round_.scale)
                   for index, _statement in enumerate(round_.statements)]
    read_values = {str(kpi.number): checks.read(number, raw, field=f"kpi_{kpi.number}", label=kpi.name)
                   for kpi in form.kpis if (raw := str(kpi_values.get(str(kpi.number), "")).strip())}
    note = checks.read(text, comment, field="comment", label="The comment", limit=limits.LONG, required=False) or ""
    checks.raise_if_any()  # nothing below is None
    scores = [score for score in read_scores if score is not None]
    values = {key: value for key, value in read_values.items() if value is not None}
    me = access.member(db, actor, lock=True)
    answer, edited = form.previous, form.previous is not None
    if answer is None:
        answer = Answer(round_id=round_.id or 0, user_id=actor.user_id, party_slot=me.party.slot, submitted_at=now,
                        updated_at=now)
    answer.ratings, answer.kpi_values, answer.comment, answer.updated_at = scores, values, note, now
    answer.share_comment = bool(share_comment and note)
    db.add(answer)
    for kpi in form.kpis:
        if str(kpi.number) in values:
            _report_kpi(db, me, kpi, round_, values[str(kpi.number)], now=now)
    db.flush()
    if not edited:  # the round's message counts one more answer
        round_post.show_open(db, round_, now=now)
    return answer, edited


def _report_kpi(db: Session, me: access.Member, kpi: Kpi, round_: Round, value: float, *, now: datetime) -> None:
    """The party's figure for this period: one value per KPI and round (a later report replaces it)."""
    existing = db.exec(select(KpiValue).where(KpiValue.kpi_id == kpi.id, KpiValue.period == round_.period)).first()
    before = {"value": existing.value, "period": round_.period.isoformat()} if existing else None
    if existing is not None and existing.value == value:
        return
    if existing is None:
        kpis.record_value(db, kpi, value=value, period=round_.period, user_id=me.person.user_id, now=now)
    else:
        existing.value, existing.reported_by, existing.reported_at = value, me.person.user_id, now
        db.add(existing)
    audit.record(db, me.relationship, by=me, user_id=me.person.user_id, entity="kpi", entity_id=kpi.number,
                 verb="reported", before=before, after={"value": value, "period": round_.period.isoformat(),
                                                        "round": round_.number}, now=now)
    service_levels.reported(db, me.relationship, kpi, value=value, period=round_.period, now=now)
